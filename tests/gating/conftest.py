"""Shared fixtures for the gating tests: a movable clock, accounts, addresses, a sample gate, and
the node's nonce book on a fresh file (the book challenges are checked against)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from node.gating import Balance, Gate, GrantBinding
from node.grants import SqliteNonceBook, Vault
from node.messages import gate

#: Two well-known checksum addresses (the first contracts anvil deploys).
TOKEN_A = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TOKEN_B = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
AUTHOR = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
CHAIN = 31337


class FakeClock:
    """A clock that moves only when told to, so expiry is tested without sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 22, 1, 0, 0, tzinfo=UTC))


@pytest.fixture
def nonces(tmp_path: Path, clock: FakeClock) -> Iterator[SqliteNonceBook]:
    """The node's nonce book on a fresh vault, on the movable clock, with room to spare."""
    vault = Vault(
        tmp_path / "gating.sqlite", nonce_capacity=100, per_client=100, per_address=100, clock=clock
    )
    yield vault.nonces
    vault.close()


@pytest.fixture
def holder() -> LocalAccount:
    return Account.create()


@pytest.fixture
def post_id() -> bytes:
    return os.urandom(32)


@pytest.fixture
def binding(post_id: bytes) -> GrantBinding:
    """What a grant of ``post_id`` on the devnet chain, from one author to one holder, is bound to."""
    return GrantBinding(31337, post_id, "0x" + os.urandom(20).hex(), "0x" + os.urandom(20).hex())


@pytest.fixture
def sample_gate() -> Gate:
    return gate.All(
        [Balance(CHAIN, TOKEN_A, 1000), gate.Any([Balance(1, TOKEN_B, 5), Balance(CHAIN, TOKEN_B, 1)])]
    )
