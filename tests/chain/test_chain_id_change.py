"""A chain id change under a running indexer (issue 10): anvil restarted on the same URL with
another ``--chain-id``. The indexer stops, keeps what it indexed, says why in ``/v1/status``
with one WARNING, and gate checks refuse to read the wrong chain."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import trio
from fastapi.testclient import TestClient
from web3 import HTTPProvider, Web3

from benchmarks._devnet import anvil, deploy_mecenate, dev_accounts, free_port
from node.api import ApiContext, create_app
from node.chain import ChainClient, Indexer
from node.errors import ChainError, ChainMismatch
from node.store import Store

CHAIN = 31337


def test_the_indexer_stops_when_the_endpoint_changes_chain(
    artifacts, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="node.chain")
    port = free_port()
    with anvil("--chain-id", str(CHAIN), port=port) as url:
        owner, fee = dev_accounts(2)
        deployment = deploy_mecenate(Web3(HTTPProvider(url)), owner, fee, artifacts, tmp_path / "deployments")
        client = ChainClient(url, artifacts, deployment, request_timeout=5)
        indexer = Indexer(client, tmp_path / "chain.sqlite", confirmations=0)
        indexer.poll_once()
        indexed = indexer.indexed_block
        assert indexed is not None and indexer.halted is None

    async def poll_a_while() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(
                lambda task_status: indexer.serve(poll_interval=0.05, task_status=task_status)
            )
            with trio.fail_after(20):
                while indexer.halted is None:
                    await trio.sleep(0.05)
            await trio.sleep(0.5)  # several more polls, still one warning
            nursery.cancel_scope.cancel()

    with anvil("--chain-id", "4242", port=port):
        trio.run(poll_a_while)
        assert "serves chain 4242" in (indexer.halted or "")
        assert indexer.indexed_block == indexed  # nothing rolled back, nothing indexed from the other chain
        with pytest.raises(ChainMismatch) as refused:  # no gate decision on another chain's balances
            client.balance_of(deployment.factory, owner.address)
        assert isinstance(refused.value, ChainError)
        with (
            Store(tmp_path / "store.sqlite", CHAIN) as store,
            TestClient(create_app(ApiContext(store, CHAIN, chain=indexer)), backend="trio") as http,
        ):
            status = http.get("/v1/status").json()
        assert status["chain"]["indexed_block"] == indexed
        assert "serves chain 4242" in status["chain"]["halted"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "4242" in warnings[0].getMessage(), [r.getMessage() for r in warnings]

    with anvil("--chain-id", str(CHAIN), port=port):  # the right chain again (a fresh devnet)
        trio.run(_poll_until_running, indexer)
    assert indexer.halted is None
    indexer.close()


async def _poll_until_running(indexer: Indexer) -> None:
    async with trio.open_nursery() as nursery:
        await nursery.start(lambda task_status: indexer.serve(poll_interval=0.05, task_status=task_status))
        with trio.fail_after(20):
            while indexer.halted is not None:
                await trio.sleep(0.05)
        nursery.cancel_scope.cancel()
