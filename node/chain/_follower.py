"""The event indexer: the contracts' logs, confirmed, in SQLite, surviving reorgs.

What it follows: ``TokenLaunched`` from the factory, ``Tipped`` / ``TokenTipped`` from the tip
jar, and ``Transfer`` / ``Bought`` / ``Sold`` from every token the factory launched. It indexes
from the deployment's start block up to ``head - confirmations``, in ranges of ``batch_size``
blocks; each range is one ``eth_getLogs`` for the factory and the jar, then one per 200 known
tokens (a token launched inside the range is followed from that same range), and is committed
in one SQLite transaction together with the new last indexed block. A range the provider
refuses (too many results) is halved and retried.

Reorgs: the hash of every indexed block that had a followed log, and of the last block of every
range (so always the last indexed block), is kept for ``reorg_window`` blocks. Each poll first
compares the last indexed block's hash with the chain's. If it differs, a reorg replaced it (a
changed block changes every descendant's hash): the indexer walks its kept hashes down to the
newest one the chain still has, a common ancestor, rolls every table back to that block (undoing
holder balances and supplies) and indexes forward again. Blocks without followed logs need no
hash: rolling back past them to the previous kept block changes no row, it only re-reads them.
A range is written only if its first block's parent is the last indexed block and its last
block's hash did not change while it was read, so a reorg that lands in the middle of a poll is
caught by the next one. A reorg deeper than the window, or a different chain behind the same
URL (the genesis hash is kept too), costs a re-index from the start block, never a wrong table.
Confirmation depth makes rollbacks rare: with ``confirmations=2`` a reorg must replace three
blocks to undo an indexed row.

Hooks: every newly indexed (hence confirmed) ``Transfer`` goes to ``on_transfer`` (called in
the polling thread, after the commit) and, when :meth:`Indexer.serve` is given a trio memory
channel, into that channel (so the gating service can grant keys to new holders).

Threads: :meth:`Indexer.poll_once` blocks (web3 and SQLite); :meth:`Indexer.serve` runs it in a
worker thread. Queries may be called from any thread; one lock serialises database access.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import trio
from web3 import exceptions as w3x

from ..errors import ChainError, ChainMismatch, ChainUnavailable, InvalidInput, StoreError
from . import schema
from ._artifacts import FACTORY, TIP_JAR, TOKEN
from ._client import ChainClient, _address, _post_id
from ._views import (
    ZERO_ADDRESS,
    CreatorListing,
    Holding,
    Launch,
    PollReport,
    Supporter,
    Tip,
    Trade,
    Transfer,
)
from .schema import from_u256, u256

log = logging.getLogger("node.chain")

WAD = 10**18
_ADDRESS_CHUNK = 200


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _price(base: int, slope: int, supply: int) -> int:
    return base + slope * supply // WAD


def _reserve(base: int, slope: int, supply: int) -> int:
    return _ceil_div(base * supply, WAD) + _ceil_div(slope * supply * supply, 2 * WAD * WAD)


def _hex(topic: bytes) -> str:
    return "0x" + topic.hex()


class Indexer:
    """Follows the deployment of ``client`` into the SQLite file at ``path``.

    ``confirmations``: blocks a log must be buried under before it is indexed.
    ``batch_size``: blocks per ``eth_getLogs`` range. ``reorg_window``: how many recent blocks'
    hashes are kept for finding a reorg's common ancestor. ``on_transfer``: called with each
    newly indexed :class:`Transfer`, in chain order (exceptions it raises are logged, not
    propagated: a hook cannot stop the index).

    Raises :class:`~node.errors.InvalidInput` on a bad parameter and
    :class:`~node.errors.StoreError` when the file cannot be opened.
    """

    def __init__(
        self,
        client: ChainClient,
        path: str | Path,
        *,
        confirmations: int = 2,
        batch_size: int = 2000,
        reorg_window: int = 256,
        on_transfer: Callable[[Transfer], None] | None = None,
    ) -> None:
        bounds = (
            ("confirmations", confirmations, 0),
            ("batch_size", batch_size, 1),
            ("reorg_window", reorg_window, 1),
        )
        for title, value, low in bounds:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InvalidInput(f"{title}: must be an integer >= {low}, got {value!r}")
        self.client = client
        self.path = Path(path)
        self.confirmations = confirmations
        self.batch_size = batch_size
        self.reorg_window = reorg_window
        self.on_transfer = on_transfer
        self._lock = threading.RLock()
        self._poll_lock = threading.Lock()
        self._identity_checked = False
        w3 = client.web3
        topics = client.events.topics
        self._jar_filter_topics = [[_hex(t) for t in topics[FACTORY] + topics[TIP_JAR]]]
        self._token_filter_topics = [[_hex(t) for t in topics[TOKEN]]]
        self._w3 = w3
        with self._sql("open"):
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the database; the indexer cannot be used afterwards."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def serve(
        self,
        *,
        poll_interval: float = 1.0,
        transfers: trio.MemorySendChannel[Transfer] | None = None,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Poll forever, every ``poll_interval`` seconds; a trio service for ``nursery.start``.

        Readiness is reported after the first poll (caught up, or the chain found unreachable:
        chain errors are logged and retried, never fatal). While the endpoint serves another
        chain id, indexing stops and :attr:`halted` says why (one WARNING when it stops, one
        when it resumes). Each newly indexed Transfer is sent
        into ``transfers`` when given (a full channel slows the indexer down, it loses nothing).
        """
        dep = self.client.deployment
        log.info(
            "chain index: following chain %d at %s from block %d",
            dep.chain_id,
            self.client.rpc_endpoint,
            dep.start_block,
        )
        started = False
        while True:
            was_halted = self.halted is not None
            try:
                report = await trio.to_thread.run_sync(self.poll_once)
            except ChainMismatch as exc:
                if not was_halted:  # one warning when it stops, not one per poll
                    log.warning(
                        "chain index: stopped, %s; indexing resumes when it serves chain %d again",
                        exc,
                        self.client.chain_id,
                    )
                report = None
            except ChainError as exc:
                log.warning("chain index: poll failed, retrying in %.1fs: %s", poll_interval, exc)
                report = None
            else:
                if was_halted:
                    log.warning(
                        "chain index: the endpoint serves chain %d again; indexing resumed",
                        self.client.chain_id,
                    )
            if report is not None and transfers is not None:
                for transfer in report.transfers:
                    await transfers.send(transfer)
            if not started:
                task_status.started()
                started = True
            await trio.sleep(poll_interval)

    # ------------------------------------------------------------------ indexing

    @property
    def halted(self) -> str | None:
        """Why indexing has stopped (the endpoint serves another chain), or ``None`` while it runs."""
        return self.client.mismatch

    @property
    def indexed_block(self) -> int | None:
        """The last block indexed, or ``None`` before the first one."""
        with self._lock:
            value = self._meta(schema.META_LAST_BLOCK)
        return None if value is None or value < self.client.deployment.start_block else int(value)

    def poll_once(self) -> PollReport:
        """Check for a reorg, then index every newly confirmed block. Blocking.

        Raises :class:`~node.errors.ChainError` (or a subclass) when the chain cannot be read,
        :class:`~node.errors.ChainMismatch` when the endpoint now serves another chain id (nothing
        is read or rolled back then); what was committed before stays committed.
        """
        with self._poll_lock:
            # Every poll: a devnet restarted with another chain id keeps its URL (and its block
            # numbers start again), and nothing it answers belongs in this index.
            self.client.verify_chain()
            self._check_identity()
            rolled_back_to = self._check_reorg()
            with self.client.translate("index: read head"):
                head = self._w3.eth.block_number
            target = head - self.confirmations
            last = self._last_block()
            start = self.client.deployment.start_block if last is None else last + 1
            views: list[Any] = []
            size = self.batch_size
            while start <= target:
                end = min(start + size - 1, target)
                try:
                    batch = self._index_range(start, end)
                except ChainUnavailable:
                    raise
                except ChainError:
                    # Providers cap what one eth_getLogs may return: halve the range and retry.
                    if end == start:
                        raise
                    size = max(1, (end - start + 1) // 2)
                    continue
                if batch is None:  # the chain changed under this range: the next poll sorts it out
                    break
                views.extend(batch)
                start = end + 1
        transfers = tuple(v for v in views if isinstance(v, Transfer))
        if self.on_transfer is not None:
            for transfer in transfers:
                try:
                    self.on_transfer(transfer)
                except Exception:
                    log.exception("chain index: on_transfer hook failed for %s", transfer)
        return PollReport(
            rolled_back_to=rolled_back_to,
            indexed_to=self.indexed_block,
            launches=tuple(v for v in views if isinstance(v, Launch)),
            trades=tuple(v for v in views if isinstance(v, Trade)),
            tips=tuple(v for v in views if isinstance(v, Tip)),
            transfers=transfers,
        )

    def _chain_hash(self, number: int) -> bytes | None:
        with self.client.translate("index: read block"):
            try:
                return bytes(self._w3.eth.get_block(number)["hash"])
            except w3x.BlockNotFound:
                return None

    def _check_identity(self) -> None:
        """Wipe the index when it was built from another chain or deployment."""
        if self._identity_checked:
            return
        dep = self.client.deployment
        self.client.check_chain()
        genesis = self._chain_hash(0)
        expected = {
            schema.META_CHAIN_ID: dep.chain_id,
            schema.META_GENESIS: genesis,
            schema.META_FACTORY: dep.factory,
            schema.META_TIP_JAR: dep.tip_jar,
        }
        with self._lock, self._sql("check identity"), self._write():
            stored = {k: self._meta(k) for k in expected}
            if stored != expected:
                if any(v is not None for v in stored.values()):
                    log.warning(
                        "chain index: another chain or deployment; re-indexing from block %d", dep.start_block
                    )
                for table in ("meta", "blocks", "tokens", "holders", *schema.EVENT_TABLES):
                    self._db.execute(f"DELETE FROM {table}")
                for k, v in expected.items():
                    self._set_meta(k, v)
        self._identity_checked = True

    def _check_reorg(self) -> int | None:
        last = self._last_block()
        if last is None or last < self.client.deployment.start_block:
            return None
        with self._lock, self._sql("read block hashes"):
            row = self._db.execute(schema.GET_BLOCK, (last,)).fetchone()
            kept = self._db.execute(schema.BLOCKS_BELOW, (last,)).fetchall()
        if row is not None and self._chain_hash(last) == row[0]:
            return None
        ancestor = self.client.deployment.start_block - 1
        for number, block_hash in kept:
            if self._chain_hash(number) == block_hash:
                ancestor = number
                break
        log.warning("chain index: reorg below block %d; rolling back to block %d", last, ancestor)
        with self._lock, self._sql("roll back"), self._write():
            self._rollback(ancestor)
        return ancestor

    def _rollback(self, ancestor: int) -> None:
        db = self._db
        undone = db.execute(schema.TRANSFERS_ABOVE, (ancestor,)).fetchall()
        for token, sender, recipient, value in undone:
            self._apply_transfer(token, sender, recipient, -from_u256(value))
        for table in schema.EVENT_TABLES:
            db.execute(f"DELETE FROM {table} WHERE block > ?", (ancestor,))
        gone = [r[0] for r in db.execute("SELECT token FROM tokens WHERE block > ?", (ancestor,))]
        db.executemany("DELETE FROM holders WHERE token = ?", [(t,) for t in gone])
        db.execute("DELETE FROM tokens WHERE block > ?", (ancestor,))
        db.execute("DELETE FROM blocks WHERE number > ?", (ancestor,))
        self._set_meta(schema.META_LAST_BLOCK, ancestor)

    def _index_range(self, start: int, end: int) -> list[Any] | None:
        dep = self.client.deployment
        decode = self.client.events.decode
        with self._lock, self._sql("read block hashes"):
            row = self._db.execute(schema.GET_BLOCK, (start - 1,)).fetchone()
        parent_hash = None if row is None else bytes(row[0])
        with self.client.translate(f"index blocks {start}-{end}"):
            end_hash = bytes(self._w3.eth.get_block(end)["hash"])
            span = {"fromBlock": start, "toBlock": end}
            jar_filter = {**span, "address": [dep.factory, dep.tip_jar], "topics": self._jar_filter_topics}
            logs = list(self._w3.eth.get_logs(jar_filter))
            decoded = [decode(entry) for entry in logs]
            launches = [v for v in decoded if isinstance(v, Launch)]
            tokens = self._known_tokens() + [launch.token for launch in launches]
            for i in range(0, len(tokens), _ADDRESS_CHUNK):  # never an empty list: that means every address
                chunk = tokens[i : i + _ADDRESS_CHUNK]
                token_logs = self._w3.eth.get_logs(
                    {**span, "address": chunk, "topics": self._token_filter_topics}
                )
                logs += token_logs
                decoded += [decode(entry) for entry in token_logs]
            curves = {launch.token: self.client.curve(launch.token, end) for launch in launches}
            # The range must extend what is indexed (its first block's parent is the last indexed
            # block) and the chain must not have moved while it was read (same last block before
            # and after; a changed ancestor would have changed that block's hash).
            first = self._w3.eth.get_block(start)
            if parent_hash is not None and bytes(first["parentHash"]) != parent_hash:
                return None
            if bytes(self._w3.eth.get_block(end)["hash"]) != end_hash:
                return None
        hashes = {end: end_hash}
        for entry in logs:
            number, block_hash = int(entry["blockNumber"]), bytes(entry["blockHash"])
            if hashes.setdefault(number, block_hash) != block_hash:
                return None
        views = sorted((v for v in decoded if v is not None), key=lambda v: (v.block_number, v.log_index))
        with self._lock, self._sql("write index"), self._write():
            for view in views:
                self._insert(view, curves)
            self._db.executemany(schema.PUT_BLOCK, sorted(hashes.items()))
            self._db.execute(schema.PRUNE_BLOCKS, (end - self.reorg_window,))
            self._set_meta(schema.META_LAST_BLOCK, end)
        return views

    def _insert(self, view: Any, curves: dict[str, tuple[int, int]]) -> None:
        db = self._db
        where = (view.block_number, view.log_index, view.tx_hash)
        if isinstance(view, Launch):
            base, slope = (u256(x) for x in curves[view.token])
            row = (view.token, view.creator, view.name, view.symbol, base, slope, u256(0), *where)
            db.execute(schema.INSERT_TOKEN, row)
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

    # ------------------------------------------------------------------ queries

    def tips_for_post(self, post_id: bytes | str) -> list[Tip]:
        """Every indexed tip for post ``post_id`` (32 bytes or 64 hex digits), oldest first."""
        post = _post_id(post_id)
        return self._tips("WHERE post = ? ORDER BY block, log", (post,))

    def tips_received(self, creator: str, *, limit: int = 100) -> list[Tip]:
        """The latest ``limit`` tips to ``creator``, newest first."""
        creator = _address(creator, "creator")
        return self._tips("WHERE creator = ? ORDER BY block DESC, log DESC LIMIT ?", (creator, _limit(limit)))

    def top_supporters(self, creator: str, *, limit: int = 10) -> list[Supporter]:
        """``creator``'s biggest tippers, per asset: for each asset tipped (ether first, then
        tokens by address), the ``limit`` tippers with the largest totals, largest first. Assets
        are never added together (there is no honest exchange rate on chain)."""
        creator = _address(creator, "creator")
        limit = _limit(limit)
        totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        with self._lock, self._sql("query supporters"):
            for tipper, token, amount in self._db.execute(schema.TIPS_TO, (creator,)):
                entry = totals[(token, tipper)]
                entry[0] += from_u256(amount)
                entry[1] += 1
        per_asset: dict[str, list[Supporter]] = defaultdict(list)
        for (token, tipper), (total, count) in totals.items():
            per_asset[token].append(Supporter(tipper, token or None, total, count))
        result: list[Supporter] = []
        for token in sorted(per_asset):
            result += sorted(per_asset[token], key=lambda s: (-s.total, s.tipper))[:limit]
        return result

    def counts(self) -> dict[str, int]:
        """How many launches, trades, tips and transfers are indexed (for metrics)."""
        with self._lock, self._sql("query counts"):
            row = self._db.execute(schema.COUNTS).fetchone()
        return dict(zip(("launches", "trades", "tips", "transfers"), row, strict=False))

    def creators(self) -> list[CreatorListing]:
        """Every launched creator token, in launch order, with price, supply, reserve, holders."""
        return self._listings("ORDER BY t.block, t.log", ())

    def creator(self, creator: str) -> CreatorListing | None:
        """``creator``'s token listing, or ``None`` when it has launched none (as indexed)."""
        found = self._listings("WHERE t.creator = ?", (_address(creator, "creator"),))
        return found[0] if found else None

    def holders(self, token: str, *, min_balance: int = 1) -> list[Holding]:
        """Holders of ``token`` with at least ``min_balance`` base units, largest first."""
        token = _address(token, "token")
        with self._lock, self._sql("query holders"):
            rows = self._db.execute(schema.SELECT_HOLDERS, (token, u256(max(int(min_balance), 0)))).fetchall()
        return [Holding(token, holder, from_u256(balance)) for holder, balance in rows]

    def balance(self, token: str, holder: str) -> int:
        """``holder``'s indexed (confirmed) balance of ``token``; for a decision at the latest
        block use :meth:`ChainClient.balance_of`."""
        token, holder = _address(token, "token"), _address(holder, "holder")
        with self._lock, self._sql("query balance"):
            row = self._db.execute(schema.GET_BALANCE, (token, holder)).fetchone()
        return from_u256(row[0]) if row else 0

    def trades(self, token: str, *, limit: int = 100) -> list[Trade]:
        """The latest ``limit`` trades of ``token``, newest first."""
        token = _address(token, "token")
        with self._lock, self._sql("query trades"):
            rows = self._db.execute(schema.SELECT_TRADES, (token, _limit(limit))).fetchall()
        return [
            Trade(r[0], r[1], r[2], *(from_u256(x) for x in r[3:8]), r[8], r[9], r[10])  # type: ignore[arg-type]
            for r in rows
        ]

    # ------------------------------------------------------------------ internals

    def _tips(self, where: str, params: tuple[Any, ...]) -> list[Tip]:
        with self._lock, self._sql("query tips"):
            rows = self._db.execute(schema.SELECT_TIPS + where, params).fetchall()
        return [
            Tip(r[0], r[1], r[2] or None, from_u256(r[3]), bytes(r[4]), r[5], r[6], r[7], r[8]) for r in rows
        ]

    def _listings(self, where: str, params: tuple[Any, ...]) -> list[CreatorListing]:
        with self._lock, self._sql("query creators"):
            rows = self._db.execute(schema.SELECT_LISTINGS + where, params).fetchall()
        result = []
        for creator, token, name, symbol, base, slope, supply, block, holders in rows:
            base, slope, supply = from_u256(base), from_u256(slope), from_u256(supply)
            price, reserve = _price(base, slope, supply), _reserve(base, slope, supply)
            result.append(
                CreatorListing(creator, token, name, symbol, supply, price, reserve, holders, block)
            )
        return result

    def _known_tokens(self) -> list[str]:
        with self._lock, self._sql("read tokens"):
            return [r[0] for r in self._db.execute(schema.KNOWN_TOKENS)]

    def _last_block(self) -> int | None:
        with self._lock, self._sql("read meta"):
            value = self._meta(schema.META_LAST_BLOCK)
        return None if value is None else int(value)

    def _meta(self, key: str) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def _set_meta(self, key: str, value: Any) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

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


def _limit(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10_000:
        raise InvalidInput(f"limit: must be an integer from 1 to 10000, got {value!r}")
    return value
