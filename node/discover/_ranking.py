"""The creator ranking: engagement relative to audience, as a pure function of facts.

No I/O here: :func:`rank_creators` takes, per creator, who engaged and how long ago, and, for
the engagers, what vouches for them, and returns each creator's score with the numbers that made it.
The same facts give the same ranking on any node. The formula, its reasons and its known
weaknesses are written up in ``docs/discovery.md``; in short:

- each engager ``u`` of creator ``x`` (never ``x`` itself) counts once, by their strongest
  signal: ``points(u) = max over u's signals of weight(kind) * 0.5 ** (age / half_life)``.
  Costly signals (a tip, a buy, a holding) weigh more than free ones (a reply, a reaction);
- a free signal counts in full only from an account with a history on chain; an account
  without one counts by its vouches (followers with a history on chain), up to
  ``vouched_credibility`` at ``vouches_full`` of them; the rest of its points (all of a fresh
  key's) goes into a pool that counts logarithmically, so a thousand fresh keys weigh about
  as much as a handful of real engagers, not a thousand;
- ``engagement(x) = sum of credible points + fresh_weight * log2(1 + pooled points)``;
- ``score(x) = engagement(x) / (followers(x) + follower_prior)``: per follower, with a prior
  so that a creator with two followers and one like does not top the list.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import NamedTuple


class SignalKind(enum.StrEnum):
    """How someone engaged with a creator."""

    TIP = "tip"  # tipped the creator (on chain)
    BUY = "buy"  # bought the creator's token (on chain)
    HOLD = "hold"  # holds the creator's token now (on chain)
    REPLY = "reply"  # replied to one of the creator's posts
    REACTION = "reaction"  # reacted to one of the creator's posts


#: Signals that cost the engager something on chain: they count in full from anyone.
COSTLY = frozenset({SignalKind.TIP, SignalKind.BUY, SignalKind.HOLD})


class Band(enum.StrEnum):
    """A creator's audience size by followers: nano < 1k <= micro < 10k <= mid < 100k <= macro."""

    NANO = "nano"
    MICRO = "micro"
    MID = "mid"
    MACRO = "macro"


#: The fewest followers of each band, largest first.
BAND_FLOORS = ((Band.MACRO, 100_000), (Band.MID, 10_000), (Band.MICRO, 1_000), (Band.NANO, 0))


def band_of(followers: int) -> Band:
    """The band of a creator with ``followers`` followers."""
    return next(band for band, floor in BAND_FLOORS if followers >= floor)


class Signal(NamedTuple):
    """``engager``'s most recent signal of ``kind`` toward a creator, ``age`` seconds ago (0 for
    a holding: it holds now). (A tuple: a ranking reads tens of thousands.)"""

    engager: str
    kind: SignalKind
    age: float


@dataclass(frozen=True, slots=True)
class CreatorFacts:
    """What is known of one creator's audience and engagement over the window."""

    creator: str
    followers: int
    signals: tuple[Signal, ...]


@dataclass(frozen=True, slots=True)
class Vouching:
    """What vouches for engagers: who has a history on chain (tipped, traded, holds or launched
    a token), and for the others, how many of their followers have one."""

    on_chain: Set[str] = frozenset()
    vouches: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RankingWeights:
    """The formula's constants (the node's settings: ``node.config.DiscoverSettings``)."""

    tip: float = 5.0
    buy: float = 4.0
    hold: float = 3.0
    reply: float = 1.0
    reaction: float = 0.5
    #: Seconds over which a signal's weight halves.
    half_life: float = 7 * 86_400
    #: Followers added to every creator's audience: damps small denominators.
    follower_prior: float = 10.0
    #: What an account without a history on chain counts for, at most, when vouched for ...
    vouched_credibility: float = 0.5
    #: ... by this many followers with a history on chain (fewer: proportionally less).
    vouches_full: int = 3
    #: Scale of the logarithmic pool of what fresh keys' free signals add.
    fresh_weight: float = 0.5

    def of(self, kind: SignalKind) -> float:
        return float(getattr(self, kind.value))


