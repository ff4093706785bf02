"""The store's one writer: merges verified messages into the log and the derived tables, by the
rules of ``_rules``, inside a transaction its caller opened, and keeps what the store holds in
memory in step with the file.

In memory: the fingerprint's counters (sum of ids, count), the last log position, a Bloom
filter over ids (``_ids``), the ids of tombstoned posts, address numbers and delegation states.
All of it is reloaded (:meth:`Writer.load`) when another connection wrote to the file or a
transaction rolled back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from ..messages import TYPES, SignedMessage, checksum_address
from ..messages.scope import Scopes
from . import schema as S
from ._body import message_from_row, pack_body, unpack_body
from ._ids import IdFilter
from ._rules import RULES, Effect, Stage, merge_order, preference, refused_signer
from ._views import Outcome, Result, SyncKey

_MOD = 1 << 256
_CODE = {name: t.code for name, t in TYPES.items()}
#: The types whose rows are keyed by author (re-derived when some of an author's messages
#: leave the log), with their codes.
_REDERIVED = [(_CODE[name], rule) for name, rule in RULES.items() if rule.clear_author is not None]
#: The statement clearing an author's rows of a type, by type code (types may share one).
_CLEAR_OF = {code: rule.clear_author for code, rule in _REDERIVED}
#: Statements whose rows a batch writes together at its end: the log's, then the derived rows
#: that nothing later in the batch reads and the rows keyed by log position, then the posts'
#: text for search.
_BATCHED = (
    S.INSERT_MESSAGE,
    *(rule.statement for rule in RULES.values() if rule.effect is Effect.NONE),
    *(rule.logged[0] for rule in RULES.values() if rule.logged is not None),
    S.INSERT_POST_TEXT,
)
#: The types that merge before the rest of a batch, with their stage.
_EARLY = {name: rule.stage for name, rule in RULES.items() if rule.stage < Stage.REST}
#: The types whose text search indexes (``schema``: ``post_search``).
_POST_TYPES = ("Post", "CommunityPost")
#: Messages per merge when a rebuild merges the log again.
REBUILD_BATCH = 10_000
_ZERO32 = bytes(32)
_ACCEPTED = Outcome.ACCEPTED
_new_result = tuple.__new__  # Result is a NamedTuple: this skips its keyword handling


def _sum(ids: list[bytes]) -> int:
    return sum(int.from_bytes(mid, "little") for mid in ids)


class Writer:
    """Merges into the store file ``db`` (one instance per connection; the caller serialises)."""

    def __init__(self, db: sqlite3.Connection, chain_id: int) -> None:
        self._db = db
        self._chain_id = chain_id
        self.load()

    def load(self) -> None:
        """(Re)load what the writer keeps in memory: counters, caches, the id filter."""
        db = self._db
        meta = dict(db.execute(S.SELECT_META).fetchall())
        #: Sum of the ids in the log as little-endian integers, mod 2**256, and their count.
        self.fp_sum = int.from_bytes(meta.get(S.META_FP_SUM, _ZERO32), "little")
        self.count = int(meta.get(S.META_COUNT, 0))
        self._seq: int = db.execute(S.SELECT_MAX_SEQ).fetchone()[0]
        self._accounts: dict[str, int] = {}
        self._signer_cache: dict[tuple[int, int], int | None] = {}
        self._tombstoned: set[bytes] = {r[0] for r in db.execute(S.SELECT_TOMBSTONED_POSTS)}
        self._load_ids(self.count)
        self._data_version = db.execute(S.DATA_VERSION).fetchone()[0]

    def _load_ids(self, count: int) -> None:
        self.ids = IdFilter((r[0] for r in self._db.execute(S.SELECT_ALL_IDS)), count)

    def stale(self) -> bool:
        """Whether another connection has written to the file since :meth:`load`."""
        return bool(self._db.execute(S.DATA_VERSION).fetchone()[0] != self._data_version)

    # ------------------------------------------------------------------ memory of the file

    def _account(self, address: str) -> int:
        n = self._accounts.get(address)
        if n is None:
            raw = bytes.fromhex(address[2:])
            row = self._db.execute(S.SELECT_ACCOUNT, (raw,)).fetchone()
            n = row[0] if row else self._db.execute(S.INSERT_ACCOUNT, (raw,)).lastrowid
            assert n is not None  # an INSERT sets lastrowid
            self._accounts[address] = n
        return n

    def _signer_state(self, author: int, signer: int) -> int | None:
        key = (author, signer)
        if key in self._signer_cache:
            return self._signer_cache[key]
        row = self._db.execute(S.SELECT_SIGNER, key).fetchone()
        state = row[0] if row else None
        self._signer_cache[key] = state
        return state

    # ------------------------------------------------------------------ merge

    def merge(
        self,
        candidates: list[tuple[int, SignedMessage]],
        results: list[Result | None],
        removed: list[SyncKey],
    ) -> list[SignedMessage]:
        """Merge verified messages (``(input index, message)``); fill ``results`` at those
        indexes, append to ``removed`` the sync keys of the messages that left the log, and
        return the accepted messages in merge order."""
        db = self._db
        if self.count + len(candidates) > self.ids.capacity:
            self._load_ids(self.count + len(candidates))
        maybe = self.ids.maybe_held(m.id for _, m in candidates)
        existing = {r[0]: r[1:] for r in S.rows_by_ids(db, S.SELECT_EXISTING, maybe)} if maybe else {}
        tombstones: set[tuple[bytes, int]] = set()
        if self._tombstoned:
            posts = [
                p
                for _, m in candidates
                if (refused := RULES[m.type].refused_with) is not None
                and (p := refused(m)) in self._tombstoned
            ]
            if posts:
                tombstones = set(S.rows_in(db, S.SELECT_TOMBSTONES_IN, posts))
        if len({m.id for _, m in candidates}) == len(candidates):
            early = [c for c in candidates if c[1].type in _EARLY]
            if early:  # few: sort them alone; the rest keeps its order
                early.sort(key=lambda c: _EARLY[c[1].type])
                candidates = early + [c for c in candidates if c[1].type not in _EARLY]
        else:
            candidates.sort(key=lambda c: merge_order(c[1]))
        seen: set[bytes] = set()
        rows: dict[str, list[tuple[Any, ...]]] = {statement: [] for statement in _BATCHED}
        rows_msg = rows[S.INSERT_MESSAGE]
        rows_text = rows[S.INSERT_POST_TEXT]
        accepted: list[SignedMessage] = []
        account = self._account
        seq = self._seq
        for i, m in candidates:
            mid = m.id
            if mid in seen:
                results[i] = Result(Outcome.DUPLICATE, mid, "duplicate")
                continue
            stored = existing.get(mid)
            delegated = m.signer != m.author
            if stored is not None and preference(delegated, m.signature) >= preference(
                stored[1] is not None, stored[2]
            ):
                results[i] = Result(Outcome.DUPLICATE, mid, "duplicate")
                continue
            author = account(m.author)
            signer = None
            if delegated:
                signer = account(m.signer)
                state = self._signer_state(author, signer)
                if not state:
                    results[i] = Result(Outcome.REJECTED, mid, *refused_signer(m, state))
                    continue
            if stored is not None:
                # The same message with a preferred signature: keep that one, so that every node
                # ends up holding the same bytes whatever order the copies came in.
                db.execute(S.UPDATE_SIGNATURE, (signer, m.signature, stored[0]))
                seen.add(mid)
                results[i] = Result(Outcome.DUPLICATE, mid, "duplicate")
                continue
            t, f, ts = m.type, m.fields, m.timestamp
            rule = RULES[t]
            if rule.refused_with is not None and (rule.refused_with(m), author) in tombstones:
                results[i] = Result(Outcome.DUPLICATE, mid, "deleted", rule.refused_detail)
                continue
            seq += 1
            row = rule.row(f, author, ts, mid, seq, account)
            if rule.effect is Effect.NONE:
                rows[rule.statement].append(row)
            else:  # later messages of the batch depend on it: now
                db.execute(rule.statement, row)
                gone = self._carry_out(rule.effect, author, f, tombstones)
                for key in gone:
                    existing.pop(key[1], None)  # gone: a copy later in this batch is new
                removed += gone
            if rule.logged is not None:
                statement, logged = rule.logged
                rows[statement].append(logged(f, author, ts, mid, seq, account))
            rows_msg.append((seq, mid, ts, _CODE[t], author, signer, m.signature, pack_body(t, f)))
            if t in _POST_TYPES and f["text"]:  # searchable from its row's commit (schema: post_search)
                rows_text.append((seq, f["text"]))
            seen.add(mid)
            accepted.append(m)
            results[i] = _new_result(Result, (_ACCEPTED, mid, None, None))
        for statement, batch in rows.items():
            if batch:
                db.executemany(statement, batch)
        self.ids.add([m.id for m in accepted])
        self._seq = seq
        self.count += len(rows_msg)
        self.fp_sum = (self.fp_sum + _sum([m.id for m in accepted])) % _MOD
        self._save_counters()
        return accepted

    def _save_counters(self) -> None:
        self._db.execute(S.UPSERT_META, (S.META_FP_SUM, self.fp_sum.to_bytes(32, "little")))
        self._db.execute(S.UPSERT_META, (S.META_COUNT, self.count))

    def _carry_out(
        self, effect: Effect, author: int, f: Mapping[str, Any], tombstones: set[tuple[bytes, int]]
    ) -> list[SyncKey]:
        """Do what merging a message does beyond writing its row (see :class:`Effect`); returns
        the sync keys of the messages that left the log."""
        if effect is Effect.DELETE_POST:
            tombstones.add((f["post"], author))
            self._tombstoned.add(f["post"])
            return self._delete_post(f["post"], author)
        delegate = self._account(f["signer"])
        if effect is Effect.DELEGATE:
            self._signer_cache.pop((author, delegate), None)
            return []
        self._signer_cache[(author, delegate)] = 0
        return self._revoke(author, delegate)

    def _forget(self, keys: list[SyncKey]) -> list[SyncKey]:
        """Take messages that left the log out of the counters; returns ``keys``."""
        self.count -= len(keys)
        self.fp_sum = (self.fp_sum - _sum([mid for _, mid in keys])) % _MOD
        return keys

    def _delete_post(self, post: bytes, author: int) -> list[SyncKey]:
        """Drop ``post`` when ``author`` wrote it, and the author's grants for it."""
        db = self._db
        gone: list[SyncKey] = []
        row = db.execute(S.SELECT_POST_AUTHOR, (post,)).fetchone()
        if row is not None and row[1] == author:
            db.execute(S.DELETE_MESSAGE, (row[0],))
            db.execute(S.DELETE_POST, (row[0],))
            gone.append((row[2], post))
        for grant_seq, grant_id, grant_ts in db.execute(S.SELECT_AUTHOR_GRANTS, (post, author)).fetchall():
            db.execute(S.DELETE_MESSAGE, (grant_seq,))
            db.execute(S.DELETE_GRANT, (grant_seq,))
            gone.append((grant_ts, grant_id))
        return self._forget(gone)

    def _revoke(self, author: int, signer: int) -> list[SyncKey]:
        """Drop every message ``signer`` signed for ``author``."""
        return self._drop(self._db.execute(S.SELECT_DELEGATED, (author, signer)).fetchall())

    def drop_unserved(self, seqs: list[int], served: Scopes) -> list[SyncKey]:
        """Drop the community messages at ``seqs`` whose community ``served`` leaves out (the
        others, and positions no longer held, are left alone: the caller read ``seqs`` before
        this transaction); returns their sync keys."""
        rows = S.rows_in(self._db, S.SELECT_COMMUNITY_MESSAGES_AT, seqs)
        gone = self._drop([row[:5] for row in rows if not served.serves(bytes(row[5]))])
        self._save_counters()
        return gone

    def _drop(self, rows: list[tuple[int, bytes, int, int, int]]) -> list[SyncKey]:
        """Take the messages of ``rows`` (``seq, id, ts, type, author``) out of the log with the
        rows keyed by their position, then re-derive from what is left each of their authors'
        rows of the tables they wrote that are keyed by author (a reaction, a hide: another of
        the author's messages may hold the row now); returns their sync keys."""
        db = self._db
        clears: dict[int, set[str]] = {}  # author -> the statements clearing their affected rows
        for seq, _mid, _ts, code, author in rows:
            for statement in S.DELETE_BY_SEQ:
                db.execute(statement, (seq,))
            clear = _CLEAR_OF.get(code)
            if clear is not None:
                clears.setdefault(author, set()).add(clear)
        for author, affected in clears.items():
            self._rederive_author(author, affected)
        return self._forget([(ts, mid) for _seq, mid, ts, _code, _author in rows])

    def _rederive_author(self, author: int, clears: set[str]) -> None:
        """Rebuild the author's rows that ``clears`` empty (last-writer-wins rows, tombstones)
        from the author's messages, by the same rules as ingest."""
        db = self._db
        for clear in clears:  # all first: types that share a table (mute, block) re-add together
            db.execute(clear, (author,))
        (address,) = db.execute(S.SELECT_ACCOUNT_ADDRESS, (author,)).fetchone()
        head = {"author": checksum_address(address)}
        for code, rule in _REDERIVED:
            if rule.clear_author not in clears:
                continue
            for seq, mid, ts, body in db.execute(S.SELECT_AUTHOR_MESSAGES_OF_TYPE, (author, code)).fetchall():
                fields = unpack_body(code, body, {**head, "timestamp": ts})
                db.execute(rule.statement, rule.row(fields, author, ts, mid, seq, self._account))

    # ------------------------------------------------------------------ rebuild

    def rebuild(self) -> list[SyncKey]:
        """Merge the log again into empty derived tables (see ``Store.rebuild``); returns the
        sync keys of the logged messages that did not merge again."""
        db = self._db
        db.execute(S.DROP_RELOG)
        db.execute(S.CREATE_RELOG)
        for statement in S.DELETE_LOG:
            db.execute(statement)
        self.load()
        cursor = db.execute(S.SELECT_RELOG)
        while rows := cursor.fetchmany(REBUILD_BATCH):
            batch = [(i, message_from_row(self._chain_id, r)) for i, r in enumerate(rows)]
            self.merge(batch, [None] * len(batch), [])
        lost: list[SyncKey] = db.execute(S.SELECT_REBUILD_LOST).fetchall()
        db.execute(S.DROP_RELOG)
        return lost
