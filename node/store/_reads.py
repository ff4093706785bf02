"""The store's reads: messages by id, sync keys, export (a user's also a page at a time), and
the queries the API serves (profile, followers, feed, thread, reactions, grants, signers), with
their cursors.

:class:`Reads` is the read half of :class:`~node.store.Store`. Reads do not take the store's
lock: each runs in a read transaction on a read-only connection of its own (a small pool, one
per read running at the same time), so in WAL mode a feed page never waits behind an ingest's
merge, its commit or a checkpoint, and sees one committed snapshot.

The event loop's thread serves the API's reads itself (see :mod:`node.api`), so it keeps a
connection of its own (:meth:`Reads.keep_reader`), outside the pool, and with a budget: SQLite
checks the clock every few thousand steps, and a read that runs past ``budget`` seconds, or
would wait on a lock, is abandoned with :class:`ReadOverBudget`, for the caller to run again in
a worker thread. Most reads are bounded by their page size, but some grow with data anyone can
create (a thread with a hundred thousand replies, a user following fifty thousand accounts): on
the loop those would stall every task. Every statement is in ``schema``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..errors import InvalidInput, StoreError
from ..fingerprint import fingerprint_of
from ..messages import SignedMessage, checksum_address, encode_message
from ..messages.scope import BASE
from . import schema as S
from ._body import read_message
from ._community_reads import CommunityReads
from ._engagement import read_engagement
from ._search import SearchKind, SearchRules, match_expression, next_cursor, position_of, search_rows
from ._views import CommunityHit, FollowEdge, Page, PostHit, Profile, ProfileHit, StoreEngagement, SyncKey

R = TypeVar("R")

_UP = "up."
#: The cursor of a thread page that starts at its first reply.
_THREAD_START = "0."
#: The prefix of a cursor of :meth:`Reads.messages_by` inside the signer group.
_SIGNER_GROUP = "s."
#: Where a newest-first listing starts: above every (timestamp, id).
_NEWEST = ((1 << 63) - 1, b"\xff" * 32)
#: SQLite virtual-machine steps between two looks at the clock by a budgeted read (a few
#: hundred microseconds of work: the look itself takes the GIL, so not much more often).
BUDGET_CHECK_STEPS = 20_000


class ReadOverBudget(Exception):
    """A read on a budgeted connection (:meth:`Reads.keep_reader`) ran past its budget or met a
    lock: nothing was returned; run it again in a worker thread, where it may take its time."""


def _cursor(ts: int, mid: bytes) -> str:
    return f"{ts}.{mid.hex()}"


def _bad_cursor(cursor: str) -> InvalidInput:
    return InvalidInput(f"cursor: {cursor!r} is not a cursor this node issued")


def _cursor_int(text: str, cursor: str) -> int:
    """A cursor's integer part, within SQLite's signed 64-bit range (else InvalidInput)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 1 << 63:
        raise _bad_cursor(cursor)
    return value


def _cursor_key(cursor: str) -> tuple[int, bytes]:
    """The ``(timestamp, id)`` a ``<ts>.<id hex>`` cursor names."""
    ts, _, mid = cursor.partition(".")
    try:
        return _cursor_int(ts, cursor), bytes.fromhex(mid)
    except ValueError:
        raise _bad_cursor(cursor) from None


def _thread_cursor(cursor: str | None) -> tuple[int | None, tuple[int, bytes]]:
    """``(ancestors served, None)`` while paging up, else ``(None, (ts, id) of the last reply served)``."""
    if cursor is None:
        return 0, (-1, b"")
    if cursor.startswith(_UP):
        return _cursor_int(cursor[len(_UP) :], cursor), (-1, b"")
    return None, _cursor_key(cursor)


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise InvalidInput("limit must be at least 1")


def _parse_address(address: str) -> bytes:
    try:
        return bytes.fromhex(address.removeprefix("0x"))
    except ValueError:
        raise InvalidInput(f"address: {address!r} is not an address") from None


@dataclass
class _KeptReader:
    db: sqlite3.Connection
    budget: float
    #: When the read in progress must end (the connection's progress handler compares).
    deadline: float = 0.0

    def over_budget(self) -> bool:
        return time.perf_counter() > self.deadline


