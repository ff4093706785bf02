"""How long the one event loop is kept busy: every trio task step, timed.

The node serves HTTP, gossip, sync and the indexer from one trio loop, so any step that runs
long (synchronous work in a handler, a rebuild proportional to the store, a garbage collection
that lands inside a step) stalls every other request for as long. A p50 of a few milliseconds
with a p99 ten times that is the signature; this instrument measures it directly instead of
inferring it from latencies.

:class:`LoopWatch` is a ``trio.abc.Instrument``: trio calls it before and after each task step,
it files the step's duration into fixed histogram buckets (a few hundred nanoseconds per step),
remembers the longest step and its task, and logs a warning naming the task when a step takes
longer than ``warn_after`` (at most one warning per ``warn_interval``, with a count of those
held back, so a slow loop does not also flood its log). :class:`LoopWatchCollector` exports the
figures to Prometheus as ``mecenate_event_loop_step_seconds`` (a histogram) and
``mecenate_event_loop_step_max_seconds`` (the longest step since the node started, and the
longest of the last one or two ``window`` seconds, which a dashboard, or a benchmark reading
``/metrics`` every few seconds, turns into the longest stall of any period it cares about).
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import trio
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

log = logging.getLogger("node.loopwatch")

#: Upper bounds of the step-duration buckets, in seconds (the last bucket is everything above).
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
#: A step longer than this is logged with its task's name.
WARN_AFTER_SECONDS = 0.05
#: At most one such warning per this many seconds.
WARN_INTERVAL_SECONDS = 1.0
#: The "recent" longest step covers the current window of this many seconds and the one before.
WINDOW_SECONDS = 10.0


@dataclass(frozen=True)
class LongestStep:
    seconds: float
    task: str


class LoopWatch(trio.abc.Instrument):
    """Times each task step of the trio run it is added to (``trio.lowlevel.add_instrument``)."""

    def __init__(
        self,
        warn_after: float = WARN_AFTER_SECONDS,
        warn_interval: float = WARN_INTERVAL_SECONDS,
        window: float = WINDOW_SECONDS,
    ) -> None:
        self.warn_after = warn_after
        self.warn_interval = warn_interval
        self.window = window
        #: ``counts[i]`` steps took at most ``BUCKETS[i]`` and more than the bound before it;
        #: the last entry counts the steps longer than every bound.
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total_seconds = 0.0
        self.longest = LongestStep(0.0, "")
        self._window_longest = self._previous_window_longest = LongestStep(0.0, "")
        self._window_ends = 0.0
        #: When the current step began; ``None`` outside a step (the watch may be added mid-step).
        self._started: float | None = None
        self._next_warning = 0.0
        self._held_back = 0

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self._started = time.perf_counter()

    def after_task_step(self, task: trio.lowlevel.Task) -> None:
        if self._started is None:
            return
        now = time.perf_counter()
        seconds, self._started = now - self._started, None
        self.counts[bisect_left(BUCKETS, seconds)] += 1
        self.total_seconds += seconds
        if now >= self._window_ends:
            self._previous_window_longest = self._window_longest
            self._window_longest = LongestStep(0.0, "")
            self._window_ends = now + self.window
        if seconds > self._window_longest.seconds:
            self._window_longest = LongestStep(seconds, task.name)
            if seconds > self.longest.seconds:
                self.longest = self._window_longest
        if seconds > self.warn_after:
            self._warn(seconds, task.name, now)

    @property
    def recent_longest(self) -> LongestStep:
        """The longest step of the current window and the one before (``window`` to twice that)."""
        return max(self._window_longest, self._previous_window_longest, key=lambda step: step.seconds)

    def _warn(self, seconds: float, task: str, now: float) -> None:
        if now < self._next_warning:
            self._held_back += 1
            return
        also = f" ({self._held_back} more since the last warning)" if self._held_back else ""
        log.warning("event loop blocked for %.0f ms by task %s%s", seconds * 1000, task, also)
        self._next_warning = now + self.warn_interval
        self._held_back = 0


class LoopWatchCollector:
    """The watch's figures as Prometheus metric families, read at scrape time."""

    def __init__(self, watch: LoopWatch) -> None:
        self.watch = watch

    def collect(self) -> Iterator[HistogramMetricFamily | GaugeMetricFamily]:
        watch = self.watch
        cumulative, buckets = 0, []
        for bound, count in zip(BUCKETS, watch.counts, strict=False):
            cumulative += count
            buckets.append((repr(bound), cumulative))
        buckets.append(("+Inf", cumulative + watch.counts[-1]))
        histogram = HistogramMetricFamily(
            "mecenate_event_loop_step_seconds",
            "How long each trio task step kept the event loop busy",
            buckets=buckets,
            sum_value=watch.total_seconds,
        )
        yield histogram
        longest = GaugeMetricFamily(
            "mecenate_event_loop_step_max_seconds",
            "The longest trio task step, since the node started or in the last window or two, by task",
            labels=["since", "task"],
        )
        longest.add_metric(["start", watch.longest.task], watch.longest.seconds)
        recent = watch.recent_longest
        longest.add_metric([f"{watch.window:g}s", recent.task], recent.seconds)
        yield longest


