"""The store's SQL: every table, index and statement, versioned, with migrations.

Layout (schema version 8)::

    accounts(n PK, address BLOB(20) UNIQUE)        addresses, interned to small integers
    messages(seq PK, id BLOB(32), ts, type, author -> accounts.n,
             signer -> accounts.n or NULL when the author signed, sig BLOB(65), body BLOB)
        the message log, the source of truth. ``type`` is the code from the type table,
        ``body`` the typed fields after author and timestamp, packed by ``store._body``.
        Indexes: the id's first 8 bytes (see below); ts (sync keys, ordered by (ts, id));
        (author, type, ts) over every type but the posts (per-user rebuilds, and a user's
        export a page at a time; posts have their own table); (author, signer) over delegated rows
        only (revocation).
    meta(key PK, value)                             chain id, fingerprint accumulator, count
    -- derived tables, rebuildable from the log --
    profiles(author, field, value, ts, mid)         last-writer-wins per (author, field)
    follows(author, target, active, ts, mid)        last-writer-wins per edge
    reactions(post, author, kind, active, ts, mid)  last-writer-wins per (post, author, kind)
    posts(seq PK = messages.seq, author, ts, reply_to, community)
                                                    live posts only (community: NULL outside one)
    tombstones(post, author, mid)                   post deletions (mid: the smallest delete's id)
    signers(author, signer, live, ts, mid)          delegations; a removal is permanent
    grants(seq PK = messages.seq, post, author, recipient, recipient_key, wrapped, ts, mid)
                                                    every KeyGrant in the log (version 2)
    charters(community, field, founder, handle, value, ts, mid)
                                                    last-writer-wins per (community, field) (version 4)
    memberships(community, member, active, ts, mid) last-writer-wins per edge
    membership_log(seq PK = messages.seq, community, member, active, ts, mid)
                                                    every Membership in the log (who was a member when)
    mutes(author, target, kind, active, ts, mid)    last-writer-wins per (author, target, mute|block)
    reply_hides(post, author, active, ts, mid)      last-writer-wins per (post, author)
    mod_hides(community, post, author, reason, active, ts, mid)
                                                    last-writer-wins per (community, post, author)
    disclosures(post, author, paid_by, mid)         paid-partnership disclosures, never withdrawn
    -- search (versions 5, 6): FTS5 indexes, derived from the tables above --
    post_search(rowid = posts.seq, text)            every live post's public text (a gated post's
                                                    teaser; never its ciphertext), with prefix
                                                    lists of 2-4 characters (version 6), its
                                                    segments merged by a thread of their own, never
                                                    inside a write (version 8)
    profile_search(rowid = accounts.n, name, bio)   users with a non-empty name or bio
    community_search(community hex, name, about, topics) communities with a non-empty name, about or topics

``mid`` is the id of the message that set a row, the tie-breaker of last-writer-wins.
Last-writer-wins compares ``(ts, is_removal, mid)``: newer wins, and on equal timestamps a
removal (unfollow, inactive reaction, cleared profile field) beats an add.

Ids are found through an index on their first 8 bytes, ``substr(id, 1, 8)``, and the full
id is compared after it: ids are uniformly random digests, so 8 bytes almost never collide,
the index is a third of the size of a full 32-byte one, and the random inserts that every id
index suffers dirty a third of the pages per commit. Uniqueness of ids is the writer's job
(``Store`` checks every batch before it inserts). Every lookup by id goes through
:data:`BY_ID` so it uses that index.

Grants are kept whatever order they arrive in, before or after their post; a read picks, for
(post, recipient), the newest ``(ts, mid)`` grant signed for the post's own author while the
post is live and gated. So sync order never matters, and a grant by anyone else is inert.

Search stays in step with what it indexes: the writer adds a post's text with its row in
``posts``, and triggers take it out when that row goes (a delete, a revoked delegate's posts, a
rebuild), and keep ``profile_search`` equal to the ``name`` and ``bio`` rows of ``profiles``
whatever writes them (ingest, an author re-derived after a revocation, a rebuild). Both use
FTS5's ``unicode61`` tokenizer without diacritics and ``detail=column`` (no positions: a third of
the index of ``detail=full``; phrase queries are not needed, since user input becomes prefix
terms, see ``node.store._search``).

``PRAGMA user_version`` holds the schema version; :data:`MIGRATIONS` takes a file from any
older version to :data:`SCHEMA_VERSION`, one step per version. A step is SQL, or a function
of the connection when SQL alone cannot do it (decoding a packed body).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..messages import TYPES
from ..messages.kinds import BYTES32
from ..messages.scope import COMMUNITY_SCOPED
from ._body import unpack_body

#: Type codes of the ``messages.type`` column the statements below single out.
POST = TYPES["Post"].code
COMMUNITY_POST = TYPES["CommunityPost"].code
#: The ``messages.type`` codes of posts, as SQL: ``m.type IN {POST_CODES}``.
POST_CODES = f"({POST}, {COMMUNITY_POST})"
POST_DELETE = TYPES["PostDelete"].code
SIGNER_TYPE_CODES = (TYPES["SignerAdd"].code, TYPES["SignerRemove"].code)
SIGNER_CODES = f"({SIGNER_TYPE_CODES[0]}, {SIGNER_TYPE_CODES[1]})"

SCHEMA_VERSION = 8

#: A step of a migration: a statement, or a function doing what SQL alone cannot.
MigrationStep = str | Callable[[sqlite3.Connection], None]

_V1: list[MigrationStep] = [
    """CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID""",
    """CREATE TABLE accounts (n INTEGER PRIMARY KEY, address BLOB NOT NULL UNIQUE)""",
    """CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        id BLOB NOT NULL,
        ts INTEGER NOT NULL,
        type INTEGER NOT NULL,
        author INTEGER NOT NULL,
        signer INTEGER,
        sig BLOB NOT NULL,
        body BLOB NOT NULL)""",
    """CREATE INDEX messages_id ON messages (substr(id, 1, 8))""",
    """CREATE INDEX messages_ts ON messages (ts)""",
    """CREATE INDEX messages_author ON messages (author, type) WHERE type != 3""",
    """CREATE INDEX messages_delegated ON messages (author, signer) WHERE signer IS NOT NULL""",
    """CREATE TABLE profiles (
        author INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
        ts INTEGER NOT NULL, mid BLOB NOT NULL,
        PRIMARY KEY (author, field)) WITHOUT ROWID""",
    """CREATE TABLE follows (
        author INTEGER NOT NULL, target INTEGER NOT NULL, active INTEGER NOT NULL,
        ts INTEGER NOT NULL, mid BLOB NOT NULL,
        PRIMARY KEY (author, target)) WITHOUT ROWID""",
    """CREATE INDEX follows_target ON follows (target, author) WHERE active""",
    """CREATE TABLE reactions (
        post BLOB NOT NULL, author INTEGER NOT NULL, kind TEXT NOT NULL, active INTEGER NOT NULL,
        ts INTEGER NOT NULL, mid BLOB NOT NULL,
        PRIMARY KEY (post, author, kind)) WITHOUT ROWID""",
    """CREATE INDEX reactions_author ON reactions (author)""",
    """CREATE TABLE posts (
        seq INTEGER PRIMARY KEY, author INTEGER NOT NULL, ts INTEGER NOT NULL, reply_to BLOB)""",
    """CREATE INDEX posts_author ON posts (author, ts)""",
    """CREATE INDEX posts_reply ON posts (reply_to) WHERE reply_to IS NOT NULL""",
    """CREATE TABLE tombstones (
        post BLOB NOT NULL, author INTEGER NOT NULL, mid BLOB NOT NULL,
        PRIMARY KEY (post, author)) WITHOUT ROWID""",
    """CREATE TABLE signers (
        author INTEGER NOT NULL, signer INTEGER NOT NULL, live INTEGER NOT NULL,
        ts INTEGER NOT NULL, mid BLOB NOT NULL,
        PRIMARY KEY (author, signer)) WITHOUT ROWID""",
]

_V2: list[MigrationStep] = [
    # Version 1 had no KeyGrant type, so there is nothing to backfill.
    """CREATE TABLE grants (
        seq INTEGER PRIMARY KEY, post BLOB NOT NULL, author INTEGER NOT NULL, recipient INTEGER NOT NULL,
        recipient_key BLOB NOT NULL, wrapped BLOB NOT NULL, ts INTEGER NOT NULL, mid BLOB NOT NULL)""",
    """CREATE INDEX grants_post ON grants (post, author, recipient)""",
]

_V3: list[MigrationStep] = [
    # A user's messages of one type in timestamp order, straight from the index: a page of
    # their export (``SELECT_AUTHOR_MESSAGES``) reads just that page, not all they ever signed.
    """DROP INDEX messages_author""",
    """CREATE INDEX messages_author ON messages (author, type, ts) WHERE type != 3""",
]

_V4: list[MigrationStep] = [
    # Communities and moderation: version 3 had none of these types, so nothing to backfill
    # (posts outside a community keep a NULL community).
    """ALTER TABLE posts ADD COLUMN community BLOB""",
    """CREATE INDEX posts_community ON posts (community, ts) WHERE community IS NOT NULL""",
    """CREATE TABLE charters (
        community BLOB NOT NULL, field TEXT NOT NULL, founder INTEGER NOT NULL, handle TEXT NOT NULL,
        value TEXT NOT NULL, ts INTEGER NOT NULL, mid BLOB NOT NULL,
        PRIMARY KEY (community, field)) WITHOUT ROWID""",
    """CREATE INDEX charters_founder ON charters (founder)""",
    """CREATE TABLE memberships (
        community BLOB NOT NULL, member INTEGER NOT NULL, active INTEGER NOT NULL,
        ts INTEGER NOT NULL, mid BLOB NOT NULL,
        PRIMARY KEY (community, member)) WITHOUT ROWID""",
    """CREATE INDEX memberships_member ON memberships (member)""",
    # Every membership message, so a view finds who was a member at a post's time with one
    # indexed lookup, whatever else the author joined.
    """CREATE TABLE membership_log (
        seq INTEGER PRIMARY KEY, community BLOB NOT NULL, member INTEGER NOT NULL,
        active INTEGER NOT NULL, ts INTEGER NOT NULL, mid BLOB NOT NULL)""",
    """CREATE INDEX membership_log_member ON membership_log (community, member, ts)""",
    # Community posts are read through posts_author like posts: out of the author index.
    """DROP INDEX messages_author""",
    f"""CREATE INDEX messages_author ON messages (author, type, ts) WHERE type NOT IN {POST_CODES}""",
    """CREATE TABLE mutes (
        author INTEGER NOT NULL, target INTEGER NOT NULL, kind TEXT NOT NULL, active INTEGER NOT NULL,
        ts INTEGER NOT NULL, mid BLOB NOT NULL,
        PRIMARY KEY (author, target, kind)) WITHOUT ROWID""",
    """CREATE TABLE reply_hides (
        post BLOB NOT NULL, author INTEGER NOT NULL, active INTEGER NOT NULL,
        ts INTEGER NOT NULL, mid BLOB NOT NULL,
        PRIMARY KEY (post, author)) WITHOUT ROWID""",
    """CREATE INDEX reply_hides_author ON reply_hides (author)""",
    """CREATE TABLE mod_hides (
        community BLOB NOT NULL, post BLOB NOT NULL, author INTEGER NOT NULL, reason TEXT NOT NULL,
        active INTEGER NOT NULL, ts INTEGER NOT NULL, mid BLOB NOT NULL,
        PRIMARY KEY (community, post, author)) WITHOUT ROWID""",
    """CREATE INDEX mod_hides_author ON mod_hides (author)""",
    """CREATE TABLE disclosures (
        post BLOB NOT NULL, author INTEGER NOT NULL, paid_by INTEGER NOT NULL, mid BLOB NOT NULL,
        PRIMARY KEY (post, author, paid_by)) WITHOUT ROWID""",
    """CREATE INDEX disclosures_author ON disclosures (author)""",
]

#: The profile fields search indexes, in ``profile_search``'s column order.
SEARCHED_PROFILE_FIELDS = ("name", "bio")
_SEARCH_OPTIONS = "tokenize = 'unicode61 remove_diacritics 2', detail = column"
#: ``post_search`` keeps besides its words lists of the words by their first 2, 3 and 4
#: characters: a short prefix (``"cre"*``) then reads one list instead of merging the lists of
#: every word it starts (creator, create, creative, ...), which took 20-60 ms for a common one at
#: 500,000 messages. About 6 bytes per post for each length.
_POST_SEARCH_OPTIONS = f"{_SEARCH_OPTIONS}, prefix = '2 3 4'"
#: ``profile_search``'s columns from a group of ``profiles`` rows of one author.
_SEARCHED_COLUMNS = ", ".join(
    f"coalesce(max(CASE WHEN field = '{f}' THEN value END), '')" for f in SEARCHED_PROFILE_FIELDS
)


def _profile_search_refresh(author: str) -> str:
    """Statements setting ``profile_search``'s row of ``author`` (a trigger's ``new.author`` or
    ``old.author``) from the profile's searched fields: none when both are empty."""
    return f"""DELETE FROM profile_search WHERE rowid = {author};
        INSERT INTO profile_search (rowid, name, bio) SELECT {author}, {_SEARCHED_COLUMNS} FROM profiles
            WHERE author = {author} AND field IN {SEARCHED_PROFILE_FIELDS} AND value != '' HAVING count(*) > 0;"""