def _abandoned(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite stopped a read for its budget (interrupted) or because it would wait."""
    primary = exc.sqlite_errorcode & 0xFF  # an extended code (SQLITE_BUSY_RECOVERY, ...) to its class
    return primary in (sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Reads(CommunityReads):
    """Queries over the store file (mixed into :class:`~node.store.Store`)."""

    chain_id: int
    path: Path

    def _open_readers(self) -> None:
        #: Idle read-only connections; a read takes one (or opens one) and gives it back.
        self._idle_readers: list[sqlite3.Connection] = []
        self._all_readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        #: At most this many reads at once (each on its own connection); more wait their turn.
        self._reader_slots = threading.BoundedSemaphore(S.MAX_READERS)
        #: ``.reader``: the calling thread's kept connection (:meth:`keep_reader`), if any.
        self._kept = threading.local()
        self._readers_closed = False

    def keep_reader(self, budget: float) -> None:
        """Give the calling thread a read-only connection of its own, outside the pool, for as
        long as the store is open, on which each read may take at most ``budget`` seconds of
        SQLite's time and never waits on a lock: one over that raises :class:`ReadOverBudget`.
        The node's event-loop thread takes one: any wait there stalls every task."""
        if getattr(self._kept, "reader", None) is not None:
            raise StoreError("this thread already keeps a reader")
        db = S.connect_reader(self.path, busy_timeout=0)
        kept = _KeptReader(db, budget)
        db.set_progress_handler(kept.over_budget, BUDGET_CHECK_STEPS)
        with self._readers_lock:
            if self._readers_closed:
                db.close()
                raise StoreError(f"the store {self.path} is closed")
            self._all_readers.append(db)
        self._kept.reader = kept

    def _close_readers(self) -> None:
        with self._readers_lock:
            self._readers_closed = True
            for db in self._all_readers:
                db.close()
            self._all_readers.clear()
            self._idle_readers.clear()

    def _read(self, fn: Callable[[sqlite3.Connection], R], *, one_statement: bool = False) -> R:
        """``fn(db)`` in one read transaction on the calling thread's kept connection, else a
        pooled one (``fn`` must not read through the store again: it would take a second
        connection and another snapshot). When ``fn`` runs ``one_statement``, that statement is
        its own snapshot, and the transaction around it is left out: two fewer round trips into
        SQLite, each of which gives the GIL away and waits to take it back."""
        kept: _KeptReader | None = getattr(self._kept, "reader", None)
        if kept is not None:
            kept.deadline = time.perf_counter() + kept.budget
            try:
                return self._read_transaction(kept.db, fn, one_statement)
            except StoreError as exc:
                if isinstance(exc.__cause__, sqlite3.OperationalError) and _abandoned(exc.__cause__):
                    raise ReadOverBudget(str(exc.__cause__)) from None
                raise
        with self._reader_slots:
            db = self._take_reader()
            try:
                return self._read_transaction(db, fn, one_statement)
            finally:
                self._give_back(db)

    def _read_transaction(
        self, db: sqlite3.Connection, fn: Callable[[sqlite3.Connection], R], one_statement: bool
    ) -> R:
        try:
            if self._readers_closed:
                raise StoreError(f"the store {self.path} is closed")
            if one_statement:
                return fn(db)
            db.execute(S.BEGIN_READ)
            try:
                return fn(db)
            finally:
                db.execute(S.COMMIT)
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc

    def _take_reader(self) -> sqlite3.Connection:
        with self._readers_lock:
            if self._readers_closed:
                raise StoreError(f"the store {self.path} is closed")
            if self._idle_readers:
                return self._idle_readers.pop()
        db = S.connect_reader(self.path)  # outside the lock: opening a file takes a while
        with self._readers_lock:
            if self._readers_closed:
                db.close()
                raise StoreError(f"the store {self.path} is closed")
            self._all_readers.append(db)
        return db

    def _give_back(self, db: sqlite3.Connection) -> None:
        with self._readers_lock:
            if not self._readers_closed:
                self._idle_readers.append(db)

    def _message(self, row: tuple[Any, ...]) -> SignedMessage:
        return read_message(self.chain_id, row)

    def _account_lookup(self, db: sqlite3.Connection, address: str) -> int | None:
        row = db.execute(S.SELECT_ACCOUNT, (_parse_address(address),)).fetchone()
        return None if row is None else int(row[0])

    # ------------------------------------------------------------------ messages

    def get(self, id: bytes) -> SignedMessage | None:
        """The message with this id, or ``None``."""
        row = self._read(lambda db: db.execute(S.SELECT_MESSAGE_BY_ID, (id,)).fetchone())
        return None if row is None else self._message(row)

    def get_many(self, ids: Iterable[bytes]) -> list[SignedMessage]:
        """The messages with these ids, in the order asked; unknown ids are skipped."""
        ids = list(ids)
        found = self._read(
            lambda db: {row[0]: row for row in S.rows_by_ids(db, S.SELECT_MESSAGES_BY_IDS, ids)}
        )
        return [self._message(found[i]) for i in ids if i in found]

    def get_encoded(self, ids: Iterable[bytes]) -> list[bytes]:
        """Wire forms of the messages with these ids, in the order asked; unknown ids are skipped."""
        return [encode_message(m) for m in self.get_many(ids)]

    def scope_summary(self) -> dict[bytes, tuple[int, bytes]]:
        """``scope: (messages, fingerprint)`` for the base scope (``b""``) and each community
        the log holds messages of (``node.messages.scope``); a scope's fingerprint is the
        store's (:meth:`Store.fingerprint`) over its messages alone, so two nodes hold the same
        messages of a scope exactly when they agree. One snapshot: the log's counters, and one
        scan of its community messages' ids and first bytes (the base scope is the rest)."""

        def q(db: sqlite3.Connection) -> tuple[dict[str, Any], list[tuple[bytes, bytes]]]:
            return dict(db.execute(S.SELECT_META).fetchall()), db.execute(S.SELECT_COMMUNITY_IDS).fetchall()

        meta, rows = self._read(q)
        sums: dict[bytes, list[int]] = {}  # community -> [id sum, count]
        from_bytes = int.from_bytes
        for id_, community in rows:
            held = sums.setdefault(bytes(community), [0, 0])
            held[0] += from_bytes(id_, "little")
            held[1] += 1
        total = int(meta.get(S.META_COUNT, 0)) - sum(n for _, n in sums.values())
        base = int.from_bytes(meta.get(S.META_FP_SUM, bytes(32)), "little") - sum(s for s, _ in sums.values())
        return {
            BASE: (total, fingerprint_of(base, total)),
            **{scope: (n, fingerprint_of(id_sum, n)) for scope, (id_sum, n) in sums.items()},
        }

    def scoped_sync_keys(self) -> list[tuple[SyncKey, bytes]]:
        """``((timestamp, id), scope)`` of every message in the log, unordered: the sync keys
        (:meth:`sync_keys`) with the scope each message belongs to (``b""``: base)."""
        rows = self._read(lambda db: db.execute(S.SELECT_SCOPED_SYNC_KEYS).fetchall())
        return [((ts, bytes(id_)), bytes(scope)) for ts, id_, scope in rows]

    def sync_keys(self) -> list[SyncKey]:
        """``(timestamp, id)`` of every message in the log, ascending.

        Messages dropped by a signer's revocation and posts deleted by their author are not in
        the log, so they are not keys; tombstoning ``PostDelete`` messages and the
        ``SignerRemove`` itself are.
        """
        return self._read(lambda db: db.execute(S.SELECT_SYNC_KEYS).fetchall())

    def export(self, author: str | None = None) -> Iterator[bytes]:
        """Wire forms of every message (or every message by ``author``), signer messages first.

        That order lets an importer merge delegated messages after their ``SignerAdd``. A
        user's are in the order of :meth:`messages_by`'s pages, read here in one snapshot.
        """
        if author is None:
            rows = self._read(lambda db: db.execute(S.SELECT_ALL_MESSAGES).fetchall())
        else:
            rows = self._author_messages(author, None, -1)
        for row in rows:
            yield encode_message(self._message(row))

    def messages_by(
        self, address: str, *, limit: int = 100, cursor: str | None = None
    ) -> Page[SignedMessage]:
        """Every live message ``address`` authored, one page at a time, in export order
        (:data:`~.schema.EXPORT_GROUPS`): imported page after page, they all merge."""
        _check_limit(limit)
        rows = self._author_messages(address, cursor, limit + 1)
        items = [self._message(row) for row in rows[:limit]]
        if len(rows) <= limit:
            return Page(items, None)
        mid, ts, code, *_ = rows[limit - 1]
        return Page(items, (_SIGNER_GROUP if code in S.EXPORT_GROUPS[0] else "") + _cursor(ts, mid))

    def _author_messages(self, address: str, cursor: str | None, limit: int) -> list[tuple[Any, ...]]:
        """Rows of ``schema.SELECT_AUTHOR_MESSAGES`` after ``cursor`` (a :meth:`messages_by`
        cursor, ``None``: from the first), at most ``limit`` (-1: all)."""
        if cursor is None:
            keys = {"ts0": -1, "id0": b"", "ts1": -1, "id1": b""}
        elif cursor.startswith(_SIGNER_GROUP):
            ts, mid = _cursor_key(cursor[len(_SIGNER_GROUP) :])
            keys = {"ts0": ts, "id0": mid, "ts1": -1, "id1": b""}
        else:  # past the signer group
            ts, mid = _cursor_key(cursor)
            keys = {"ts0": _NEWEST[0], "id0": _NEWEST[1], "ts1": ts, "id1": mid}
        params = {"address": _parse_address(address), "limit": limit, **keys}
        return self._read(
            lambda db: db.execute(S.SELECT_AUTHOR_MESSAGES, params).fetchall(), one_statement=True
        )

    # ------------------------------------------------------------------ profiles and follows

    def profile(self, address: str) -> Profile | None:
        """The user's profile, or ``None`` when they never set a field."""

        def q(db: sqlite3.Connection) -> Profile | None:
            n = self._account_lookup(db, address)
            rows = [] if n is None else db.execute(S.SELECT_PROFILE, (n,)).fetchall()
            if not rows:
                return None
            return Profile(
                checksum_address(_parse_address(address)),
                {f: v for f, v, _ in rows if v},
                max(ts for _, _, ts in rows),
            )

        return self._read(q)

    def followers(self, address: str, *, limit: int = 100, cursor: str | None = None) -> Page[FollowEdge]:
        """Who follows ``address`` now, one page at a time."""
        return self._edges(address, limit, cursor, followers=True)

    def following(self, address: str, *, limit: int = 100, cursor: str | None = None) -> Page[FollowEdge]:
        """Whom ``address`` follows now, one page at a time."""
        return self._edges(address, limit, cursor, followers=False)

    def _edges(self, address: str, limit: int, cursor: str | None, followers: bool) -> Page[FollowEdge]:
        _check_limit(limit)
        after = _cursor_int(cursor, cursor) if cursor else 0

        def q(db: sqlite3.Connection) -> Page[FollowEdge]:
            n = self._account_lookup(db, address)
            if n is None:
                return Page([], None)
            rows = db.execute(
                S.SELECT_FOLLOWERS if followers else S.SELECT_FOLLOWING, (n, after, limit + 1)
            ).fetchall()
            me = checksum_address(_parse_address(address))
            items = [
                FollowEdge(checksum_address(raw), me, ts)
                if followers
                else FollowEdge(me, checksum_address(raw), ts)
                for _, raw, ts in rows[:limit]
            ]
            return Page(items, str(rows[limit - 1][0]) if len(rows) > limit else None)

        return self._read(q)

    # ------------------------------------------------------------------ posts

    def posts(self, address: str, *, limit: int = 50, cursor: str | None = None) -> Page[SignedMessage]:
        """The user's live posts (replies included), newest first."""
        return self._post_page(S.POSTS_BY, {"address": _parse_address(address)}, limit, cursor)

    def feed(self, address: str, *, limit: int = 50, cursor: str | None = None) -> Page[SignedMessage]:
        """Home feed: live posts by the users ``address`` follows, newest first, but for the
        authors ``address`` mutes or blocks."""
        return self._post_page(S.POSTS_FOLLOWED_BY, {"address": _parse_address(address)}, limit, cursor)

    def _post_page(
        self, where: str, params: dict[str, Any], limit: int, cursor: str | None
    ) -> Page[SignedMessage]:
        """A page of the posts matching ``where`` (with its ``params``), newest first."""
        _check_limit(limit)
        ts, mid = _NEWEST if cursor is None else _cursor_key(cursor)

        sql = S.post_page(where)
        params = {**params, "ts": ts, "mid": mid, "limit": limit}
        rows = self._read(lambda db: db.execute(sql, params).fetchall(), one_statement=True)
        items = [self._message(r) for r in rows[:limit]]
        return Page(items, _cursor(items[-1].timestamp, items[-1].id) if len(rows) > limit else None)

    def thread(
        self, post_id: bytes, *, limit: int = 100, cursor: str | None = None
    ) -> Page[SignedMessage] | None:
        """A post's thread, one page at a time, or ``None`` when the post is not live here.

        Order: the post's ancestors (root first) and the post itself, then every reply below
        it, oldest first by ``(timestamp, id)``. Posts missing from this node (deleted, not
        yet synced) are skipped, and an ancestor missing ends the walk up. Cursors: ``up.<n>``
        while the ancestors are being paged (how many of them and the post were served), then
        the ``(timestamp, id)`` of the last reply served, as the other lists' cursors.
        """
        _check_limit(limit)
        up, after = _thread_cursor(cursor)

        def q(db: sqlite3.Connection) -> tuple[list[tuple[Any, ...]], str | None] | None:
            if db.execute(S.SELECT_POST, (post_id,)).fetchone() is None:
                return None
            rows: list[tuple[Any, ...]] = []
            if up is not None:
                rows = db.execute(S.SELECT_THREAD_UP, (post_id, limit + 1, up)).fetchall()
                if len(rows) > limit:
                    return rows[:limit], f"{_UP}{up + limit}"
            below = db.execute(S.SELECT_THREAD_BELOW, (post_id, *after, limit - len(rows) + 1)).fetchall()
            room = limit - len(rows)
            if len(below) > room:
                last = below[room - 1] if room else None
                # A full page of ancestors ends right where the replies start: from the first one.
                return rows + below[:room], _THREAD_START if last is None else _cursor(last[1], last[0])
            return rows + below, None

        found = self._read(q)
        if found is None:
            return None
        rows, nxt = found
        return Page([self._message(r) for r in rows], nxt)

    def reactions(self, post_id: bytes) -> dict[str, int]:
        """Active reaction counts on a post, by kind."""
        return dict(self._read(lambda db: db.execute(S.SELECT_REACTION_COUNTS, (post_id,)).fetchall()))

    # ------------------------------------------------------------------ search

    def search_posts(
        self, text: str, *, limit: int = 20, cursor: str | None = None, rules: SearchRules = SearchRules()
    ) -> Page[PostHit]:
        """Live posts whose text matches every word of ``text`` (as prefixes), best first (see
        ``_search``). Raises :class:`~node.errors.InvalidInput` for a query ``rules`` refuse."""
        rows, nxt = self._search("posts", text, limit, cursor, rules)
        return Page([PostHit(self._message(r[:-1]), -r[-1]) for r in rows], nxt)

    def search_profiles(
        self, text: str, *, limit: int = 20, cursor: str | None = None, rules: SearchRules = SearchRules()
    ) -> Page[ProfileHit]:
        """Users whose name or bio matches every word of ``text``, best first (a name match
        weighs more), as :meth:`search_posts`."""
        rows, nxt = self._search("profiles", text, limit, cursor, rules)
        return Page([ProfileHit(checksum_address(a), name, bio, -score) for a, name, bio, score in rows], nxt)

    def search_communities(
        self, text: str, *, limit: int = 20, cursor: str | None = None, rules: SearchRules = SearchRules()
    ) -> Page[CommunityHit]:
        """Communities whose charter's name, about or topics match every word of ``text``, best
        first (a name match weighs most), as :meth:`search_posts`."""
        rows, nxt = self._search("communities", text, limit, cursor, rules)
        hits = [
            CommunityHit(bytes.fromhex(c), name, about, topics, -score)
            for c, name, about, topics, score in rows
        ]
        return Page(hits, nxt)

    def _search(
        self, kind: SearchKind, text: str, limit: int, cursor: str | None, rules: SearchRules
    ) -> tuple[list[Any], str | None]:
        _check_limit(limit)
        match, (offset, ceiling) = match_expression(text, rules), position_of(cursor, rules)
        rows, ceiling = self._read(
            lambda db: search_rows(db, kind, match, (limit, offset, ceiling), rules), one_statement=True
        )
        return rows[:limit], next_cursor(offset, limit, len(rows) > limit, rules, ceiling)

    # ------------------------------------------------------------------ engagement

    def creator_engagement(
        self,
        since: int,
        *,
        creators: Collection[bytes] = (),
        vouchers: Collection[bytes] = (),
        communities: Collection[bytes] | None = None,
    ) -> StoreEngagement:
        """Replies and reactions to live posts since ``since`` (a timestamp; only to the posts
        of ``communities`` unless ``None``), the follower counts of their creators and of
        ``creators``, and how many of ``vouchers`` follow each engager who is not one: the facts
        discovery ranks by (``_engagement``), in one snapshot. Addresses are raw 20 bytes."""
        return self._read(lambda db: read_engagement(db, since, creators, vouchers, communities))

    def communities_with_topic(self, topic: str) -> list[bytes]:
        """The ids of the communities whose charters list ``topic`` now."""
        return [
            r[0] for r in self._read(lambda db: db.execute(S.SELECT_TOPIC_COMMUNITIES, (topic,)).fetchall())
        ]

    # ------------------------------------------------------------------ grants and signers

    def _grant_author(self, db: sqlite3.Connection, post_id: bytes) -> int | None:
        """The author of ``post_id`` when it is live here and gated, else ``None``."""
        row = db.execute(S.SELECT_LIVE_POST_AUTHOR, (post_id,)).fetchone()
        if row is None:
            return None
        post = db.execute(S.SELECT_MESSAGE_BY_ID, (post_id,)).fetchone()
        return int(row[0]) if post is not None and self._message(post).gate else None

    def grant(self, post_id: bytes, recipient: str) -> SignedMessage | None:
        """The ``KeyGrant`` that gives ``recipient`` the key of ``post_id``, or ``None``.

        It counts only while the post is live on this node and gated, and only if it speaks for
        the post's author (signed by them or a live delegate); of several, the newest
        ``(timestamp, id)`` wins.
        """

        def q(db: sqlite3.Connection) -> tuple[Any, ...] | None:
            author = self._grant_author(db, post_id)
            n = self._account_lookup(db, recipient)
            if author is None or n is None:
                return None
            return db.execute(S.SELECT_GRANT, (post_id, author, n)).fetchone()

        row = self._read(q)
        return None if row is None else self._message(row)

    def grant_recipients(self, post_id: bytes) -> dict[str, bytes]:
        """Who holds a counting grant for ``post_id`` (see :meth:`grant`), with the X25519 key
        it was wrapped to."""

        def q(db: sqlite3.Connection) -> dict[str, bytes]:
            author = self._grant_author(db, post_id)
            if author is None:
                return {}
            rows = db.execute(S.SELECT_POST_GRANTS, (post_id, author)).fetchall()
            return {checksum_address(address): key for address, key, _ in rows}

        return self._read(q)

    def signers(self, address: str) -> list[str]:
        """The live delegates of ``address``."""

        def q(db: sqlite3.Connection) -> list[str]:
            n = self._account_lookup(db, address)
            rows = [] if n is None else db.execute(S.SELECT_LIVE_SIGNERS, (n,)).fetchall()
            return [checksum_address(r[0]) for r in rows]

        return self._read(q)

    # ------------------------------------------------------------------ checks

    def state(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table's content in a node-independent form (addresses, not row numbers).

        For convergence tests and debugging: two stores holding the same message set return
        equal states.
        """
        return self._read(lambda db: {k: db.execute(q).fetchall() for k, q in S.SELECT_STATE.items()})

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` verdict (``"ok"`` when sound)."""
        return str(self._read(lambda db: db.execute(S.INTEGRITY_CHECK).fetchone()[0]))


class StoreReader(Reads):
    """The reads of a store file that another process writes: a node's read worker serves its
    polled reads from the file itself (``node.read_worker``). It holds no writer and none of
    the writer's memory, never migrates the file, and each read sees the last commit (WAL).

    Raises :class:`~node.errors.StoreError` when the file cannot be read, holds another chain,
    or is at another schema version than this code's.
    """

    def __init__(self, path: str | Path, chain_id: int) -> None:
        self.path = Path(path)
        self.chain_id = chain_id
        db = S.connect_reader(self.path)
        try:
            S.check_readable(db, self.path, chain_id)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read store {self.path}: {exc}") from exc
        finally:
            db.close()
        self._open_readers()

    def close(self) -> None:
        self._close_readers()

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
