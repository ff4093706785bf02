"""The event indexer's follower: the contracts' logs, confirmed, in SQLite, surviving reorgs.

This module follows the chain (confirmation depth, ranges, reorg detection and rollback);
``_ledger`` writes and rolls back the SQLite file, ``_queries`` answers from it, ``_curve``
prices tokens. :class:`Indexer` is all three to its users.

What it follows: ``TokenLaunched`` from the factory, ``Tipped`` / ``TokenTipped`` from the tip
jar, ``Transfer`` / ``Bought`` / ``Sold`` from every token the factory launched;
``CollectiveLaunched`` from the collective factory, and from every collective it launched the
shares' events (members' shares as ``Transfer``, settings, income, claims) and the governor's
(proposals, votes, queueing, execution). It indexes from the deployment's start block up to
``head - confirmations``, in ranges of ``batch_size`` blocks; each range is one
``eth_getLogs`` for the factories and the jar, then one per 200 known tokens and collective
contracts (one launched inside the range is followed from that same range), and is committed
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

Newly indexed (hence confirmed) ``Transfer`` rows are in each :class:`PollReport`; when
:meth:`Indexer.serve` is given a trio memory channel, they go into it (so the gating service can
grant keys to new holders).

Threads: :meth:`Indexer.poll_once` blocks (web3 and SQLite); :meth:`Indexer.serve` runs it in a
worker thread. Queries may be called from any thread; one lock serialises database access.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import trio
from eth_typing import BlockNumber, HexStr
from web3 import exceptions as w3x
from web3.types import FilterParams

from ..errors import ChainError, ChainMismatch, ChainUnavailable, InvalidInput
from . import _inputs as inputs
from . import schema
from ._artifacts import COLLECTIVE_FACTORY, COLLECTIVE_GOVERNOR, COLLECTIVE_SHARES, FACTORY, TIP_JAR, TOKEN
from ._client import ChainClient
from ._collectives import CollectiveQueries
from ._events import View
from ._ledger import Ledger
from ._queries import ChainQueries
from ._views import CollectiveLaunch, Launch, PollReport, Tip, Trade, Transfer

log = logging.getLogger("node.chain")

#: Token addresses per ``eth_getLogs`` call (providers cap the filter's address list).
ADDRESS_CHUNK = 200
# Defaults of the Indexer's parameters (the node passes its chain settings).
DEFAULT_CONFIRMATIONS = 2  # blocks a log is buried under before it is indexed
DEFAULT_BATCH_BLOCKS = 2000  # blocks per eth_getLogs range (halved when a provider refuses)
DEFAULT_REORG_WINDOW = 256  # recent blocks whose hashes are kept to find a common ancestor
DEFAULT_POLL_SECONDS = 1.0  # between polls in serve()


def _hex(topic: bytes) -> HexStr:
    return HexStr("0x" + topic.hex())


def _filter(start: int, end: int, addresses: Sequence[str], topics: list[list[HexStr]]) -> FilterParams:
    """``eth_getLogs`` of blocks ``start``-``end`` from ``addresses`` (checksummed), any of ``topics``."""
    return FilterParams(
        fromBlock=BlockNumber(start),
        toBlock=BlockNumber(end),
        address=[inputs.address(a, "address") for a in addresses],
        topics=topics,
    )


class Indexer(ChainQueries, CollectiveQueries):
    """Follows the deployment of ``client`` into the SQLite file at ``path``.

    ``confirmations``: blocks a log must be buried under before it is indexed.
    ``batch_size``: blocks per ``eth_getLogs`` range. ``reorg_window``: how many recent blocks'
    hashes are kept for finding a reorg's common ancestor. The queries are
    :class:`~node.chain._queries.ChainQueries`' and
    :class:`~node.chain._collectives.CollectiveQueries`'.

    Raises :class:`~node.errors.InvalidInput` on a bad parameter and
    :class:`~node.errors.StoreError` when the file cannot be opened.
    """

    def __init__(
        self,
        client: ChainClient,
        path: str | Path,
        *,
        confirmations: int = DEFAULT_CONFIRMATIONS,
        batch_size: int = DEFAULT_BATCH_BLOCKS,
        reorg_window: int = DEFAULT_REORG_WINDOW,
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
        self._poll_lock = threading.Lock()
        self._identity_checked = False
        topics = client.events.topics
        factories = topics[FACTORY] + topics[TIP_JAR] + topics[COLLECTIVE_FACTORY]
        self._jar_filter_topics = [[_hex(t) for t in factories]]
        launched = topics[TOKEN] + topics[COLLECTIVE_SHARES] + topics[COLLECTIVE_GOVERNOR]
        self._token_filter_topics = [[_hex(t) for t in dict.fromkeys(launched)]]
        self._w3 = client.web3
        self.ledger = Ledger(path)

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the database; the indexer cannot be used afterwards."""
        self.ledger.close()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def serve(
        self,
        *,
        poll_interval: float = DEFAULT_POLL_SECONDS,
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
        value = self.ledger.last_block()
        return None if value is None or value < self.client.deployment.start_block else value

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
            last = self.ledger.last_block()
            start = self.client.deployment.start_block if last is None else last + 1
            views: list[View] = []
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
        return PollReport(
            rolled_back_to=rolled_back_to,
            indexed_to=self.indexed_block,
            launches=tuple(v for v in views if isinstance(v, Launch)),
            trades=tuple(v for v in views if isinstance(v, Trade)),
            tips=tuple(v for v in views if isinstance(v, Tip)),
            transfers=tuple(v for v in views if isinstance(v, Transfer)),
        )

    def _chain_hash(self, number: int) -> bytes | None:
        with self.client.translate("index: read block"):
            try:
                return bytes(self._w3.eth.get_block(BlockNumber(number))["hash"])
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
            schema.META_COLLECTIVES: dep.collectives,
        }
        if self.ledger.reset_unless(expected):
            log.warning(
                "chain index: another chain or deployment; re-indexing from block %d", dep.start_block
            )
        self._identity_checked = True

    def _check_reorg(self) -> int | None:
        last = self.ledger.last_block()
        if last is None or last < self.client.deployment.start_block:
            return None
        kept = self.ledger.block_hash(last)
        if kept is not None and self._chain_hash(last) == kept:
            return None
        ancestor = self.client.deployment.start_block - 1
        for number, block_hash in self.ledger.kept_hashes_below(last):
            if self._chain_hash(number) == block_hash:
                ancestor = number
                break
        log.warning("chain index: reorg below block %d; rolling back to block %d", last, ancestor)
        self.ledger.roll_back(ancestor)
        return ancestor

    def _index_range(self, start: int, end: int) -> list[View] | None:
        dep = self.client.deployment
        decode = self.client.events.decode
        parent_hash = self.ledger.block_hash(start - 1)
        eth = self._w3.eth
        factories = [dep.factory, dep.tip_jar, *([dep.collectives] if dep.collectives else [])]
        with self.client.translate(f"index blocks {start}-{end}"):
            end_hash = bytes(eth.get_block(BlockNumber(end))["hash"])
            logs = list(eth.get_logs(_filter(start, end, factories, self._jar_filter_topics)))
            decoded = [decode(entry) for entry in logs]
            launches = [v for v in decoded if isinstance(v, Launch)]
            collectives = self.ledger.known_collectives() + [
                (v.shares, v.governor) for v in decoded if isinstance(v, CollectiveLaunch)
            ]
            followed = self.ledger.known_tokens() + [launch.token for launch in launches]
            followed += [address for pair in collectives for address in pair]
            for i in range(0, len(followed), ADDRESS_CHUNK):  # never an empty list: that means every address
                chunk = followed[i : i + ADDRESS_CHUNK]
                token_logs = eth.get_logs(_filter(start, end, chunk, self._token_filter_topics))
                logs += token_logs
                decoded += [decode(entry) for entry in token_logs]
            curves = {launch.token: self.client.curve(launch.token, end) for launch in launches}
            # The range must extend what is indexed (its first block's parent is the last indexed
            # block) and the chain must not have moved while it was read (same last block before
            # and after; a changed ancestor would have changed that block's hash).
            first = eth.get_block(BlockNumber(start))
            if parent_hash is not None and bytes(first["parentHash"]) != parent_hash:
                return None
            if bytes(eth.get_block(BlockNumber(end))["hash"]) != end_hash:
                return None
        hashes = {end: end_hash}
        for entry in logs:
            number, block_hash = int(entry["blockNumber"]), bytes(entry["blockHash"])
            if hashes.setdefault(number, block_hash) != block_hash:
                return None
        views = sorted((v for v in decoded if v is not None), key=lambda v: (v.block_number, v.log_index))
        self.ledger.append(views, curves, hashes, end, keep_hashes_from=end - self.reorg_window)
        return views
