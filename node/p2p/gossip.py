"""Live propagation over gossipsub: one topic per scope, verify-and-merge before relay.

Topics (:func:`topic_for`): ``mecenate/<chainId>/messages`` carries the base scope, and
``mecenate/<chainId>/community/<0x id>`` each community's (``node.messages.scope``). A node
subscribes to the topics of the scopes it serves; one serving every community cannot list them,
so it joins the topic of each community a peer announces (up to ``p2p.max_topics``) and the one
of each community it publishes in.

Payload of every gossip message: one ``Batch`` (``node.p2p.framing``) of wire-form messages,
all of the topic's scope.

Relay rule (the topic validator, which gossipsub runs before it relays anything):

* our own publishes pass (their messages are already in our store);
* a payload that is not a well-formed batch: dropped, 5 fault points to the forwarder;
* otherwise the batch is merged into the store first, its messages admitted only if they
  belong to the topic's scope; if any message is forged or malformed (a fault reason, see
  ``node.p2p.sync.FAULT_REASONS``) or of another scope (``out_of_scope``: an honest node
  publishes each message on its own scope's topic) the batch is dropped and each such message
  costs the forwarder 1 point; a batch with nothing new is dropped silently (whoever sent it to
  us has relayed it already); otherwise it is relayed as is.

Outbound: messages accepted from the API wait in a bounded queue with their scope; one sender
task publishes whatever is queued as a single batch per scope (:class:`GossipBatcher`: up to
``MAX_GOSSIP_BYTES`` encoded, ``MAX_GOSSIP_COUNT`` messages, one scope), so a burst travels in
few frames while a lone message leaves at once. py-libp2p writes a whole pubsub RPC with one noise write, which fails above
65,535 bytes: batches stay well under that (the RPC adds topic, sender, sequence number and
signature, a few hundred bytes).
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import weakref
from collections.abc import Callable
from typing import Any

import libp2p.pubsub.gossipsub
import libp2p.pubsub.pubsub
import trio
from libp2p.abc import IHost, INetStream
from libp2p.peer.id import ID
from libp2p.peer.peerstore import env_to_send_in_RPC
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.utils import encode_varint_prefixed

from node.errors import PeerMisbehaved
from node.messages.scope import BASE, scope_name
from node.p2p.framing import BatchPacker

__all__ = [
    "MAX_GOSSIP_BYTES",
    "MAX_GOSSIP_COUNT",
    "MAX_RPC_BYTES",
    "PEER_RECORD_REUSE_SECONDS",
    "READ_CHUNK_BYTES",
    "GossipBatcher",
    "GuardedPubsub",
    "reuse_peer_records",
    "scope_of_topic",
    "topic_for",
]

log = logging.getLogger(__name__)

MAX_GOSSIP_BYTES = 48 * 1024
MAX_GOSSIP_COUNT = 512


_COMMUNITY_TOPIC = re.compile(r"mecenate/(\d+)/community/0x([0-9a-f]{64})")


def topic_for(chain_id: int, scope: bytes = BASE) -> str:
    """The gossipsub topic of a scope on a network: ``mecenate/<chainId>/messages`` for the
    base scope, ``mecenate/<chainId>/community/<0x id>`` for a community's."""
    if scope == BASE:
        return f"mecenate/{chain_id}/messages"
    return f"mecenate/{chain_id}/community/{scope_name(scope)}"


def scope_of_topic(chain_id: int, topic: str) -> bytes | None:
    """The scope whose topic on ``chain_id`` is ``topic``; ``None`` for any other topic."""
    if topic == topic_for(chain_id):
        return BASE
    match = _COMMUNITY_TOPIC.fullmatch(topic)
    if match is None or match[1] != str(chain_id):
        return None
    return bytes.fromhex(match[2])


#: One queued outbound message: its scope and its wire form.
Outgoing = tuple[bytes, bytes]


