"""The moderation rules as pure functions: membership at a time, by the per-edge merge rule."""

from __future__ import annotations

from node.store import moderation

member_at = moderation.member_at


def test_membership_at_a_time_is_the_last_writer_at_or_before_it():
    joins = [(10, True, b"\x01"), (20, False, b"\x02"), (30, True, b"\x03")]
    assert [member_at(joins, t) for t in (9, 10, 19, 20, 29, 30, 99)] == [
        False,
        True,
        True,
        False,
        False,
        True,
        True,
    ]
    assert not member_at([], 10)


def test_on_equal_timestamps_leaving_wins_whatever_the_ids():
    for join_id, leave_id in ((b"\x01", b"\x02"), (b"\x02", b"\x01")):
        assert not member_at([(10, True, join_id), (10, False, leave_id)], 10)
    assert member_at([(10, True, b"\x01"), (10, True, b"\x02")], 10)
