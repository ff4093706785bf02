"""Fixtures for the grants tests: the gating tests' movable clock, accounts and addresses, and a
market on a real chain for the tests that grant and unlock against one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks._devnet import creator_market, mecenate_devnet
from node.chain import ChainClient, Deployment
from node.identity import Key
from tests.gating.conftest import AUTHOR, CHAIN, TOKEN_A, TOKEN_B, FakeClock, clock, holder, post_id

__all__ = [
    "AUTHOR",
    "CHAIN",
    "TOKEN_A",
    "TOKEN_B",
    "FakeClock",
    "Market",
    "clock",
    "holder",
    "market",
    "post_id",
]


@dataclass(frozen=True, slots=True)
class Market:
    """anvil with the contracts deployed (its RPC ``url``, the ``deployments`` directory and a
    ``client``), and ``creator``'s ``token``, of which ``fan`` and ``other_fan`` bought 10."""

    url: str
    deployments: Path
    client: ChainClient
    token: str
    creator: Key
    fan: Key
    other_fan: Key


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    directory = tmp_path_factory.mktemp("deployments")
    with mecenate_devnet(directory, accounts=5) as (url, artifacts, keys):
        client = ChainClient(url, artifacts, Deployment.load(directory, CHAIN))
        creator, fan, other_fan = keys[2:5]
        token = creator_market(client, [creator, fan, other_fan])
        yield Market(url, directory, client, token, creator, fan, other_fan)
