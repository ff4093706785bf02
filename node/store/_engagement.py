"""The store's part of discovery (``node.discover``): who engaged with whose posts, since when,
and the audience, read in one snapshot. Addresses stay raw bytes: checksumming every engager's
address would cost more than the queries."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from . import schema as S
from ._views import StoreEngagement


def read_engagement(
    db: sqlite3.Connection,
    since: int,
    creators: Collection[bytes],
    vouchers: Collection[bytes],
    communities: Collection[bytes] | None,
) -> StoreEngagement:
    """Replies and reactions since ``since`` (to the posts of ``communities`` only, unless
    ``None``); the follower counts of their creators and of ``creators``; and for each engager
    who is not a voucher, how many of ``vouchers`` follow them (in one read transaction on
    ``db``; vouchers and communities in temporary tables of its own, so the work stays in
    SQLite)."""
    if communities is None:
        replies = db.execute(S.ENGAGEMENT_REPLIES, (since,)).fetchall()
        reactions = db.execute(S.ENGAGEMENT_REACTIONS, (since,)).fetchall()
    else:
        with _temporary(db, S.CREATE_SCOPE, S.INSERT_SCOPE, S.DROP_SCOPE, communities):
            replies = db.execute(S.ENGAGEMENT_REPLIES_IN_SCOPE, (since,)).fetchall()
            reactions = db.execute(S.ENGAGEMENT_REACTIONS_IN_SCOPE, (since,)).fetchall()
    everyone = {creator for creator, _, _ in replies + reactions} | set(creators)
    followers = dict(S.rows_in(db, S.FOLLOWER_COUNTS, sorted(everyone)))
    unvouched = sorted({engager for _, engager, _ in replies + reactions}.difference(vouchers))
    with _temporary(db, S.CREATE_VOUCHERS, S.INSERT_VOUCHER, S.DROP_VOUCHERS, vouchers):
        vouches = dict(S.rows_in(db, S.VOUCHES, unvouched))
    return StoreEngagement(replies, reactions, followers, vouches)


@contextmanager
def _temporary(
    db: sqlite3.Connection, create: str, insert: str, drop: str, keys: Collection[bytes]
) -> Iterator[None]:
    """A temporary table of ``keys`` for the statements run inside (``drop`` first: a read that
    failed on this connection may have left it)."""
    db.execute(drop)
    db.execute(create)
    try:
        db.executemany(insert, ((k,) for k in keys))
        yield
    finally:
        db.execute(drop)
