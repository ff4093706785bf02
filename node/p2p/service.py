"""The running p2p service: host + gossip + sync + peer management, as one trio service.

:func:`serve` is started with ``nursery.start(serve, config, store)``; it reports a
:class:`P2PNode` (the handle the API and CLI use) once the host listens, gossipsub runs and
the stream handler is set. Cancelling it disconnects every peer and returns.

Data flow: bytes from a peer (gossip payload or sync frame) -> decoded and verified by
``Store.ingest`` -> merged -> only then relayed (gossip) or served (sync). Store calls go
through ``trio.to_thread.run_sync``: an ingest commits with fsync and verifies signatures, and
inline it would stall every stream and the HTTP API on the same loop. The store serialises
its callers behind one lock (one writer) and opens SQLite with ``check_same_thread=False``. The store's
listener feeds the in-memory reconciliation index and queues API-originated messages for
gossip; messages that came from peers are not re-published (gossipsub relays them, sync
needs no relay).
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio
from libp2p.abc import INetConn, INetStream, INetwork
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo
from libp2p.pubsub.gossipsub import PROTOCOL_ID as GOSSIPSUB_10
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11 as GOSSIPSUB_11
from libp2p.pubsub.gossipsub import GossipSub
from libp2p.tools.async_service.trio_service import background_trio_service

from node.errors import BadPeerAddress, ConfigError, PeerMisbehaved, PeerUnreachable
from node.messages import SignedMessage, encode_message
from node.p2p import sync as _sync
from node.p2p.framing import StreamBroken, decode_batch, encode_batch
from node.p2p.gossip import MAX_GOSSIP_BYTES, MAX_GOSSIP_COUNT, GuardedPubsub, topic_for
from node.p2p.host import (
    disconnect,
    disconnect_all,
    load_identity,
    make_host,
    parse_listen_addr,
    parse_peer_addr,
)
from node.p2p.inbound import ConnectionNotifee, InboundGuard, InboundLimits, remote_address
from node.p2p.logs import Throttle, held_note, quiet_library_logs
from node.p2p.negentropy import SortedKeys
from node.p2p.peers import FAULT_MESSAGE, FAULT_PROTOCOL, Backoff, PeerBook, SyncState
from node.store import Store

log = logging.getLogger(__name__)

__all__ = ["P2PConfig", "P2PNode", "serve"]


@dataclass(frozen=True)
class P2PConfig:
    """Inputs of the p2p service; :meth:`from_settings` maps the node's settings onto it."""

    data_dir: Path
    chain_id: int
    listen: str = "/ip4/127.0.0.1/tcp/4001"
    bootstrap: tuple[str, ...] = ()
    sync_interval: float = 30.0
    gossip_heartbeat: float = 1.0
    fault_threshold: float = 20.0
    ban_seconds: float = 300.0
    gossip_queue: int = 10_000
    inbound: InboundLimits = field(default_factory=InboundLimits)

    def __post_init__(self) -> None:
        for name in ("sync_interval", "gossip_heartbeat", "fault_threshold", "ban_seconds"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"p2p {name} must be positive, not {getattr(self, name)!r}")
        if self.gossip_queue < 1:
            raise ConfigError(f"p2p gossip_queue must be at least 1, not {self.gossip_queue!r}")

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> P2PConfig:
        values = dict(
            data_dir=Path(settings.data_dir),
            chain_id=settings.chain_id,
            listen=settings.p2p.listen,
            bootstrap=tuple(settings.p2p.bootstrap),
            sync_interval=settings.p2p.sync_interval_seconds,
            inbound=InboundLimits(
                handshake_timeout=settings.p2p.handshake_timeout_seconds,
                idle_timeout=settings.p2p.idle_timeout_seconds,
                max_inbound=settings.p2p.max_inbound_connections,
                max_per_ip=settings.p2p.max_connections_per_ip,
                ip_cooldown=settings.p2p.ip_cooldown_seconds,
            ),
        )
        values.update(overrides)
        return cls(**values)


class _Notifee(ConnectionNotifee):
    def __init__(self, node: P2PNode) -> None:
        self._node = node

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        try:
            self._node._on_connected(conn)
        except Exception:  # raised into the swarm, it would take the connection down with it
            log.exception("connection hook failed")


