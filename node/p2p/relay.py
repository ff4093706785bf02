"""Gossip, both ways: the topic validators (verify and merge before gossipsub relays, one per
scope's topic; the rule is in :mod:`node.p2p.gossip`) and the sender that publishes this node's
own messages.

The sender reads the outbox the store bridge fills (:mod:`node.p2p.bridge`) and publishes
whatever is queued as one batch per scope (:class:`~node.p2p.gossip.GossipBatcher`) on that
scope's topic, joining it first if this node serves every community and has not yet joined it.
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
from node.messages.scope import Scopes, scope_name
from node.p2p.framing import decode_batch
from node.p2p.gossip import MAX_GOSSIP_COUNT, GossipBatcher, GuardedPubsub, Outgoing
from node.p2p.peers import FAULT_MESSAGE, FAULT_PROTOCOL, PeerBook
from node.p2p.status import Counters
from node.p2p.sync import FAULT_REASONS
from node.store import IngestReport

log = logging.getLogger(__name__)

__all__ = ["GossipRelay"]

#: A gossipsub topic validator: ``validate(forwarder, message) -> relay it?``
Validator = Callable[[ID, Any], Awaitable[bool]]


@dataclass
class GossipRelay:
    """Validates what peers gossip and publishes what this node accepted itself."""

    pubsub: GuardedPubsub
    peers: PeerBook
    counters: Counters
    #: ``ingest(origin, items, scopes)``: merge peer data of ``scopes``
    #: (:meth:`node.p2p.bridge.StoreBridge.ingest`).
    ingest: Callable[[str, list[bytes], Scopes], Awaitable[IngestReport]]
    #: ``penalize(peer_id, points, why)`` (:meth:`node.p2p.peering.Peering.penalize`).
    penalize: Callable[[str, float, str], Awaitable[None]]
    #: This node's own messages, with their scopes and wire-encoded, waiting to be published.
    outbox: trio.MemoryReceiveChannel[Outgoing]
    #: ``join(scope)``: the scope's topic, joined; ``None`` if this node does not carry it
    #: (:meth:`node.p2p.topics.Topics.join`).
    join: Callable[[bytes], Awaitable[str | None]]
    #: Called when a published batch's topic reaches no peer yet (a community's first message,
    #: or a topic whose mesh the next heartbeat fills), or no topic was joined for it
    #: (``p2p.max_topics``): sync carries the batch instead, at once.
    behind: Callable[[], None]

    def validator(self, scope: bytes) -> Validator:
        """The topic validator of ``scope``'s topic: it admits messages of that scope alone."""
        carried = Scopes.only(scope)

        async def validate(forwarder: ID, msg: Any) -> bool:
            return await self.validate(forwarder, msg, carried)

        return validate

    async def validate(self, forwarder: ID, msg: Any, carried: Scopes) -> bool:
        """Verify and merge a payload of a topic carrying ``carried`` before gossipsub relays
        it. Never raises."""
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
            report = await self.ingest("gossip", batch, carried)
            faults = sum(1 for _, r in report.rejections() if r.reason in FAULT_REASONS)
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
            scope, batch = await batcher.next_batch()
            try:
                topic = await self.join(scope)
                if topic is None:
                    log.info(
                        "not gossiping %d messages of scope %s (no topic joined; sync carries them)",
                        len(batch.messages),
                        scope_name(scope),
                    )
                    self.behind()
                    continue
                if not self.pubsub.reaches_anyone(topic):
                    self.behind()
                await self.pubsub.publish(topic, batch.encode())
                self.counters.published_batches += 1
                self.counters.published_messages += len(batch.messages)
            except Exception:
                log.exception(
                    "gossip publish failed (%d messages; sync will deliver them)", len(batch.messages)
                )

    @staticmethod
    async def drain(subscription: Any) -> None:
        """Read a topic subscription (validation already merged everything) until the topic is
        left."""
        async for _ in subscription:
            pass
