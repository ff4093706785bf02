"""The store's write lane: one thread of its own for the event loop's small writes.

An API submit or a gossiped batch is a short call (a signature recovered, a commit of a few
rows, well under a millisecond) that must not run on the event loop, and handing it to a worker
thread with ``trio.to_thread.run_sync`` cost more CPU than the call: about 0.3 ms per hand-over
(a capacity limiter, a thread picked from the cache and renamed, cancel scopes, the result
carried back), against 0.1-0.2 ms for the lane's. The lane keeps one thread for
the store, woken by a condition variable, that delivers each result straight to the waiting
task (``TrioToken.run_sync_soon`` + ``reschedule``). The calls queued while it works all run at
its next wake, in order: one hand-over for the group.

Each call is still its own: it runs whole, in the order it was queued, and its caller gets its
own result or its own exception (one call's failure sinks no other). A caller cancelled while
its call is queued or running waits for it, as ``trio.to_thread.run_sync`` does: a write that
started is never abandoned, so a 2xx still means committed. The thread exits after
``LANE_IDLE_SECONDS`` without work and starts again with the next call.

The price of one thread: a call's SQLite work (which runs without the GIL) no longer overlaps
the next call's decoding, as it could in a pool; that is why only small calls come here (a
batch of thousands goes to a worker thread). ``mecenate_store_lane`` counts calls and wakes.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import outcome
import trio

#: Seconds the lane's thread waits for work before it exits (the next call starts it again).
LANE_IDLE_SECONDS = 10.0

R = TypeVar("R")
_Call = tuple[Callable[[], Any], trio.lowlevel.TrioToken, trio.lowlevel.Task]


def _wait_for_the_call(raise_cancel: Any) -> trio.lowlevel.Abort:
    return trio.lowlevel.Abort.FAILED  # a call that started is never abandoned: its result is awaited


class WriteLane:
    """A thread for one store's short writes from trio tasks; :meth:`run` hands a call to it."""

    def __init__(self, name: str, *, idle_seconds: float = LANE_IDLE_SECONDS) -> None:
        self.name = name
        self.idle_seconds = idle_seconds
        self._wake = threading.Condition()
        self._queued: list[_Call] = []
        self._running = False
        #: Calls handed to the lane, and the times its thread woke to run what was queued.
        self.calls = 0
        self.wakes = 0

    async def run(self, work: Callable[[], R]) -> R:
        """``work()`` in the lane's thread; its result, or its exception raised here.

        Outside a trio run (the API app driven under asyncio in tests) it runs in anyio's
        worker threads instead.
        """
        try:
            token = trio.lowlevel.current_trio_token()
        except RuntimeError:
            return await anyio.to_thread.run_sync(work)
        await trio.lowlevel.checkpoint_if_cancelled()
        task = trio.lowlevel.current_task()
        with self._wake:
            self._queued.append((work, token, task))
            self.calls += 1
            if self._running:
                self._wake.notify()
            else:
                self._running = True
                threading.Thread(target=self._serve, name=self.name, daemon=True).start()
        result: R = await trio.lowlevel.wait_task_rescheduled(_wait_for_the_call)
        return result

    def _serve(self) -> None:
        while True:
            with self._wake:
                if not self._queued:
                    self._wake.wait(self.idle_seconds)
                if not self._queued:  # idle: exit (a call queued from now on starts a thread)
                    self._running = False
                    return
                calls, self._queued = self._queued, []
                self.wakes += 1
            for work, token, task in calls:
                result = outcome.capture(work)
                with contextlib.suppress(trio.RunFinishedError):  # its loop has ended: nobody waits
                    token.run_sync_soon(trio.lowlevel.reschedule, task, result)
