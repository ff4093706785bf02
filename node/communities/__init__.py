"""Communities as a node serves them: a community's view, its members and its activity.

The store holds the signed facts and the pure moderation rules (``node.store``); this package
adds what only the chain can say (whether a member meets a gated community's gate, and who
moderates a community its members own through a collective, ``_collective``, read from the
node's confirmed chain index) and puts the two together. It sits above the store and the
chain, beside ``node.grants``.
"""

from node.communities._collective import CollectiveStanding
from node.communities._view import RANKED_CANDIDATES, CommunityView, MemberStanding

__all__ = ["RANKED_CANDIDATES", "CollectiveStanding", "CommunityView", "MemberStanding"]
