"""The vault's SQL: every table, index and statement, versioned.

The vault is one SQLite file (``gating.sqlite`` in the data directory, mode 0600) that holds
what a creator's node must keep secret or single-use, and never syncs::

    content_keys(post PK, author, key, created)      the 32-byte content key of a gated post,
                                                     held for its author (WITHOUT ROWID)
    nonces(rowid, nonce PK, expires, used, address, post, client)
        unlock nonces, each bound to the address and post it was issued for and the client that
        asked; the rowid is the order of issue. Indexed by expiry, and by (address, expiry) and
        (client, expiry) for the per-address and per-client caps.

A nonce is *pending* (:data:`PENDING`) while it is unexpired and unused.

``PRAGMA user_version`` holds :data:`VERSION`. Version 2 bound each nonce to its address, post
and client: on a file older than that, :data:`UPGRADE` drops the old ``nonces`` table (nonces
live minutes: holders ask again) before :data:`TABLES` creates what is missing. Content keys
have had one layout throughout.
"""

from __future__ import annotations

VERSION = 2

#: Run on a file older than :data:`VERSION`, before :data:`TABLES`.
UPGRADE = ["DROP TABLE IF EXISTS nonces"]

TABLES = [
    """CREATE TABLE IF NOT EXISTS content_keys (
        post BLOB PRIMARY KEY, author TEXT NOT NULL, key BLOB NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS nonces (
        nonce TEXT PRIMARY KEY, expires REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0,
        address TEXT NOT NULL, post BLOB NOT NULL, client TEXT NOT NULL)""",  # with a rowid: order of issue
    """CREATE INDEX IF NOT EXISTS nonces_expires ON nonces (expires)""",
    """CREATE INDEX IF NOT EXISTS nonces_address ON nonces (address, expires)""",
    """CREATE INDEX IF NOT EXISTS nonces_client ON nonces (client, expires)""",
]

# ---------------------------------------------------------------- content keys

PUT_KEY = "INSERT OR REPLACE INTO content_keys (post, author, key, created) VALUES (?, ?, ?, ?)"
DROP_KEY = "DELETE FROM content_keys WHERE post = ?"
GET_KEY = "SELECT key FROM content_keys WHERE post = ?"
HELD_POSTS = "SELECT post FROM content_keys ORDER BY created, post"

# ---------------------------------------------------------------- nonces

#: Unexpired (``expires > ?``, the time now) and unused.
PENDING = "expires > ? AND NOT used"

FORGET_EXPIRED_BEFORE = "DELETE FROM nonces WHERE expires < ?"
INSERT_NONCE = "INSERT INTO nonces (nonce, expires, address, post, client) VALUES (?, ?, ?, ?, ?)"
GET_NONCE = "SELECT address, post, used, expires FROM nonces WHERE nonce = ?"
#: Use a nonce up, only if it is pending and bound to this address and post.
USE_NONCE = f"UPDATE nonces SET used = 1 WHERE nonce = ? AND address = ? AND post = ? AND {PENDING}"
#: Drop an address's pending nonces but the newest ``?`` (its cap minus the one to be issued).
KEEP_NEWEST_OF_ADDRESS = f"""DELETE FROM nonces WHERE nonce IN (
    SELECT nonce FROM nonces WHERE address = ? AND {PENDING} ORDER BY rowid DESC LIMIT -1 OFFSET ?)"""


def count_pending(*, by_address: bool = False, by_client: bool = False) -> str:
    """Count pending nonces; the parameters are the time now, then the address and the client
    when counted by them."""
    where = PENDING + (" AND address = ?" if by_address else "") + (" AND client = ?" if by_client else "")
    return f"SELECT count(*) FROM nonces WHERE {where}"
