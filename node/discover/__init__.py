"""Discovery: creators ranked by engagement relative to their audience.

Layout: ``_ranking`` the ranking, a pure function of per-creator facts (who engaged, how, how
long ago; what vouches for each engager) that returns each score with the numbers that made it;
``_gather`` the one read that collects those facts from the store and the chain index and
ranks them (:func:`discover_creators`); ``_cache`` keeps a ranking for a while. The formula and its weaknesses: ``docs/discovery.md``.
"""

from ._cache import DiscoveryCache
from ._gather import DAY, DiscoverRules, Discovery, Scope, discover_creators
from ._ranking import (
    Band,
    CreatorFacts,
    CreatorScore,
    KindPart,
    RankingWeights,
    Signal,
    SignalKind,
    Vouching,
    band_of,
    rank_creators,
    score_creator,
)

__all__ = [
    "DAY",
    "Band",
    "CreatorFacts",
    "CreatorScore",
    "DiscoverRules",
    "Discovery",
    "DiscoveryCache",
    "KindPart",
    "RankingWeights",
    "Scope",
    "Signal",
    "SignalKind",
    "Vouching",
    "band_of",
    "discover_creators",
    "rank_creators",
    "score_creator",
]