@dataclass
class _Counters:
    published_batches: int = 0
    published_messages: int = 0
    received_batches: int = 0
    accepted_messages: int = 0
    rejected_batches: int = 0
    dropped_outbound: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class P2PNode:
    """Handle on a running p2p service (reported by :func:`serve`). Trio-thread only,
    except :meth:`status`, which only reads."""

    def __init__(
        self,
        config: P2PConfig,
        store: Store,
        host: Any,
        pubsub: GuardedPubsub,
        index: SortedKeys,
        guard: InboundGuard,
    ) -> None:
        self.config = config
        self.store = store
        self.host = host
        self.pubsub = pubsub
        self.guard = guard
        guard.is_useful = self._is_useful
        self.index = index
        self.topic = topic_for(config.chain_id)
        self.peers = PeerBook(fault_threshold=config.fault_threshold, ban_seconds=config.ban_seconds)
        self.gossip = _Counters()
        self._fault_log = Throttle()
        self._nursery: trio.Nursery | None = None
        self._token = trio.lowlevel.current_trio_token()
        self._trio_thread = threading.get_ident()
        self._local = threading.local()
        self._outbox_send, self._outbox_recv = trio.open_memory_channel[bytes](config.gossip_queue)
        self._in_flight = 0  # listener hand-offs scheduled but not applied yet
        self._in_flight_lock = threading.Lock()

    # -- public ------------------------------------------------------------------------------

    @property
    def peer_id(self) -> str:
        return self.host.get_id().to_string()

    @property
    def addrs(self) -> list[str]:
        """Full multiaddrs (with ``/p2p/<id>``) other nodes can dial or list as bootstrap."""
        return [str(a) for a in self.host.get_addrs()]

    def connected_peers(self) -> list[str]:
        return [p.to_string() for p in self.host.get_connected_peers()]

    def status(self) -> dict[str, Any]:
        """Peer id, addresses, store fingerprint, gossip counters, per-peer sync state."""
        now = time.monotonic()
        connected = set(self.connected_peers())
        known = {p.peer_id: p for p in self.peers.all()}
        for pid in connected:
            known.setdefault(pid, self.peers.peek(pid))
        return {
            "peer_id": self.peer_id,
            "addrs": self.addrs,
            "topic": self.topic,
            "messages": len(self.store),
            "fingerprint": "0x" + self.store.fingerprint().hex(),
            "gossip": self.gossip.as_dict(),
            "peers": [
                p.as_dict(now, p.peer_id in connected) for p in known.values() if p.peer_id in connected
            ],
            "banned": [p.peer_id for p in known.values() if self.peers.is_banned(p.peer_id)],
            "connections": self.guard.status(),
        }

    async def connect(self, addr: str) -> str:
        """Dial ``/ip4/.../tcp/.../p2p/<id>`` now; returns the peer id. Raises BadPeerAddress for a
        bad address, this node's own peer id or a banned peer, PeerUnreachable when the dial fails."""
        try:
            info = parse_peer_addr(addr)
        except ConfigError as exc:
            raise BadPeerAddress(str(exc)) from exc
        pid = info.peer_id.to_string()
        if pid == self.peer_id:
            raise BadPeerAddress(
                f"{pid} is this node's own address: a node does not dial itself", reason="own_address"
            )
        if self.peers.is_banned(pid):
            raise BadPeerAddress(f"peer {pid} is banned for misbehaving", reason="banned_peer")
        try:
            await self.host.connect(info)
        except Exception as exc:  # libp2p's dial errors have no common base
            raise PeerUnreachable(f"cannot connect to {addr}: {exc}") from exc
        return pid

    async def sync_with(self, peer_id: str) -> SyncState:
        """Run one sync session with a connected peer now and return its outcome."""
        return await self._sync_peer(ID.from_base58(peer_id))

    # -- store hooks -------------------------------------------------------------------------

    async def ingest(self, origin: str, items: list[bytes]) -> Any:
        """Merge peer data in a worker thread, tagged so the listener knows where it came from."""

        def work() -> Any:
            self._local.origin = origin
            try:
                return self.store.ingest(items)
            finally:
                self._local.origin = None

        return await trio.to_thread.run_sync(work)

    async def get_encoded(self, ids: list[bytes]) -> list[tuple[bytes, bytes]]:
        """``(id, wire form)`` of the held messages among ``ids``; read and encoded in a worker
        thread (up to a frame's worth of messages: too much for the event loop)."""

        def work() -> list[tuple[bytes, bytes]]:
            return [(m.id, encode_message(m)) for m in self.store.get_many(ids)]

        return await trio.to_thread.run_sync(work)

    async def refresh_index(self) -> None:
        """Make the reconciliation index match the store (seal; rebuild if they disagree)."""
        self.index.seal()
        n = len(self.store)
        if self.index.size() == n and self.index.fingerprint(0, n) == self.store.fingerprint():
            return
        if self.index.size() < n and self._in_flight:
            return  # keys still on their way from the listener: the next session has them
        log.info("rebuilding the sync index (%d keys indexed, %d stored)", self.index.size(), n)
        keys = await trio.to_thread.run_sync(self.store.sync_keys)
        self.index = SortedKeys(keys)

    def _on_store_accepted(self, messages: list[SignedMessage]) -> None:
        # Runs in whichever thread ingested; hop to the trio thread.
        origin = getattr(self._local, "origin", None)
        keys = [m.sync_key for m in messages]
        encoded = [encode_message(m) for m in messages] if origin is None else None

        def apply() -> None:
            with self._in_flight_lock:
                self._in_flight -= 1
            self.index.add(keys)
            if encoded is not None:
                for e in encoded:
                    try:
                        self._outbox_send.send_nowait(e)
                    except trio.WouldBlock:
                        self.gossip.dropped_outbound += 1

        with self._in_flight_lock:
            self._in_flight += 1
        if threading.get_ident() == self._trio_thread:
            apply()
        else:
            with contextlib.suppress(trio.RunFinishedError):  # the service has stopped: nothing to update
                self._token.run_sync_soon(apply)

    # -- faults ------------------------------------------------------------------------------

    async def penalize(self, peer_id: str, points: float, why: str) -> None:
        """Count fault points; at the threshold ban the peer, cool its IPs down, disconnect it."""
        held = self._fault_log.allow(peer_id)
        if held is not None:
            log.info("peer %s: %s (+%.0f fault points)%s", peer_id, why, points, held_note(held))
        if self.peers.add_fault(peer_id, points):
            try:
                pid = ID.from_base58(peer_id)
            except Exception:
                return
            ips = self._remote_ips(pid)
            log.warning(
                "peer %s banned for %.0f s after repeated faults (from %s)",
                peer_id,
                self.config.ban_seconds,
                ", ".join(sorted(ips)) or "no open connection",
            )
            for ip in ips:
                self.guard.cool_down(ip)
            self.pubsub.blacklisted_peers.add(pid)
            await disconnect(self.host, pid)

    def _remote_ips(self, peer_id: ID) -> set[str]:
        addrs = (remote_address(conn) for conn in self.host.get_network().get_connections(peer_id))
        return {addr[0] for addr in addrs if addr}

    def _is_useful(self, peer_id: ID) -> bool:
        """Whether an idle inbound connection is worth keeping: the peer is in our gossip topic
        or has completed a sync with us, and is not banned."""
        pid = peer_id.to_string()
        if self.peers.is_banned(pid):
            return False
        return peer_id in self.pubsub.peer_topics.get(self.topic, ()) or self.peers.peek(pid).last_sync_ok > 0

    # -- gossip ------------------------------------------------------------------------------

    async def _validate(self, forwarder: ID, msg: Any) -> bool:
        """Topic validator: verify and merge before gossipsub relays. Never raises."""
        try:
            if forwarder == self.host.get_id():
                return True
            peer_id = forwarder.to_string()
            if self.peers.is_banned(peer_id):
                return False
            self.gossip.received_batches += 1
            try:
                batch = decode_batch(msg.data, max_count=MAX_GOSSIP_COUNT)
            except PeerMisbehaved as exc:
                self.gossip.rejected_batches += 1
                await self.penalize(peer_id, FAULT_PROTOCOL, f"bad gossip payload: {exc}")
                return False
            if not batch:
                return False
            report = await self.ingest("gossip", batch)
            faults = _sync._faults(report)
            self.gossip.accepted_messages += len(report.accepted)
            if faults:
                self.gossip.rejected_batches += 1
                await self.penalize(peer_id, faults * FAULT_MESSAGE, f"{faults} invalid gossiped messages")
                return False
            return bool(report.accepted)
        except Exception:
            log.exception("gossip validation failed")
            return False

    async def _gossip_sender(self) -> None:
        carry: bytes | None = None
        while True:
            first = carry if carry is not None else await self._outbox_recv.receive()
            carry = None
            batch, size = [first], len(first)
            while len(batch) < MAX_GOSSIP_COUNT:
                try:
                    nxt = self._outbox_recv.receive_nowait()
                except trio.WouldBlock:
                    break
                if size + len(nxt) + 8 > MAX_GOSSIP_BYTES:
                    carry = nxt
                    break
                batch.append(nxt)
                size += len(nxt) + 8
            try:
                await self.pubsub.publish(self.topic, encode_batch(batch))
                self.gossip.published_batches += 1
                self.gossip.published_messages += len(batch)
            except Exception:
                log.exception("gossip publish failed (%d messages; sync will deliver them)", len(batch))

    async def _drain(self, subscription: Any) -> None:
        # Validation already merged everything; the subscription only has to be read.
        while True:
            await subscription.get()

    # -- connections -------------------------------------------------------------------------

    def _on_connected(self, conn: INetConn) -> None:
        muxed = conn.muxed_conn
        peer_id = muxed.peer_id
        if self._nursery is None:
            return
        if self.peers.is_banned(peer_id.to_string()):
            self._nursery.start_soon(disconnect, self.host, peer_id)
            return
        initiator = getattr(muxed, "is_initiator", False)  # a bool on yamux, a method elsewhere
        if initiator() if callable(initiator) else initiator:
            self._nursery.start_soon(self._sync_peer_logged, peer_id, 0.2)

    async def _keep_connected(self, addr: str) -> None:
        """Dial a bootstrap peer, and again with backoff whenever the connection drops."""
        info = parse_peer_addr(addr)
        pid = info.peer_id.to_string()
        backoff = Backoff()
        while True:
            if self.peers.is_banned(pid) or self.host.get_network().get_connections(info.peer_id):
                await trio.sleep(0.5)
                continue
            try:
                with trio.fail_after(10):
                    await self.host.connect(PeerInfo(info.peer_id, info.addrs))
                log.info("connected to bootstrap peer %s", pid)
                backoff.reset()
            except Exception as exc:
                delay = backoff.next_delay()
                log.debug("dial %s failed (%s); retrying in %.1f s", pid, exc, delay)
                await trio.sleep(delay)

    async def _ban_expiry(self) -> None:
        while True:
            await trio.sleep(1.0)
            for pid in self.peers.expire_bans():
                with contextlib.suppress(Exception):
                    self.pubsub.blacklisted_peers.discard(ID.from_base58(pid))

    # -- sync --------------------------------------------------------------------------------

    async def _sync_loop(self) -> None:
        interval = self.config.sync_interval
        while True:
            await trio.sleep(interval * random.uniform(0.8, 1.2))
            for peer_id in list(self.host.get_connected_peers()):
                state = self.peers.get(peer_id.to_string())
                if time.monotonic() - state.last_sync_ok < interval / 2 or state.active_sessions:
                    continue
                assert self._nursery is not None
                self._nursery.start_soon(self._sync_peer_logged, peer_id, 0.0)

    async def _sync_peer_logged(self, peer_id: ID, delay: float) -> None:
        await trio.sleep(delay)
        try:
            await self._sync_peer(peer_id)
        except Exception:
            log.exception("sync with %s failed unexpectedly", peer_id)

    async def _sync_peer(self, peer_id: ID) -> SyncState:
        pid = peer_id.to_string()
        peer = self.peers.get(pid)
        state = SyncState(state="running", direction="outbound", started_at=time.time())
        if peer.active_sessions >= _sync.MAX_SESSIONS_PER_PEER or self.peers.is_banned(pid):
            state.state, state.error = "failed", "busy or banned"
            return state
        peer.active_sessions += 1
        peer.sync = state
        stream = None
        try:
            with trio.fail_after(15):
                stream = await self.host.new_stream(peer_id, [_sync.SYNC_PROTOCOL])
            await _sync.run_client(self, stream, pid, state)
            state.state = "ok"
            peer.last_sync_ok = time.monotonic()
            await stream.close()
        except PeerMisbehaved as exc:
            state.state, state.error = "failed", str(exc)
            await self.penalize(pid, FAULT_PROTOCOL, f"sync: {exc}")
            await _reset(stream)
        except (StreamBroken, trio.TooSlowError) as exc:
            state.state, state.error = "failed", str(exc) or "timed out"
            await _reset(stream)
        except Exception as exc:  # libp2p dial / negotiation errors
            state.state, state.error = "failed", f"{type(exc).__name__}: {exc}"
            await _reset(stream)
        finally:
            peer.active_sessions -= 1
            state.finished_at = time.time()
        log.info(
            "sync with %s: %s (rounds %d, need %d, have %d, received %d, %d B in, %d B out)%s",
            pid,
            state.state,
            state.rounds,
            state.need,
            state.have,
            state.received,
            state.bytes_in,
            state.bytes_out,
            f" {state.error}" if state.error else "",
        )
        return state

    async def _handle_sync_stream(self, stream: INetStream) -> None:
        """Stream handler: serve one session. Never raises (that would kill the host)."""
        try:
            pid = stream.muxed_conn.peer_id.to_string()
            peer = self.peers.get(pid)
            if self.peers.is_banned(pid) or peer.active_sessions >= _sync.MAX_SESSIONS_PER_PEER:
                await _reset(stream)
                return
            peer.active_sessions += 1
            state = SyncState(state="running", direction="inbound", started_at=time.time())
            peer.sync = state
            try:
                await _sync.run_server(self, stream, pid, state)
                state.state = "ok"
                peer.last_sync_ok = time.monotonic()
                await stream.close()
            except PeerMisbehaved as exc:
                state.state, state.error = "failed", str(exc)
                try:
                    with trio.move_on_after(1):
                        await _sync._send(stream, _sync.ERROR, str(exc)[:200].encode())
                except Exception:
                    pass
                await _reset(stream)
                await self.penalize(pid, FAULT_PROTOCOL, f"sync: {exc}")
            except (StreamBroken, trio.TooSlowError) as exc:
                state.state, state.error = "failed", str(exc) or "timed out"
                await _reset(stream)
            finally:
                peer.active_sessions -= 1
                state.finished_at = time.time()
        except Exception:
            log.exception("sync stream handler failed")
            await _reset(stream)


