"""The store's write lane (``Store.lane``): concurrent writes from trio tasks are each committed
and answered, in order; the calls queued while the lane works run at its next wake, one hand-over
for the group; one call's failure sinks none of the others; a caller cancelled mid-write still
has its write committed; outside trio it falls back to worker threads."""

from __future__ import annotations

import threading
from functools import partial

import anyio
import pytest
import trio

from node.errors import StoreError
from node.store import IngestReport, Outcome, Store
from node.store._lane import WriteLane

from .conftest import User

pytestmark = pytest.mark.trio


def posts(user: User, n: int) -> list:
    return [user.sign("Post", i, text=f"lane post {i}") for i in range(n)]


async def until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    with trio.fail_after(10):
        while not condition():
            await trio.sleep(0.01)


class Held:
    """A call that holds the lane's thread until released: calls made meanwhile queue up."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self) -> str:
        self.started.set()
        self.release.wait(10)
        return "held"


async def test_concurrent_writes_are_each_committed_and_answered(store: Store, users: list[User]) -> None:
    reports: list[IngestReport] = []
    store.add_listener(reports.append)
    messages = posts(users[0], 40)
    answers: dict[int, IngestReport] = {}

    async def submit(i: int) -> None:
        answers[i] = await store.lane.run(partial(store.ingest, [messages[i]]))

    async with trio.open_nursery() as nursery:
        for i in range(len(messages)):
            nursery.start_soon(submit, i)
    assert all(answers[i].results[0].outcome is Outcome.ACCEPTED for i in range(40))
    assert {answers[i].accepted[0].id for i in range(40)} == {m.id for m in messages}
    assert len(store) == 40
    assert [r.count for r in reports] == list(range(1, 41))  # one commit each, announced in order
    assert store.lane.calls == 40 and 1 <= store.lane.wakes <= 40


async def test_calls_queued_while_the_lane_works_run_at_one_wake(store: Store, users: list[User]) -> None:
    held = Held()
    messages = posts(users[0], 10)
    answers: list[IngestReport] = []

    async def submit(m: object) -> None:
        answers.append(await store.lane.run(partial(store.ingest, [m])))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(store.lane.run, held)
        await trio.to_thread.run_sync(held.started.wait, 10)
        for m in messages:
            nursery.start_soon(submit, m)
        await until(lambda: store.lane.calls == 11, "the calls queued")
        held.release.set()
    assert [a.results[0].outcome for a in answers] == [Outcome.ACCEPTED] * 10
    assert len(store) == 10
    assert store.lane.wakes == 2  # the held call's, then one for the ten queued behind it


async def test_a_failing_call_sinks_none_of_its_group(store: Store, users: list[User]) -> None:
    held = Held()
    good = posts(users[0], 4)
    answers: dict[str, object] = {}

    def fail() -> None:
        raise StoreError("ingest failed: disk I/O error")

    async def call(name: str, work) -> None:  # type: ignore[no-untyped-def]
        try:
            answers[name] = await store.lane.run(work)
        except StoreError as exc:
            answers[name] = exc

    async with trio.open_nursery() as nursery:
        nursery.start_soon(store.lane.run, held)
        await trio.to_thread.run_sync(held.started.wait, 10)
        nursery.start_soon(call, "first", partial(store.ingest, good[:2]))
        await until(lambda: store.lane.calls == 2, "first queued")
        nursery.start_soon(call, "failing", fail)
        await until(lambda: store.lane.calls == 3, "failing queued")
        nursery.start_soon(call, "last", partial(store.ingest, good[2:]))
        await until(lambda: store.lane.calls == 4, "last queued")
        held.release.set()
    assert isinstance(answers["failing"], StoreError)
    for name in ("first", "last"):
        report = answers[name]
        assert isinstance(report, IngestReport) and len(report.accepted) == 2
    assert len(store) == 4 and store.lane.wakes == 2


async def test_a_caller_cancelled_mid_write_still_has_it_committed(store: Store, users: list[User]) -> None:
    held = Held()
    [message] = posts(users[0], 1)
    finished = trio.Event()

    async def submit(scope: trio.CancelScope) -> None:
        with scope:
            await store.lane.run(partial(store.ingest, [message]))
        finished.set()

    scope = trio.CancelScope()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(store.lane.run, held)
        await trio.to_thread.run_sync(held.started.wait, 10)
        nursery.start_soon(submit, scope)
        await until(lambda: store.lane.calls == 2, "the write queued")
        scope.cancel()
        await trio.sleep(0.05)
        assert not finished.is_set()  # it waits for its write, as trio.to_thread.run_sync does
        held.release.set()
    assert finished.is_set() and store.get(message.id) is not None


async def test_a_caller_cancelled_before_it_queues_writes_nothing(store: Store, users: list[User]) -> None:
    [message] = posts(users[0], 1)
    with trio.CancelScope() as scope:
        scope.cancel()
        await store.lane.run(partial(store.ingest, [message]))
    assert scope.cancelled_caught and len(store) == 0 and store.lane.calls == 0


async def test_outside_trio_it_runs_in_worker_threads(store: Store, users: list[User]) -> None:
    [message] = posts(users[0], 1)
    under_asyncio = partial(anyio.run, store.lane.run, partial(store.ingest, [message]), backend="asyncio")
    report = await trio.to_thread.run_sync(under_asyncio)  # a thread of its own: no trio run there
    assert report.results[0].outcome is Outcome.ACCEPTED and len(store) == 1


async def test_the_thread_leaves_when_idle_and_comes_back() -> None:
    lane = WriteLane("test lane idle", idle_seconds=0.05)

    def threads() -> int:
        return sum(t.name == lane.name for t in threading.enumerate())

    assert await lane.run(lambda: 1) == 1
    await until(lambda: threads() == 0, "the idle thread to leave")
    assert await lane.run(lambda: 2) == 2
    assert lane.calls == 2 and lane.wakes == 2
