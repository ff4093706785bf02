"""Merges of the posts' search index in a thread of its own, a bounded step at a time.

Each commit that indexes posts adds a segment to ``post_search``. FTS5 would merge segments
inside whichever insert found enough of one size, and at a million posts such a merge held the
store's write lock for up to 2 s: every ingest waited (POST p99 1.9 s under 100 writes/s). So no
write merges them (schema version 8: ``automerge`` 0) and :class:`IndexMerger` does: one step of
``MERGE_PAGES`` pages under the write lock, ``STEP_SECONDS`` apart while there is work, every
``interval`` seconds when there is none. A write waits at most one step, a few milliseconds (150
one-post commits a second at a million posts: commit p99 1.8 ms, as without merging).

Three details decided it, each measured at a million posts:

* the steps run on the writer's own connection: a write by any other connection makes the
  writer reload what it keeps in memory (a million ids, about a second) before its next write;
* FTS5 merges a level once it holds 16 segments (``usermerge``, schema version 8), not 4: each
  post's entries are rewritten about half as often;
* the thread runs at a lower priority (``MERGE_NICENESS``): on a busy machine the event loop and
  the writes get the cores first (full-load ``/health`` p99 median 14.5 -> 8.7 ms).

It is not the checkpoint thread's job: a round that also merged lasted long enough for the
write-ahead log to grow between two checkpoints (20,000 pages in 3,000 fast writes).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading

from . import schema as S

log = logging.getLogger(__name__)

#: Pages of merged index one step writes (FTS5's unit of merge work; 4 KiB each).
MERGE_PAGES = 32
#: Seconds between two steps while there is work: at most 320 pages (1.3 MB) merged a second.
STEP_SECONDS = 0.1
#: Seconds between two looks when the last step found nothing to merge.
IDLE_SECONDS = 1.0
#: The thread's scheduling priority (Linux ``nice``; 0 is the process's, 19 the lowest).
MERGE_NICENESS = 10


class IndexMerger:
    """A thread merging the posts' index on ``writer`` (the store's writing connection) under
    ``write_lock`` (the store's), until :meth:`stop`."""

    def __init__(
        self, writer: sqlite3.Connection, write_lock: threading.RLock, idle: float = IDLE_SECONDS
    ) -> None:
        self._writer = writer
        self._write_lock = write_lock
        self._idle = idle
        self._stopping = threading.Event()
        #: Steps that merged something: what shows the thread works.
        self.steps = 0
        self._thread = threading.Thread(target=self._run, name="posts' index merges", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        with contextlib.suppress(OSError):  # a platform without per-thread priorities runs it as is
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), MERGE_NICENESS)
        pause = self._idle
        while not self._stopping.wait(pause):
            pause = STEP_SECONDS if self._step() else self._idle

    def _step(self) -> bool:
        """One step; whether it merged anything. A step that merged nothing counts one change
        (the command's own row), one that merged counts its rows written besides: how FTS5
        tells the two apart."""
        try:
            with self._write_lock:
                before = self._writer.total_changes
                self._writer.execute(S.MERGE_POST_SEARCH, (MERGE_PAGES,))
                merged = self._writer.total_changes - before >= 2
        except sqlite3.Error:  # tried again later; FTS5 merges inside a write meanwhile (crisismerge)
            log.exception("merging the posts' search index failed")
            return False
        self.steps += merged
        return merged
