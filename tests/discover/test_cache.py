"""Rankings are reused per request shape while fresh, computed again after, and only so many
shapes are kept."""

from __future__ import annotations

import threading

from node.discover import Discovery, DiscoveryCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _ranking(n: int) -> Discovery:
    return Discovery([], now=n, window_seconds=1)


def test_a_ranking_is_reused_while_fresh_per_shape():
    clock, computed = Clock(), []

    def compute(n):
        computed.append(n)
        return _ranking(n)

    cache = DiscoveryCache(60, clock=clock)
    assert cache.get("week", lambda: compute(1)).now == 1
    clock.now = 59
    assert cache.get("week", lambda: compute(2)).now == 1
    assert cache.get("month", lambda: compute(3)).now == 3
    clock.now = 60
    assert cache.get("week", lambda: compute(4)).now == 4
    assert computed == [1, 3, 4]


def test_zero_seconds_computes_every_time_and_shapes_are_bounded():
    never = DiscoveryCache(0)
    assert [never.get("a", lambda n=n: _ranking(n)).now for n in range(3)] == [0, 1, 2]
    few = DiscoveryCache(60, shapes=2, clock=Clock())
    for shape in ("a", "b", "c"):
        few.get(shape, lambda: _ranking(0))
    assert few.get("a", lambda: _ranking(9)).now == 9  # "a" was the oldest: dropped
    assert few.get("c", lambda: _ranking(9)).now == 0


def test_while_one_request_computes_the_next_ranking_the_others_get_the_kept_one():
    clock = Clock()
    cache = DiscoveryCache(60, clock=clock)
    cache.get("week", lambda: _ranking(1))
    clock.now = 61  # stale
    started, release = threading.Event(), threading.Event()

    def slow() -> Discovery:
        started.set()
        assert release.wait(10)
        return _ranking(2)

    refresher = threading.Thread(target=lambda: cache.get("week", slow))
    refresher.start()
    try:
        assert started.wait(10)
        assert cache.get("week", lambda: _ranking(3)).now == 1  # the kept one, at once
    finally:
        release.set()
        refresher.join(10)
    assert not refresher.is_alive()
    assert cache.get("week", lambda: _ranking(4)).now == 2  # the refreshed one, fresh again
