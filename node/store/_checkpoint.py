"""WAL checkpoints in a thread of their own, so no write waits for a long one.

SQLite copies the write-ahead log back into the database file at a checkpoint. By default
the connection that commits runs one whenever the log passes 1,000 pages, inside that commit:
at a million messages that is 4 MB of scattered pages and an fsync, up to 0.75 s on this
machine, during which the store's lock is held and every ingest (an API write, a gossip
batch, a sync round) waits. So the writer's automatic checkpoints are off
(``schema.WRITER_PRAGMAS``) and :class:`Checkpointer` runs them every ``interval`` seconds on
a connection of its own, in two steps:

* a passive checkpoint beside the writer and the readers (SQLite's locks let it run beside
  both, and it waits for neither), which copies the bulk of the log;
* then, holding the store's write lock for a moment, a second one, which copies the few pages
  committed meanwhile. A log copied whole is reused from its start by the next write; one
  that is never copied whole, because writes keep arriving during every checkpoint, would
  grow without end (the first step alone let it reach 320 MB in 12,000 writes).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from . import schema as S

log = logging.getLogger(__name__)

#: Seconds between two checkpoints: the log holds about this long of writes (at 100 messages
#: a second at a million stored, about 3 MB).
CHECKPOINT_INTERVAL_SECONDS = 1.0


class Checkpointer:
    """A thread that checkpoints the store file at ``path`` every ``interval`` seconds (the
    second step under ``write_lock``, the store's) until :meth:`stop`, which runs a last one."""

    def __init__(
        self,
        path: Path,
        synchronous: str,
        write_lock: threading.RLock,
        interval: float = CHECKPOINT_INTERVAL_SECONDS,
    ) -> None:
        self._db = S.connect_checkpointer(path, synchronous)
        self._write_lock = write_lock
        self._interval = interval
        self._stopping = threading.Event()
        #: Two-step rounds completed so far (each ends with the log copied whole, unless a
        #: step failed): what shows the thread keeps up.
        self.rounds = 0
        self._thread = threading.Thread(target=self._run, name=f"checkpoints of {path.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._thread.join()
        self._checkpoint()
        self._db.close()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            self._checkpoint()
            with self._write_lock:
                self._checkpoint()
            self.rounds += 1

    def _checkpoint(self) -> None:
        try:
            self._db.execute(S.CHECKPOINT).fetchall()
        except sqlite3.Error:  # the next one tries again; the log only grows meanwhile
            log.exception("checkpoint of the store failed")