@dataclass(frozen=True, slots=True)
class KindPart:
    """What one kind of signal added: the engagers whose strongest signal it was, their points."""

    engagers: int = 0
    points: float = 0.0


@dataclass(frozen=True, slots=True)
class CreatorScore:
    """A creator's score and the numbers that made it:
    ``score = engagement / (followers + follower_prior)``, ``engagement = sum of by_kind's
    points + fresh_points``, ``fresh_points = fresh_weight * log2(1 + fresh_pool)``."""

    creator: str
    score: float
    band: Band
    followers: int
    follower_prior: float
    engagement: float
    #: Distinct engagers, whichever way they engaged.
    engagers: int
    #: Credible points by the kind of each engager's strongest signal.
    by_kind: Mapping[SignalKind, KindPart] = field(default_factory=dict)
    #: Engagers who added to the pool (fresh or partly vouched keys), the pool, what it added.
    fresh_engagers: int = 0
    fresh_pool: float = 0.0
    fresh_points: float = 0.0


def _decay(age: float, half_life: float) -> float:
    return float(0.5 ** (max(age, 0.0) / half_life))


def credibility(engager: str, vouching: Vouching, weights: RankingWeights) -> float:
    """How much of a free signal from ``engager`` counts in full (0 to 1)."""
    if engager in vouching.on_chain:
        return 1.0
    return weights.vouched_credibility * min(1.0, vouching.vouches.get(engager, 0) / weights.vouches_full)


def score_creator(facts: CreatorFacts, vouching: Vouching, weights: RankingWeights) -> CreatorScore:
    """One creator's score from its facts. Sums are exact (``math.fsum``), so they do not
    depend on the order the facts came in: every node adds up the same score."""
    weight = {kind: weights.of(kind) for kind in SignalKind}
    strongest: dict[str, tuple[float, SignalKind]] = {}
    for engager, kind, age in facts.signals:
        if engager == facts.creator:
            continue
        points = weight[kind] * _decay(age, weights.half_life)
        best = strongest.get(engager)
        if best is None or (points, kind) > best:  # equal points: the same kind on every node
            strongest[engager] = (points, kind)
    credited: dict[SignalKind, list[float]] = {}
    pooled: list[float] = []
    for engager, (points, kind) in strongest.items():
        share = 1.0 if kind in COSTLY else credibility(engager, vouching, weights)
        if share > 0:
            credited.setdefault(kind, []).append(share * points)
        if share < 1:
            pooled.append((1 - share) * points)
    pool = math.fsum(pooled)
    fresh_points = weights.fresh_weight * math.log2(1 + pool)
    by_kind = {kind: KindPart(len(credited[kind]), math.fsum(credited[kind])) for kind in sorted(credited)}
    engagement = math.fsum(p.points for p in by_kind.values()) + fresh_points
    return CreatorScore(
        creator=facts.creator,
        score=engagement / (facts.followers + weights.follower_prior),
        band=band_of(facts.followers),
        followers=facts.followers,
        follower_prior=weights.follower_prior,
        engagement=engagement,
        engagers=len(strongest),
        by_kind=by_kind,
        fresh_engagers=len(pooled),
        fresh_pool=pool,
        fresh_points=fresh_points,
    )


def rank_creators(
    facts: Iterable[CreatorFacts],
    vouching: Vouching,
    weights: RankingWeights = RankingWeights(),
    *,
    bands: Sequence[Band] | None = None,
) -> list[CreatorScore]:
    """Every creator with some engagement, best first (ties by address), only those in
    ``bands`` when given."""
    scores = (score_creator(f, vouching, weights) for f in facts)
    kept = [s for s in scores if s.engagers and (bands is None or s.band in bands)]
    return sorted(kept, key=lambda s: (-s.score, s.creator))
