"""Inbound connections: caps per IP and in total, a handshake deadline, an idle timeout,
and a cool-down for the IP of a banned peer.

Where py-libp2p 0.5.0 takes a connection (``transport/tcp``, ``network/swarm``): the TCP
listener runs ``trio.serve_tcp`` and hands each accepted socket to the swarm's
``conn_handler``, which runs the security upgrade (multistream, then noise) and the muxer
upgrade (multistream, then yamux), registers the connection, and then waits until the whole
swarm stops. Nothing bounds that: the noise handshake reads without a timeout (a client that
negotiates ``/noise`` and then sends nothing holds its socket for good), a connection that
completed the handshake may stay silent for ever, and there is no cap on how many a single
address holds. Under a descriptor limit of 256 that starved the HTTP API (EMFILE).

:class:`GuardedTCP` is the TCP transport with one change: the handler it gives its listener
is wrapped by :meth:`InboundGuard.serve`, which for each accepted socket

1. refuses it at once (closes it, one throttled log line) when its IP is cooling down after
   a ban, holds ``max_connections_per_ip`` connections already, or the node holds
   ``max_inbound_connections``;
2. runs the swarm's handler on it, and closes it unless the handshake completed (the swarm
   reported the connection) within ``handshake_timeout_seconds`` of the accept;
3. then closes it when no byte has crossed it either way for ``idle_timeout_seconds`` and
   the peer is not a useful one (the service decides: subscribed to our topic, or synced);
4. returns once the connection is closed, so the socket and its slot are freed (the swarm's
   own handler would wait for the swarm to stop).

``max_inbound_connections`` is capped by the process's descriptor limit (:func:`inbound_cap`): a quarter
of ``RLIMIT_NOFILE``'s soft limit, keeping the rest for the store, the API and outbound dials.
EMFILE in the accept loop itself is trio's: it sleeps 0.1 s and retries; its log line is made
a throttled WARNING without traceback by ``node.p2p.logs``.

Loopback: every test peer shares 127.0.0.1, so the per-IP cap and the cool-down apply to
them all; both are settings, and tests that need a hostile peer apart from the honest ones
bind its sockets to another loopback address (127.0.0.2).
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import multiaddr
import trio
from libp2p.abc import INetConn, INetStream, INetwork, INotifee
from libp2p.io.abc import ReadWriteCloser
from libp2p.peer.id import ID
from libp2p.transport.tcp.tcp import TCP, TCPListener

from node.config import P2PSettings
from node.p2p.logs import Throttle, held_note

log = logging.getLogger(__name__)

__all__ = [
    "REFUSALS",
    "GuardedTCP",
    "InboundGuard",
    "inbound_cap",
    "refusal",
    "remote_address",
]

#: Share of the process's descriptor limit inbound p2p connections may hold.
DESCRIPTOR_SHARE = 4
#: Upper bound on one wait to close a connection we gave up on.
CLOSE_TIMEOUT = 5.0


def inbound_cap(setting: int, soft_nofile: int) -> int:
    """How many inbound connections to hold: ``setting``, but at most a quarter of the
    descriptor limit (``RLIM_INFINITY`` or a negative value: no such limit), and at least 1."""
    if soft_nofile < 0 or soft_nofile == resource.RLIM_INFINITY:
        return setting
    return max(1, min(setting, soft_nofile // DESCRIPTOR_SHARE))


def refusal(*, cooling: bool, from_ip: int, total: int, max_per_ip: int, max_total: int) -> str | None:
    """Why a new connection from an IP that holds ``from_ip`` connections, while the node holds
    ``total``, is refused (a key of :data:`REFUSALS`); ``None`` when it is let in."""
    if cooling:
        return "cooling"
    if from_ip >= max_per_ip:
        return "per_ip"
    if total >= max_total:
        return "total"
    return None


#: What each :func:`refusal` code means, for the log line.
REFUSALS = {
    "cooling": "its IP is cooling down after a ban",
    "per_ip": "its IP holds the most connections allowed per IP",
    "total": "the node holds the most inbound connections allowed",
}


@dataclass(eq=False)
class _Inbound:
    """One accepted connection, from the accept until its socket is closed."""

    ip: str
    port: int
    accepted_at: float = field(default_factory=trio.current_time)
    last_activity: float = field(default_factory=trio.current_time)
    peer_id: ID | None = None
    swarm_conn: INetConn | None = None
    settled: trio.Event = field(default_factory=trio.Event)  # identified, or gone
    gone: trio.Event = field(default_factory=trio.Event)


class _Tracked(ReadWriteCloser):
    """The accepted socket as the swarm sees it, noting when bytes cross it."""

    def __init__(self, inner: ReadWriteCloser, conn: _Inbound) -> None:
        self._inner = inner
        self._conn = conn

    async def read(self, n: int | None = None) -> bytes:
        data = await self._inner.read(n)
        if data:
            self._conn.last_activity = trio.current_time()
        return data

    async def write(self, data: bytes) -> None:
        await self._inner.write(data)
        self._conn.last_activity = trio.current_time()

    async def close(self) -> None:
        await self._inner.close()

    def get_remote_address(self) -> tuple[str, int] | None:
        return self._inner.get_remote_address()


Handler = Callable[[ReadWriteCloser], Awaitable[None]]


class InboundGuard:
    """Admission, deadlines and bookkeeping for inbound connections; trio-thread only, except
    :meth:`status`, which only reads.

    ``is_useful(peer_id)`` (set by the service) says whether an idle connection is worth
    keeping. :meth:`cool_down` is called when a peer is banned.
    """

    def __init__(self, settings: P2PSettings, *, soft_nofile: int | None = None) -> None:
        self.settings = settings
        if soft_nofile is None:
            soft_nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        self.max_inbound = inbound_cap(settings.max_inbound_connections, soft_nofile)
        self.is_useful: Callable[[ID], bool] = lambda peer_id: False
        self._per_ip: dict[str, int] = {}
        self._by_addr: dict[tuple[str, int], _Inbound] = {}
        self._by_conn: dict[INetConn, _Inbound] = {}
        self._cooling: dict[str, float] = {}  # ip -> until (time.monotonic: status reads it off-thread)
        self._throttle = Throttle()
        self.accepted = 0
        self.refused: dict[str, int] = {"cooling": 0, "per_ip": 0, "total": 0}
        self.closed: dict[str, int] = {"handshake": 0, "idle": 0}

    # -- state ------------------------------------------------------------------------------

    @property
    def inbound(self) -> int:
        return len(self._by_addr)

    def status(self) -> dict[str, Any]:
        """Counters for the status API."""
        return {
            "inbound": self.inbound,
            "accepted": self.accepted,
            "max_inbound": self.max_inbound,
            "max_per_ip": self.settings.max_connections_per_ip,
            "refused": dict(self.refused),
            "closed": dict(self.closed),
            "cooling_ips": sum(1 for until in list(self._cooling.values()) if until > time.monotonic()),
        }

    def cool_down(self, ip: str) -> None:
        """Refuse new connections from ``ip`` for ``ip_cooldown_seconds`` (a peer there was banned)."""
        if self.settings.ip_cooldown_seconds > 0:
            now = time.monotonic()
            for expired in [k for k, until in self._cooling.items() if until <= now]:
                del self._cooling[expired]
            self._cooling[ip] = now + self.settings.ip_cooldown_seconds
            log.info("IP %s cooling down for %.0f s after a ban", ip, self.settings.ip_cooldown_seconds)

    def _is_cooling(self, ip: str) -> bool:
        until = self._cooling.get(ip)
        if until is None:
            return False
        if until <= time.monotonic():
            del self._cooling[ip]
            return False
        return True

    # -- the swarm's view -------------------------------------------------------------------

    def notifee(self) -> INotifee:
        """Tells the guard when the swarm has registered (handshake done) or dropped a connection."""
        return _GuardNotifee(self)

    def _connected(self, conn: INetConn) -> None:
        addr = remote_address(conn)  # ours if it came through our listener
        entry = self._by_addr.get(addr) if addr else None
        if entry is not None:
            entry.peer_id = conn.muxed_conn.peer_id
            entry.swarm_conn = conn
            self._by_conn[conn] = entry
            entry.settled.set()

    def _disconnected(self, conn: INetConn) -> None:
        entry = self._by_conn.pop(conn, None)  # (its socket is closed: no address to look up)
        if entry is not None:
            entry.gone.set()
            entry.settled.set()

    # -- one connection ---------------------------------------------------------------------

    def wrap(self, handler: Handler) -> Handler:
        """The listener's handler: ``handler`` (the swarm's) run under this guard."""

        async def guarded(stream: ReadWriteCloser) -> None:
            await self.serve(handler, stream)

        return guarded

    async def serve(self, handler: Handler, stream: ReadWriteCloser) -> None:
        """Admit ``stream`` or refuse it; run ``handler`` on it under the deadlines; return
        once it is closed. Never raises (the listener's nursery is the swarm's)."""
        try:
            addr = stream.get_remote_address()
            if not addr:
                await stream.close()
                return
            ip, port = addr[0], addr[1]
            why = refusal(
                cooling=self._is_cooling(ip),
                from_ip=self._per_ip.get(ip, 0),
                total=self.inbound,
                max_per_ip=self.settings.max_connections_per_ip,
                max_total=self.max_inbound,
            )
            if why is not None:
                self.refused[why] += 1
                key = ("refused", why) if why == "total" else ("refused", why, ip)  # total: node-wide
                self._note(key, "refused an inbound connection from %s: %s", ip, REFUSALS[why])
                await stream.close()
                return
            self.accepted += 1
            entry = _Inbound(ip, port)
            self._by_addr[(ip, port)] = entry
            self._per_ip[ip] = self._per_ip.get(ip, 0) + 1
            try:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._run, handler, _Tracked(stream, entry), entry)
                    await self._watch(entry)
                    nursery.cancel_scope.cancel()
            finally:
                del self._by_addr[(ip, port)]
                if entry.swarm_conn is not None:
                    self._by_conn.pop(entry.swarm_conn, None)
                self._per_ip[ip] -= 1
                if not self._per_ip[ip]:
                    del self._per_ip[ip]
                with trio.CancelScope(shield=True), trio.move_on_after(CLOSE_TIMEOUT):
                    await stream.close()
        except Exception:
            log.exception("inbound connection guard failed")

    async def _run(self, handler: Handler, stream: _Tracked, entry: _Inbound) -> None:
        """The swarm's handler; it returns when the upgrade failed (the swarm closed the socket
        and logged why) or the swarm stopped."""
        try:
            await handler(stream)
        except Exception as exc:
            log.debug("inbound upgrade from %s:%d failed: %s", entry.ip, entry.port, exc)
        finally:
            entry.gone.set()
            entry.settled.set()

    async def _watch(self, entry: _Inbound) -> None:
        """Return when the connection should be closed: gone, no handshake in time, or idle."""
        settings = self.settings
        with trio.move_on_at(entry.accepted_at + settings.handshake_timeout_seconds):
            await entry.settled.wait()
        if entry.gone.is_set():
            return
        if entry.swarm_conn is None:
            self.closed["handshake"] += 1
            self._note(
                ("handshake",),  # a flood comes from many addresses: one line per window
                "closed an inbound connection from %s:%d: no handshake within %.0f s",
                entry.ip,
                entry.port,
                settings.handshake_timeout_seconds,
            )
            return
        while True:
            wake = max(entry.last_activity + settings.idle_timeout_seconds, trio.current_time() + 0.05)
            with trio.move_on_at(wake):
                await entry.gone.wait()
                return
            now = trio.current_time()
            if now - entry.last_activity < settings.idle_timeout_seconds:
                continue
            assert entry.peer_id is not None
            if self.is_useful(entry.peer_id):
                entry.last_activity = now  # look again in a full period
                continue
            self.closed["idle"] += 1
            self._note(
                ("idle",),
                "closed an idle inbound connection from %s at %s:%d: no traffic for %.0f s",
                entry.peer_id,
                entry.ip,
                entry.port,
                settings.idle_timeout_seconds,
            )
            with trio.move_on_after(CLOSE_TIMEOUT):
                await entry.swarm_conn.close()
            return

    def _note(self, key: tuple[Any, ...], fmt: str, *args: Any) -> None:
        held = self._throttle.allow(key)
        if held is not None:
            log.info(fmt + "%s", *args, held_note(held))


def remote_address(conn: INetConn) -> tuple[str, int] | None:
    """``(ip, port)`` of a swarm connection's other end (yamux keeps it on the secured
    connection below it); ``None`` when the connection cannot tell (closing)."""
    try:
        addr = conn.muxed_conn.secured_conn.get_remote_address()  # type: ignore[attr-defined]
    except Exception:
        return None
    return (addr[0], addr[1]) if addr else None


class ConnectionNotifee(INotifee):
    """A swarm notifee for connection events only: every hook is a no-op until overridden."""

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        return None

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        return None

    async def opened_stream(self, network: INetwork, stream: INetStream) -> None:
        return None

    async def closed_stream(self, network: INetwork, stream: INetStream) -> None:
        return None

    async def listen(self, network: INetwork, multiaddr: multiaddr.Multiaddr) -> None:
        return None

    async def listen_close(self, network: INetwork, multiaddr: multiaddr.Multiaddr) -> None:
        return None


class _GuardNotifee(ConnectionNotifee):
    def __init__(self, guard: InboundGuard) -> None:
        self._guard = guard

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        self._guard._connected(conn)

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        self._guard._disconnected(conn)


class GuardedTCP(TCP):
    """py-libp2p's TCP transport whose listeners run every accepted socket under ``guard``."""

    def __init__(self, guard: InboundGuard) -> None:
        super().__init__()
        self.guard = guard

    def create_listener(self, handler_function: Handler) -> TCPListener:
        return TCPListener(self.guard.wrap(handler_function))