async def _supervised(fn: Any, *args: Any) -> None:
    """Run a long-lived loop; if it fails, log it and start it again a second later."""
    while True:
        try:
            await fn(*args)
            return
        except Exception:
            log.exception("%s failed; restarting it", getattr(fn, "__name__", fn))
            await trio.sleep(1.0)


async def _reset(stream: Any) -> None:
    if stream is None:
        return
    try:
        with trio.move_on_after(1):
            await stream.reset()
    except Exception:
        pass


async def serve(
    config: P2PConfig, store: Store, *, task_status: trio.TaskStatus[P2PNode] = trio.TASK_STATUS_IGNORED
) -> None:
    """Run the p2p service for ``store`` until cancelled; reports a :class:`P2PNode`.

    Raises :class:`~node.errors.ConfigError` (before reporting readiness) for an unusable
    listen address (malformed, or already in use), bootstrap entry or identity file.
    """
    listen = parse_listen_addr(config.listen)
    for addr in config.bootstrap:
        parse_peer_addr(addr)
    key_pair = load_identity(config.data_dir)
    quiet_library_logs()
    guard = InboundGuard(config.inbound)
    host = make_host(key_pair, guard)
    gossipsub = GossipSub(
        protocols=[GOSSIPSUB_11, GOSSIPSUB_10],
        degree=6,
        degree_low=4,
        degree_high=12,
        heartbeat_initial_delay=0.1,
        heartbeat_interval=config.gossip_heartbeat,  # type: ignore[arg-type]  # float works
        time_to_live=30,
    )
    node: P2PNode | None = None

    def pubsub_fault(peer: ID, why: str) -> None:
        if node is not None and node._nursery is not None:
            node._nursery.start_soon(node.penalize, peer.to_string(), FAULT_PROTOCOL, why)

    pubsub = GuardedPubsub(host, gossipsub, on_fault=pubsub_fault)
    node = P2PNode(config, store, host, pubsub, SortedKeys(), guard)
    # listen first, then read the keys: a message merged in between is in one or both
    remove_listener = store.add_listener(lambda report: node._on_store_accepted(report.accepted))
    try:
        keys = await trio.to_thread.run_sync(store.sync_keys)
        node.index.add(keys)
        node.index.seal()
        async with host.run([listen]):
            if not host.get_addrs():  # py-libp2p logs a failed bind (port taken) and goes on
                raise ConfigError(f"p2p.listen: cannot listen on {config.listen} (address in use?)")
            try:
                async with background_trio_service(pubsub), background_trio_service(gossipsub):
                    await pubsub.wait_until_ready()
                    pubsub.set_topic_validator(node.topic, node._validate, True)
                    subscription = await pubsub.subscribe(node.topic)
                    host.set_stream_handler(_sync.SYNC_PROTOCOL, node._handle_sync_stream)
                    host.get_network().register_notifee(_Notifee(node))
                    async with trio.open_nursery() as nursery:
                        node._nursery = nursery
                        nursery.start_soon(_supervised, node._drain, subscription)
                        nursery.start_soon(_supervised, node._gossip_sender)
                        nursery.start_soon(_supervised, node._sync_loop)
                        nursery.start_soon(_supervised, node._ban_expiry)
                        for addr in config.bootstrap:
                            nursery.start_soon(_supervised, node._keep_connected, addr)
                        log.info("p2p listening on %s", ", ".join(node.addrs))
                        task_status.started(node)
            finally:
                node._nursery = None
                await disconnect_all(host)
    finally:
        remove_listener()
