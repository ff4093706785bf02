"""What the p2p service tells ``/v1/status`` and ``mecenate peers``: its counters and a
snapshot of its peers. Pure: the service hands in what it knows."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from node.messages.scope import Scopes, scope_name, shared_scopes
from node.p2p.peers import PeerBook, PeerState

__all__ = ["Counters", "peer_status"]


@dataclass
class Counters:
    """Gossip traffic and sync-index upkeep since the service started."""

    published_batches: int = 0
    published_messages: int = 0
    received_batches: int = 0
    accepted_messages: int = 0
    rejected_batches: int = 0
    #: This node's own messages that did not fit the gossip queue (they reach peers by sync).
    dropped_outbound: int = 0
    #: Times the sync index was rebuilt from the store (a gap in the feed, a failed check).
    index_rebuilds: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def scopes_in_common(mine: Scopes, peer: PeerState) -> list[str] | None:
    """The scopes this node (serving ``mine``) and ``peer`` both serve, as far as the peer
    book knows what the peer serves: ``["all"]``, or ``base`` and ids; ``None`` while unknown."""
    if peer.scopes is None:
        return None
    shared = shared_scopes(mine, peer.scopes)
    return ["all"] if shared is None else [scope_name(scope) for scope in shared]


def peer_status(peers: PeerBook, connected: Iterable[str], mine: Scopes) -> dict[str, list[Any]]:
    """``peers``: the connected peers with their sync state and the scopes this node (serving
    ``mine``) has in common with each (``scopes``); ``banned``: the banned peer ids."""
    now = time.monotonic()
    live = set(connected)
    known = {p.peer_id: p for p in peers.all()}
    for pid in live:
        known.setdefault(pid, peers.peek(pid))
    return {
        "peers": [
            {**p.as_dict(now, True), "scopes": scopes_in_common(mine, p)}
            for p in known.values()
            if p.peer_id in live
        ],
        "banned": [p.peer_id for p in known.values() if peers.is_banned(p.peer_id)],
    }
