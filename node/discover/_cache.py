"""Rankings kept for a while: computing one reads every engagement in the window (hundreds of
milliseconds at 100,000 messages, see ``benchmarks/discover.py``), and a thirty-day ranking does
not need to be fresher than a minute. So a ranking is computed at most once per ``seconds`` for
each request shape, one computation at a time (many clients asking at once wait for the one,
then share it; a flood of requests costs the node one ranking per shape and period).
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
        self._kept: OrderedDict[Hashable, tuple[float, Discovery]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, shape: Hashable, compute: Callable[[], Discovery]) -> Discovery:
        """The ranking for ``shape``: the kept one while fresh, else ``compute()``'s (kept)."""
        with self._lock:
            kept = self._kept.get(shape)
            if kept is not None and self._clock() - kept[0] < self.seconds:
                self._kept.move_to_end(shape)
                return kept[1]
            found = compute()
            if self.seconds > 0:
                self._kept[shape] = (self._clock(), found)
                self._kept.move_to_end(shape)
                while len(self._kept) > self._shapes:
                    self._kept.popitem(last=False)
            return found