class GossipBatcher:
    """Turns the outbound queue into gossip payloads: each :meth:`next_batch` waits for one
    message, then takes whatever else is queued while the messages share its scope and the
    encoded batch stays within ``MAX_GOSSIP_BYTES`` and ``MAX_GOSSIP_COUNT``. A message that
    does not fit opens the next batch, so none is lost or reordered."""

    def __init__(self, outbox: trio.MemoryReceiveChannel[Outgoing]) -> None:
        self._outbox = outbox
        self._carry: Outgoing | None = None

    async def next_batch(self) -> tuple[bytes, BatchPacker]:
        """The next batch to publish (``.messages``, ``.encode()``), never empty, and its scope."""
        scope, first = self._carry if self._carry is not None else await self._outbox.receive()
        self._carry = None
        packer = BatchPacker(MAX_GOSSIP_BYTES, max_count=MAX_GOSSIP_COUNT)
        packer.add(first)
        while True:
            try:
                queued = self._outbox.receive_nowait()
            except trio.WouldBlock:
                return scope, packer
            if queued[0] != scope or not packer.add(queued[1]):
                self._carry = queued
                return scope, packer


# ---------------------------------------------------------------------------------------------
# py-libp2p 0.5.0's Pubsub, hardened. Left alone it lets these escape into its service (which
# then stops, taking the node's nursery with it): a write to a stream the peer has reset
# (``StreamReset``: only ``StreamClosed`` is caught), a protobuf ``DecodeError`` from a garbage
# RPC, any error inside a ``push_msg`` task. It also reads RPC frames of any announced length.

MAX_RPC_BYTES = 256 * 1024


#: Bytes an inbound pubsub stream's reader takes from its stream at once (what has arrived, up to this).
READ_CHUNK_BYTES = 64 * 1024


class _BoundedReader:
    """An inbound pubsub stream that refuses RPC frames longer than ``max_size``, read in chunks.

    Pubsub reads each frame as a varint length, one byte per read, then the body. On yamux
    every read of the stream also sends the peer a window update, an encrypted frame of its
    own that the peer must read and decrypt: three per small RPC. This proxy takes whatever
    has arrived (up to ``READ_CHUNK_BYTES``) in one read and serves pubsub's reads from it, so a
    burst of RPCs costs one read and one window update. It follows the frames to check every
    announced length before the body is served.
    """

    def __init__(self, stream: Any, max_size: int) -> None:
        self._stream = stream
        self._max = max_size
        self._length = 0
        self._shift = 0
        self._remaining = 0
        self._chunk = b""
        self._at = 0  # where the unread part of ``_chunk`` starts

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    async def read(self, n: int | None = None) -> bytes:
        if n == 0:  # the body of an empty frame
            return b""
        if self._at == len(self._chunk):
            self._chunk, self._at = await self._stream.read(READ_CHUNK_BYTES), 0
            if not self._chunk:
                return b""
        at = self._at
        if self._remaining == 0:  # a byte of a frame's length
            byte = self._chunk[at]
            self._at = at + 1
            self._length |= (byte & 0x7F) << self._shift
            self._shift += 7
            if not byte & 0x80:
                if self._length > self._max:
                    raise PeerMisbehaved(f"pubsub frame of {self._length} bytes (limit {self._max})")
                self._remaining, self._length, self._shift = self._length, 0, 0
            elif self._shift > 63:
                raise PeerMisbehaved("pubsub frame length varint too long")
            return self._chunk[at : at + 1]
        want = self._remaining if n is None or n < 0 else min(n, self._remaining)
        data = self._chunk[at : at + want]
        self._at = at + len(data)
        self._remaining -= len(data)
        return data


