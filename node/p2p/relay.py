"""Gossip, both ways: the topic validator (verify and merge before gossipsub relays; the rule
is in :mod:`node.p2p.gossip`) and the sender that publishes this node's own messages.

The sender reads the outbox the store bridge fills (:mod:`node.p2p.bridge`) and publishes
whatever is queued as one batch (:class:`~node.p2p.gossip.GossipBatcher`).
A publish that fails is logged; sync delivers those messages.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import trio
from libp2p.peer.id import ID

from node.errors import PeerMisbehaved
from node.p2p import sync as _sync
from node.p2p.framing import decode_batch
from node.p2p.gossip import MAX_GOSSIP_COUNT, GossipBatcher, GuardedPubsub
from node.p2p.peers import FAULT_MESSAGE, FAULT_PROTOCOL, PeerBook
from node.p2p.status import Counters
from node.store import IngestReport

log = logging.getLogger(__name__)

__all__ = ["GossipRelay"]


@dataclass
class GossipRelay:
    """Validates what peers gossip and publishes what this node accepted itself."""

    pubsub: GuardedPubsub
    topic: str
    peers: PeerBook
    counters: Counters
    #: ``ingest(origin, items)``: merge peer data (:meth:`node.p2p.bridge.StoreBridge.ingest`).
    ingest: Callable[[str, list[bytes]], Awaitable[IngestReport]]
    #: ``penalize(peer_id, points, why)`` (:meth:`node.p2p.peering.Peering.penalize`).
    penalize: Callable[[str, float, str], Awaitable[None]]
    #: This node's own messages, wire-encoded, waiting to be published.
    outbox: trio.MemoryReceiveChannel[bytes]

    async def validate(self, forwarder: ID, msg: Any) -> bool:
        """Topic validator: verify and merge before gossipsub relays. Never raises."""
        try:
            if forwarder == self.pubsub.host.get_id():
                return True
            peer_id = forwarder.to_string()
            if self.peers.is_banned(peer_id):
                return False
            self.counters.received_batches += 1
            try:
                batch = decode_batch(msg.data, max_count=MAX_GOSSIP_COUNT)
            except PeerMisbehaved as exc:
                self.counters.rejected_batches += 1
                await self.penalize(peer_id, FAULT_PROTOCOL, f"bad gossip payload: {exc}")
                return False
            if not batch:
                return False
            report = await self.ingest("gossip", batch)
            faults = _sync._faults(report)
            self.counters.accepted_messages += len(report.accepted)
            if faults:
                self.counters.rejected_batches += 1
                await self.penalize(peer_id, faults * FAULT_MESSAGE, f"{faults} invalid gossiped messages")
                return False
            return bool(report.accepted)
        except Exception:
            log.exception("gossip validation failed")
            return False

    async def send(self) -> None:
        """Forever: publish what the outbox holds, a batch at a time."""
        batcher = GossipBatcher(self.outbox)
        while True:
            batch = await batcher.next_batch()
            try:
                await self.pubsub.publish(self.topic, batch.encode())
                self.counters.published_batches += 1
                self.counters.published_messages += len(batch.messages)
            except Exception:
                log.exception(
                    "gossip publish failed (%d messages; sync will deliver them)", len(batch.messages)
                )

    @staticmethod
    async def drain(subscription: Any) -> None:
        """Forever: read our topic subscription (validation already merged everything)."""
        while True:
            await subscription.get()
