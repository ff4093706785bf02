"""Which refused messages get their one retry at the end: bad_signature only, bounded."""

from __future__ import annotations

import pytest

from node.messages import Reason, RetryAtEnd


def test_only_bad_signature_is_kept_in_order_and_taken_once() -> None:
    retry = RetryAtEnd[str](limit=10)
    assert retry.keep("a", Reason.BAD_SIGNATURE)
    assert not retry.keep("b", Reason.MALFORMED)
    assert not retry.keep("c", None)
    assert retry.keep("d", "bad_signature")  # the wire form of the reason, as the API returns it
    assert retry.take() == ["a", "d"]
    assert retry.take() == []


def test_the_limit_bounds_what_a_hostile_input_can_park() -> None:
    retry = RetryAtEnd[int](limit=2)
    kept = [retry.keep(i, Reason.BAD_SIGNATURE) for i in range(5)]
    assert kept == [True, True, False, False, False]
    assert retry.take() == [0, 1]


def test_a_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError):
        RetryAtEnd[int](limit=-1)
