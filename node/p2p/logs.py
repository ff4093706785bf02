"""Quiet, bounded logs for events peers cause: one line each, repeats counted, not printed.

A hostile peer can make any event happen thousands of times a second (a refused connection,
a stalled handshake, an invalid message), and a library below us (trio's accept loop,
py-libp2p's swarm and service manager) logs such events at ERROR with a traceback. Left alone
that filled 14 MB of log in 30 minutes. Two tools keep it to one line per event kind:

* :class:`Throttle` lets one line per key through every ``window`` seconds and counts the
  ones it held back, so the next line that passes can say how many there were;
* :func:`quiet_library_logs` puts a :class:`LibraryNoise` filter on the library loggers that
  log peer-caused events: each record loses its traceback (its exception's type and text are
  appended to the line instead), ERROR becomes WARNING, and identical lines are throttled.

Tracebacks stay for our own bugs: the node's loggers (``log.exception`` in the p2p service)
are not filtered.
"""

from __future__ import annotations

import logging
import time

__all__ = ["LIBRARY_LOGGERS", "LOG_WINDOW", "LibraryNoise", "Throttle", "held_note", "quiet_library_logs"]

#: Seconds between two lines with the same key (a repeated event or an identical library line).
LOG_WINDOW = 10.0

#: Library loggers whose records are about what peers did, not about our code. A filter on a
#: logger sees only the records created on that very logger, so each one is named.
LIBRARY_LOGGERS = (
    "trio.serve_listeners",  # accept(2) failing with EMFILE/ENFILE: ERROR + traceback every 0.1 s
    "libp2p.network.swarm",  # one ERROR per failed inbound upgrade (garbage handshake)
    "libp2p.network.basic_host",
    "libp2p.network.stream.net_stream",
    "libp2p.transport.tcp",
    "libp2p.io.trio",
    "libp2p.security.noise.io",
    "libp2p.protocol_muxer.multiselect_client",
    "libp2p.stream_muxer.yamux",
    "libp2p.pubsub",
    "libp2p.pubsub.gossipsub",
    "async_service.Manager",  # a service task that failed on a peer's input: ERROR + traceback
)


class Throttle:
    """At most one event per key every ``window`` seconds; counts the rest.

    ``allow(key)`` returns ``None`` when the event should stay quiet, else how many events
    with that key were held back since the last one that passed (0 for a first event).
    Keys are forgotten once their window has passed, so the table stays small.
    """

    def __init__(self, window: float = LOG_WINDOW, *, max_keys: int = 10_000) -> None:
        self.window = window
        self.max_keys = max_keys
        self._last: dict[object, float] = {}
        self._held: dict[object, int] = {}

    def allow(self, key: object, now: float | None = None) -> int | None:
        now = time.monotonic() if now is None else now
        last = self._last.get(key)
        if last is not None and now - last < self.window:
            self._held[key] = self._held.get(key, 0) + 1
            return None
        if len(self._last) >= self.max_keys:
            self._forget(now)
        self._last[key] = now
        return self._held.pop(key, 0)

    def _forget(self, now: float) -> None:
        for key in [k for k, t in self._last.items() if now - t >= self.window]:
            del self._last[key]
            self._held.pop(key, None)
        if len(self._last) >= self.max_keys:  # all recent: start over rather than grow
            self._last.clear()
            self._held.clear()


def held_note(held: int) -> str:
    """The suffix a line carries when ``held`` like it were not printed."""
    return f" ({held} more like this in the last {LOG_WINDOW:.0f} s)" if held else ""


class LibraryNoise(logging.Filter):
    """Turn a library's record of a peer-caused event into one throttled line, no traceback."""

    def __init__(self, throttle: Throttle | None = None) -> None:
        super().__init__()
        self._throttle = throttle or Throttle()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: {exc}"
            record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        held = self._throttle.allow((record.name, record.getMessage()))
        if held is None:
            return False
        if held:
            record.msg = record.getMessage() + held_note(held)
            record.args = None
        return True


def quiet_library_logs(names: tuple[str, ...] = LIBRARY_LOGGERS) -> None:
    """Put one :class:`LibraryNoise` filter on each named library logger (idempotent).

    Also hands py-libp2p's records to the node's handlers: on import (without
    ``LIBP2P_DEBUG``) it cuts its ``libp2p`` logger off from the root with no handler of its
    own, so its lines reached Python's last-resort handler, bare (no time, no level).
    """
    noise = LibraryNoise()
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, LibraryNoise) for f in logger.filters):
            logger.addFilter(noise)
    libp2p = logging.getLogger("libp2p")
    if not libp2p.handlers:
        libp2p.propagate = True
