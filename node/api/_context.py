"""What the API serves from: the store, plus the optional p2p and chain views.

The API knows these only through the small protocols below, so it runs (and is tested) with
whatever parts a node has: a store alone, or a full node with libp2p and a chain indexer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import SecretStr

from node.chain import (
    ChainEngagement,
    Collective,
    CollectiveAsset,
    CreatorListing,
    Deployment,
    Holding,
    ProposalStatus,
    Supporter,
    Tip,
    TokenUnits,
)
from node.config import DiscoverSettings
from node.discover import DiscoveryCache
from node.grants import Gatekeeper
from node.loopwatch import LoopWatch
from node.store import SearchRules, Store

from ._stream import Broadcaster


class P2PView(Protocol):
    def status(self) -> dict[str, Any]:
        """Peer id, listen addresses, per-peer sync state."""

    def connected_peers(self) -> list[str]:
        """Peer ids of the peers connected now."""

    async def connect(self, multiaddr: str) -> object:
        """Dial a peer now (admin). Raises :class:`~node.errors.BadPeerAddress` for an address
        it will not dial, :class:`~node.errors.PeerUnreachable` when the dial fails."""

    def scope_summary(self) -> dict[bytes, tuple[int, bytes]]:
        """``scope: (messages, fingerprint)`` of each scope held."""

    async def add_scope(self, community: bytes) -> bool:
        """Serve a community from now on (admin); whether it was not served before."""

    async def remove_scope(self, community: bytes) -> tuple[bool, int]:
        """Stop serving a community (admin): whether it was served, and the messages dropped."""


class ChainView(Protocol):
    """The queries of :class:`node.chain.Indexer` the API serves (confirmed, indexed data)."""

    @property
    def indexed_block(self) -> int | None: ...

    @property
    def halted(self) -> str | None:
        """Why indexing has stopped (the RPC serves another chain), or ``None``."""

    def counts(self) -> dict[str, int]: ...

    def creators(self) -> list[CreatorListing]: ...

    def creator(self, creator: str) -> CreatorListing | None: ...

    def tips_for_post(self, post_id: bytes | str) -> list[Tip]: ...

    def tips_received(self, creator: str, *, limit: int = 100) -> list[Tip]: ...

    def top_supporters(self, creator: str, *, limit: int = 10) -> list[Supporter]: ...

    def holders(self, token: str, *, min_balance: int = 1) -> list[Holding]: ...

    def balance(self, token: str, holder: str) -> int:
        """``holder``'s confirmed balance of ``token`` (0 for a token the index does not follow)."""

    def follows_token(self, token: str) -> bool:
        """Whether the index follows ``token``'s transfers (the factory's creator tokens)."""

    def tip_counts(self, post_ids: Sequence[bytes]) -> dict[bytes, int]:
        """How many confirmed tips name each of ``post_ids`` that has any."""

    def engagement(self, window_blocks: int, *, min_tip_wei: int, min_holding: int) -> ChainEngagement: ...

    def collective(self, shares: str) -> Collective | None:
        """The collective at ``shares`` as indexed, or ``None`` when the index knows none there."""

    def collective_members(self, shares: str) -> list[Holding]: ...

    def proposals(self, collective: Collective, *, limit: int = 100) -> list[ProposalStatus]: ...

    def proposal(self, collective: Collective, proposal_id: int) -> ProposalStatus | None: ...

    def collective_assets(self, collective: Collective) -> list[CollectiveAsset]:
        """Ether and each shared ERC-20: indexed totals, and the treasury at the indexed block."""

    def claimable(self, collective: Collective, account: str) -> dict[str | None, int]:
        """What ``account`` may claim of each asset (``None``: ether), at the indexed block."""

    def token_units(self, asset: str | None) -> TokenUnits:
        """The symbol and decimals of ``asset`` (``None``: ether), as its contract says."""


@dataclass
class ApiContext:
    store: Store
    chain_id: int
    #: Bearer token of ``/v1/admin`` (empty: admin is off); compared in constant time.
    admin_token: SecretStr = field(default_factory=lambda: SecretStr(""))
    broadcaster: Broadcaster = field(default_factory=Broadcaster)
    p2p: P2PView | None = None
    chain: ChainView | None = None
    #: Exclusive content: held content keys, grants, online unlock (``None``: not served).
    gating: Gatekeeper | None = None
    #: Timings of the event loop's task steps, exported by ``/metrics`` (``None``: not measured).
    loop_watch: LoopWatch | None = None
    #: Where the contracts are, for the web app (``None``: the node follows no deployment).
    deployment: Deployment | None = None
    #: The chain RPC URL the web app may read through (``None``: it reads through the wallet).
    app_rpc_url: str | None = None
    #: What a search query may ask (``GET /v1/search``).
    search: SearchRules = field(default_factory=SearchRules)
    #: Creator discovery's window, weights and bounds (``GET /v1/discover/creators``), and the
    #: rankings it keeps (``None``: one made from ``discover.cache_seconds`` with the app).
    discover: DiscoverSettings = field(default_factory=DiscoverSettings)
    discover_cache: DiscoveryCache | None = None

    def __post_init__(self) -> None:
        if self.discover_cache is None:
            self.discover_cache = DiscoveryCache(self.discover.cache_seconds)
