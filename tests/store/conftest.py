from __future__ import annotations

import pytest

from node.messages import checksum_address, keccak, private_key_to_address, sign_message
from node.store import Store, schema

CHAIN = 31337
T0 = 1_767_225_600


class User:
    def __init__(self, name: str) -> None:
        self.key = keccak(f"store test {name}".encode())
        self.address = checksum_address(private_key_to_address(self.key))

    def sign(self, type_: str, ts: int, **fields):
        return sign_message(type_, {"timestamp": T0 + ts, **fields}, self.key, CHAIN)

    def __repr__(self) -> str:
        return self.address


@pytest.fixture
def users():
    return [User(n) for n in ("alice", "bob", "carol", "dave", "app")]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "store.sqlite", CHAIN)
    yield s
    s.close()


def undo_to(db, version: int) -> None:
    """Turn a store file of this code's schema into what ``version`` wrote, undoing one version
    at a time (for migration tests; ``db`` is a plain sqlite3 connection, committed by the caller)."""
    undo = {8: undo_version_8, 7: undo_version_7, 6: undo_version_6, 5: undo_version_5, 4: undo_version_4}
    for v in range(schema.SCHEMA_VERSION, version, -1):
        undo[v](db)


def undo_version_8(db) -> None:
    """Turn a store file of schema version 8 into what version 7 wrote: merges of the posts'
    index inside writes again, lazily, with FTS5's other merge settings."""
    db.execute("INSERT INTO post_search (post_search, rank) VALUES ('automerge', 16)")
    db.execute("INSERT INTO post_search (post_search, rank) VALUES ('usermerge', 4)")
    db.execute("INSERT INTO post_search (post_search, rank) VALUES ('crisismerge', 16)")
    db.execute("PRAGMA user_version = 7")


def undo_version_7(db) -> None:
    """Turn a store file of schema version 7 into what version 6 wrote: FTS5's default merging
    of the posts' index (for migration tests; ``db`` is a plain sqlite3 connection)."""
    db.execute("INSERT INTO post_search (post_search, rank) VALUES ('automerge', 4)")
    db.execute("PRAGMA user_version = 6")


def undo_version_6(db) -> None:
    """Turn a store file of schema version 6 into what version 5 wrote: the posts' index
    without its prefix lists (for migration tests; ``db`` is a plain sqlite3 connection)."""
    texts = db.execute("SELECT rowid, text FROM post_search").fetchall()
    db.execute("DROP TABLE post_search")
    db.execute(f"CREATE VIRTUAL TABLE post_search USING fts5(text, {schema._SEARCH_OPTIONS})")
    db.executemany("INSERT INTO post_search (rowid, text) VALUES (?, ?)", texts)
    db.execute("PRAGMA user_version = 5")


def undo_version_5(db) -> None:
    """Turn a store file of schema version 5 into what version 4 wrote: no search indexes (for
    migration tests; ``db`` is a plain sqlite3 connection)."""
    for trigger in (
        "post_search_delete",
        "profile_search_insert",
        "profile_search_update",
        "profile_search_delete",
        "community_search_insert",
        "community_search_update",
        "community_search_delete",
    ):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("DROP TABLE post_search")
    db.execute("DROP TABLE profile_search")
    db.execute("DROP TABLE community_search")
    db.execute("PRAGMA user_version = 4")


def undo_version_4(db) -> None:
    """Turn a store file of schema version 4 into what version 3 wrote: no community tables,
    no community column on posts (for migration tests; ``db`` is a plain sqlite3 connection)."""
    for table in (
        "charters",
        "memberships",
        "membership_log",
        "mutes",
        "reply_hides",
        "mod_hides",
        "disclosures",
    ):
        db.execute(f"DROP TABLE {table}")
    db.execute("DROP INDEX posts_community")
    db.execute("ALTER TABLE posts DROP COLUMN community")
    db.execute("DROP INDEX messages_author")
    db.execute("CREATE INDEX messages_author ON messages (author, type, ts) WHERE type != 3")  # version 3's
    db.execute("PRAGMA user_version = 3")
