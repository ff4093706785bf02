"""What the API serves from: the store, plus the optional p2p and chain views.

The API knows these only through the small protocols below, so it runs (and is tested) with
whatever parts a node has: a store alone, or a full node with libp2p and a chain indexer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from node.store import Store

from ._stream import Broadcaster


class P2PView(Protocol):
    def status(self) -> dict[str, Any]:
        """Peer id, listen addresses, per-peer sync state."""

    async def connect(self, multiaddr: str) -> None:
        """Dial a peer now (admin)."""


class ChainView(Protocol):
    def status(self) -> dict[str, Any]: ...

    def creators(self) -> list[dict[str, Any]]: ...

    def creator(self, address: str) -> dict[str, Any] | None: ...

    def post_tips(self, post_id: bytes) -> list[dict[str, Any]]: ...


@dataclass
class ApiContext:
    store: Store
    chain_id: int
    admin_token: str = ""
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    p2p: P2PView | None = None
    chain: ChainView | None = None
