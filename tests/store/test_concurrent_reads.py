"""Reads never wait for a write: while an ingest holds the store (here: its listener is still
running, inside the write lock, after the commit), other threads read the last committed state."""

from __future__ import annotations

import threading

import pytest

from node.errors import StoreError
from node.store import ReadOverBudget, Store
from node.store import schema as S

#: Bounds every wait; a read that waited for the write would wait for all of it.
WAIT_SECONDS = 10


def test_reads_answer_while_an_ingest_holds_the_store(store: Store, users) -> None:
    alice, bob = users[:2]
    first = alice.sign("Post", 1, text="committed before")
    store.ingest([first, bob.sign("Follow", 2, target=alice.address)])
    before = store.summary()

    inside, release = threading.Event(), threading.Event()

    def hold(report) -> None:  # runs under the write lock, after the commit
        inside.set()
        release.wait(2 * WAIT_SECONDS)  # longer than the reader is given: it must not need this

    store.add_listener(hold)
    second = alice.sign("Post", 3, text="being written")
    writer = threading.Thread(target=store.ingest, args=([second],))
    writer.start()
    try:
        assert inside.wait(WAIT_SECONDS), "the ingest never reached its listener"
        answers: dict[str, object] = {}

        def read() -> None:
            answers["feed"] = [m.id for m in store.feed(bob.address).items]
            answers["get"] = store.get(first.id)
            answers["summary"] = store.summary()

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(WAIT_SECONDS)
        assert not reader.is_alive(), "a read waited for the ingest in progress"
    finally:
        release.set()
        writer.join(WAIT_SECONDS)

    assert answers["get"] == first
    # the second post committed before its listener ran: a read then sees it, or (if it began
    # first) the state before; never anything in between
    assert answers["feed"] in ([second.id, first.id], [first.id])
    assert answers["summary"] in (before, store.summary())
    assert [m.id for m in store.feed(bob.address).items] == [second.id, first.id]


def test_a_closed_store_refuses_reads(tmp_path, users) -> None:
    store = Store(tmp_path / "s.sqlite", 31337)
    store.ingest([users[0].sign("Post", 1, text="x")])
    store.close()
    try:
        store.get(b"\0" * 32)
    except Exception as exc:
        assert "closed" in str(exc)
    else:
        raise AssertionError("a read of a closed store answered")


def test_a_thread_that_keeps_a_reader_never_waits_for_the_pool(tmp_path, users) -> None:
    """The event loop's thread keeps a connection of its own: with every pooled connection
    busy (here: all the pool's slots taken), its reads still answer; another thread's wait."""
    store = Store(tmp_path / "s.sqlite", 31337)
    post = users[0].sign("Post", 1, text="x")
    store.ingest([post])
    answers: dict[str, object] = {}

    def keeper() -> None:
        store.keep_reader(budget=1.0)
        answers["kept"] = store.get(post.id)

    for _ in range(S.MAX_READERS):
        assert store._reader_slots.acquire(timeout=WAIT_SECONDS)
    try:
        other = threading.Thread(target=lambda: answers.setdefault("other", store.get(post.id)))
        other.start()
        kept = threading.Thread(target=keeper)
        kept.start()
        kept.join(WAIT_SECONDS)
        assert not kept.is_alive(), "a read on a kept connection waited for the pool"
        assert answers["kept"] == post
    finally:
        for _ in range(S.MAX_READERS):
            store._reader_slots.release()
    other.join(WAIT_SECONDS)
    assert answers["other"] == post
    store.close()


def test_a_read_over_its_budget_is_abandoned_on_the_kept_connection_only(tmp_path, users) -> None:
    """A read that runs past the kept connection's budget (here: a thread of 3,000 replies with
    no time at all) raises ReadOverBudget and returns nothing; a point lookup, too short for
    SQLite to look at the clock, still answers; any other thread reads the thread in full."""
    a, b = users[:2]
    root = a.sign("Post", 0, text="root")
    replies = [b.sign("Post", 1 + i, text=f"reply {i}", replyTo=root.id) for i in range(3000)]
    with Store(tmp_path / "s.sqlite", 31337) as store:
        store.ingest([root, *replies])
        store.keep_reader(budget=0.0)
        with pytest.raises(ReadOverBudget):
            store.thread(root.id, limit=10)
        assert store.get(root.id) == root
        with pytest.raises(StoreError):
            store.keep_reader(budget=1.0)  # one kept connection per thread
        elsewhere: dict[str, object] = {}
        worker = threading.Thread(
            target=lambda: elsewhere.setdefault("page", store.thread(root.id, limit=10))
        )
        worker.start()
        worker.join(WAIT_SECONDS)
        page = elsewhere["page"]
        assert [m.id for m in page.items] == [root.id] + [
            m.id for m in sorted(replies, key=lambda m: (m.timestamp, m.id))[:9]
        ]
