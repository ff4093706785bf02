"""Paging through a feed (or a user's posts) yields every live post once, newest first, for
any page size, including when many posts share a timestamp (the cursor's tie-break is the id)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from node.identity import create_key
from node.store import Store

CHAIN = 31337
T0 = 1_700_000_000
READER, ALICE, BOB, CAROL = (create_key() for _ in range(4))


def pages(fetch, limit: int) -> list[bytes]:  # type: ignore[no-untyped-def]
    ids: list[bytes] = []
    cursor = None
    while True:
        page = fetch(limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        ids += [m.id for m in page.items]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


@settings(max_examples=40, deadline=None)
@given(
    posts=st.lists(
        st.tuples(st.sampled_from([ALICE, BOB, CAROL]), st.integers(0, 5)), min_size=0, max_size=40
    ),
    limit=st.integers(1, 7),
)
def test_pages_cover_every_post_once_in_order(posts: list, limit: int) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Store(Path(tmp) / "s.sqlite", CHAIN, synchronous="OFF") as store,
    ):
        follows = [
            READER.sign("Follow", {"target": k.address, "timestamp": T0}, chain_id=CHAIN)
            for k in (ALICE, BOB)
        ]
        signed = [
            k.sign("Post", {"text": f"post {i}", "timestamp": T0 + dt}, chain_id=CHAIN)
            for i, (k, dt) in enumerate(posts)
        ]
        store.ingest([*follows, *signed], now=T0 + 10)

        newest_first = sorted(signed, key=lambda m: (m.timestamp, m.id), reverse=True)
        expected_feed = [m.id for m in newest_first if m.author != CAROL.address]
        assert pages(lambda **kw: store.feed(READER.address, **kw), limit) == expected_feed
        expected_alice = [m.id for m in newest_first if m.author == ALICE.address]
        assert pages(lambda **kw: store.posts(ALICE.address, **kw), limit) == expected_alice
