"""The store's part of discovery (``node.discover``): who engaged with whose posts, since when,
and the audience, read in one snapshot. Addresses stay raw bytes: checksumming every engager's
address would cost more than the queries."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from . import schema as S
from ._views import StoreEngagement


def read_engagement(
    db: sqlite3.Connection, since: int, creators: Collection[bytes], vouchers: Collection[bytes]
) -> StoreEngagement:
    """Replies and reactions since ``since``; the follower counts of their creators and of
    ``creators``; and for each engager who is not a voucher, how many of ``vouchers`` follow
    them (in one read transaction on ``db``; the vouchers in a temporary table of its own, so
    the counting stays in SQLite)."""
    replies = db.execute(S.ENGAGEMENT_REPLIES, (since,)).fetchall()
    reactions = db.execute(S.ENGAGEMENT_REACTIONS, (since,)).fetchall()
    everyone = {creator for creator, _, _ in replies + reactions} | set(creators)
    followers = dict(S.rows_in(db, S.FOLLOWER_COUNTS, sorted(everyone)))
    unvouched = sorted({engager for _, engager, _ in replies + reactions}.difference(vouchers))
    db.execute(S.DROP_VOUCHERS)  # left by a read that failed on this connection
    db.execute(S.CREATE_VOUCHERS)
    try:
        db.executemany(S.INSERT_VOUCHER, ((v,) for v in vouchers))
        vouches = dict(S.rows_in(db, S.VOUCHES, unvouched))
    finally:
        db.execute(S.DROP_VOUCHERS)
    return StoreEngagement(replies, reactions, followers, vouches)