def _profile_trigger(event: str, row: str) -> str:
    return f"""CREATE TRIGGER profile_search_{event.lower()} AFTER {event} ON profiles
        WHEN {row}.field IN {SEARCHED_PROFILE_FIELDS}
        BEGIN {_profile_search_refresh(f"{row}.author")} END"""


def _backfill_post_search(db: sqlite3.Connection) -> None:
    """Index the text of every live post already in the file (it is packed in the log's body)."""
    rows = db.execute("SELECT p.seq, m.type, m.body FROM posts p JOIN messages m ON m.seq = p.seq")
    while chunk := rows.fetchmany(CHUNK):
        texts = [(seq, unpack_body(code, body, {})["text"]) for seq, code, body in chunk]
        db.executemany(INSERT_POST_TEXT, [(seq, text) for seq, text in texts if text])


#: The charter fields search indexes, in ``community_search``'s column order (after the id).
SEARCHED_CHARTER_FIELDS = ("name", "about", "topics")
_SEARCHED_CHARTER_COLUMNS = ", ".join(
    f"coalesce(max(CASE WHEN field = '{f}' THEN value END), '')" for f in SEARCHED_CHARTER_FIELDS
)


def _community_search_refresh(community: str) -> str:
    """Statements setting ``community_search``'s row of ``community`` (a trigger's
    ``new.community`` or ``old.community``) from its charter's searched fields. The id is kept
    as hex text (FTS5 columns are text) in an unindexed column, so the delete reads the table
    through: charters change rarely."""
    return f"""DELETE FROM community_search WHERE community = hex({community});
        INSERT INTO community_search (community, name, about, topics)
            SELECT hex({community}), {_SEARCHED_CHARTER_COLUMNS} FROM charters
            WHERE community = {community} AND field IN {SEARCHED_CHARTER_FIELDS} AND value != '' HAVING count(*) > 0;"""


def _charter_trigger(event: str, row: str) -> str:
    return f"""CREATE TRIGGER community_search_{event.lower()} AFTER {event} ON charters
        WHEN {row}.field IN {SEARCHED_CHARTER_FIELDS}
        BEGIN {_community_search_refresh(f"{row}.community")} END"""


_V5: list[MigrationStep] = [
    f"""CREATE VIRTUAL TABLE post_search USING fts5(text, {_SEARCH_OPTIONS})""",
    f"""CREATE VIRTUAL TABLE profile_search USING fts5(name, bio, {_SEARCH_OPTIONS})""",
    # A post's text leaves the index with its row, however the row goes.
    """CREATE TRIGGER post_search_delete AFTER DELETE ON posts
        BEGIN DELETE FROM post_search WHERE rowid = old.seq; END""",
    _profile_trigger("INSERT", "new"),
    _profile_trigger("UPDATE", "new"),
    _profile_trigger("DELETE", "old"),
    # the posts' text is indexed by version 6's step, which builds this table again anyway
    f"""INSERT INTO profile_search (rowid, name, bio) SELECT author, {_SEARCHED_COLUMNS} FROM profiles WHERE field IN {SEARCHED_PROFILE_FIELDS} AND value != '' GROUP BY author""",
    f"""CREATE VIRTUAL TABLE community_search USING fts5(community UNINDEXED, name, about, topics, {_SEARCH_OPTIONS})""",
    _charter_trigger("INSERT", "new"),
    _charter_trigger("UPDATE", "new"),
    _charter_trigger("DELETE", "old"),
    f"""INSERT INTO community_search (community, name, about, topics) SELECT hex(community), {_SEARCHED_CHARTER_COLUMNS}
        FROM charters WHERE field IN {SEARCHED_CHARTER_FIELDS} AND value != '' GROUP BY community""",
]

