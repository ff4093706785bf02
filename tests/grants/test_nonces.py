"""The node's nonce book: single-use, bound, bounded, capped per client and address, durable."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from eth_account import Account

from node.errors import ChallengeRefused, TooManyPending
from node.grants import Vault
from node.grants._nonces import client_of

from .conftest import TOKEN_A, FakeClock

BOUND = {"address": TOKEN_A, "post": b"\x01" * 32}


def test_nonces_survive_a_restart_and_are_single_use(tmp_path: Path, clock: FakeClock) -> None:
    vault = Vault(tmp_path / "v.sqlite", nonce_capacity=10, clock=clock)
    nonce = vault.nonces.issue(timedelta(minutes=1), **BOUND)
    vault.close()
    again = Vault(tmp_path / "v.sqlite", nonce_capacity=10, clock=clock)
    book = again.nonces
    book.consume(nonce, **BOUND)
    with pytest.raises(ChallengeRefused) as info:
        book.consume(nonce, **BOUND)
    assert info.value.reason == "replayed"
    with pytest.raises(ChallengeRefused) as info:
        book.consume("0" * 32, **BOUND)
    assert info.value.reason == "unknown_nonce"
    late = book.issue(timedelta(minutes=1), **BOUND)
    clock.advance(timedelta(minutes=2))
    with pytest.raises(ChallengeRefused) as info:
        book.consume(late, **BOUND)
    assert info.value.reason == "expired"
    assert (tmp_path / "v.sqlite").stat().st_mode & 0o077 == 0
    again.close()


def test_the_book_is_bounded_and_recovers(tmp_path: Path, clock: FakeClock) -> None:
    """At capacity, new nonces are refused rather than evicting ones holders are about to use;
    a used or expired nonce makes room again."""
    vault = Vault(tmp_path / "v.sqlite", nonce_capacity=2, per_address=10, clock=clock)
    book = vault.nonces
    first = book.issue(timedelta(seconds=10), **BOUND)
    book.issue(timedelta(seconds=60), **BOUND)
    with pytest.raises(TooManyPending) as info:
        book.issue(timedelta(seconds=10), **BOUND)
    assert info.value.reason == "too_many_pending"
    book.consume(first, **BOUND)
    book.issue(timedelta(seconds=10), **BOUND)  # a used nonce no longer counts
    assert book.outstanding() == 2
    clock.advance(timedelta(seconds=10))
    book.issue(timedelta(seconds=10), **BOUND)  # the last one expired and made room
    assert book.outstanding() == 2
    with pytest.raises(ValueError, match="ttl"):
        book.issue(timedelta(0), **BOUND)
    vault.close()
    with pytest.raises(ValueError, match="nonce_capacity"):
        Vault(tmp_path / "w.sqlite", nonce_capacity=0)
    assert not (tmp_path / "w.sqlite").exists()


def test_clients_are_counted_by_address_and_ipv6_by_its_64() -> None:
    assert client_of("203.0.113.7") == "203.0.113.7"
    assert client_of("2001:db8:1:2:aaaa::1") == client_of("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_of("2001:db8:1:3::1") != client_of("2001:db8:1:2::1")
    assert client_of("::ffff:203.0.113.7") == "203.0.113.7"  # an IPv4 client on a dual-stack socket
    assert client_of("testclient") == "testclient"


def test_pending_nonces_are_capped_per_client_and_per_address(tmp_path: Path, clock: FakeClock) -> None:
    vault = Vault(tmp_path / "v.sqlite", nonce_capacity=100, per_client=2, per_address=2, clock=clock)
    book = vault.nonces
    ttl, post = timedelta(minutes=1), b"\x01" * 32
    addresses = [Account.create().address for _ in range(3)]
    book.issue(ttl, address=addresses[0], post=post, client="10.0.0.1")
    book.issue(ttl, address=addresses[1], post=post, client="10.0.0.1")
    with pytest.raises(TooManyPending):
        book.issue(ttl, address=addresses[2], post=post, client="10.0.0.1")
    assert book.outstanding(client="10.0.0.1") == 2
    # in one address's name, the newest ones stand and the oldest go
    nonces = [book.issue(ttl, address=addresses[2], post=post, client=f"10.0.1.{i}") for i in range(3)]
    assert book.outstanding(address=addresses[2]) == 2
    with pytest.raises(ChallengeRefused) as info:
        book.consume(nonces[0], address=addresses[2], post=post)
    assert info.value.reason == "unknown_nonce"
    book.consume(nonces[2], address=addresses[2], post=post)
    # used or expired ones no longer count
    clock.advance(ttl)
    book.issue(ttl, address=addresses[0], post=post, client="10.0.0.1")
    vault.close()
