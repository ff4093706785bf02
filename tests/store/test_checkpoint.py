"""The store's checkpoints run in a thread of their own (``node/store/_checkpoint.py``): the
writer never copies the write-ahead log back inside a commit, and the log is still reused
while writes keep arriving, rather than growing with every write."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from node.identity import create_key
from node.store import Store

CHAIN = 31337


def test_writes_never_checkpoint_and_the_log_is_reused_while_they_arrive(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    key = create_key()
    posts = [key.sign("Post", {"text": f"post {i} " * 8}, chain_id=CHAIN) for i in range(3000)]
    written = 0
    stop = threading.Event()
    with Store(path, CHAIN, checkpoint_seconds=0.01) as store:
        # SQLite's own checkpoint would run in the committing thread, under the store's lock.
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0

        def write() -> None:
            nonlocal written
            for post in posts:  # one commit each, as API writes come, until told to stop
                if stop.is_set():
                    return
                store.ingest([post])
                written += 1

        writer = threading.Thread(target=write)
        writer.start()
        # Rounds come whenever the thread is scheduled (a loaded machine delays them): wait for
        # twenty that ran while writes kept arriving, not for a time.
        checkpointer, deadline = store._checkpointer, time.monotonic() + 60
        while written < 300 and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        first = checkpointer.rounds
        while checkpointer.rounds < first + 20 and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        stop.set()
        writer.join()
        with sqlite3.connect(path) as db:  # the pages in the log since it was last reused
            _, log_pages, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert len(store) == written
    # Each commit appends at least one page to the log: one never copied back whole while
    # writes arrive is never reused from its start, and ends with more pages than writes
    # (its file 30 MB after 3,000 writes when only the passive step runs, 2 MB with both).
    assert log_pages < written / 2, (log_pages, written)
    with sqlite3.connect(path) as db:  # and what was committed is in the file
        assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == written


def test_closing_never_waits_on_the_checkpoint_thread(tmp_path: Path) -> None:
    """The thread takes the store's lock for its second step: closing must not hold that lock
    while it waits for the thread to end (a deadlock that hung a CI run)."""
    key = create_key()
    for i in range(20):
        store = Store(tmp_path / f"store{i}.sqlite", CHAIN, checkpoint_seconds=0.0005)
        store.ingest([key.sign("Post", {"text": f"post {i}"}, chain_id=CHAIN)])
        closing = threading.Thread(target=store.close, daemon=True)
        closing.start()
        closing.join(timeout=10)
        assert not closing.is_alive(), f"close() hung on store {i}"