#: Tables derived from the log: :meth:`Store.rebuild` empties them and merges the log again.
DERIVED_TABLES = (
    "profiles",
    "follows",
    "reactions",
    "posts",
    "tombstones",
    "signers",
    "grants",
    "charters",
    "memberships",
    "membership_log",
    "mutes",
    "reply_hides",
    "mod_hides",
    "disclosures",
)

_V6: list[MigrationStep] = [
    # The posts' index again, with prefix lists (``_POST_SEARCH_OPTIONS``): FTS5 takes its
    # options only when a table is created. The delete trigger is on ``posts`` and stays.
    "DROP TABLE post_search",
    f"""CREATE VIRTUAL TABLE post_search USING fts5(text, {_POST_SEARCH_OPTIONS})""",
    _backfill_post_search,
]

_V7: list[MigrationStep] = [
    # Merges of the posts' index made lazier (FTS5's ``automerge`` 16, its default 4): they ran
    # inside whichever insert set one off. Version 8 takes them out of inserts altogether.
    "INSERT INTO post_search (post_search, rank) VALUES ('automerge', 16)",
]

#: Version 8: no write merges the posts' index (FTS5's ``automerge`` 0). Each commit adds a
#: segment to the index and FTS5 merged segments inside whichever insert found enough of one
#: size: at a million posts one such merge rewrote megabytes and held the store's write lock
#: for up to 2 s (POST p99 1.9 s under 100 writes/s). A thread of the store merges them
#: instead, a bounded step at a time (``node.store._merge``), a level once it holds
#: ``usermerge`` segments: 16, not FTS5's 4, so each post's entries are rewritten about half as
#: often (CPU per one-post commit at 1M: 1.7 ms with 4, 1.1 ms with 16, as without merging).
#: FTS5 still merges inside an insert a level that reaches ``crisismerge`` segments: only if
#: the merges fall far behind.
_V8: list[MigrationStep] = [
    "INSERT INTO post_search (post_search, rank) VALUES ('automerge', 0)",
    "INSERT INTO post_search (post_search, rank) VALUES ('usermerge', 16)",
    "INSERT INTO post_search (post_search, rank) VALUES ('crisismerge', 64)",
]

#: ``MIGRATIONS[v]`` takes a store at version ``v - 1`` to version ``v``.
MIGRATIONS: dict[int, list[MigrationStep]] = {1: _V1, 2: _V2, 3: _V3, 4: _V4, 5: _V5, 6: _V6, 7: _V7, 8: _V8}

# ---------------------------------------------------------------- connection and versions

#: SQLite's ``synchronous`` modes a store accepts (see ``node.store._store``'s docstring).
SYNCHRONOUS_MODES = ("FULL", "NORMAL", "OFF", "EXTRA")
#: Page cache (KiB when negative) and temporary tables in memory: the sort and the
#: rebuild's copy of the log stay off the disk.
_CONNECTION_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA cache_size = -32000",
    "PRAGMA temp_store = MEMORY",
)

#: The writer never checkpoints inside a commit: a thread of the store does (``_checkpoint``).
WRITER_PRAGMAS = ("PRAGMA wal_autocheckpoint = 0",)
#: A checkpoint that waits for no one: it copies what no reader still needs.
CHECKPOINT = "PRAGMA wal_checkpoint(PASSIVE)"
#: One step of merging the posts' index: about ``?`` pages of merged segments written, and only
#: where some level holds ``usermerge`` (16, version 8) segments (FTS5's ``merge`` command).
MERGE_POST_SEARCH = "INSERT INTO post_search (post_search, rank) VALUES ('merge', ?)"

BEGIN = "BEGIN IMMEDIATE"
#: A read transaction: every statement of one read sees the same committed snapshot.
BEGIN_READ = "BEGIN DEFERRED"
COMMIT = "COMMIT"
ROLLBACK = "ROLLBACK"
#: Changes when another connection commits to the file (SQLite's ``PRAGMA data_version``).
DATA_VERSION = "PRAGMA data_version"
INTEGRITY_CHECK = "PRAGMA integrity_check"


def connect(path: Path, chain_id: int, synchronous: str) -> sqlite3.Connection:
    """Open (or create) the store file at ``path`` for ``chain_id`` and bring its schema up to
    :data:`SCHEMA_VERSION`. Autocommit mode: the store opens its transactions itself.

    Raises :class:`~node.errors.StoreError` when the file holds another chain, has a newer
    schema than this code knows, or SQLite fails.
    """

    def prepare(db: sqlite3.Connection) -> None:
        for pragma in _CONNECTION_PRAGMAS:
            db.execute(pragma)
        db.execute(f"PRAGMA synchronous = {synchronous}")
        for pragma in WRITER_PRAGMAS:
            db.execute(pragma)
        _migrate(db, path, chain_id)

    return _open(str(path), {}, prepare, f"cannot open store {path}")


#: Most read-only connections a store keeps (reads at once); each caches up to READER_CACHE_KIB.
MAX_READERS = 8
READER_CACHE_KIB = 8000


def connect_checkpointer(path: Path, synchronous: str) -> sqlite3.Connection:
    """A connection to the store file at ``path`` (which :func:`connect` opened first) that
    runs checkpoints, syncing the file as the writer's ``synchronous`` mode says."""

    def prepare(db: sqlite3.Connection) -> None:
        db.execute(f"PRAGMA synchronous = {synchronous}")

    return _open(str(path), {}, prepare, f"cannot open store {path} for checkpoints")


def connect_reader(path: Path, busy_timeout: float = 5.0) -> sqlite3.Connection:
    """A read-only connection to the store file at ``path`` (which :func:`connect` opened first).

    WAL lets any number of these read beside the one writer: a reader sees the last commit
    before its read transaction began and never waits for a write or a checkpoint. (Rarely, as
    when another connection recovers the WAL index, a read meets a lock: it waits up to
    ``busy_timeout`` seconds for it.)
    """

    def prepare(db: sqlite3.Connection) -> None:
        db.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
        db.execute("PRAGMA temp_store = MEMORY")

    uri = path.resolve().as_uri() + "?mode=ro"
    return _open(
        uri, {"uri": True, "timeout": busy_timeout}, prepare, f"cannot open store {path} for reading"
    )


def _open(
    target: str, options: dict[str, Any], prepare: Callable[[sqlite3.Connection], None], failure: str
) -> sqlite3.Connection:
    """A connection in autocommit mode, prepared by ``prepare``, or closed again if that fails
    (SQLite's errors become :class:`~node.errors.StoreError` with ``failure``)."""
    try:
        db = sqlite3.connect(target, isolation_level=None, check_same_thread=False, **options)
    except sqlite3.Error as exc:
        raise StoreError(f"{failure}: {exc}") from exc
    try:
        prepare(db)
    except BaseException as exc:
        db.close()
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"{failure}: {exc}") from exc
        raise
    return db


