"""Per-peer bookkeeping: faults, bans, sync state, dial backoff.

A peer earns fault points for what it sends (a forged or malformed message: 1 point; a
garbage or oversize frame, or a broken protocol step: 5). Points decay by half every
``fault_half_life`` seconds. A peer at or over ``fault_threshold`` is banned: disconnected,
its gossip ignored, not dialled, and refused when it dials us, for ``ban_seconds``; the IP it
connected from is refused for a while too (``node.p2p.inbound``), so a fresh identity from
the same address cannot walk straight back in. Forged, malformed and future-dated messages
all count (``node.p2p.sync.FAULT_REASONS``).

The book also says what each peer serves and where it listens (:class:`PeerRecord`), for
peering by scope (``node.p2p.discovery``). A peer's own word (its SCOPES frame in a sync, its
own record in a peer-list exchange, the address we reached it at) is *first hand*; what other
peers say of it is second hand and never overwrites the first. At most ``MAX_KNOWN_PEERS``
peers are kept: a second-hand record takes the place of the oldest second-hand one of a
peer with no faults, or is dropped; a peer without a record leaves the book when it
disconnects, unless it has faults, a ban or a session.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from node.messages.scope import Scopes

__all__ = ["Backoff", "PeerBook", "PeerRecord", "PeerState", "SyncState", "share_a_community"]

FAULT_MESSAGE = 1.0
FAULT_PROTOCOL = 5.0
#: Seconds for a peer's fault points to halve.
FAULT_HALF_LIFE = 60.0
#: Redial backoff: the first delay and the longest, in seconds.
BACKOFF_INITIAL = 0.5
BACKOFF_MAXIMUM = 30.0
#: Spread of a periodic delay (redials, sync rounds): +-20%, so that peers do not act in step.
JITTER = 0.2
#: Most peers the book keeps (connected or only heard of): bounds what hostile peer lists cost.
MAX_KNOWN_PEERS = 1024


def jittered(delay: float) -> float:
    """``delay`` spread by :data:`JITTER` either way."""
    return delay * random.uniform(1 - JITTER, 1 + JITTER)


@dataclass
class SyncState:
    """The last (or running) reconciliation with one peer, as the status API shows it."""

    state: str = "never"  # never | running | ok | failed
    direction: str = ""  # "outbound" (we initiated) | "inbound"
    started_at: float = 0.0
    finished_at: float = 0.0
    rounds: int = 0
    have: int = 0  # ids only we had (pushed to the peer)
    need: int = 0  # ids only the peer had (fetched)
    received: int = 0  # accepted into our store from this session
    bytes_in: int = 0
    bytes_out: int = 0
    error: str = ""
    #: The scopes both sides serve, which the session reconciled (``["all"]``: every scope).
    scopes: list[str] = field(default_factory=list)
    #: The scopes the peer said it serves (its SCOPES frame: ``["all"]``, or ``base`` and ids).
    theirs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PeerRecord:
    """A peer as a peer list names it: its id, the scopes it serves, where it listens
    (multiaddrs without ``/p2p/<id>``)."""

    peer_id: str
    scopes: Scopes
    addrs: tuple[str, ...]


def share_a_community(a: Scopes, b: Scopes) -> bool:
    """Whether some community is served by both (one serving all shares any the other serves)."""
    if a.communities is None or b.communities is None:
        other = b.communities if a.communities is None else a.communities
        return other is None or bool(other)
    return bool(a.communities & b.communities)


class Backoff:
    """Exponential backoff with jitter: ``initial``, twice that, ... up to ``maximum`` seconds."""

    def __init__(self, initial: float = BACKOFF_INITIAL, maximum: float = BACKOFF_MAXIMUM) -> None:
        self.initial = initial
        self.maximum = maximum
        self.failures = 0

    def next_delay(self) -> float:
        delay = min(self.maximum, self.initial * (2**self.failures))
        self.failures += 1
        return jittered(delay)

    def reset(self) -> None:
        self.failures = 0


@dataclass
class PeerState:
    peer_id: str
    faults: float = 0.0
    faults_at: float = field(default_factory=time.monotonic)
    faults_total: int = 0
    banned_until: float = 0.0  # monotonic
    sync: SyncState = field(default_factory=SyncState)
    last_sync_ok: float = 0.0  # monotonic
    active_sessions: int = 0
    #: A sync was asked for while a session ran (which may have missed what prompted it):
    #: start one when the running sessions end.
    sync_again: bool = False
    #: What the peer serves (``None``: not known yet) and where it listens; ``first_hand``:
    #: learned from the peer itself; ``heard_at``: when last learned (monotonic).
    scopes: Scopes | None = None
    addrs: tuple[str, ...] = ()
    first_hand: bool = False
    heard_at: float = 0.0
    #: Last peer-list exchange we asked of it, and last we answered (monotonic); dial backoff
    #: for peering by scope.
    asked_at: float = 0.0
    answered_at: float = -1e9
    dial: Backoff = field(default_factory=Backoff)
    dial_after: float = 0.0

    def record(self) -> PeerRecord | None:
        """The peer as a peer list names it; ``None`` while its scopes or addresses are unknown."""
        if self.scopes is None or not self.addrs:
            return None
        return PeerRecord(self.peer_id, self.scopes, self.addrs)

    def as_dict(self, now: float, connected: bool) -> dict[str, Any]:
        return {
            "peer_id": self.peer_id,
            "connected": connected,
            "faults": round(self.faults, 2),
            "faults_total": self.faults_total,
            "banned_for": max(0.0, round(self.banned_until - now, 1)),
            "sync": self.sync.as_dict(),
        }


class PeerBook:
    """All peers this node has heard from; trio-thread only (no locking)."""

    def __init__(
        self, *, fault_threshold: float, ban_seconds: float, fault_half_life: float = FAULT_HALF_LIFE
    ) -> None:
        self.fault_threshold = fault_threshold
        self.ban_seconds = ban_seconds
        self.fault_half_life = fault_half_life
        self._peers: dict[str, PeerState] = {}

    def get(self, peer_id: str) -> PeerState:
        p = self._peers.get(peer_id)
        if p is None:
            p = self._peers[peer_id] = PeerState(peer_id)
        return p

    def peek(self, peer_id: str) -> PeerState:
        """The peer's state, or a blank one, without recording it: safe from other threads
        (the API's status reads), where :meth:`get` would insert under the trio thread's feet."""
        return self._peers.get(peer_id) or PeerState(peer_id)

    def all(self) -> list[PeerState]:
        return list(self._peers.values())

    def add_fault(self, peer_id: str, points: float) -> bool:
        """Count ``points`` against a peer; True when that (newly) puts it over the threshold."""
        p = self.get(peer_id)
        now = time.monotonic()
        p.faults *= math.pow(0.5, (now - p.faults_at) / self.fault_half_life)
        p.faults_at = now
        p.faults += points
        p.faults_total += math.ceil(points)
        if p.faults >= self.fault_threshold and not self.is_banned(peer_id):
            p.banned_until = now + self.ban_seconds
            return True
        return False

    def heard(
        self, peer_id: str, *, scopes: Scopes | None = None, addrs: Iterable[str] = (), first_hand: bool
    ) -> bool:
        """Note what a peer serves and where it listens (either may be left out: kept as known).
        Returns whether that told the book something new. Second hand (``first_hand`` false),
        it changes nothing of a peer known first hand, and nothing at all when the book is full
        of peers it cannot forget (see the module docstring)."""
        addrs = tuple(addrs)
        p = self._peers.get(peer_id)
        if p is None and not first_hand and len(self._peers) >= MAX_KNOWN_PEERS and not self._forget_one():
            return False
        p = self.get(peer_id)
        if p.first_hand and not first_hand:
            return False
        scopes = p.scopes if scopes is None else scopes
        addrs = addrs or p.addrs
        new = (scopes, addrs) != (p.scopes, p.addrs)
        p.scopes, p.addrs, p.heard_at = scopes, addrs, time.monotonic()
        p.first_hand = p.first_hand or first_hand
        return new

    def records(
        self, wanted: Scopes, *, leave_out: Iterable[str], limit: int, first_hand: bool = False
    ) -> list[PeerRecord]:
        """Up to ``limit`` records of peers, not banned, that serve a community of ``wanted``
        (only those known first hand, with ``first_hand``): those known first hand first, then
        the most recently heard of."""
        skip = set(leave_out)
        fitting = [
            p
            for p in self._peers.values()
            if p.peer_id not in skip
            and (p.first_hand or not first_hand)
            and p.scopes is not None
            and p.addrs
            and share_a_community(p.scopes, wanted)
            and not self.is_banned(p.peer_id)
        ]
        fitting.sort(key=lambda p: (not p.first_hand, -p.heard_at))
        return [r for p in fitting[:limit] if (r := p.record()) is not None]

    def forget(self, peer_id: str) -> None:
        """Drop what the book holds of a peer with no faults, ban or session (kept otherwise:
        a ban must outlive the record)."""
        p = self._peers.get(peer_id)
        if p is not None and not p.faults_total and not p.banned_until and not p.active_sessions:
            del self._peers[peer_id]

    def gone(self, peer_id: str) -> None:
        """A peer has no connection left: forget it (as :meth:`forget` does) unless the book
        holds its record, which it passes on. Otherwise peers that connect and leave, each
        under a fresh identity, would grow the book without bound."""
        p = self._peers.get(peer_id)
        if p is not None and p.record() is None:
            self.forget(peer_id)

    def _forget_one(self) -> bool:
        """Make room: drop the second-hand record heard of longest ago of a peer with no
        faults, ban or session. False when there is none."""
        spare = [
            p
            for p in self._peers.values()
            if not p.first_hand and not p.faults_total and not p.banned_until and not p.active_sessions
        ]
        if not spare:
            return False
        del self._peers[min(spare, key=lambda p: p.heard_at).peer_id]
        return True

    def is_banned(self, peer_id: str) -> bool:
        p = self._peers.get(peer_id)
        return p is not None and p.banned_until > time.monotonic()

    def expire_bans(self) -> list[str]:
        """Peers whose ban has just run out (their fault points are reset)."""
        now = time.monotonic()
        out = []
        for p in self._peers.values():
            if p.banned_until and p.banned_until <= now:
                p.banned_until = 0.0
                p.faults = 0.0
                out.append(p.peer_id)
        return out