class GuardedPubsub(Pubsub):
    """:class:`Pubsub` whose peer-facing paths log instead of raising.

    ``on_fault(peer_id, why)`` is called for a peer whose pubsub stream carried garbage;
    ``on_peer_topic(topic)`` when a peer announces a topic this node has not joined.
    """

    def __init__(
        self,
        *args: Any,
        on_fault: Callable[[ID, str], None],
        on_peer_topic: Callable[[str], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._on_fault = on_fault
        self._on_peer_topic = on_peer_topic

    def handle_subscription(self, origin_id: ID, sub_message: rpc_pb2.RPC.SubOpts) -> None:
        super().handle_subscription(origin_id, sub_message)
        if sub_message.subscribe and sub_message.topicid not in self.topic_ids:
            self._on_peer_topic(sub_message.topicid)

    async def stream_handler(self, stream: INetStream) -> None:
        peer_id = stream.muxed_conn.peer_id
        try:
            await super().stream_handler(_BoundedReader(stream, MAX_RPC_BYTES))  # type: ignore[arg-type]
        except Exception as exc:
            log.info("pubsub stream from %s dropped: %s", peer_id, exc)
            with contextlib.suppress(Exception):
                await stream.reset()
            self._handle_dead_peer(peer_id)
            self._on_fault(peer_id, f"pubsub stream: {type(exc).__name__}: {exc}")

    def reaches_anyone(self, topic: str) -> bool:
        """Whether a publish on ``topic`` now would go to some peer. A joined topic publishes
        to its mesh alone, which stays empty until a heartbeat grafts a peer that subscribed
        after we joined; a topic not joined publishes to the peers known to be on it."""
        mesh = getattr(self.router, "mesh", {})
        if topic in mesh:
            return bool(mesh[topic])
        return bool(self.peer_topics.get(topic))

    async def write_msg(self, stream: INetStream, rpc_msg: rpc_pb2.RPC) -> bool:
        try:
            return await super().write_msg(stream, rpc_msg)
        except Exception as exc:
            peer_id = stream.muxed_conn.peer_id
            log.debug("pubsub write to %s failed: %s", peer_id, exc)
            self._handle_dead_peer(peer_id)
            return False

    async def message_all_peers(self, raw_msg: bytes) -> None:
        for peer_id, stream in list(self.peers.items()):
            try:
                await stream.write(encode_varint_prefixed(raw_msg))
            except Exception as exc:
                log.debug("pubsub write to %s failed: %s", peer_id, exc)
                self._handle_dead_peer(peer_id)

    async def push_msg(self, msg_forwarder: ID, msg: rpc_pb2.Message) -> None:
        try:
            await super().push_msg(msg_forwarder, msg)
        except Exception as exc:
            log.info("pubsub message from %s dropped: %s", msg_forwarder, exc)
            if msg_forwarder != self.my_id:
                self._on_fault(msg_forwarder, f"pubsub message: {type(exc).__name__}")


#: How long the signed peer record attached to every pubsub RPC is reused, in seconds.
PEER_RECORD_REUSE_SECONDS = 5.0


class _PeerRecordCache:
    """The host's signed peer record for pubsub RPCs, built once per
    ``PEER_RECORD_REUSE_SECONDS`` instead of once per RPC.

    py-libp2p 0.5.0 (pinned) attaches the record to every RPC it sends (each publish, each
    graft and prune) and first checks that its cached record is current by listing the host's
    addresses: a ``getsockname`` per listening socket, multiaddrs built from text, the record's
    own addresses parsed again. That is 0.3 ms of CPU, and each system call hands the GIL to the
    worker threads and waits to get it back: on a loaded node, 10-45 ms inside one step of the
    gossip sender, the longest steps measured on the loop. A node's listen addresses do not
    change after it starts, and a record a few seconds old when they do is what a peer could
    have received anyway.
    """

    def __init__(self) -> None:
        self._records: weakref.WeakKeyDictionary[IHost, tuple[float, bytes]] = weakref.WeakKeyDictionary()

    def __call__(self, host: IHost) -> tuple[bytes, bool]:
        """The record's bytes, and whether it was built just now (py-libp2p's signature)."""
        now = time.monotonic()
        kept = self._records.get(host)
        if kept is not None and now - kept[0] < PEER_RECORD_REUSE_SECONDS:
            return kept[1], False
        record, created = env_to_send_in_RPC(host)
        self._records[host] = (now, record)
        return record, created


_peer_records = _PeerRecordCache()


def reuse_peer_records() -> None:
    """Have py-libp2p's pubsub and gossipsub take the host's peer record from one
    :class:`_PeerRecordCache` (idempotent; called when the p2p service starts)."""
    for module in (libp2p.pubsub.pubsub, libp2p.pubsub.gossipsub):
        module.env_to_send_in_RPC = _peer_records  # type: ignore[attr-defined]