def check_readable(db: sqlite3.Connection, path: Path, chain_id: int) -> None:
    """Raise :class:`~node.errors.StoreError` unless the store at ``path`` (open on ``db``, a
    reader) is at this code's schema and holds ``chain_id``: a process that only reads the
    file never migrates it."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        raise StoreError(f"{path} has schema {version}, not this node's {SCHEMA_VERSION}")
    _check_chain(db, path, chain_id)


def _migrate(db: sqlite3.Connection, path: Path, chain_id: int) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} has schema {version}, newer than this node's {SCHEMA_VERSION}")
    if version < SCHEMA_VERSION:
        db.execute(BEGIN)
        try:
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for step in MIGRATIONS[v]:
                    if callable(step):
                        step(db)
                    else:
                        db.execute(step)
            if version == 0:
                db.execute(UPSERT_META, (META_CHAIN_ID, chain_id))
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute(COMMIT)
        except BaseException:
            db.execute(ROLLBACK)
            raise
    _check_chain(db, path, chain_id)


def _check_chain(db: sqlite3.Connection, path: Path, chain_id: int) -> None:
    row = db.execute(SELECT_META_VALUE, (META_CHAIN_ID,)).fetchone()
    if row is None or row[0] != chain_id:
        raise StoreError(f"{path} holds chain {row and row[0]}, not chain {chain_id}")


# ---------------------------------------------------------------- lookups by many keys

#: Keys per statement when looking many up at once: under SQLite's oldest default limit of
#: 999 host parameters.
CHUNK = 900


def params(n: int) -> str:
    """``n`` comma-separated ``?`` placeholders."""
    return ",".join("?" * n)


def rows_by_ids(db: sqlite3.Connection, sql: str, ids: Sequence[bytes]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (a template with one ``{}`` for a :func:`by_ids` clause) for these ids,
    in chunks; the first column must be the id. Prefix collisions are filtered out here."""
    wanted = set(ids)
    rows: list[tuple[Any, ...]] = []
    for part in _chunks(ids):
        rows += [r for r in db.execute(sql.format(by_ids(len(part))), part) if r[0] in wanted]
    return rows


