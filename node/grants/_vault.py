"""The vault: the SQLite file of content keys and unlock nonces a creator's node holds.

A creator hands the content key of a gated post to their own node over the admin API; the
node keeps it here, never in the message log, an export, a log line or a response to anyone
but the admin (or a holder who passed the gate). The same file keeps the node's unlock nonces
(:class:`~node.grants.SqliteNonceBook`, :attr:`Vault.nonces`), which share its connection and
lock. The SQL is :mod:`node.grants.schema`'s.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from node.errors import StoreError
from node.gating import Clock, ContentKey, utc_now
from node.grants import schema
from node.grants._nonces import SqliteNonceBook

__all__ = ["VAULT_FILE", "Vault"]

#: The vault's file name in the node's data directory.
VAULT_FILE = "gating.sqlite"

_T = TypeVar("_T")


class Vault:
    """Content keys by post id in SQLite, and the node's :class:`SqliteNonceBook` beside them.

    The file is created with mode 0600. ``nonce_capacity``, ``per_client``, ``per_address``
    and ``clock`` configure :attr:`nonces` (see there). Safe to share between threads: one
    connection, one lock. Raises :class:`~node.errors.StoreError` when SQLite fails.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        nonce_capacity: int = 10_000,
        per_client: int = 20,
        per_address: int = 3,
        clock: Clock = utc_now,
    ) -> None:
        self.nonces = SqliteNonceBook(
            self, capacity=nonce_capacity, per_client=per_client, per_address=per_address, clock=clock
        )  # first: it checks its limits before a file is touched
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                os.close(
                    os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                )  # owner-only from birth
            self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode = WAL")
            # NORMAL: a commit survives a crash of the process; only a power loss can undo the last
            # ones. That is fine for nonces (at worst a challenge the node just consumed could be
            # used once more within its few minutes); content keys are written with FULL.
            self._db.execute("PRAGMA synchronous = NORMAL")
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            for stmt in (schema.UPGRADE if version < schema.VERSION else []) + schema.TABLES:
                self._db.execute(stmt)
            self._db.execute(f"PRAGMA user_version = {schema.VERSION}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def run(self, doing: str, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``fn`` on the connection under the lock; a SQLite failure becomes a
        :class:`~node.errors.StoreError` saying what was being done."""
        with self._lock:
            try:
                return fn(self._db)
            except sqlite3.Error as exc:
                raise StoreError(f"vault: {doing} failed: {exc}") from exc

    def put_key(self, post_id: bytes, author: str, key: ContentKey) -> None:
        """Keep ``key`` as the content key of ``post_id`` (by ``author``); durable on return,
        power loss included (a lost key is a post nobody can ever read)."""

        def work(db: sqlite3.Connection) -> None:
            db.execute("PRAGMA synchronous = FULL")
            try:
                db.execute(schema.PUT_KEY, (bytes(post_id), author, key.to_bytes(), int(time.time())))
            finally:
                db.execute("PRAGMA synchronous = NORMAL")

        self.run("store a content key", work)

    def drop_key(self, post_id: bytes) -> None:
        self.run("drop a content key", lambda db: db.execute(schema.DROP_KEY, (bytes(post_id),)))

    def key(self, post_id: bytes) -> ContentKey | None:
        """The content key of ``post_id``, or ``None`` when this node does not hold it."""
        row = self.run(
            "read a content key", lambda db: db.execute(schema.GET_KEY, (bytes(post_id),)).fetchone()
        )
        return None if row is None else ContentKey(row[0])

    def posts(self) -> list[bytes]:
        """Ids of every post whose key this node holds, oldest first."""
        rows = self.run("list content keys", lambda db: db.execute(schema.HELD_POSTS).fetchall())
        return [r[0] for r in rows]
