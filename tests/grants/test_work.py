"""Pending grant work: coalesced per post and per holder, handed out in bounded rounds, never lost."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from node.grants._work import Batch, GrantWork

TOKENS = st.sampled_from(["0xA", "0xB", "0xC"])
EVENTS = st.lists(
    st.tuples(st.sampled_from(["h1", "h2", "h3", "h4"]), st.none() | st.frozensets(TOKENS, min_size=1))
)


def test_events_about_one_post_or_holder_are_one_piece_of_work() -> None:
    work = GrantWork()
    work.add(posts=[b"p1", b"p2", b"p1"], holders=[("h1", frozenset({"0xA"})), ("h1", frozenset({"0xB"}))])
    work.add(posts=[b"p1"], holders=[("h2", frozenset({"0xA"})), ("h2", None), ("h2", frozenset({"0xB"}))])
    stats = work.statistics()
    assert (stats.pending_posts, stats.pending_holders) == (2, 2)
    batch = work.take(10)
    assert batch.posts == (b"p1", b"p2")
    assert batch.holders == {"h1": frozenset({"0xA", "0xB"}), "h2": None}  # None: every token
    assert not work.take(10)


def test_rounds_take_every_post_and_a_bounded_number_of_holders_oldest_first() -> None:
    work = GrantWork()
    work.add(holders=[(f"h{i}", None) for i in range(5)])
    work.add(posts=[b"p"])
    first = work.take(2)
    assert first.posts == (b"p",) and list(first.holders) == ["h0", "h1"]
    work.done(first)
    assert list(work.take(2).holders) == ["h2", "h3"]
    stats = work.statistics()
    assert (stats.pending_holders, stats.posts_done, stats.holders_done) == (1, 1, 2)


def test_a_failed_round_goes_back_and_merges_with_what_came_meanwhile() -> None:
    work = GrantWork()
    work.add(posts=[b"p"], holders=[("h", frozenset({"0xA"}))])
    failed = work.take(10)
    work.add(holders=[("h", frozenset({"0xB"}))])
    work.put_back(failed)
    assert work.take(10) == Batch((b"p",), {"h": frozenset({"0xA", "0xB"})})


@given(EVENTS, st.integers(min_value=1, max_value=3))
def test_nothing_is_lost_however_the_work_is_taken(events, per_round) -> None:  # type: ignore[no-untyped-def]
    work = GrantWork()
    work.add(holders=events)
    seen: dict[str, frozenset[str] | None] = {}
    while batch := work.take(per_round):
        assert len(batch.holders) <= per_round
        assert not seen.keys() & batch.holders.keys()  # each holder once
        seen.update(batch.holders)
    expected: dict[str, frozenset[str] | None] = {}
    for holder, tokens in events:
        old = expected.get(holder, frozenset())
        expected[holder] = None if old is None or tokens is None else old | tokens
    assert seen == expected
