"""The engagement-ranked feed's rule (pure): how a post scores among a user's communities.

A post's score is the engagement it drew, weighted by what each signal costs the person giving
it, decayed by the post's age::

    score = (1 * reactors + 2 * repliers + 5 * tips) * 0.5 ** (age in hours / 24)

- *reactors*: distinct users with an active reaction; *repliers*: distinct users with a live
  reply (a reply takes more than a like); *tips*: confirmed on-chain tips naming the post (they
  cost money and gas, so a swarm of fresh keys cannot fake them cheaply).
- The half-life of a day keeps the feed about now; the order is deterministic (score, then
  newer, then id), so two nodes holding the same messages and chain rank alike.

Known weaknesses: likes and replies from fresh keys are free, so a swarm can lift a post (only
tips resist it; the creator-discovery ranking also weighs holdings); a tip of one wei counts as
much as a large one (counting, not summing, keeps assets that have no common price apart);
posts a moderator hid, or by authors the viewer mutes, are ranked before they are hidden, so
they take no slot from others but do cost the read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

REACTOR_WEIGHT = 1.0
REPLIER_WEIGHT = 2.0
TIP_WEIGHT = 5.0
HALF_LIFE_HOURS = 24.0


@dataclass(frozen=True, slots=True)
class Engagement:
    """What a post drew: distinct reactors, distinct repliers, confirmed tips; and its age."""

    post: bytes
    timestamp: int
    reactors: int = 0
    repliers: int = 0
    tips: int = 0


@dataclass(frozen=True, slots=True)
class Scored:
    """A post's score and the numbers that made it."""

    engagement: Engagement
    age_hours: float
    score: float


def score(e: Engagement, now: int) -> Scored:
    """``e``'s score at time ``now`` (a post from the future counts as new)."""
    age_hours = max(now - e.timestamp, 0) / 3600
    raw = REACTOR_WEIGHT * e.reactors + REPLIER_WEIGHT * e.repliers + TIP_WEIGHT * e.tips
    return Scored(e, age_hours, raw * 0.5 ** (age_hours / HALF_LIFE_HOURS))


def rank(posts: Iterable[Engagement], now: int) -> list[Scored]:
    """``posts`` best first: by score, then newer, then by id."""
    return sorted(
        (score(e, now) for e in posts), key=lambda s: (-s.score, -s.engagement.timestamp, s.engagement.post)
    )