def keep_out_of_collections() -> None:
    """Take every object alive now out of the garbage collector's full passes (``gc.freeze``).

    A full pass visits every container the process holds and runs inside whatever task step
    happened to allocate last: a stall of the loop, at random. The imported libraries and the
    app are some 170,000 objects; at a million stored messages the sync index adds two thousand
    lists holding a million keys, and a pass takes 0.1-0.2 s.
    The node calls this once, when its long-lived state is built (modules, the app, the sync
    index) and before it serves anyone, so little else is alive to be frozen with it. It costs
    nothing (the objects change generation, no pass runs). A frozen object is still freed by
    reference counting when it is dropped; only a frozen reference cycle would outlive its use.
    (An index rebuilt later is not frozen: freezing then would also freeze whatever requests
    are in flight, and their cycles with them, for good.)
    """
    gc.freeze()


#: How many ``collector_paused`` blocks are open, and whether the collector ran before the first.
_pauses = 0
_enabled_before = True
_pauses_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage-collector pass while inside (reentrant, from any thread).

    For bursts of short-lived allocations, like a discovery ranking's few hundred thousand
    rows and tuples at 500,000 messages: they set off full passes over the whole heap, each of
    which holds the GIL (50-60 ms measured in the ranking, with nothing else in the process
    running meanwhile). Those objects die by reference counting when the burst ends; what is
    left pending is collected by the next pass after the pause.
    """
    global _pauses, _enabled_before
    with _pauses_lock:
        if _pauses == 0:
            _enabled_before = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _enabled_before:
                gc.enable()


#: How long a thread keeps the GIL while another waits for it, in seconds (Python's default is 5 ms).
GIL_SWITCH_INTERVAL_SECONDS = 0.0002


def favour_the_loop() -> None:
    """Have a thread that holds the GIL give it up within ``GIL_SWITCH_INTERVAL_SECONDS`` once
    another thread asks for it.

    The loop's thread gives the GIL away at every system call and every SQLite statement, and
    while worker threads verify signatures and merge it then waits to get it back, up to the
    switch interval each time: at Python's 5 ms, a few such waits per request made most of the
    feed's tail under sustained writes. Measured (100 feed pages/s, 50 `/health`/s, 50 writes/s,
    100,000 stored, 30 s): feed p99 65 -> 24 ms, ``/health`` p99 64 -> 22 ms, ingest lag p99
    567 -> 109 ms at 0.2 ms. The workers lose little: the GIL changes hands only when asked.
    Process-wide, and left so when the node stops: any process that runs a node wants it.
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
