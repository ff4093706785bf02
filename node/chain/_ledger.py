"""The chain index's SQLite side: its file, its writes, and the rollback of a reorg.

:class:`Ledger` owns the connection (laid out by ``schema``), the one lock that serialises
access from any thread, and the translation of sqlite3 errors into
:class:`~node.errors.StoreError`. It knows nothing of web3: the follower hands it decoded views
and block hashes, and asks it what is indexed. Holder balances and token supplies are derived
from the transfers as they are written, and undone in reverse order when a reorg rolls them
back.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import StoreError
from . import schema
from ._events import View
from ._views import (
    ZERO_ADDRESS,
    CollectiveLaunch,
    CollectiveMoney,
    CollectiveSetting,
    Launch,
    Proposal,
    ProposalStep,
    Tip,
    Trade,
    Transfer,
    Vote,
)
from .schema import from_u256, u256


class Ledger:
    """The SQLite file at ``path``, migrated to the current schema on open.

    Raises :class:`~node.errors.StoreError` when the file cannot be opened or is newer than
    this node understands; every method raises it when SQLite fails.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        with self._sql("open"):
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def reading(self, doing: str) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock, for the queries of one read (``doing`` names it in
        errors)."""
        with self._lock, self._sql(doing):
            yield self._db

    # ------------------------------------------------------------------ what is indexed

    def meta(self, key: str) -> Any:
        with self.reading("read meta"):
            return self._meta(key)

    def last_block(self) -> int | None:
        value = self.meta(schema.META_LAST_BLOCK)
        return None if value is None else int(value)

    def block_hash(self, number: int) -> bytes | None:
        """The kept hash of block ``number``, if it is within the reorg window and kept."""
        with self.reading("read block hashes") as db:
            row = db.execute(schema.GET_BLOCK, (number,)).fetchone()
        return None if row is None else bytes(row[0])

    def kept_hashes_below(self, number: int) -> list[tuple[int, bytes]]:
        """``(number, hash)`` of the kept blocks below ``number``, newest first."""
        with self.reading("read block hashes") as db:
            return [(n, bytes(h)) for n, h in db.execute(schema.BLOCKS_BELOW, (number,))]

    def known_tokens(self) -> list[str]:
        """Every launched token, in launch order."""
        with self.reading("read tokens") as db:
            return [r[0] for r in db.execute(schema.KNOWN_TOKENS)]

    def known_collectives(self) -> list[tuple[str, str]]:
        """``(shares, governor)`` of every launched collective, in launch order."""
        with self.reading("read collectives") as db:
            return [(r[0], r[1]) for r in db.execute(schema.KNOWN_COLLECTIVES)]

    # ------------------------------------------------------------------ writes

    def reset_unless(self, identity: Mapping[str, Any]) -> bool:
        """Empty the index unless its meta already holds ``identity`` (chain id, genesis hash,
        contracts); afterwards it does. Returns whether an index of something else was wiped."""
        with self.reading("check identity"), self._write():
            stored = {k: self._meta(k) for k in identity}
            if stored == dict(identity):
                return False
            for statement in schema.WIPE:
                self._db.execute(statement)
            for k, v in identity.items():
                self._set_meta(k, v)
        return any(v is not None for v in stored.values())

    def roll_back(self, ancestor: int) -> None:
        """Undo everything indexed above block ``ancestor``; it becomes the last indexed block."""
        with self.reading("roll back") as db, self._write():
            for token, sender, recipient, value in db.execute(schema.TRANSFERS_ABOVE, (ancestor,)).fetchall():
                self._apply_transfer(token, sender, recipient, -from_u256(value))
            for statement in schema.EVENTS_ABOVE:
                db.execute(statement, (ancestor,))
            gone = [(r[0],) for r in db.execute(schema.TOKENS_LAUNCHED_ABOVE, (ancestor,))]
            db.executemany(schema.DELETE_HOLDERS_OF, gone)
            db.execute(schema.DELETE_TOKENS_ABOVE, (ancestor,))
            db.execute(schema.DELETE_COLLECTIVES_ABOVE, (ancestor,))
            db.execute(schema.DELETE_BLOCKS_ABOVE, (ancestor,))
            self._set_meta(schema.META_LAST_BLOCK, ancestor)

    def append(
        self,
        views: Sequence[View],
        curves: Mapping[str, tuple[int, int]],
        hashes: Mapping[int, bytes],
        end: int,
        *,
        keep_hashes_from: int,
    ) -> None:
        """Write one indexed range in one transaction: its views in chain order (``curves``:
        ``(base, slope)`` of each token launched in it), the block ``hashes`` to keep, and
        ``end`` as the last indexed block; hashes below ``keep_hashes_from`` are pruned."""
        with self.reading("write index") as db, self._write():
            for view in views:
                self._insert(view, curves)
            db.executemany(schema.PUT_BLOCK, sorted(hashes.items()))
            db.execute(schema.PRUNE_BLOCKS, (keep_hashes_from,))
            self._set_meta(schema.META_LAST_BLOCK, end)

    def _insert(self, view: View, curves: Mapping[str, tuple[int, int]]) -> None:
        db = self._db
        row: tuple[Any, ...]
        where = (view.block_number, view.log_index, view.tx_hash)
        if isinstance(view, Launch):
            base, slope = (u256(x) for x in curves[view.token])
            token = (view.token, view.creator, view.name, view.symbol, base, slope, u256(0), *where)
            db.execute(schema.INSERT_TOKEN, token)
        elif isinstance(view, Trade):
            amounts = (view.amount, view.value, view.creator_fee, view.protocol_fee, view.supply)
            db.execute(schema.INSERT_TRADE, (*where, view.token, view.trader, view.side, *map(u256, amounts)))
        elif isinstance(view, Tip):
            row = (
                *where,
                view.creator,
                view.tipper,
                view.token or "",
                u256(view.amount),
                view.post_id,
                view.memo,
            )
            db.execute(schema.INSERT_TIP, row)
        elif isinstance(view, Transfer):
            db.execute(
                schema.INSERT_TRANSFER, (*where, view.token, view.sender, view.recipient, u256(view.value))
            )
            self._apply_transfer(view.token, view.sender, view.recipient, view.value)
        elif isinstance(view, CollectiveLaunch):
            row = (view.shares, view.community, view.launcher, view.governor, view.timelock, *where)
            db.execute(schema.INSERT_COLLECTIVE, row)
        elif isinstance(view, CollectiveSetting):
            db.execute(schema.INSERT_SETTING, (*where, view.shares, view.kind, view.value))
        elif isinstance(view, CollectiveMoney):
            row = (*where, view.shares, view.kind, view.asset or "", view.account or "")
            row += (u256(view.amount), u256(view.to_treasury))
            db.execute(schema.INSERT_MONEY, row)
        elif isinstance(view, Proposal):
            actions = json.dumps([[a.target, str(a.value), "0x" + a.calldata.hex()] for a in view.actions])
            row = (*where, view.governor, u256(view.proposal_id), view.proposer, actions, view.description)
            db.execute(schema.INSERT_PROPOSAL, (*row, view.vote_start, view.vote_end))
        elif isinstance(view, ProposalStep):
            db.execute(
                schema.INSERT_STEP, (*where, view.governor, u256(view.proposal_id), view.kind, view.eta)
            )
        elif isinstance(view, Vote):
            row = (*where, view.governor, u256(view.proposal_id), view.voter, view.support, u256(view.weight))
            db.execute(schema.INSERT_VOTE, (*row, view.reason))

    def _apply_transfer(self, token: str, sender: str, recipient: str, delta: int) -> None:
        """Move ``delta`` (negative: undo) from ``sender`` to ``recipient`` in holders/supply."""
        db = self._db
        for account, change in ((sender, -delta), (recipient, delta)):
            if account == ZERO_ADDRESS:
                row = db.execute(schema.GET_SUPPLY, (token,)).fetchone()
                if row is not None:  # a mint (+) or burn (-) changes the supply by the opposite
                    db.execute(schema.SET_SUPPLY, (u256(from_u256(row[0]) - change), token))
                continue
            row = db.execute(schema.GET_BALANCE, (token, account)).fetchone()
            balance = (from_u256(row[0]) if row else 0) + change
            if balance == 0:
                db.execute(schema.DELETE_BALANCE, (token, account))
            else:
                db.execute(schema.PUT_BALANCE, (token, account, u256(balance)))

    # ------------------------------------------------------------------ plumbing

    def _meta(self, key: str) -> Any:
        row = self._db.execute(schema.GET_META, (key,)).fetchone()
        return None if row is None else row[0]

    def _set_meta(self, key: str, value: Any) -> None:
        self._db.execute(schema.SET_META, (key, value))

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"chain index {self.path} has schema version {version}, newer than this node's {schema.SCHEMA_VERSION}"
            )
        with self._write():
            for v in range(version + 1, schema.SCHEMA_VERSION + 1):
                for statement in schema.MIGRATIONS[v]:
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextlib.contextmanager
    def _sql(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"chain index {self.path}: {doing}: {exc}") from exc
