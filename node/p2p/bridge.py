"""The p2p service's side of the store: ingest and reads in worker threads, and the sync index
kept in step with the store, report by report.

Store calls run in another thread (the store's write lane for a few messages, a worker thread
for more): an ingest commits with fsync and verifies signatures, and inline it would stall
every stream and the HTTP API on the same loop. Each
ingest names its origin (``gossip`` or ``sync``), which comes back in the store's report.

The sync index (:class:`~node.p2p.index.SyncIndex`) follows the store through the node's
accepted-messages feed (:mod:`node.accepted`): :meth:`StoreBridge.follow` removes each
report's ``removed`` keys and adds its ``added`` ones, in commit order, then checks the index
against the ``count`` and ``fingerprint`` the report carries (the store's, read with its
commit). A deleted post or a revoked signer costs the loop a few chunk updates, never a
rebuild. The index is built from the store in a worker thread, and built again there only
when it cannot be kept in step: the feed reports a gap (this service fell more than
``feed_buffer`` reports behind), or a check fails.

Building from a snapshot while reports keep arriving: the bridge subscribes before it reads
the keys, so every report committed after the read is in its buffer; reports committed before
the read may be there too, and replaying them onto the snapshot ends at the snapshot's state
again (each key ends as the last change to it says). Until a report's check matches, the
index is still replaying those (``catching_up``); a match means it is in step.

Messages this node accepted itself (through its API, or as grants) are encoded for gossip (on
the loop when few, in a worker thread when many) and queued for the gossip sender; messages from peers are not re-published
(gossipsub relays them; sync needs no relay).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

import trio

from node.accepted import Gap, Subscription
from node.messages import SignedMessage, encode_message
from node.messages.scope import Scopes, scope_of
from node.p2p.gossip import Outgoing
from node.p2p.index import ScopedIndex, SyncIndex
from node.p2p.status import Counters
from node.store import IngestReport, Store

log = logging.getLogger(__name__)

__all__ = ["PEER_ORIGINS", "StoreBridge"]

#: Origins of ingests made for peers' data: never gossiped again by this node.
PEER_ORIGINS = frozenset({"gossip", "sync"})
#: The most messages of one report encoded for gossip on the event loop. A message encodes in
#: about 4 us; handing a report to a worker thread costs the loop about 0.3 ms of CPU, more
#: than encoding a few dozen, so an API submit's lone message is encoded where it arrives.
ENCODE_ON_LOOP_MAX = 64
#: The most peer messages of one ingest handed to the store's write lane (more go to a worker
#: thread): a few dozen verify and commit in a few milliseconds, the wait they can add to an
#: API submit queued behind them.
LANE_MAX_MESSAGES = 32


def _encode_all(messages: list[SignedMessage]) -> list[Outgoing]:
    return [(scope_of(m), encode_message(m)) for m in messages]


class StoreBridge:
    """The store as the p2p service uses it; :meth:`follow` keeps :attr:`index` in step."""

    def __init__(
        self,
        store: Store,
        feed: Subscription,
        outbox: trio.MemorySendChannel[Outgoing],
        counters: Counters,
        *,
        behind: Callable[[], None],
        learn: Callable[[list[SignedMessage]], None],
    ) -> None:
        self.store = store
        self.index = SyncIndex()
        #: The same keys, partitioned by scope (a count and a fingerprint per scope).
        self.scoped = ScopedIndex()
        self._feed = feed
        self._outbox = outbox
        self._counters = counters
        self._behind = behind  # peers may lack what gossip could not carry: sync now
        self._learn = learn  # the communities accepted messages name (node.p2p.topics.Topics.learn)
        self._in_step = False
        self._catching_up = 0

    async def ingest(self, origin: str, items: list[bytes], scopes: Scopes) -> IngestReport:
        """Verify and merge peer data of ``scopes`` in another thread, tagged with where it came
        from: the store's write lane for a few messages (a gossiped batch), a worker thread for
        more (a sync batch, whose verification would hold up the lane's other writes)."""
        work = partial(self.store.ingest, items, origin=origin, scopes=scopes)
        if len(items) <= LANE_MAX_MESSAGES:
            return await self.store.lane.run(work)
        return await trio.to_thread.run_sync(work)

    async def get_encoded(self, ids: list[bytes]) -> list[tuple[bytes, bytes]]:
        """``(id, wire form)`` of the held messages among ``ids``; read and encoded in a worker
        thread (up to a frame's worth of messages: too much for the event loop)."""

        def work() -> list[tuple[bytes, bytes]]:
            return [(m.id, encode_message(m)) for m in self.store.get_many(ids)]

        return await trio.to_thread.run_sync(work)

    async def refresh_index(self) -> None:
        """Make every change the index has received visible (a session calls it first)."""
        self.index.seal()
        self.scoped.seal()

    async def load_index(self) -> None:
        """Build the indexes from the store's keys in a worker thread (subscribe first)."""

        def build() -> tuple[SyncIndex, ScopedIndex]:
            keys = self.store.scoped_sync_keys()
            return SyncIndex(key for key, _ in keys), ScopedIndex(keys)

        self.index, self.scoped = await trio.to_thread.run_sync(build)
        self._in_step, self._catching_up = False, 0

    async def follow(self) -> None:
        """Apply the store's reports to the index and queue this node's own messages for
        gossip, until the feed ends."""
        async for delivery in self._feed:
            if isinstance(delivery, Gap):
                log.warning("the sync index missed %d store reports; rebuilding it", delivery.missed)
                await self._rebuild()
                continue
            if not self._apply(delivery):
                log.warning(
                    "the sync index is out of step with the store (%d keys, %d stored); rebuilding it",
                    self.index.size(),
                    delivery.count,
                )
                await self._rebuild()
            if delivery.accepted:
                self._learn(delivery.accepted)
            if delivery.origin not in PEER_ORIGINS and delivery.accepted:
                await self._queue_for_gossip(delivery.accepted)

    def _apply(self, report: IngestReport) -> bool:
        """Apply one report; ``False`` when the index is out of step with the store."""
        index = self.index
        index.remove(report.removed)
        index.add(report.added)
        index.seal()
        self.scoped.remove(report.removed)
        self.scoped.add((m.sync_key, scope_of(m)) for m in report.accepted)
        self.scoped.seal()
        size = index.size()
        if size == report.count and index.fingerprint(0, size) == report.fingerprint:
            self._in_step = True
            return True
        if self._in_step:
            return False
        # Still replaying reports older than the snapshot; at most a buffer's worth of them.
        self._catching_up += 1
        return self._catching_up <= self._feed.capacity

    async def _rebuild(self) -> None:
        """Reload the index from the store, then sync with every peer at once (against the new
        index: a session started earlier would reconcile the stale one)."""
        self._counters.index_rebuilds += 1
        await self.load_index()
        self._behind()

    async def _queue_for_gossip(self, messages: list[SignedMessage]) -> None:
        if len(messages) <= ENCODE_ON_LOOP_MAX:
            encoded = _encode_all(messages)
        else:
            encoded = await trio.to_thread.run_sync(_encode_all, messages)
        dropped = 0
        for e in encoded:
            try:
                self._outbox.send_nowait(e)
            except trio.WouldBlock:
                dropped += 1
        if dropped:
            self._counters.dropped_outbound += dropped
            log.warning("gossip queue full: %d messages go to peers by sync instead", dropped)
            self._behind()
