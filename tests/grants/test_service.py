"""The grant service on real parts under load: anvil with the real contracts, the chain index,
a real store and vault, real signatures.

A flood of encryption keys from fresh addresses must neither drop a real holder's grant nor
cost a chain call each; a grant that no event asked for is made by the periodic reconciliation.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest
import trio
import trio.testing

from node.chain import ChainClient, Indexer
from node.gating import Balance, ContentKey, encode_gate, encrypt_content, keypair_from_eth_key
from node.grants import Gatekeeper, Vault, serve_grants
from node.identity import Key, import_key
from node.store import Store

CHAIN = 31337
WHOLE = 10**18
#: Fresh keys in the flood: more than the 4,096 events the old queue held.
FLOOD = 6_000


class CountingChain:
    """The real chain client's ``balance_of``, counted: how many chain calls grants cost."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.calls = 0

    def balance_of(self, token: str, holder: str) -> int:
        self.calls += 1
        return self.client.balance_of(token, holder)


@pytest.fixture
def node(market, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A store, a vault and a chain index of the market, and a gatekeeper over them, as a node
    wires them; the creator has delegated to the node's grant signer."""
    client, creator = market.client, market.creator
    store = Store(tmp_path / "store.sqlite", CHAIN)
    vault = Vault(tmp_path / "gating.sqlite")
    indexer = Indexer(client, tmp_path / "chain.sqlite", confirmations=0)
    indexer.poll_once()
    chain = CountingChain(client)
    keeper = Gatekeeper(
        store,
        vault,
        import_key(os.urandom(32)),
        chain_id=CHAIN,
        balance_of=chain.balance_of,
        holders=lambda t: [h.holder for h in indexer.holders(t)],
    )
    delegate = creator.sign("SignerAdd", {"signer": keeper.signer_address, "label": "node"}, chain_id=CHAIN)
    assert store.ingest([delegate]).results[0].outcome.value == "accepted"
    yield keeper, chain
    indexer.close()
    vault.close()
    store.close()


def encryption_key(key: Key):  # type: ignore[no-untyped-def]
    value = "0x" + keypair_from_eth_key(key.private_key).public_key.hex()
    return key.sign("Profile", {"field": "encryptionKey", "value": value}, chain_id=CHAIN)


def gated_post(creator: Key, token: str):  # type: ignore[no-untyped-def]
    gate = Balance(CHAIN, token, 5 * WHOLE)
    key = ContentKey.generate()
    blob = encrypt_content(b"for holders", key, chain_id=CHAIN, author=creator.address, gate=gate)
    post = creator.sign(
        "Post", {"text": "", "gate": encode_gate(gate).decode(), "ciphertext": blob}, chain_id=CHAIN
    )
    return post, key


async def granted(store: Store, post_id: bytes, holder: str, timeout: float) -> None:
    with trio.fail_after(timeout):
        while store.grant(post_id, holder) is None:
            await trio.sleep(0.05)


async def test_a_flood_of_fresh_keys_drops_nothing_and_does_not_hold_up_a_holders_grant(market, node) -> None:  # type: ignore[no-untyped-def]
    token, creator, fan = market.token, market.creator, market.fan
    keeper, chain = node
    store, vault = keeper.store, keeper.vault
    flood = [encryption_key(import_key(os.urandom(32))) for _ in range(FLOOD)]
    post, key = gated_post(creator, token)
    async with trio.open_nursery() as nursery:
        work = await nursery.start(serve_grants, keeper)
        await trio.testing.wait_all_tasks_blocked(
            cushion=0.2
        )  # its start-up scan is done: the vault was empty
        vault.put_key(post.id, creator.address, key)
        # One batch, as `POST /v1/messages/batch` or a sync would bring it: the flood first, then
        # the one real holder's key and the gated post.
        report = await trio.to_thread.run_sync(store.ingest, [*flood, encryption_key(fan), post])
        assert len(report.accepted) == FLOOD + 2

        start = trio.current_time()
        await granted(store, post.id, fan.address, timeout=30)
        waited = trio.current_time() - start

        with trio.fail_after(60):  # every holder is checked once, none dropped
            while work.statistics().holders_done < FLOOD + 1:
                await trio.sleep(0.05)
        drained = trio.current_time() - start
        stats = work.statistics()
        assert (stats.pending_posts, stats.pending_holders, stats.holders_done) == (0, 0, FLOOD + 1)
        nursery.cancel_scope.cancel()
    # The flood cost no chain call: only the holder was checked on chain (once for the post's
    # rescan; its own key event then finds the grant made).
    assert chain.calls <= 2, chain.calls
    assert set(store.grant_recipients(post.id)) == {fan.address}
    print(
        f"holder granted {waited:.2f}s after a batch of {FLOOD} fresh keys, all checked in {drained:.2f}s; "
        f"{chain.calls} chain call(s)"
    )


async def test_reconciliation_grants_what_no_event_asked_for(market, node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    token, creator, fan, early = market.token, market.creator, market.fan, market.other_fan
    keeper, _chain = node
    store, vault = keeper.store, keeper.vault
    post, key = gated_post(creator, token)
    async with trio.open_nursery() as nursery:
        await nursery.start(partial(serve_grants, keeper, reconcile_interval=0.5))
        vault.put_key(post.id, creator.address, key)
        await trio.to_thread.run_sync(store.ingest, [encryption_key(early), post])
        await granted(store, post.id, early.address, timeout=30)  # the post's own event is handled
        assert store.grant(post.id, fan.address) is None  # the fan had no encryption key then
        # The fan's key reaches the store file from outside the running node (a second writer, as
        # `mecenate import` into the node's data directory is): no event tells the service.
        with Store(store.path, CHAIN) as outside:
            assert outside.ingest([encryption_key(fan)]).results[0].outcome.value == "accepted"
        await granted(store, post.id, fan.address, timeout=30)
        nursery.cancel_scope.cancel()
