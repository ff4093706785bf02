"""Rankings kept for a while: computing one reads every engagement in the window (hundreds of
milliseconds at 100,000 messages, see ``benchmarks/discover.py``), and a thirty-day ranking does
not need to be fresher than a minute.

So a ranking is computed at most once per ``seconds`` for each request shape, one computation
at a time across shapes (a flood of requests costs the node one ranking per shape and period).
Only the first request for a shape waits for its computation; once a ranking is kept, the
request that finds it stale computes the next one while every other request is answered with
the kept one (stale while revalidating), so a recomputation delays one answer, not all that
arrive meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from ._gather import Discovery

#: Request shapes (window, bands, limit, scope) kept at once; the least recently used goes first.
CACHED_SHAPES = 64


class DiscoveryCache:
    """Rankings by request shape, each reused for ``seconds`` after it was computed (0: never)."""

    def __init__(
        self, seconds: float, *, shapes: int = CACHED_SHAPES, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._shapes = shapes
        self._clock = clock
        #: shape -> (when computed, ranking, the lock its computation holds)
        self._kept: OrderedDict[Hashable, tuple[float, Discovery | None, threading.Lock]] = OrderedDict()
        self._lock = threading.Lock()  # guards ``_kept``
        self._computing = threading.Lock()  # one computation at a time

    def get(self, shape: Hashable, compute: Callable[[], Discovery]) -> Discovery:
        """The ranking for ``shape``: the kept one while fresh (or while another request computes
        the next one), else ``compute()``'s, kept."""
        if self.seconds <= 0:
            with self._computing:
                return compute()
        with self._lock:
            at, kept, refreshing = self._kept.get(shape) or (0.0, None, threading.Lock())
            self._kept[shape] = (at, kept, refreshing)
            self._kept.move_to_end(shape)
            if kept is not None and self._clock() - at < self.seconds:
                return kept
        if kept is not None and not refreshing.acquire(blocking=False):
            return kept  # stale, and another request is computing the next: this one will do
        if kept is None:
            refreshing.acquire()  # the first ranking of this shape: wait for whoever computes it
        try:
            with self._lock:
                at, latest, _ = self._kept.get(shape) or (0.0, None, refreshing)
            if latest is not None and self._clock() - at < self.seconds:
                return latest  # computed while this request waited
            with self._computing:
                found = compute()
            with self._lock:
                self._kept[shape] = (self._clock(), found, refreshing)
                self._kept.move_to_end(shape)
                while len(self._kept) > self._shapes:
                    self._kept.popitem(last=False)
            return found
        finally:
            refreshing.release()
