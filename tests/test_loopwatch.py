"""The event-loop watch: a step that blocks the loop is measured, named and logged."""

from __future__ import annotations

import gc
import logging
import threading
import time
import weakref

import pytest
import trio
from prometheus_client import CollectorRegistry, generate_latest

from node.loopwatch import BUCKETS, LoopWatch, LoopWatchCollector, collector_paused, keep_out_of_collections

BLOCK_SECONDS = 0.06


async def _blocker() -> None:
    await trio.sleep(0)
    time.sleep(BLOCK_SECONDS)  # synchronous work inside one task step: the stall being measured


async def test_a_blocking_step_is_measured_named_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    watch = LoopWatch(warn_after=0.05)
    trio.lowlevel.add_instrument(watch)
    try:
        with caplog.at_level(logging.WARNING, logger="node.loopwatch"):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_blocker, name="the-blocker")
                for _ in range(20):
                    await trio.sleep(0)  # plenty of short steps beside it
    finally:
        trio.lowlevel.remove_instrument(watch)

    assert watch.longest.task == "the-blocker"
    assert watch.longest.seconds >= BLOCK_SECONDS
    slow = sum(watch.counts[i] for i, bound in enumerate(BUCKETS) if bound >= BLOCK_SECONDS)
    assert slow + watch.counts[-1] >= 1
    assert sum(watch.counts) > 20
    assert [r.getMessage() for r in caplog.records if "the-blocker" in r.getMessage()]


async def test_warnings_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    watch = LoopWatch(warn_after=0.001, warn_interval=3600)
    trio.lowlevel.add_instrument(watch)
    try:
        with caplog.at_level(logging.WARNING, logger="node.loopwatch"):
            for _ in range(3):
                time.sleep(0.002)
                await trio.sleep(0)
    finally:
        trio.lowlevel.remove_instrument(watch)
    assert len([r for r in caplog.records if r.name == "node.loopwatch"]) == 1


async def test_the_collector_exports_a_histogram_and_the_longest_step() -> None:
    watch = LoopWatch()
    trio.lowlevel.add_instrument(watch)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_blocker, name="the-blocker")
    finally:
        trio.lowlevel.remove_instrument(watch)
    registry = CollectorRegistry()
    registry.register(LoopWatchCollector(watch))
    text = generate_latest(registry).decode()
    total = sum(watch.counts)
    assert f'mecenate_event_loop_step_seconds_bucket{{le="+Inf"}} {float(total)}' in text
    assert f"mecenate_event_loop_step_seconds_count {float(total)}" in text
    assert 'mecenate_event_loop_step_max_seconds{since="start",task="the-blocker"}' in text
    assert 'mecenate_event_loop_step_max_seconds{since="10s",task="the-blocker"}' in text


async def test_the_recent_longest_step_forgets_old_windows() -> None:
    watch = LoopWatch(window=0.05)
    trio.lowlevel.add_instrument(watch)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_blocker, name="the-blocker")
        for _ in range(3):  # two whole windows of short steps after the blocking one
            await trio.sleep(0.06)
    finally:
        trio.lowlevel.remove_instrument(watch)
    assert watch.longest.task == "the-blocker"
    assert watch.recent_longest.task != "the-blocker"


def test_what_is_kept_out_of_collections_is_never_visited_but_still_freed() -> None:
    class Node:  # an object with a __dict__: the collector tracks it
        pass

    long_lived, freed = Node(), []
    keep_out_of_collections()
    try:
        later = Node()
        tracked = gc.get_objects()
        assert not any(o is long_lived for o in tracked), "a frozen object is still visited"
        assert any(o is later for o in tracked), "an object made afterwards is the collector's"
        weakref.finalize(long_lived, freed.append, "freed")
        del long_lived  # dropped: reference counting frees it, frozen or not
        assert freed == ["freed"]
    finally:
        gc.unfreeze()  # the test process's heap, back to the collector


def test_the_collector_stays_paused_until_the_last_pause_ends_whichever_thread_ends_it():
    assert gc.isenabled()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    try:
        with collector_paused():
            thread.start()
            assert inside.wait(10)
            assert not gc.isenabled()
        assert not gc.isenabled()  # the other thread's pause is still open
    finally:
        leave.set()
        thread.join(10)
    assert gc.isenabled()


def test_a_collector_disabled_before_a_pause_stays_disabled_after_it():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
