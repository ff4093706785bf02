"""The accepted-messages feed on a real store: every subscriber gets every report, in commit
order, from ingests in worker threads; a subscriber that falls behind is told how many reports
it missed, after the ones it had buffered, and never holds up ingest or the other subscribers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import trio

from node import accepted
from node.accepted import Gap
from node.messages import sign_message
from node.store import Store

CHAIN = 31337
T0 = 1_767_225_600


def posts(n: int, start: int = 0) -> list[list]:  # type: ignore[type-arg]
    key = os.urandom(32)
    return [
        [sign_message("Post", {"text": f"post {i}", "timestamp": T0 + i}, key, CHAIN)]
        for i in range(start, start + n)
    ]


@asynccontextmanager
async def running_feed(tmp_path: Path) -> AsyncIterator[tuple[Store, accepted.AcceptedFeed]]:
    """A store and its feed, running until the block ends."""
    with Store(tmp_path / "s.sqlite", CHAIN) as store:
        async with trio.open_nursery() as nursery:
            yield store, await nursery.start(accepted.serve, store)
            nursery.cancel_scope.cancel()


async def test_every_subscriber_gets_every_report_in_commit_order(tmp_path: Path) -> None:
    async with running_feed(tmp_path) as (store, feed):
        first, second = feed.subscribe("first", 100), feed.subscribe("second", 100)
        batches = posts(20)
        async with trio.open_nursery() as writers:  # concurrent ingests in worker threads
            for batch in batches:
                writers.start_soon(trio.to_thread.run_sync, store.ingest, batch)
        for sub in (first, second):
            got = []
            with trio.fail_after(10):
                while len(got) < len(batches):
                    got.append(await sub.receive())
            assert sorted(m.id for r in got for m in r.accepted) == sorted(b[0].id for b in batches)
            # commit order: each report's post-commit count is one more than the last
            assert [r.count for r in got] == list(range(1, len(batches) + 1))


async def test_a_subscriber_that_falls_behind_is_told_what_it_missed(tmp_path: Path) -> None:
    async with running_feed(tmp_path) as (store, feed):
        slow, fast = feed.subscribe("slow", 2), feed.subscribe("fast", 100)
        batches = posts(6)
        for batch in batches:  # ingest never waits for the slow subscriber
            with trio.fail_after(10):
                await trio.to_thread.run_sync(store.ingest, batch)
        with trio.fail_after(10):
            while fast.buffered() < len(batches):
                await trio.sleep(0.01)
        # the two it buffered, then the gap, then whatever comes next
        first, second, gap = [await slow.receive() for _ in range(3)]
        assert [first.accepted[0].id, second.accepted[0].id] == [b[0].id for b in batches[:2]]
        assert gap == Gap(missed=4)
        (late,) = posts(1, start=100)
        await trio.to_thread.run_sync(store.ingest, late)
        with trio.fail_after(10):
            after = await slow.receive()
        assert after.accepted[0].id == late[0].id
        assert feed.statistics()["slow"] == {"buffered": 0, "missed": 4, "gaps": 1}
        # the fast one got every report, no gap
        got = [await fast.receive() for _ in range(len(batches) + 1)]
        assert [r.accepted[0].id for r in got] == [b[0].id for b in [*batches, late]]


async def test_subscribers_end_when_the_feed_stops(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite", CHAIN) as store:
        async with trio.open_nursery() as nursery:
            scope = trio.CancelScope()

            async def run(
                task_status: trio.TaskStatus[accepted.AcceptedFeed] = trio.TASK_STATUS_IGNORED,
            ) -> None:
                with scope:
                    await accepted.serve(store, task_status=task_status)

            feed = await nursery.start(run)
            sub = feed.subscribe("reader", 4)
            scope.cancel()
            with trio.fail_after(10):
                assert [d async for d in sub] == []
