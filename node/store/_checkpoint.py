"""The store's upkeep in a thread of its own, in steps short enough that no write waits long:
WAL checkpoints and merges of the posts' search index.

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

Each commit that indexes posts adds a segment to ``post_search``; FTS5 would merge them inside
the insert that found enough of one size, and at a million posts such a merge held the write
lock for up to 2 s. No write merges them (schema version 8); after each checkpoint round
:class:`Checkpointer` does, in steps of ``MERGE_PAGES`` pages, each under the write lock and
``MERGE_PAUSE_SECONDS`` apart so that waiting writes go first, until nothing is left to merge or
``MERGE_STEPS`` steps are done. The steps run on the writer's own connection: a write by any
other connection makes the writer reload what it keeps in memory (a million ids, a second).
A write waits at most one step, a few milliseconds (150 one-post commits a
second at a million posts: commit p99 1.8 ms, as without merges).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from pathlib import Path

from . import schema as S

log = logging.getLogger(__name__)

#: Seconds between two checkpoints: the log holds about this long of writes (at 100 messages
#: a second at a million stored, about 3 MB).
CHECKPOINT_INTERVAL_SECONDS = 1.0
#: Pages of merged index one merge step writes (FTS5's unit of merge work; 4 KiB each).
MERGE_PAGES = 32
#: Most merge steps in one round, and the pause before each (the write lock is free meanwhile).
MERGE_STEPS = 10
MERGE_PAUSE_SECONDS = 0.03
#: The thread's scheduling priority (Linux ``nice``; 0 is the process's, 19 the lowest): on a
#: busy machine the event loop and the writes get the CPU first, upkeep takes what is left.
UPKEEP_NICENESS = 10


class Checkpointer:
    """A thread that checkpoints the store file at ``path`` every ``interval`` seconds (the
    second step under ``write_lock``, the store's) and merges the posts' index after each round
    (on ``writer``, the store's writing connection, under ``write_lock``), until :meth:`stop`,
    which runs a last checkpoint."""

    def __init__(
        self,
        path: Path,
        synchronous: str,
        write_lock: threading.RLock,
        writer: sqlite3.Connection,
        interval: float = CHECKPOINT_INTERVAL_SECONDS,
    ) -> None:
        self._db = S.connect_checkpointer(path, synchronous)
        self._write_lock = write_lock
        self._writer = writer
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
        with contextlib.suppress(OSError):  # a platform without per-thread priorities runs it as is
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), UPKEEP_NICENESS)
        while not self._stopping.wait(self._interval):
            self._checkpoint()
            with self._write_lock:
                self._checkpoint()
            self._merge_search_index()
            self.rounds += 1

    def _checkpoint(self) -> None:
        try:
            self._db.execute(S.CHECKPOINT).fetchall()
        except sqlite3.Error:  # the next one tries again; the log only grows meanwhile
            log.exception("checkpoint of the store failed")

    def _merge_search_index(self) -> None:
        """Merge steps until one finds nothing to merge or the round's ``MERGE_STEPS`` are
        done. A step that merged nothing counts one change (the command's own row), one that
        merged counts its rows written besides: how FTS5 tells the two apart."""
        for _ in range(MERGE_STEPS):
            if self._stopping.wait(MERGE_PAUSE_SECONDS):
                return
            try:
                with self._write_lock:
                    before = self._writer.total_changes
                    self._writer.execute(S.MERGE_POST_SEARCH, (MERGE_PAGES,))
                    if self._writer.total_changes - before < 2:
                        return
            except sqlite3.Error:  # the next round tries again; FTS5 merges in a write meanwhile
                log.exception("merging the posts' search index failed")
                return