def rows_in(db: sqlite3.Connection, sql: str, keys: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` (a template with one ``{}`` for :func:`params`) for these keys, in chunks."""
    for part in _chunks(keys):
        yield from db.execute(sql.format(params(len(part))), part)


def _chunks(seq: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), CHUNK):
        yield seq[i : i + CHUNK]


# ---------------------------------------------------------------- meta keys

META_CHAIN_ID = "chain_id"
META_FP_SUM = "fp_sum"  # sum of all ids as little-endian uint256, mod 2**256 (32 bytes)
META_COUNT = "count"
#: The scopes the store keeps (``Scopes.names`` joined by commas), and the configured value
#: (``p2p.scopes``) they were last set from (``Store.serve``).
META_SCOPES = "scopes"
META_SCOPES_CONFIGURED = "scopes_configured"

SELECT_META = "SELECT key, value FROM meta"
SELECT_META_VALUE = "SELECT value FROM meta WHERE key = ?"
UPSERT_META = "INSERT OR REPLACE INTO meta VALUES (?, ?)"
DELETE_META_COUNTERS = f"DELETE FROM meta WHERE key IN ('{META_FP_SUM}', '{META_COUNT}')"

# ---------------------------------------------------------------- statements

INSERT_ACCOUNT = "INSERT INTO accounts (address) VALUES (?)"
SELECT_ACCOUNT = "SELECT n FROM accounts WHERE address = ?"
SELECT_ACCOUNT_ADDRESS = "SELECT address FROM accounts WHERE n = ?"

INSERT_MESSAGE = (
    "INSERT INTO messages (seq, id, ts, type, author, signer, sig, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def by_id(value: str = "?1") -> str:
    """Matches ``messages m`` whose id is ``value`` (a parameter or a column), by the prefix index."""
    return f"substr(m.id, 1, 8) = substr({value}, 1, 8) AND m.id = {value}"


#: ``WHERE`` clause finding the message whose id is parameter 1 through the prefix index.
BY_ID = by_id()


def by_ids(n: int) -> str:
    """``WHERE`` clause for messages whose ids are among ``n`` parameters (filter exact ids after)."""
    return f"substr(m.id, 1, 8) IN ({', '.join(['substr(?, 1, 8)'] * n)})"


def message_columns(ts: str = "m.ts") -> str:
    """The columns of a message row (``store._body.message_from_row``), the timestamp read from
    ``ts``: a copy of ``m.ts`` (``p.ts``) an index orders by, when the rows are sorted by it."""
    return f"m.id, {ts}, m.type, a.address, s.address, m.sig, m.body"


SELECT_MESSAGE_COLUMNS = message_columns()
_FROM_MESSAGES = "messages m JOIN accounts a ON a.n = m.author LEFT JOIN accounts s ON s.n = m.signer"
SELECT_MESSAGE_BY_ID = f"SELECT {SELECT_MESSAGE_COLUMNS} FROM {_FROM_MESSAGES} WHERE {BY_ID}"
SELECT_MESSAGES_BY_IDS = f"SELECT {SELECT_MESSAGE_COLUMNS} FROM {_FROM_MESSAGES} WHERE {{}}"
#: The author of each message among some ids (a reply's parent's author).
SELECT_AUTHORS_BY_IDS = "SELECT m.id, a.address FROM messages m JOIN accounts a ON a.n = m.author WHERE {}"
SELECT_EXISTING = "SELECT m.id, m.seq, m.signer, m.sig FROM messages m WHERE {}"
#: The log in export order (:data:`EXPORT_GROUPS`, defined below with a user's export).
SELECT_ALL_MESSAGES = f"SELECT {SELECT_MESSAGE_COLUMNS} FROM {_FROM_MESSAGES} ORDER BY m.type IN {SIGNER_CODES} DESC, m.ts, m.id"
#: The log in merge order for a rebuild: signer messages, then deletes, then the rest.
SELECT_ALL_MESSAGES_FOR_REBUILD = f"SELECT {SELECT_MESSAGE_COLUMNS} FROM {_FROM_MESSAGES} ORDER BY m.type IN {SIGNER_CODES} DESC, m.type = {POST_DELETE} DESC, m.ts, m.id"
SELECT_AUTHOR_MESSAGES_OF_TYPE = (
    f"SELECT seq, id, ts, body FROM messages WHERE author = ? AND type = ? AND type NOT IN {POST_CODES}"
)
#: A message's place in the log, key, type and author: what dropping it needs (``Writer._drop``).
_DROP_COLUMNS = "seq, id, ts, type, author"
SELECT_DELEGATED = f"SELECT {_DROP_COLUMNS} FROM messages WHERE author = ? AND signer = ?"
DELETE_MESSAGE = "DELETE FROM messages WHERE seq = ?"
UPDATE_SIGNATURE = "UPDATE messages SET signer = ?, sig = ? WHERE seq = ?"
SELECT_POST_AUTHOR = f"SELECT m.seq, m.author, m.ts FROM messages m WHERE {BY_ID} AND m.type IN {POST_CODES}"
#: A thread's ancestors and the post itself (parameter 1), root first, one page (limit ?2,
#: offset ?3). Ids commit to their replyTo, so the walk up cannot loop; it ends at a root or at
#: an ancestor this node does not hold.
SELECT_THREAD_UP = f"""WITH RECURSIVE up(id, depth) AS (
        SELECT ?1, 0
        UNION ALL
        SELECT p.reply_to, up.depth + 1 FROM up JOIN messages m ON {by_id("up.id")}
            JOIN posts p ON p.seq = m.seq WHERE p.reply_to IS NOT NULL)
    SELECT {SELECT_MESSAGE_COLUMNS} FROM up JOIN messages m ON {by_id("up.id")}
        JOIN accounts a ON a.n = m.author LEFT JOIN accounts s ON s.n = m.signer
    WHERE m.type IN {POST_CODES} ORDER BY up.depth DESC LIMIT ?2 OFFSET ?3"""
#: Every reply below the post (parameter 1), oldest first, after (ts, id) = (?2, ?3), limit ?4.
SELECT_THREAD_BELOW = f"""WITH RECURSIVE t(seq, id) AS (
        SELECT m.seq, m.id FROM messages m WHERE {BY_ID}
        UNION
        SELECT p.seq, m.id FROM t JOIN posts p ON p.reply_to = t.id JOIN messages m ON m.seq = p.seq)
    SELECT {SELECT_MESSAGE_COLUMNS} FROM t JOIN messages m ON m.seq = t.seq JOIN accounts a ON a.n = m.author
        LEFT JOIN accounts s ON s.n = m.signer
    WHERE m.type IN {POST_CODES} AND m.id != ?1 AND (m.ts, m.id) > (?2, ?3) ORDER BY m.ts, m.id LIMIT ?4"""
#: After a rebuild: the sync keys of the logged messages (``temp.relog``) that did not merge again.
SELECT_REBUILD_LOST = (
    f"SELECT r.ts, r.id FROM temp.relog r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE {by_id('r.id')})"
)
SELECT_SYNC_KEYS = "SELECT ts, id FROM messages ORDER BY ts, id"
#: The ``messages.type`` codes of the types that belong to a community's scope.
COMMUNITY_SCOPED_CODES = "(" + ", ".join(str(TYPES[t].code) for t in sorted(COMMUNITY_SCOPED)) + ")"
# Each of those types packs ``community`` first (``_body``): a bytes32's length byte (32, as a
# community id is never zero), then its bytes, so the scope is read from the body undecoded.
assert all(
    TYPES[t].fields[2].name == "community" and TYPES[t].fields[2].kind == BYTES32 for t in COMMUNITY_SCOPED
)
#: ``(timestamp, id, scope)`` of every message in the log: its community's id, or ``x''`` (base).
SELECT_SCOPED_SYNC_KEYS = f"""SELECT ts, id,
    CASE WHEN type IN {COMMUNITY_SCOPED_CODES} THEN substr(body, 2, 32) ELSE x'' END FROM messages"""
#: ``(id, community)`` of every community message in the log.
SELECT_COMMUNITY_IDS = f"SELECT id, substr(body, 2, 32) FROM messages WHERE type IN {COMMUNITY_SCOPED_CODES}"
#: ``(seq, community)`` of every community message in the log.
SELECT_COMMUNITY_SEQS = (
    f"SELECT seq, substr(body, 2, 32) FROM messages WHERE type IN {COMMUNITY_SCOPED_CODES}"
)
#: What dropping them needs (``_DROP_COLUMNS``) and the community, of the community messages
#: at the positions among the ``{}`` parameters.
SELECT_COMMUNITY_MESSAGES_AT = f"""SELECT {_DROP_COLUMNS}, substr(body, 2, 32) FROM messages
    WHERE seq IN ({{}}) AND type IN {COMMUNITY_SCOPED_CODES}"""
SELECT_MAX_SEQ = "SELECT coalesce(max(seq), 0) FROM messages"
COUNT_MESSAGES = "SELECT count(*) FROM messages"

UPSERT_PROFILE = """INSERT INTO profiles (author, field, value, ts, mid) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (author, field) DO UPDATE SET value = excluded.value, ts = excluded.ts, mid = excluded.mid
    WHERE (excluded.ts, excluded.value = '', excluded.mid) > (profiles.ts, profiles.value = '', profiles.mid)"""
UPSERT_FOLLOW = """INSERT INTO follows (author, target, active, ts, mid) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (author, target) DO UPDATE SET active = excluded.active, ts = excluded.ts, mid = excluded.mid
    WHERE (excluded.ts, NOT excluded.active, excluded.mid) > (follows.ts, NOT follows.active, follows.mid)"""
UPSERT_REACTION = """INSERT INTO reactions (post, author, kind, active, ts, mid) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (post, author, kind) DO UPDATE SET active = excluded.active, ts = excluded.ts, mid = excluded.mid
    WHERE (excluded.ts, NOT excluded.active, excluded.mid) > (reactions.ts, NOT reactions.active, reactions.mid)"""
INSERT_POST = "INSERT INTO posts (seq, author, ts, reply_to, community) VALUES (?, ?, ?, ?, ?)"
DELETE_POST = "DELETE FROM posts WHERE seq = ?"
INSERT_TOMBSTONE = """INSERT INTO tombstones (post, author, mid) VALUES (?, ?, ?)
    ON CONFLICT (post, author) DO UPDATE SET mid = excluded.mid WHERE excluded.mid < tombstones.mid"""
SELECT_SIGNER = "SELECT live FROM signers WHERE author = ? AND signer = ?"
UPSERT_SIGNER_ADD = """INSERT INTO signers (author, signer, live, ts, mid) VALUES (?, ?, 1, ?, ?)
    ON CONFLICT (author, signer) DO UPDATE SET ts = excluded.ts, mid = excluded.mid
    WHERE signers.live AND (excluded.ts, excluded.mid) < (signers.ts, signers.mid)"""
UPSERT_SIGNER_REMOVE = """INSERT INTO signers (author, signer, live, ts, mid) VALUES (?, ?, 0, ?, ?)
    ON CONFLICT (author, signer) DO UPDATE SET live = 0, ts = excluded.ts, mid = excluded.mid
    WHERE signers.live OR (excluded.ts, excluded.mid) < (signers.ts, signers.mid)"""
DELETE_AUTHOR_PROFILES = "DELETE FROM profiles WHERE author = ?"
DELETE_AUTHOR_FOLLOWS = "DELETE FROM follows WHERE author = ?"
DELETE_AUTHOR_REACTIONS = "DELETE FROM reactions WHERE author = ?"
DELETE_AUTHOR_TOMBSTONES = "DELETE FROM tombstones WHERE author = ?"

UPSERT_CHARTER = """INSERT INTO charters (community, field, founder, handle, value, ts, mid) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (community, field) DO UPDATE SET value = excluded.value, ts = excluded.ts, mid = excluded.mid
    WHERE (excluded.ts, excluded.value = '', excluded.mid) > (charters.ts, charters.value = '', charters.mid)"""
UPSERT_MEMBERSHIP = """INSERT INTO memberships (community, member, active, ts, mid) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (community, member) DO UPDATE SET active = excluded.active, ts = excluded.ts, mid = excluded.mid
    WHERE (excluded.ts, NOT excluded.active, excluded.mid) > (memberships.ts, NOT memberships.active, memberships.mid)"""
UPSERT_MUTE = """INSERT INTO mutes (author, target, kind, active, ts, mid) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (author, target, kind) DO UPDATE SET active = excluded.active, ts = excluded.ts, mid = excluded.mid
    WHERE (excluded.ts, NOT excluded.active, excluded.mid) > (mutes.ts, NOT mutes.active, mutes.mid)"""
UPSERT_REPLY_HIDE = """INSERT INTO reply_hides (post, author, active, ts, mid) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (post, author) DO UPDATE SET active = excluded.active, ts = excluded.ts, mid = excluded.mid
    WHERE (excluded.ts, NOT excluded.active, excluded.mid) > (reply_hides.ts, NOT reply_hides.active, reply_hides.mid)"""
UPSERT_MOD_HIDE = """INSERT INTO mod_hides (community, post, author, reason, active, ts, mid) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (community, post, author) DO UPDATE
        SET reason = excluded.reason, active = excluded.active, ts = excluded.ts, mid = excluded.mid
    WHERE (excluded.ts, NOT excluded.active, excluded.mid) > (mod_hides.ts, NOT mod_hides.active, mod_hides.mid)"""
#: A disclosure is never withdrawn; of two naming the same payer, the smaller id is the row's.
INSERT_DISCLOSURE = """INSERT INTO disclosures (post, author, paid_by, mid) VALUES (?, ?, ?, ?)
    ON CONFLICT (post, author, paid_by) DO UPDATE SET mid = excluded.mid WHERE excluded.mid < disclosures.mid"""
DELETE_AUTHOR_CHARTERS = "DELETE FROM charters WHERE founder = ?"
DELETE_AUTHOR_MEMBERSHIPS = "DELETE FROM memberships WHERE member = ?"
DELETE_AUTHOR_MUTES = "DELETE FROM mutes WHERE author = ?"
DELETE_AUTHOR_REPLY_HIDES = "DELETE FROM reply_hides WHERE author = ?"
DELETE_AUTHOR_MOD_HIDES = "DELETE FROM mod_hides WHERE author = ?"
DELETE_AUTHOR_DISCLOSURES = "DELETE FROM disclosures WHERE author = ?"

INSERT_GRANT = """INSERT INTO grants (seq, post, author, recipient, recipient_key, wrapped, ts, mid)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""
DELETE_GRANT = "DELETE FROM grants WHERE seq = ?"
SELECT_AUTHOR_GRANTS = "SELECT seq, mid, ts FROM grants WHERE post = ? AND author = ?"
SELECT_LIVE_POST_AUTHOR = f"SELECT p.author FROM posts p JOIN messages m ON m.seq = p.seq WHERE {BY_ID}"
#: The grant that counts for (post, author, recipient): last writer wins on (ts, mid).
SELECT_GRANT = f"""SELECT {SELECT_MESSAGE_COLUMNS} FROM grants g JOIN messages m ON m.seq = g.seq
    JOIN accounts a ON a.n = m.author LEFT JOIN accounts s ON s.n = m.signer
    WHERE g.post = ? AND g.author = ? AND g.recipient = ? ORDER BY g.ts DESC, g.mid DESC LIMIT 1"""
#: Every recipient's counting grant for (post, author): address, recipient key, message id.
SELECT_POST_GRANTS = """SELECT r.address, g.recipient_key, g.mid FROM grants g JOIN accounts r ON r.n = g.recipient
    WHERE g.post = ? AND g.author = ? AND NOT EXISTS (
        SELECT 1 FROM grants h WHERE h.post = g.post AND h.author = g.author AND h.recipient = g.recipient
            AND (h.ts, h.mid) > (g.ts, g.mid))
    ORDER BY r.address"""

INSERT_POST_TEXT = "INSERT INTO post_search (rowid, text) VALUES (?, ?)"

# ---------------------------------------------------------------- the writer's memory

SELECT_ALL_IDS = "SELECT id FROM messages"
SELECT_TOMBSTONED_POSTS = "SELECT post FROM tombstones"
#: (post, author) of the tombstones of the posts among the ``{}`` parameters.
SELECT_TOMBSTONES_IN = "SELECT post, author FROM tombstones WHERE post IN ({})"

# ---------------------------------------------------------------- rebuild

#: The log, copied aside in merge order, is merged again into an empty store.
CREATE_RELOG = f"CREATE TEMP TABLE relog AS {SELECT_ALL_MESSAGES_FOR_REBUILD}"
SELECT_RELOG = "SELECT * FROM temp.relog ORDER BY rowid"
DROP_RELOG = "DROP TABLE IF EXISTS temp.relog"
DELETE_LOG = (
    "DELETE FROM messages",
    *(f"DELETE FROM {table}" for table in DERIVED_TABLES),
    DELETE_META_COUNTERS,
)

# ---------------------------------------------------------------- reads

SELECT_PROFILE = "SELECT field, value, ts FROM profiles WHERE author = ? ORDER BY field"
#: One page of an account's followers (``?1``) after follower number ``?2``, ``?3`` rows.
SELECT_FOLLOWERS = """SELECT f.author, a.address, f.ts FROM follows f JOIN accounts a ON a.n = f.author
    WHERE f.target = ? AND f.active AND f.author > ? ORDER BY f.author LIMIT ?"""
#: One page of whom an account (``?1``) follows after target number ``?2``, ``?3`` rows.
SELECT_FOLLOWING = """SELECT f.target, a.address, f.ts FROM follows f JOIN accounts a ON a.n = f.target
    WHERE f.author = ? AND f.active AND f.target > ? ORDER BY f.target LIMIT ?"""
#: Which posts a post page lists: an author's own (parameter: the author)...
POSTS_BY = "p.author = (SELECT n FROM accounts WHERE address = :address)"
#: ... or those of whom a user follows (parameter: the user).
POSTS_FOLLOWED_BY = """p.author IN (SELECT target FROM follows
    WHERE author = (SELECT n FROM accounts WHERE address = :address) AND active)"""


def post_page(where: str) -> str:
    """One page of posts matching ``where`` (about the user ``:address``), newest first, below
    the cursor ``(:ts, :mid)``: ``:limit`` + 1 rows (the extra one says a next page exists).

    In two steps, so the sort runs over bare timestamps, not joined rows: the floor is the
    timestamp of the ``(:limit + 1)``-th post strictly older than the cursor, read from the
    posts index alone (a subquery that does not depend on the row: computed once); every post
    of the page is at or above it (posts at the cursor's own timestamp are always candidates),
    so full rows are fetched, joined and ordered for that thin slice only. One statement, so one
    snapshot without a transaction around it (100,000 stored: 6.8 ms -> 0.24 ms per feed page
    against a plain ``ORDER BY ... LIMIT``)."""
    floor = f"SELECT p.ts FROM posts p WHERE {where} AND p.ts < :ts ORDER BY p.ts DESC LIMIT 1 OFFSET :limit"
    return f"""SELECT {SELECT_MESSAGE_COLUMNS} FROM posts p
        JOIN messages m ON m.seq = p.seq JOIN accounts a ON a.n = m.author LEFT JOIN accounts s ON s.n = m.signer
        WHERE {where} AND p.ts >= coalesce(({floor}), 0) AND (p.ts, m.id) < (:ts, :mid)
        ORDER BY p.ts DESC, m.id DESC LIMIT :limit + 1"""


#: The groups of a user's messages in export order, each by ``(ts, id)``: signer messages
#: first, so an importer merges a delegate's messages after the ``SignerAdd`` that authorises
#: them (and a revoked delegate's never); then everything else.
EXPORT_GROUPS = (SIGNER_TYPE_CODES, tuple(t.code for t in TYPES.values() if t.code not in SIGNER_TYPE_CODES))


def _author_arm(group: int, code: int) -> str:
    """The user's messages of type ``code`` (export group ``group``) after the group's key
    ``(:ts<group>, :id<group>)``, in the order of an index on the author: ``messages_author``,
    or for posts of either type (live ones only) ``posts_author``."""
    if code in (POST, COMMUNITY_POST):
        source, who, ts, of_type = (
            "posts p JOIN messages m ON m.seq = p.seq",
            "p.author",
            "p.ts",
            f"AND m.type = {code}",
        )
    else:  # the partial index's own condition, spelled out: SQLite does not infer it from type = code
        source, who, ts, of_type = (
            "messages m",
            "m.author",
            "m.ts",
            f"AND m.type = {code} AND m.type NOT IN {POST_CODES}",
        )
    return f"""SELECT {message_columns(ts)} FROM {source}
        JOIN accounts a ON a.n = m.author LEFT JOIN accounts s ON s.n = m.signer
        WHERE {who} = (SELECT n FROM accounts WHERE address = :address) {of_type}
            AND {ts} >= :ts{group} AND ({ts}, m.id) > (:ts{group}, :id{group})"""


def _author_group(group: int) -> str:
    """The user's messages of export group ``group`` after its key, by ``(ts, id)``: its types'
    arms merged (each already in that order but for ties on a timestamp), at most ``:limit``."""
    arms = " UNION ALL ".join(_author_arm(group, code) for code in EXPORT_GROUPS[group])
    return f"SELECT * FROM ({arms} ORDER BY 2, 1 LIMIT :limit)"


#: A user's (``:address``) messages in export order (:data:`EXPORT_GROUPS`), after the keys
#: ``(:ts0, :id0)`` in the signer group and ``(:ts1, :id1)`` in the other, at most ``:limit``
#: rows (-1: all), as ``SELECT_MESSAGE_COLUMNS``. One arm per type, each read in order from an
#: index on the author and merged: a page costs its own rows, not all the user signed. The
#: groups follow each other (``UNION ALL``), the second read only when the first runs short.
SELECT_AUTHOR_MESSAGES = (
    " UNION ALL ".join(_author_group(g) for g in range(len(EXPORT_GROUPS))) + " LIMIT :limit"
)

#: Weights of ``profile_search``'s columns in its bm25 rank: a name match counts thrice a bio's.
PROFILE_RANK_WEIGHTS = (3.0, 1.0)
#: Live posts matching the FTS5 query ``:match``, best first (bm25: lower is better; ties by
#: id, so every node holding the same posts ranks them alike), ``:limit`` from ``:offset``,
#: each row ending with the page's ceiling. Only the ``:candidates`` matches this node stored
#: last (the highest ``seq``) at or below the ceiling are ranked: ``:ceiling``, or the newest
#: match when it is NULL (a first page). bm25 costs a few microseconds per match (it reads
#: each one's length): a common word matched 72,000 of 74,000 posts at 500,000 messages and
#: took 250 ms to rank in full. The floor is found walking the matches down from the ceiling,
#: which stops at the ``:candidates``-th, so a query costs at most that many rankings whatever
#: it matches or whatever ceiling a cursor names; the next page's cursor carries the ceiling,
#: so posts stored meanwhile do not shift the pages.
SEARCH_POSTS = f"""WITH top(ceiling) AS (SELECT coalesce(:ceiling,
        (SELECT rowid FROM post_search WHERE post_search MATCH :match ORDER BY rowid DESC LIMIT 1)))
    SELECT {SELECT_MESSAGE_COLUMNS}, bm25(post_search) AS score, (SELECT ceiling FROM top) FROM post_search
    JOIN messages m ON m.seq = post_search.rowid JOIN accounts a ON a.n = m.author LEFT JOIN accounts s ON s.n = m.signer
    WHERE post_search MATCH :match AND post_search.rowid <= (SELECT ceiling FROM top)
        AND post_search.rowid >= coalesce((SELECT rowid FROM post_search WHERE post_search MATCH :match
            AND rowid <= (SELECT ceiling FROM top) ORDER BY rowid DESC LIMIT 1 OFFSET :candidates - 1), 0)
    ORDER BY score, m.id LIMIT :limit OFFSET :offset"""
#: Users whose name or bio match ``:match``, best first, as :data:`SEARCH_POSTS`.
#: Weights of ``community_search``'s columns in its bm25 rank (the id's is unused): a name
#: match counts thrice, a topic twice, the about text once.
COMMUNITY_RANK_WEIGHTS = (0.0, 3.0, 1.0, 2.0)
SEARCH_COMMUNITIES = f"""SELECT community, name, about, topics,
    bm25(community_search, {", ".join(map(str, COMMUNITY_RANK_WEIGHTS))}) AS score FROM community_search
    WHERE community_search MATCH :match ORDER BY score, community LIMIT :limit OFFSET :offset"""
SEARCH_PROFILES = f"""SELECT a.address, profile_search.name, profile_search.bio,
    bm25(profile_search, {", ".join(map(str, PROFILE_RANK_WEIGHTS))}) AS score
    FROM profile_search JOIN accounts a ON a.n = profile_search.rowid
    WHERE profile_search MATCH :match ORDER BY score, a.address LIMIT :limit OFFSET :offset"""

SELECT_POST = SELECT_MESSAGE_BY_ID + f" AND m.type IN {POST_CODES}"
SELECT_REACTION_COUNTS = (
    "SELECT kind, count(*) FROM reactions WHERE post = ? AND active GROUP BY kind ORDER BY kind"
)
SELECT_LIVE_SIGNERS = """SELECT a.address FROM signers s JOIN accounts a ON a.n = s.signer
    WHERE s.author = ? AND s.live ORDER BY a.address"""
#: Every table in a node-independent form (addresses, not row numbers): ``Store.state``.
SELECT_STATE = {
    "messages": """SELECT m.id, m.ts, m.type, a.address, s.address, m.sig, m.body FROM messages m
        JOIN accounts a ON a.n = m.author LEFT JOIN accounts s ON s.n = m.signer ORDER BY m.id""",
    "profiles": """SELECT a.address, field, value, ts, mid FROM profiles JOIN accounts a ON a.n = author
        ORDER BY 1, 2""",
    "follows": """SELECT a.address, b.address, active, ts, mid FROM follows JOIN accounts a ON a.n = author
        JOIN accounts b ON b.n = target ORDER BY 1, 2""",
    "reactions": """SELECT post, a.address, kind, active, ts, mid FROM reactions
        JOIN accounts a ON a.n = author ORDER BY 1, 2, 3""",
    "posts": """SELECT m.id, a.address, p.ts, p.reply_to, p.community FROM posts p JOIN messages m ON m.seq = p.seq
        JOIN accounts a ON a.n = p.author ORDER BY 1""",
    "tombstones": """SELECT post, a.address, mid FROM tombstones JOIN accounts a ON a.n = author ORDER BY 1, 2""",
    "grants": """SELECT g.post, a.address, r.address, g.recipient_key, g.wrapped, g.ts, g.mid FROM grants g
        JOIN accounts a ON a.n = g.author JOIN accounts r ON r.n = g.recipient ORDER BY g.mid""",
    "signers": """SELECT a.address, b.address, live, ts, mid FROM signers JOIN accounts a ON a.n = author
        JOIN accounts b ON b.n = signer ORDER BY 1, 2""",
    "charters": """SELECT community, field, a.address, handle, value, ts, mid FROM charters
        JOIN accounts a ON a.n = founder ORDER BY 1, 2""",
    "memberships": """SELECT community, a.address, active, ts, mid FROM memberships
        JOIN accounts a ON a.n = member ORDER BY 1, 2""",
    "membership_log": """SELECT l.community, a.address, l.active, l.ts, l.mid FROM membership_log l
        JOIN accounts a ON a.n = l.member ORDER BY l.mid""",
    "mutes": """SELECT a.address, b.address, kind, active, ts, mid FROM mutes JOIN accounts a ON a.n = author
        JOIN accounts b ON b.n = target ORDER BY 1, 2, 3""",
    "reply_hides": """SELECT post, a.address, active, ts, mid FROM reply_hides
        JOIN accounts a ON a.n = author ORDER BY 1, 2""",
    "mod_hides": """SELECT community, post, a.address, reason, active, ts, mid FROM mod_hides
        JOIN accounts a ON a.n = author ORDER BY 1, 2, 3""",
    "disclosures": """SELECT post, a.address, b.address, mid FROM disclosures JOIN accounts a ON a.n = author
        JOIN accounts b ON b.n = paid_by ORDER BY 1, 2, 3""",
}

# ---------------------------------------------------------------- communities and moderation

#: A community's charter, field by field, with its founder and handle.
SELECT_CHARTER = """SELECT c.field, c.value, c.ts, a.address, c.handle FROM charters c
    JOIN accounts a ON a.n = c.founder WHERE c.community = ? ORDER BY c.field"""
#: Every community with a charter: id, founder, handle, name, topics, last change; a page by id
#: after ``?1``, ``?2`` rows.
SELECT_COMMUNITIES = """SELECT c.community, a.address, c.handle,
        max(CASE WHEN c.field = 'name' THEN c.value END), max(CASE WHEN c.field = 'topics' THEN c.value END),
        max(c.ts)
    FROM charters c JOIN accounts a ON a.n = c.founder
    WHERE c.community > ?1 GROUP BY c.community ORDER BY c.community LIMIT ?2"""
#: One page of a community's members now (active memberships) after member number ``?2``.
SELECT_MEMBERS = """SELECT m.member, a.address, m.ts FROM memberships m JOIN accounts a ON a.n = m.member
    WHERE m.community = ?1 AND m.active AND m.member > ?2 ORDER BY m.member LIMIT ?3"""
COUNT_MEMBERS = "SELECT count(*) FROM memberships WHERE community = ? AND active"
#: The communities a user is a member of now.
SELECT_MEMBER_OF = """SELECT community, ts FROM memberships
    WHERE member = (SELECT n FROM accounts WHERE address = ?) AND active ORDER BY community"""
#: Posts naming a community since a timestamp by its members now: how many, by how many authors
#: (posts by anyone else cost nothing to make, so they do not count as activity).
COUNT_COMMUNITY_POSTS_SINCE = """SELECT count(*), count(DISTINCT p.author) FROM posts p
    JOIN memberships ms ON ms.community = p.community AND ms.member = p.author AND ms.active
    WHERE p.community = ?1 AND p.ts >= ?2"""
#: The communities with the most posts by their members since ``?1``, most first, ``?2`` of them.
SELECT_ACTIVE_COMMUNITIES = """SELECT p.community FROM posts p
    JOIN memberships ms ON ms.community = p.community AND ms.member = p.author AND ms.active
    WHERE p.community IS NOT NULL AND p.ts >= ?1 GROUP BY p.community ORDER BY count(*) DESC, p.community LIMIT ?2"""
#: The communities whose charter lists a topic (``?1``), by id.
SELECT_COMMUNITIES_OF_TOPIC = """SELECT community FROM charters WHERE field = 'topics'
    AND ',' || value || ',' LIKE '%,' || ?1 || ',%' ORDER BY community"""
#: The ids of the posts naming a community since a timestamp by its members now.
SELECT_COMMUNITY_POST_IDS_SINCE = """SELECT m.id FROM posts p JOIN messages m ON m.seq = p.seq
    JOIN memberships ms ON ms.community = p.community AND ms.member = p.author AND ms.active
    WHERE p.community = ?1 AND p.ts >= ?2"""
#: ... those naming a community the user is a member of now (parameter: the user).
POSTS_IN_COMMUNITIES_OF = """p.community IN (SELECT community FROM memberships
    WHERE member = (SELECT n FROM accounts WHERE address = :address) AND active)"""
#: How many distinct users but its author react to each post among the ``{}`` parameters.
SELECT_REACTORS_IN = f"""SELECT r.post, count(DISTINCT r.author) FROM reactions r JOIN messages m ON {by_id("r.post")}
    WHERE r.active AND r.post IN ({{}}) AND r.author != m.author GROUP BY r.post"""
#: How many distinct users but its author reply to each post among the ``{}`` parameters.
SELECT_REPLIERS_IN = f"""SELECT p.reply_to, count(DISTINCT p.author) FROM posts p JOIN messages m ON {by_id("p.reply_to")}
    WHERE p.reply_to IN ({{}}) AND p.author != m.author GROUP BY p.reply_to"""
#: Which posts a post page lists: those naming a community (parameter: the community).
POSTS_IN_COMMUNITY = "p.community = :community"
#: The membership message that decides whether user ``?2`` (20 bytes) was a member of
#: community ``?1`` at time ``?3``: the last writer at or before it, as last-writer-wins orders
#: (newer, then leaving, then the larger id). One lookup in ``membership_log_member``.
SELECT_MEMBERSHIP_AT = """SELECT l.active FROM membership_log l
    WHERE l.community = ?1 AND l.member = (SELECT n FROM accounts WHERE address = ?2) AND l.ts <= ?3
    ORDER BY l.ts DESC, NOT l.active DESC, l.mid DESC LIMIT 1"""
INSERT_MEMBERSHIP_LOG = """INSERT INTO membership_log (seq, community, member, active, ts, mid)
    VALUES (?, ?, ?, ?, ?, ?)"""
DELETE_MEMBERSHIP_LOG = "DELETE FROM membership_log WHERE seq = ?"
#: What leaves with a message dropped from the log (a revoked delegate's): its row and the rows
#: keyed by its log position.
DELETE_BY_SEQ = (DELETE_MESSAGE, DELETE_POST, DELETE_GRANT, DELETE_MEMBERSHIP_LOG)
#: Active moderator hides of posts (the ``{}`` parameters, after ``?1``: the community).
SELECT_MOD_HIDES_IN = """SELECT h.post, a.address, h.reason, h.ts FROM mod_hides h JOIN accounts a ON a.n = h.author
    WHERE h.community = ?1 AND h.active AND h.post IN ({})"""
#: Active reply hides of posts among the ``{}`` parameters: post, who hid it.
SELECT_REPLY_HIDES_IN = """SELECT h.post, a.address FROM reply_hides h JOIN accounts a ON a.n = h.author
    WHERE h.active AND h.post IN ({})"""
#: A user's (``?``) active mutes and blocks: target, kind.
SELECT_MUTES_OF = """SELECT a.address, m.kind FROM mutes m JOIN accounts a ON a.n = m.target
    WHERE m.author = (SELECT n FROM accounts WHERE address = ?) AND m.active"""
#: Active blocks by the users among the first ``{}`` parameters (addresses, 20 bytes) of the
#: users among the second: blocker, blocked. Each pair is a lookup by the primary key.
SELECT_BLOCKS_AMONG = """SELECT a.address, b.address FROM accounts a JOIN mutes m ON m.author = a.n
    JOIN accounts b ON b.n = m.target
    WHERE a.address IN ({}) AND b.address IN ({}) AND m.kind = 'block' AND m.active"""
#: Paid-partnership disclosures of posts among the ``{}`` parameters: post, discloser, payer.
SELECT_DISCLOSURES_IN = """SELECT d.post, a.address, b.address FROM disclosures d JOIN accounts a ON a.n = d.author
    JOIN accounts b ON b.n = d.paid_by WHERE d.post IN ({}) ORDER BY d.post, b.address"""

# ---------------------------------------------------------------- engagement (discovery)


def _engagement(posts_engaged: str, engagements: str, scoped: bool) -> str:
    """Per (post author, engager): the last engagement since ``?1`` with one of the author's live
    posts (only those of the communities in ``temp.scope`` when ``scoped``), the author's own
    left out, as raw addresses. In steps, each materialised once: the posts engaged with
    (``posts_engaged``, from the engagement table's own scan), their authors (one id lookup per
    post, not per engagement), then the engagements of those posts (``engagements``, alias
    ``e``), grouped by account number, and only then addresses."""
    scope = "JOIN posts p ON p.seq = m.seq AND p.community IN temp.scope" if scoped else ""
    return f"""WITH engaged AS MATERIALIZED (
            SELECT m.id AS post, m.author AS creator FROM ({posts_engaged}) d
            CROSS JOIN messages m ON {by_id("d.post")} {scope} WHERE m.type IN {POST_CODES}),
        pairs AS MATERIALIZED (
            SELECT engaged.creator, e.author AS engager, max(e.ts) AS ts FROM engaged CROSS JOIN {engagements}
            AND e.author != engaged.creator GROUP BY engaged.creator, e.author)
        SELECT c.address, a.address, pairs.ts FROM pairs
            JOIN accounts c ON c.n = pairs.creator JOIN accounts a ON a.n = pairs.engager"""


_REACTED = "SELECT DISTINCT post FROM reactions WHERE active AND ts >= ?1"
_REACTIONS = "reactions e ON e.post = engaged.post WHERE e.active AND e.ts >= ?1"
_REPLIED = "SELECT DISTINCT reply_to AS post FROM posts WHERE reply_to IS NOT NULL AND ts >= ?1"
_REPLIES = "posts e ON e.reply_to = engaged.post WHERE e.ts >= ?1"
#: Per (post author, reactor): the last active reaction since ``?1`` to one of the author's
#: live posts; ``_IN_SCOPE``: to one of the posts of the communities in ``temp.scope``.
ENGAGEMENT_REACTIONS = _engagement(_REACTED, _REACTIONS, scoped=False)
ENGAGEMENT_REACTIONS_IN_SCOPE = _engagement(_REACTED, _REACTIONS, scoped=True)
#: Per (post author, replier): the last live reply since ``?1``, as the reactions.
ENGAGEMENT_REPLIES = _engagement(_REPLIED, _REPLIES, scoped=False)
ENGAGEMENT_REPLIES_IN_SCOPE = _engagement(_REPLIED, _REPLIES, scoped=True)
#: The communities whose charter's ``topics`` (comma-separated) list the topic ``?``.
SELECT_TOPIC_COMMUNITIES = """SELECT community FROM charters
    WHERE field = 'topics' AND instr(',' || value || ',', ',' || ? || ',') > 0 ORDER BY community"""
#: The communities a scoped engagement read counts (a temporary table of the reading connection).
CREATE_SCOPE = "CREATE TEMP TABLE scope (community BLOB PRIMARY KEY) WITHOUT ROWID"
INSERT_SCOPE = "INSERT OR IGNORE INTO temp.scope (community) VALUES (?)"
DROP_SCOPE = "DROP TABLE IF EXISTS temp.scope"
#: How many follow each of the accounts (raw addresses) among the ``{}`` parameters now.
FOLLOWER_COUNTS = """SELECT a.address, count(*) FROM accounts a JOIN follows f ON f.target = a.n AND f.active
    WHERE a.address IN ({}) GROUP BY a.n"""
#: Accounts that vouch (discovery: a history on chain), in a temporary table of the reading
#: connection for one read; :data:`VOUCHES` counts, for each account among the ``{}``
#: parameters, how many of them follow it now.
CREATE_VOUCHERS = "CREATE TEMP TABLE vouchers (address BLOB PRIMARY KEY) WITHOUT ROWID"
INSERT_VOUCHER = "INSERT OR IGNORE INTO temp.vouchers (address) VALUES (?)"
DROP_VOUCHERS = "DROP TABLE IF EXISTS temp.vouchers"
VOUCHES = """SELECT t.address, count(*) FROM accounts t JOIN follows f ON f.target = t.n AND f.active
    JOIN accounts v ON v.n = f.author WHERE t.address IN ({}) AND v.address IN temp.vouchers GROUP BY t.n"""
