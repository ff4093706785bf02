"""The one read discovery ranks from: engagement facts from the store and the chain index, put
into the ranking's terms (``_ranking``), then ranked.

Times: a message carries its timestamp; an indexed chain event only its block, so its age is
``(indexed head - block) * block_seconds`` and the window reaches back
``ceil(window / block_seconds)`` blocks from the indexed head (the index keeps no block times;
``block_seconds`` is the chain's block interval, a setting). Without a chain index the ranking
uses the store's facts alone, and says so.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from node.chain import ChainEngagement
from node.config import DiscoverSettings
from node.loopwatch import collector_paused
from node.messages import checksum_address
from node.store import StoreEngagement

from ._ranking import (
    Band,
    CreatorFacts,
    CreatorScore,
    RankingWeights,
    Signal,
    SignalKind,
    Vouching,
    rank_creators,
)

DAY = 86_400


class EngagementSource(Protocol):
    """What discovery reads from the chain index (:meth:`node.chain.Indexer.engagement`)."""

    def engagement(self, window_blocks: int, *, min_tip_wei: int, min_holding: int) -> ChainEngagement: ...


class StoreFacts(Protocol):
    """What discovery reads from the store (:meth:`node.store.Store.creator_engagement`)."""

    def creator_engagement(
        self,
        since: int,
        *,
        creators: Collection[bytes] = (),
        vouchers: Collection[bytes] = (),
        communities: Collection[bytes] | None = None,
    ) -> StoreEngagement: ...


@dataclass(frozen=True, slots=True)
class DiscoverRules:
    """The node's discovery settings (``node.config.DiscoverSettings``), in the terms used here."""

    weights: RankingWeights = field(default_factory=RankingWeights)
    #: The chain's block interval, to date indexed events (the index keeps block numbers only).
    block_seconds: float = 2.0
    #: Ether tips below this many wei do not count (dust costs a sybil almost nothing).
    min_tip_wei: int = 10**14
    #: Holdings below this many base units of a creator token do not count.
    min_holding: int = 10**18

    @classmethod
    def from_settings(cls, s: DiscoverSettings) -> DiscoverRules:
        weights = RankingWeights(
            tip=s.tip_weight,
            buy=s.buy_weight,
            hold=s.hold_weight,
            reply=s.reply_weight,
            reaction=s.reaction_weight,
            half_life=s.half_life_days * DAY,
            follower_prior=s.follower_prior,
            vouched_credibility=s.vouched_credibility,
            vouches_full=s.vouches_full,
            fresh_weight=s.fresh_weight,
        )
        return cls(weights, s.block_seconds, s.min_tip_wei, s.min_holding)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a ranking covers; ``None``: everything.

    ``creators``: only these may rank (0x-hex, any case). ``communities``: only replies and
    reactions to the posts of these communities (ids) count, and only the creators who drew
    some rank; their costly signals (tips, buys, holdings) are theirs whatever post they name,
    so they count in full (a holding names no post). A topic is the set of communities whose
    charters list it."""

    creators: frozenset[str] | None = None
    communities: frozenset[bytes] | None = None

    def covers(self, creator: str) -> bool:
        """Whether ``creator`` (0x-hex, any case) may rank."""
        return self.creators is None or creator.lower() in self.creators

    @classmethod
    def of(cls, creators: Iterable[str]) -> Scope:
        return cls(frozenset(c.lower() for c in creators))


@dataclass(frozen=True, slots=True)
class Discovery:
    """A ranking and what it was computed over."""

    results: list[CreatorScore]
    now: int
    window_seconds: int
    #: The chain index's head and the first block of the window, ``None`` without a chain index.
    chain_head: int | None = None
    since_block: int | None = None
    #: Creators with some engagement before the band filter and the limit.
    considered: int = 0
    bands: Sequence[Band] | None = field(default=None)


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def _facts(
    store: StoreEngagement, chain: ChainEngagement | None, now: int, block_seconds: float
) -> tuple[list[CreatorFacts], Vouching]:
    """The ranking's inputs from the store's and the chain's facts (addresses as lowercase hex).
    A window holds a few hundred thousand engagements among a few thousand addresses: each
    address is spelled once (``names``), not once per row."""
    names: dict[bytes, str] = {}
    signals: dict[str, list[Signal]] = {}
    for kind, rows in ((SignalKind.REPLY, store.replies), (SignalKind.REACTION, store.reactions)):
        for creator_raw, engager_raw, ts in rows:
            creator = names.get(creator_raw) or names.setdefault(creator_raw, _hex(creator_raw))
            engager = names.get(engager_raw) or names.setdefault(engager_raw, _hex(engager_raw))
            signals.setdefault(creator, []).append(Signal(engager, kind, now - ts))
    on_chain: frozenset[str] = frozenset()
    if chain is not None:
        on_chain = frozenset(a.lower() for a in chain.on_chain)
        for kind, events in ((SignalKind.TIP, chain.tips), (SignalKind.BUY, chain.buys)):
            for creator, engager, block in events:
                age = (chain.head - block) * block_seconds
                signals.setdefault(creator.lower(), []).append(Signal(engager.lower(), kind, age))
        for creator, holder in chain.holders:
            signals.setdefault(creator.lower(), []).append(Signal(holder.lower(), SignalKind.HOLD, 0.0))
    followers = {_hex(raw): n for raw, n in store.followers.items()}
    facts = [CreatorFacts(c, followers.get(c, 0), tuple(s)) for c, s in signals.items()]
    return facts, Vouching(on_chain, {_hex(raw): n for raw, n in store.vouches.items()})


def discover_creators(
    store: StoreFacts,
    chain: EngagementSource | None,
    *,
    now: int,
    window_seconds: int,
    rules: DiscoverRules = DiscoverRules(),
    bands: Sequence[Band] | None = None,
    scope: Scope = Scope(),
    limit: int = 20,
) -> Discovery:
    """Creators ranked by engagement relative to audience over the ``window_seconds`` before
    ``now`` (see ``_ranking``), the best ``limit`` in ``bands`` and ``scope``. Reads the chain
    index first, then the store in one snapshot."""
    engagement = None
    if chain is not None:
        engagement = chain.engagement(
            math.ceil(window_seconds / rules.block_seconds),
            min_tip_wei=rules.min_tip_wei,
            min_holding=rules.min_holding,
        )
    chain_creators: list[bytes] = []
    vouchers: set[bytes] = set()
    if engagement is not None:
        engaged = {c for c, _, _ in (*engagement.tips, *engagement.buys)} | {c for c, _ in engagement.holders}
        chain_creators = sorted(bytes.fromhex(c[2:]) for c in engaged)
        vouchers = {bytes.fromhex(a[2:]) for a in engagement.on_chain}
    with collector_paused():  # a burst of short-lived rows and tuples (``collector_paused``)
        held = store.creator_engagement(
            now - window_seconds, creators=chain_creators, vouchers=vouchers, communities=scope.communities
        )
        facts, vouching = _facts(held, engagement, now, rules.block_seconds)
        if scope.communities is not None:  # only the creators engaged with inside the communities
            inside = {_hex(c) for c, _, _ in (*held.replies, *held.reactions)}
            facts = [f for f in facts if f.creator in inside]
        ranked = rank_creators(
            [f for f in facts if scope.covers(f.creator)], vouching, rules.weights, bands=bands
        )
    results = [_checksummed(s) for s in ranked[:limit]]
    return Discovery(
        results,
        now,
        window_seconds,
        chain_head=None if engagement is None else engagement.head,
        since_block=None if engagement is None else engagement.since_block,
        considered=len(facts),
        bands=bands,
    )


def _checksummed(score: CreatorScore) -> CreatorScore:
    return replace(score, creator=checksum_address(bytes.fromhex(score.creator[2:])))
