"""The node's unlock nonces, single-use and bounded, in the vault's SQLite file.

:class:`SqliteNonceBook` is the :class:`~node.gating.NonceBook` a node's
:class:`~node.gating.Challenger` uses: nonces survive restarts (of the process), and consuming
one is one atomic ``UPDATE``, so two requests racing with one challenge cannot both pass. Which
refusal a looked-up nonce earns is the pure rule :func:`~node.gating.check_nonce`; this module
adds storage and the caps that keep an unauthenticated endpoint from filling the disk.
"""

from __future__ import annotations

import ipaddress
import secrets
import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING

from node.errors import TooManyPending
from node.gating import Clock, check_nonce, utc_now
from node.grants import schema

if TYPE_CHECKING:
    from node.grants._vault import Vault

__all__ = ["IPV6_CLIENT_PREFIX", "SqliteNonceBook", "client_of"]

#: Bits of an IPv6 client address that name one client: a /64 is what one host or home gets.
IPV6_CLIENT_PREFIX = 64


def client_of(host: str) -> str:
    """The client a request came from, as the nonce book counts it: an IPv4 address as is, an
    IPv6 address by its /64 (one subscriber holds a whole /64), anything else unchanged."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


def positive_int(value: object, title: str) -> int:
    """``value`` if it is an integer of at least 1; raises ValueError naming ``title`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{title} must be a positive integer, got {value!r}")
    return value


class SqliteNonceBook:
    """A :class:`~node.gating.NonceBook` in the vault's file, each nonce bound to the address
    and post it was issued for.

    Limits on pending (unexpired, unused) nonces: at most ``capacity`` in all and
    ``per_client`` for one client (then ``too_many_pending``), and ``per_address`` for one
    address, where a new one replaces the oldest: only the address's own key can use them, so
    refusing would let anyone lock a holder out by asking in their name. Callers that do not
    say which client asked share one client's share. Raises :class:`~node.errors.StoreError`
    when SQLite fails.
    """

    def __init__(
        self, vault: Vault, *, capacity: int, per_client: int, per_address: int, clock: Clock = utc_now
    ) -> None:
        self._vault = vault
        self._capacity = positive_int(capacity, "nonce_capacity")
        self._per_client = positive_int(per_client, "per_client")
        self._per_address = positive_int(per_address, "per_address")
        self._clock = clock

    def issue(self, ttl: timedelta, *, address: str, post: bytes, client: str = "") -> str:
        """A fresh 128-bit hex nonce that :meth:`consume` accepts once, for ``address`` and
        ``post``, until ``ttl`` has passed; refusals and limits as the class says."""
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise ValueError(f"ttl must be a positive timedelta, got {ttl!r}")
        now = self._clock().timestamp()
        nonce = secrets.token_hex(16)
        client = client_of(client)

        def work(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                # Forget nonces a while after they expire: a replay of one is refused as expired
                # by the message's own Expiration Time before the nonce is looked at.
                db.execute(schema.FORGET_EXPIRED_BEFORE, (now - ttl.total_seconds(),))
                (mine,) = db.execute(schema.count_pending(by_client=True), (now, client)).fetchone()
                if mine >= self._per_client:
                    raise TooManyPending(
                        f"this client has {mine} challenges outstanding; use or let them expire"
                    )
                db.execute(schema.KEEP_NEWEST_OF_ADDRESS, (address, now, self._per_address - 1))
                (pending,) = db.execute(schema.count_pending(), (now,)).fetchone()
                if pending >= self._capacity:
                    raise TooManyPending(f"{self._capacity} challenges are outstanding")
                db.execute(
                    schema.INSERT_NONCE, (nonce, now + ttl.total_seconds(), address, bytes(post), client)
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        self._vault.run("issue a nonce", work)
        return nonce

    def _refuse(self, db: sqlite3.Connection, nonce: str, address: str, post: bytes, now: float) -> None:
        row = db.execute(schema.GET_NONCE, (nonce,)).fetchone()
        found = None if row is None else (row[0], bytes(row[1]))
        check_nonce(found, bool(row and row[2]), bool(row and row[3] <= now), address, post)

    def check(self, nonce: str, *, address: str, post: bytes) -> None:
        """Refuse as :meth:`consume` would, leaving the nonce unused."""
        now = self._clock().timestamp()
        self._vault.run("check a nonce", lambda db: self._refuse(db, nonce, address, bytes(post), now))

    def consume(self, nonce: str, *, address: str, post: bytes) -> None:
        """Use ``nonce`` up, atomically; refusals as :class:`~node.gating.NonceBook` says."""
        now = self._clock().timestamp()

        def work(db: sqlite3.Connection) -> None:
            if db.execute(schema.USE_NONCE, (nonce, address, bytes(post), now)).rowcount != 1:
                self._refuse(db, nonce, address, bytes(post), now)

        self._vault.run("consume a nonce", work)

    def outstanding(self, *, address: str | None = None, client: str | None = None) -> int:
        """How many nonces are pending: in all, or for one ``address`` or ``client``."""
        now = self._clock().timestamp()
        query = schema.count_pending(by_address=address is not None, by_client=client is not None)
        args = [
            now,
            *([address] if address is not None else []),
            *([client_of(client)] if client is not None else []),
        ]
        count: int = self._vault.run("count nonces", lambda db: db.execute(query, args).fetchone()[0])
        return count
