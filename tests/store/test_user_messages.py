"""A user's messages, a page at a time (``Store.messages_by``): exactly ``Store.export(user)``,
in its order, for any page size; what left the log (a deleted post, a revoked delegate's
messages) is in neither; each page is read through the indexes on the author."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.errors import InvalidInput
from node.messages import encode_message, sign_message
from node.store import Store, schema

from .conftest import CHAIN, T0, User, undo_to


def all_pages(store: Store, address: str, limit: int) -> list[bytes]:
    lines: list[bytes] = []
    cursor = None
    while True:
        page = store.messages_by(address, limit=limit, cursor=cursor)
        assert 0 < len(page.items) <= limit or (not page.items and not lines)
        lines += [encode_message(m) for m in page.items]
        if page.next_cursor is None:
            return lines
        cursor = page.next_cursor


@pytest.fixture
def history(store, users):
    """Alice's messages of every kind, many on one timestamp, two delegates (one revoked), a
    post she deleted; Bob's messages beside them. Returns what must be exported, in order."""
    alice, bob, carol, app, old_app = users[0], users[1], users[2], users[4], users[3]

    def by(key_user, type_, ts, **fields):
        return sign_message(
            type_, {"author": alice.address, "timestamp": T0 + ts, **fields}, key_user.key, CHAIN
        )

    deleted = alice.sign("Post", 2, text="regret")
    kept = [
        alice.sign("SignerAdd", 9, signer=app.address, label="phone"),
        alice.sign("SignerAdd", 1, signer=old_app.address),
        alice.sign("SignerRemove", 9, signer=old_app.address),
        alice.sign("Profile", 1, field="name", value="Alice"),
        *(alice.sign("Post", 3, text=f"same second {i}") for i in range(6)),
        alice.sign("Follow", 3, target=bob.address),
        alice.sign("PostDelete", 4, post=deleted.id),
        by(app, "Post", 3, text="from the phone"),
        by(app, "Follow", 5, target=carol.address),
        by(app, "Reaction", 6, post=deleted.id, kind="like"),
    ]
    gone = [deleted, by(old_app, "Post", 2, text="old app"), by(old_app, "Follow", 2, target=carol.address)]
    others = [bob.sign("Post", 3, text="bob"), bob.sign("Follow", 1, target=alice.address)]
    store.ingest([*gone, *kept, *others], now=T0 + 100)
    # Signer messages first, then the rest, each by (timestamp, id).
    order = sorted(kept, key=lambda m: (m.type not in ("SignerAdd", "SignerRemove"), m.timestamp, m.id))
    return alice.address, [encode_message(m) for m in order]


def test_export_is_signer_messages_first_then_by_timestamp_and_id(store, history):
    alice, expected = history
    assert list(store.export(alice)) == expected


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7, 100])
def test_pages_are_the_export_in_order(store, history, limit):
    alice, expected = history
    assert all_pages(store, alice, limit) == expected


def test_imported_page_by_page_they_all_merge(store, history, tmp_path):
    alice, expected = history
    with Store(tmp_path / "fresh.sqlite", CHAIN) as fresh:
        cursor = None
        while True:
            page = store.messages_by(alice, limit=3, cursor=cursor)
            report = fresh.ingest(page.items, now=T0 + 100)
            assert report.counts["accepted"] == len(page.items), report.rejections()
            if (cursor := page.next_cursor) is None:
                break
        assert list(fresh.export(alice)) == expected


KINDS = {
    "SignerAdd": lambda i: {"signer": "0x" + f"{i + 1:040x}"},
    "Profile": lambda i: {"field": "bio", "value": f"v{i}"},
    "Follow": lambda i: {"target": "0x" + f"{i + 1:040x}"},
    "Post": lambda i: {"text": f"post {i}"},
    "Reaction": lambda i: {"post": bytes(32), "kind": f"k{i}"},
}


@settings(max_examples=30, deadline=None)
@given(
    drawn=st.lists(st.tuples(st.sampled_from(sorted(KINDS)), st.integers(0, 3)), max_size=30),
    limit=st.integers(1, 6),
)
def test_any_mix_pages_in_export_order(drawn, limit):
    alice, bob = User("alice"), User("bob")
    signed = [alice.sign(kind, ts, **KINDS[kind](i)) for i, (kind, ts) in enumerate(drawn)]
    order = sorted(signed, key=lambda m: (m.type != "SignerAdd", m.timestamp, m.id))
    with (
        tempfile.TemporaryDirectory() as tmp,
        Store(Path(tmp) / "s.sqlite", CHAIN, synchronous="OFF") as store,
    ):
        store.ingest([*signed, bob.sign("Post", 1, text="not hers")], now=T0 + 10)
        assert all_pages(store, alice.address, limit) == [encode_message(m) for m in order]


def test_an_unknown_user_has_an_empty_page(store, history, users):
    page = store.messages_by(users[2].address)
    assert page.items == [] and page.next_cursor is None


@pytest.mark.parametrize("cursor", ["s.", "s.x.00", "1.zz", "s.s.1." + "0" * 64, "9" * 30 + "." + "0" * 64])
def test_a_cursor_the_store_did_not_issue_is_refused(store, history, cursor):
    with pytest.raises(InvalidInput):
        store.messages_by(history[0], cursor=cursor)


def test_a_page_reads_the_indexes_on_the_author(store, history):
    """No scan of the log or of the posts, no sort of everything the user signed: each type's
    arm walks its index in timestamp order (only ties on a timestamp are sorted)."""
    db = sqlite3.connect(store.path)
    params = {"address": b"\0" * 20, "limit": 101, "ts0": 0, "id0": b"", "ts1": 0, "id1": b""}
    plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + schema.SELECT_AUTHOR_MESSAGES, params)]
    searches = [line for line in plan if line.startswith(("SEARCH", "SCAN"))]
    assert all(line.startswith("SEARCH") or line.startswith("SCAN (subquery") for line in searches), plan
    by_index = [line for line in searches if line.startswith("SEARCH m USING INDEX messages_author ")]
    assert len(by_index) == sum(map(len, schema.EXPORT_GROUPS)) - 2, plan  # every type but the posts
    by_posts = [line for line in searches if line.startswith("SEARCH p USING COVERING INDEX posts_author ")]
    assert len(by_posts) == 2, plan  # posts and community posts
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan  # only the right part: ties


def test_a_version_2_store_gets_the_index_and_keeps_its_messages(store, history):
    alice, expected = history
    store.close()
    db = sqlite3.connect(store.path)
    undo_to(db, 3)
    db.execute("DROP INDEX messages_author")
    db.execute(schema.MIGRATIONS[1][5])  # version 2's index: (author, type)
    db.execute("PRAGMA user_version = 2")
    db.commit()
    assert (
        "(author, type)"
        in db.execute("SELECT sql FROM sqlite_master WHERE name = 'messages_author'").fetchone()[0]
    )
    db.close()
    with Store(store.path, CHAIN) as reopened:
        assert all_pages(reopened, alice, 2) == expected
        assert reopened.integrity_check() == "ok"
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert (
        "(author, type, ts)"
        in db.execute("SELECT sql FROM sqlite_master WHERE name = 'messages_author'").fetchone()[0]
    )
    db.close()
