"""The running p2p service: host + gossip + sync + peer management, as one trio service.

:func:`serve` is started with ``nursery.start(serve, config, store, feed)``; it reports a
:class:`P2PNode` (the handle the API and CLI use) once the host listens, gossipsub runs, the
sync index is loaded and the stream handler is set. Cancelling it disconnects every peer and
returns.

Data flow: bytes from a peer (gossip payload or sync frame) -> decoded and verified by
``Store.ingest`` -> merged -> only then relayed (gossip) or served (sync). The parts:
:mod:`.bridge` (the store, in worker threads, and the sync index kept in step from the
node's accepted-messages feed), :mod:`.relay` (gossip validator and sender), :mod:`.peering`
(dialling, faults and bans), :mod:`.discovery` (peering by scope, over the peer lists of
:mod:`.peerlist`), :mod:`.session` (one sync session's bookkeeping, either side),
:mod:`.status` (counters and the peer table). This module wires them and runs the sync rounds.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio
from libp2p.abc import INetConn, INetStream, INetwork
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from libp2p.pubsub.gossipsub import PROTOCOL_ID as GOSSIPSUB_10
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11 as GOSSIPSUB_11
from libp2p.pubsub.gossipsub import GossipSub
from libp2p.tools.async_service.trio_service import background_trio_service

from node import accepted
from node.accepted import AcceptedFeed
from node.config import P2PSettings
from node.errors import ConfigError
from node.messages.scope import Scopes, scope_name
from node.p2p import sync as _sync
from node.p2p.bridge import StoreBridge
from node.p2p.config import (
    FIRST_SYNC_DELAY,
    GOSSIP_DEGREE,
    GOSSIP_DEGREE_HIGH,
    GOSSIP_DEGREE_LOW,
    GOSSIP_FANOUT_TTL,
    GOSSIP_FIRST_HEARTBEAT,
    RESTART_DELAY,
    SYNC_JITTER,
)
from node.p2p.discovery import ScopePeering
from node.p2p.gossip import GuardedPubsub, Outgoing, reuse_peer_records, topic_for
from node.p2p.host import (
    disconnect,
    disconnect_all,
    load_identity,
    make_host,
    parse_listen_addr,
    parse_peer_addr,
)
from node.p2p.inbound import ConnectionNotifee, InboundGuard
from node.p2p.index import SyncIndex
from node.p2p.logs import quiet_library_logs
from node.p2p.peering import Peering
from node.p2p.peerlist import PEERS_PROTOCOL
from node.p2p.peers import FAULT_PROTOCOL, PeerBook, PeerRecord, SyncState
from node.p2p.relay import GossipRelay
from node.p2p.session import INBOUND, OUTBOUND, Sessions
from node.p2p.status import Counters, peer_status
from node.p2p.topics import Topics
from node.store import IngestReport, Store

log = logging.getLogger(__name__)

__all__ = ["P2PNode", "serve"]


class _Notifee(ConnectionNotifee):
    def __init__(self, node: P2PNode) -> None:
        self._node = node

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        try:
            self._node._on_connected(conn)
        except Exception:  # raised into the swarm, it would take the connection down with it
            log.exception("connection hook failed")

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        try:
            self._node._on_disconnected(conn)
        except Exception:
            log.exception("disconnection hook failed")


class P2PNode:
    """Handle on a running p2p service (reported by :func:`serve`). Trio-thread only,
    except :meth:`status`, which only reads. It is also what a sync session runs against
    (:class:`node.p2p.sync.SyncHost`)."""

    def __init__(
        self,
        settings: P2PSettings,
        chain_id: int,
        store: Store,
        host: Any,
        pubsub: GuardedPubsub,
        guard: InboundGuard,
    ) -> None:
        self.settings = settings
        self.store = store
        self.host = host
        self.pubsub = pubsub
        self.guard = guard
        #: The base scope's topic, which every node joins.
        self.topic = topic_for(chain_id)
        self.peers = PeerBook(fault_threshold=settings.fault_threshold, ban_seconds=settings.ban_seconds)
        self.gossip = Counters()
        self.peering = Peering(host, pubsub, guard, self.peers, self.topic)
        self.discovery = ScopePeering(host, self.peering, lambda: self.scopes, settings)
        self.sessions = Sessions(self.peers, self.peering.penalize, again=self._sync_again)
        self._nursery: trio.Nursery | None = None
        self._changing_scopes = trio.Lock()  # one change of the scopes served at a time
        self._outbox_send, outbox_receive = trio.open_memory_channel[Outgoing](settings.gossip_queue)
        self.topics: Topics
        self.relay = GossipRelay(
            pubsub,
            self.peers,
            self.gossip,
            ingest=self.ingest,
            penalize=self.penalize,
            outbox=outbox_receive,
            join=lambda scope: self.topics.join(scope),
            behind=self.sync_all_soon,
        )
        self.topics = Topics(
            pubsub,
            chain_id,
            lambda: self.scopes,
            settings.max_topics,
            validator=self.relay.validator,
            drain=self.relay.drain,
            start=lambda fn, *args: self._start(_supervised, fn, *args),
        )
        self.bridge: StoreBridge | None = None

    # -- public ------------------------------------------------------------------------------

    @property
    def scopes(self) -> Scopes:
        """The scopes this node serves (what it stores, gossips and syncs): the store's
        (:attr:`node.store.Store.served`), settled from ``p2p.scopes`` when the service started
        and changed by :meth:`add_scope` and :meth:`remove_scope`."""
        return self.store.served

    @property
    def peer_id(self) -> str:
        return self.peering.peer_id

    @property
    def addrs(self) -> list[str]:
        """Full multiaddrs (with ``/p2p/<id>``) other nodes can dial or list as bootstrap."""
        return [str(a) for a in self.host.get_addrs()]

    def connected_peers(self) -> list[str]:
        return [p.to_string() for p in self.host.get_connected_peers()]

    def status(self) -> dict[str, Any]:
        """Peer id, addresses, scopes and topics, store fingerprint, gossip counters, per-peer
        sync state."""
        count, fingerprint = self.store.summary()
        return {
            "peer_id": self.peer_id,
            "addrs": self.addrs,
            "scopes": self.scopes.names(),
            "by_scope": self._by_scope(),
            "topic": self.topic,
            "topics": self.topics.joined(),
            "messages": count,
            "fingerprint": "0x" + fingerprint.hex(),
            "gossip": self.gossip.as_dict(),
            **peer_status(self.peers, self.connected_peers(), self.scopes),
            "connections": self.guard.status(),
        }

    def _by_scope(self) -> dict[str, dict[str, Any]]:
        """``{scope: {"messages", "fingerprint"}}`` of each scope held (:meth:`scope_summary`)."""
        return {
            scope_name(scope): {"messages": n, "fingerprint": "0x" + fingerprint.hex()}
            for scope, (n, fingerprint) in sorted(self.scope_summary().items())
        }

    def scope_summary(self) -> dict[bytes, tuple[int, bytes]]:
        """``scope: (messages, fingerprint)`` of each scope held, from the sync index (what
        sessions compare): two nodes hold the same messages of a scope exactly when its
        fingerprints agree."""
        return {} if self.bridge is None else self.bridge.scoped.summary()

    async def add_scope(self, community: bytes) -> bool:
        """Serve ``community`` (a 32-byte id) from now on, also after a restart: join its topic
        and catch up on it with every connected peer that serves it (or has not said what it
        serves). Returns whether it was not served before."""
        async with self._changing_scopes:
            added = await trio.to_thread.run_sync(self.store.serve, self.scopes.adding(community))
            if added:
                await self.topics.join(community)
                self._catch_up(community)
                self.discovery.wake()
        return added

    async def remove_scope(self, community: bytes) -> tuple[bool, int]:
        """Stop serving ``community``: leave its topic and drop its messages from the store
        (and so from the sync index). Returns whether it was served, and how many messages
        were dropped (also of a community no longer served whose messages were still held).
        Raises ValueError when the node serves every community (there is no list to take one
        from)."""
        async with self._changing_scopes:
            removed = await trio.to_thread.run_sync(self.store.serve, self.scopes.removing(community))
            await self.topics.leave(community)
            self.discovery.wake()
            return removed, await self._drop_unserved()

    async def _drop_unserved(self) -> int:
        """Drop what the store holds of communities it does not serve (a removal, or one
        interrupted or configured away before this start), in a worker thread."""
        dropped = await trio.to_thread.run_sync(self.store.drop_unserved)
        if dropped:
            log.info("dropped %d messages of communities this node does not serve", dropped)
        return dropped

    def _catch_up(self, community: bytes) -> None:
        """Start a sync session now with each connected peer that serves ``community``, as far
        as it told us, or has not told us yet."""
        for peer_id in list(self.host.get_connected_peers()):
            theirs = self.peers.get(peer_id.to_string()).scopes
            if theirs is None or theirs.serves(community):
                self._start(self._sync_peer_later, peer_id, 0.0)

    async def connect(self, multiaddr: str) -> str:
        """Dial a peer now; returns its peer id (see :meth:`node.p2p.peering.Peering.connect`)."""
        return await self.peering.connect(multiaddr)

    async def sync_with(self, peer_id: str) -> SyncState:
        """Run one sync session with a connected peer now and return its outcome."""
        return await self._sync_peer(ID.from_base58(peer_id))

    # -- what a sync session runs against (node.p2p.sync.SyncHost) ---------------------------

    @property
    def index(self) -> SyncIndex:
        assert self.bridge is not None, "the service has not started"
        return self.bridge.index

    def sync_storages(self, shared: list[bytes] | None) -> list[SyncIndex]:
        """The keys of each shared scope, in order (``None``: one index of every key)."""
        assert self.bridge is not None, "the service has not started"
        if shared is None:
            return [self.bridge.index]
        return [self.bridge.scoped.index(scope) for scope in shared]

    def peer_serves(self, peer_id: str, scopes: Scopes) -> None:
        """A peer's SCOPES frame: what it serves, first hand, for peering by scope."""
        self.discovery.learn(peer_id, [PeerRecord(peer_id, scopes, ())])

    async def ingest(self, origin: str, items: list[bytes], scopes: Scopes | None = None) -> IngestReport:
        """Merge peer data; messages outside ``scopes`` (default: the node's) are refused."""
        assert self.bridge is not None, "the service has not started"
        return await self.bridge.ingest(origin, items, self.scopes if scopes is None else scopes)

    async def get_encoded(self, ids: list[bytes]) -> list[tuple[bytes, bytes]]:
        assert self.bridge is not None, "the service has not started"
        return await self.bridge.get_encoded(ids)

    async def refresh_index(self) -> None:
        assert self.bridge is not None, "the service has not started"
        await self.bridge.refresh_index()

    async def penalize(self, peer_id: str, points: float, why: str) -> None:
        await self.peering.penalize(peer_id, points, why)

    # -- sync --------------------------------------------------------------------------------

    def _start(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        if self._nursery is not None:
            self._nursery.start_soon(fn, *args)

    def _on_connected(self, conn: INetConn) -> None:
        muxed = conn.muxed_conn
        peer_id = muxed.peer_id
        if self.peers.is_banned(peer_id.to_string()):
            self._start(disconnect, self.host, peer_id)
            return
        initiator = getattr(muxed, "is_initiator", False)  # a bool on yamux, a method elsewhere
        if initiator() if callable(initiator) else initiator:
            self._start(self._sync_peer_later, peer_id, FIRST_SYNC_DELAY)
            if self.settings.scope_peers:
                self._start(_after, FIRST_SYNC_DELAY, self.discovery.exchange, peer_id)

    def _on_disconnected(self, conn: INetConn) -> None:
        peer_id = conn.muxed_conn.peer_id
        if peer_id not in self.host.get_connected_peers():  # its last connection
            self.peers.gone(peer_id.to_string())

    def sync_all_soon(self) -> None:
        """Sync with every connected peer now; with one that has a session running, as soon
        as it ends (that session may have reconciled before what prompted this)."""
        for peer_id in list(self.host.get_connected_peers()):
            peer = self.peers.get(peer_id.to_string())
            if peer.active_sessions:
                peer.sync_again = True
            else:
                self._start(self._sync_peer_later, peer_id, 0.0)

    def _sync_again(self, pid: str) -> None:
        """The sync asked for while sessions with ``pid`` ran, now that they ended; none if the
        peer is gone (a sync would dial it again)."""
        peer_id = ID.from_base58(pid)
        if peer_id in self.host.get_connected_peers():
            self._start(self._sync_peer_later, peer_id, 0.0)

    async def _sync_loop(self) -> None:
        interval = self.settings.sync_interval_seconds
        while True:
            await trio.sleep(interval * random.uniform(1 - SYNC_JITTER, 1 + SYNC_JITTER))
            for peer_id in list(self.host.get_connected_peers()):
                state = self.peers.get(peer_id.to_string())
                if time.monotonic() - state.last_sync_ok < interval / 2 or state.active_sessions:
                    continue
                self._start(self._sync_peer_later, peer_id, 0.0)

    async def _sync_peer_later(self, peer_id: ID, delay: float) -> None:
        await trio.sleep(delay)
        try:
            await self._sync_peer(peer_id)
        except Exception:
            log.exception("sync with %s failed unexpectedly", peer_id)

    async def _sync_peer(self, peer_id: ID) -> SyncState:
        pid = peer_id.to_string()

        async def open_stream() -> INetStream:
            return await self.host.new_stream(peer_id, [TProtocol(_sync.SYNC_PROTOCOL)])

        async def client(stream: Any, state: SyncState) -> None:
            await _sync.run_client(self, stream, pid, state)

        return await self.sessions.run(pid, OUTBOUND, client, open_stream=open_stream)

    async def _handle_sync_stream(self, stream: INetStream) -> None:
        """Stream handler: serve one session. Never raises (that would kill the host)."""
        try:
            pid = stream.muxed_conn.peer_id.to_string()

            async def server(stream: Any, state: SyncState) -> None:
                await _sync.run_server(self, stream, pid, state)

            await self.sessions.run(pid, INBOUND, server, stream=stream)
        except Exception:
            log.exception("sync stream handler failed")


async def _refuse_old_sync(stream: INetStream) -> None:
    """Stream handler of an earlier sync version: say which one we speak. Never raises."""
    try:
        await _sync.refuse_old_version(stream)
    except Exception as exc:
        log.debug("telling a peer of an old sync version failed: %s", exc)


async def _after(delay: float, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
    await trio.sleep(delay)
    await fn(*args)


async def _logged(fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
    """Run a one-off task; if it fails, log it (the node runs on without it)."""
    try:
        await fn(*args)
    except Exception:
        log.exception("%s failed", getattr(fn, "__name__", fn))


async def _supervised(fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
    """Run a long-lived loop; if it fails, log it and start it again after ``RESTART_DELAY``."""
    while True:
        try:
            await fn(*args)
            return
        except Exception:
            log.exception("%s failed; restarting it", getattr(fn, "__name__", fn))
            await trio.sleep(RESTART_DELAY)


def _gossipsub(settings: P2PSettings) -> GossipSub:
    return GossipSub(
        protocols=[GOSSIPSUB_11, GOSSIPSUB_10],
        degree=GOSSIP_DEGREE,
        degree_low=GOSSIP_DEGREE_LOW,
        degree_high=GOSSIP_DEGREE_HIGH,
        heartbeat_initial_delay=GOSSIP_FIRST_HEARTBEAT,
        heartbeat_interval=settings.gossip_heartbeat_seconds,  # type: ignore[arg-type]  # a float works
        time_to_live=GOSSIP_FANOUT_TTL,
    )


async def serve(
    settings: P2PSettings,
    data_dir: Path,
    chain_id: int,
    store: Store,
    feed: AcceptedFeed | None = None,
    *,
    task_status: trio.TaskStatus[P2PNode] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the p2p service for ``store`` until cancelled; reports a :class:`P2PNode`.

    ``settings`` are the node's ``p2p`` settings; the node's identity key lives in ``data_dir``,
    and ``chain_id`` names the gossip topic it joins.

    ``feed`` is the node's accepted-messages feed (:mod:`node.accepted`) for ``store``; without
    one (a p2p node on its own, as in tests and benchmarks) the service runs its own.

    Raises :class:`~node.errors.ConfigError` (before reporting readiness) for an unusable
    listen address (malformed, or already in use), bootstrap entry or identity file.
    """
    listen = parse_listen_addr(settings.listen)
    for addr in settings.bootstrap:
        parse_peer_addr(addr)
    key_pair = load_identity(data_dir)
    quiet_library_logs()
    async with trio.open_nursery() as outer:
        if feed is None:
            feed = await outer.start(accepted.serve, store)
        await _run(settings, chain_id, store, feed, key_pair, listen, task_status)
        outer.cancel_scope.cancel()


async def _run(
    settings: P2PSettings,
    chain_id: int,
    store: Store,
    feed: AcceptedFeed,
    key_pair: Any,
    listen: Any,
    task_status: trio.TaskStatus[P2PNode],
) -> None:
    guard = InboundGuard(settings)
    reuse_peer_records()
    host = make_host(key_pair, guard)
    gossipsub = _gossipsub(settings)
    node: P2PNode | None = None

    def pubsub_fault(peer: ID, why: str) -> None:
        if node is not None:
            node._start(node.penalize, peer.to_string(), FAULT_PROTOCOL, why)

    def peer_topic(topic: str) -> None:
        if node is not None:
            node.topics.on_peer_topic(topic)

    pubsub = GuardedPubsub(host, gossipsub, on_fault=pubsub_fault, on_peer_topic=peer_topic)
    await trio.to_thread.run_sync(store.serve_configured, Scopes(settings.communities))
    node = P2PNode(settings, chain_id, store, host, pubsub, guard)
    # Subscribe first, then read the keys: a report made in between is replayed onto them.
    with feed.subscription("p2p sync index", settings.feed_buffer) as reports:
        node.bridge = bridge = StoreBridge(
            store, reports, node._outbox_send, node.gossip, behind=node.sync_all_soon, learn=node.topics.learn
        )
        await bridge.load_index()
        async with host.run([listen]):
            if not host.get_addrs():  # py-libp2p logs a failed bind (port taken) and goes on
                raise ConfigError(f"p2p.listen: cannot listen on {settings.listen} (address in use?)")
            try:
                async with background_trio_service(pubsub), background_trio_service(gossipsub):
                    await pubsub.wait_until_ready()
                    host.set_stream_handler(TProtocol(_sync.SYNC_PROTOCOL), node._handle_sync_stream)
                    host.set_stream_handler(TProtocol(PEERS_PROTOCOL), node.discovery.handle)
                    for old in _sync.OLD_SYNC_PROTOCOLS:
                        host.set_stream_handler(TProtocol(old), _refuse_old_sync)
                    host.get_network().register_notifee(_Notifee(node))
                    try:
                        async with trio.open_nursery() as nursery:
                            node._nursery = nursery
                            await node.topics.join_served()
                            nursery.start_soon(_logged, node._drop_unserved)
                            nursery.start_soon(_supervised, bridge.follow)
                            nursery.start_soon(_supervised, node.relay.send)
                            nursery.start_soon(_supervised, node._sync_loop)
                            nursery.start_soon(_supervised, node.peering.lift_expired_bans)
                            nursery.start_soon(_supervised, node.discovery.run)
                            for addr in settings.bootstrap:
                                nursery.start_soon(_supervised, node.peering.keep_connected, addr)
                            log.info("p2p listening on %s", ", ".join(node.addrs))
                            task_status.started(node)
                    finally:  # closed: nothing may start in it while the services stop
                        node._nursery = None
            finally:
                await disconnect_all(host)
