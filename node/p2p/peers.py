"""Per-peer bookkeeping: faults, bans, sync state, dial backoff.

A peer earns fault points for what it sends (a forged or malformed message: 1 point; a
garbage or oversize frame, or a broken protocol step: 5). Points decay by half every
``fault_half_life`` seconds. A peer at or over ``fault_threshold`` is banned: disconnected,
its gossip ignored, not dialled, and refused when it dials us, for ``ban_seconds``; the IP it
connected from is refused for a while too (``node.p2p.inbound``), so a fresh identity from
the same address cannot walk straight back in. Forged, malformed and future-dated messages
all count (``node.p2p.sync.FAULT_REASONS``).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Backoff", "PeerBook", "PeerState", "SyncState"]

FAULT_MESSAGE = 1.0
FAULT_PROTOCOL = 5.0
#: Seconds for a peer's fault points to halve.
FAULT_HALF_LIFE = 60.0
#: Redial backoff: the first delay and the longest, in seconds.
BACKOFF_INITIAL = 0.5
BACKOFF_MAXIMUM = 30.0
#: Spread of a periodic delay (redials, sync rounds): +-20%, so that peers do not act in step.
JITTER = 0.2


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
    #: The scopes the peer said it serves in its last sync session (``[]``: none yet).
    announced: list[str] = field(default_factory=list)

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
