"""The store's part of discovery (``node.discover``): who engaged with whose posts, since when,
and the audience, read in one snapshot. Addresses stay raw bytes: checksumming every engager's
address would cost more than the queries."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Collection

from . import schema as S
from ._views import StoreEngagement


def read_engagement(
    db: sqlite3.Connection, since: int, creators: Collection[bytes], vouchers: Collection[bytes]
) -> StoreEngagement:
    """Replies and reactions since ``since``; the follower counts of their creators and of
    ``creators``; and for each engager who is not a voucher, how many of ``vouchers`` follow
    them (in one read transaction on ``db``)."""
    replies = db.execute(S.ENGAGEMENT_REPLIES, (since,)).fetchall()
    reactions = db.execute(S.ENGAGEMENT_REACTIONS, (since,)).fetchall()
    everyone = {creator for creator, _, _ in replies + reactions} | set(creators)
    followers = dict(S.rows_in(db, S.FOLLOWER_COUNTS, sorted(everyone)))
    vouching = set(vouchers)
    unvouched = sorted({engager for _, engager, _ in replies + reactions} - vouching)
    vouches = Counter(
        account for account, follower in S.rows_in(db, S.FOLLOWERS_OF, unvouched) if follower in vouching
    )
    return StoreEngagement(replies, reactions, followers, dict(vouches))
