"""Who this node talks to: dialling (and staying connected to) bootstrap peers, fault points
and bans, and which idle inbound connections are worth keeping.

A peer that breaks the protocol or sends invalid messages earns fault points
(:class:`~node.p2p.peers.PeerBook`); at the threshold it is banned for ``ban_seconds``:
disconnected, blacklisted in gossipsub, its IPs cooled down by the inbound guard, and
neither dialled nor served until the ban expires.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import multiaddr
import trio
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo

from node.errors import BadPeerAddress, ConfigError, PeerUnreachable
from node.p2p.config import BAN_CHECK_SECONDS, DIAL_TIMEOUT, RECONNECT_CHECK_SECONDS
from node.p2p.gossip import GuardedPubsub
from node.p2p.host import disconnect, parse_peer_addr
from node.p2p.inbound import InboundGuard, remote_address
from node.p2p.logs import Throttle, held_note
from node.p2p.peers import Backoff, PeerBook

log = logging.getLogger(__name__)

__all__ = ["Peering"]


class Peering:
    """Dials, bans and connection upkeep for one host. Trio-thread only."""

    def __init__(
        self, host: Any, pubsub: GuardedPubsub, guard: InboundGuard, peers: PeerBook, topic: str
    ) -> None:
        self.host = host
        self.pubsub = pubsub
        self.guard = guard
        self.peers = peers
        self.topic = topic
        self._fault_log = Throttle()
        guard.is_useful = self.is_useful

    @property
    def peer_id(self) -> str:
        return str(self.host.get_id().to_string())

    def is_connected(self, peer_id: ID) -> bool:
        return bool(self.host.get_network().get_connections(peer_id))

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

    async def keep_connected(self, addr: str) -> None:
        """Dial a bootstrap peer, and again with backoff whenever the connection drops."""
        info = parse_peer_addr(addr)
        pid = info.peer_id.to_string()
        backoff = Backoff()
        while True:
            if self.peers.is_banned(pid) or self.is_connected(info.peer_id):
                await trio.sleep(RECONNECT_CHECK_SECONDS)
                continue
            try:
                with trio.fail_after(DIAL_TIMEOUT):
                    await self.host.connect(PeerInfo(info.peer_id, info.addrs))
                log.info("connected to bootstrap peer %s", pid)
                self.peers.heard(pid, addrs=[str(a) for a in info.addrs], first_hand=True)
                backoff.reset()
            except Exception as exc:
                delay = backoff.next_delay()
                log.debug("dial %s failed (%s); retrying in %.1f s", pid, exc, delay)
                await trio.sleep(delay)

    async def dial_known(self, peer_id: str) -> bool:
        """Dial a peer at the addresses the book holds for it, unless it is banned or its dial
        backoff (after a failed dial) has not run out; returns whether it is now connected."""
        p = self.peers.get(peer_id)
        if self.peers.is_banned(peer_id) or not p.addrs or p.dial_after > time.monotonic():
            return False
        try:
            info = PeerInfo(ID.from_base58(peer_id), [multiaddr.Multiaddr(a) for a in p.addrs])
            with trio.fail_after(DIAL_TIMEOUT):
                await self.host.connect(info)
        except Exception as exc:  # libp2p's dial errors have no common base
            p.dial_after = time.monotonic() + p.dial.next_delay()
            log.debug("dial %s failed (%s); not before %.1f s", peer_id, exc, p.dial_after - time.monotonic())
            return False
        p.dial.reset()
        return True

    async def penalize(self, peer_id: str, points: float, why: str) -> None:
        """Count fault points; at the threshold ban the peer, cool its IPs down, disconnect it."""
        held = self._fault_log.allow(peer_id)
        if held is not None:
            log.info("peer %s: %s (+%.0f fault points)%s", peer_id, why, points, held_note(held))
        if not self.peers.add_fault(peer_id, points):
            return
        try:
            pid = ID.from_base58(peer_id)
        except Exception:
            return
        ips = self._remote_ips(pid)
        log.warning(
            "peer %s banned for %.0f s after repeated faults (from %s)",
            peer_id,
            self.peers.ban_seconds,
            ", ".join(sorted(ips)) or "no open connection",
        )
        for ip in ips:
            self.guard.cool_down(ip)
        self.pubsub.blacklisted_peers.add(pid)
        await disconnect(self.host, pid)

    async def lift_expired_bans(self) -> None:
        """Forever: take peers whose ban has expired off gossipsub's blacklist."""
        while True:
            await trio.sleep(BAN_CHECK_SECONDS)
            for pid in self.peers.expire_bans():
                with contextlib.suppress(Exception):
                    self.pubsub.blacklisted_peers.discard(ID.from_base58(pid))

    def _remote_ips(self, peer_id: ID) -> set[str]:
        addrs = (remote_address(conn) for conn in self.host.get_network().get_connections(peer_id))
        return {addr[0] for addr in addrs if addr}

    def is_useful(self, peer_id: ID) -> bool:
        """Whether an idle inbound connection is worth keeping: the peer is in our gossip topic
        or has completed a sync with us, and is not banned."""
        pid = peer_id.to_string()
        if self.peers.is_banned(pid):
            return False
        return peer_id in self.pubsub.peer_topics.get(self.topic, ()) or self.peers.peek(pid).last_sync_ok > 0
