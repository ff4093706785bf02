"""Scoped replication: which scope a message belongs to, and the scopes a node serves.

A node holds the base graph plus the communities it chooses (or all of them), so its disk and
bandwidth grow with what it serves, not with the network. Every message belongs to exactly one
scope, decided from the signed message alone (a node must place a message it has never seen
the context of: a reaction to a post it does not hold, a hide in a community it does not serve):

* a community's scope (the community's 32-byte id) for the types in :data:`COMMUNITY_SCOPED`,
  which name the community in their signed ``community`` field: its posts, the reactions to
  them and its moderators' hides;
* the base scope (:data:`BASE`) for everything else: profiles, follows, signers, charters,
  memberships, mutes, blocks, and the messages that point at a post by id only (``PostDelete``,
  ``Reaction``, ``KeyGrant``, ``ReplyHide``, ``Disclosure``), whichever post that is. Charters and
  memberships name a community but stay base (:data:`BASE_DESPITE_COMMUNITY`): who founded,
  moderates and belongs to which community is what discovery and a user choosing a community
  read before any node of theirs serves it.

A public submodule: the store refuses messages outside a node's scopes, the p2p service picks
a gossip topic by scope. ``docs/communities.md`` ("Scopes") states the rule for other
implementations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ._model import SignedMessage
from .community import community_id

__all__ = [
    "BASE",
    "BASE_DESPITE_COMMUNITY",
    "COMMUNITY_SCOPED",
    "EVERYTHING",
    "Scopes",
    "community_named",
    "parse_scope",
    "scope_name",
    "scope_of",
    "shared_scopes",
]

#: The base scope: every node serves it. Empty, so that it is never a community's 32-byte id.
BASE = b""

#: Types that belong to the community their signed ``community`` field names.
COMMUNITY_SCOPED = frozenset({"CommunityPost", "CommunityReaction", "ModHide"})
#: Types that carry a ``community`` field and still belong to the base scope (see above).
BASE_DESPITE_COMMUNITY = frozenset({"Membership"})


def scope_of(message: SignedMessage) -> bytes:
    """The scope ``message`` belongs to: its community's id, or :data:`BASE`."""
    if message.type in COMMUNITY_SCOPED:
        community: bytes = message.fields["community"]
        return community
    return BASE


def community_named(message: SignedMessage) -> bytes | None:
    """The community ``message`` names, whatever its scope: a community message's, a
    membership's, a charter's (its founder's handle, :func:`~.community.community_id`); else ``None``."""
    if message.type == "Charter":
        return community_id(message.author, message.fields["handle"])
    community: bytes | None = message.fields.get("community")
    return community


def scope_name(scope: bytes) -> str:
    """How a scope is written in settings, status and topics: ``base`` or ``0x`` + 64 hex."""
    return "0x" + scope.hex() if scope else "base"


def parse_scope(name: str) -> bytes:
    """The scope :func:`scope_name` writes as ``name`` (``base``, or ``0x`` + 64 hex digits in
    either case). Raises ValueError for anything else."""
    text = name.strip().lower()
    if text == "base":
        return BASE
    if len(text) != 66 or not text.startswith("0x"):
        raise ValueError(f"{name!r} is not a scope: 'base' or a community id (0x and 64 hex digits)")
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise ValueError(f"{name!r} is not a community id (0x and 64 hex digits)") from None


@dataclass(frozen=True, slots=True)
class Scopes:
    """A set of scopes: what a node serves (the base scope, plus every community
    (``communities is None``) or the given ones), or what one gossip topic carries (:meth:`only`)."""

    communities: frozenset[bytes] | None = None
    #: Whether the base scope is in the set; a node always serves it.
    base: bool = True

    @classmethod
    def of(cls, communities: Iterable[bytes]) -> Scopes:
        """The base scope plus ``communities`` (32-byte ids)."""
        ids = frozenset(communities)
        if any(len(c) != 32 for c in ids):
            raise ValueError("a community id is 32 bytes")
        return cls(ids)

    @classmethod
    def only(cls, scope: bytes) -> Scopes:
        """Exactly one scope: what its gossip topic carries."""
        return cls(frozenset(), base=True) if scope == BASE else cls(cls.of([scope]).communities, base=False)

    @classmethod
    def from_names(cls, names: Iterable[str]) -> Scopes:
        """The set :meth:`names` wrote: ``["all"]``, or ``base`` and community ids. Raises
        ValueError for a list that is neither."""
        listed = list(names)
        if listed == ["all"]:
            return EVERYTHING
        if "base" not in listed:
            raise ValueError("a node's scopes are 'all', or 'base' and community ids")
        return cls.of(parse_scope(name) for name in listed if name != "base")

    def adding(self, community: bytes) -> Scopes:
        """These scopes and ``community`` (a 32-byte id)."""
        if self.communities is None:
            return self
        return Scopes.of([*self.communities, community])

    def removing(self, community: bytes) -> Scopes:
        """These scopes without ``community``. Raises ValueError when they are every community
        (no list to take one from)."""
        if self.communities is None:
            raise ValueError("every community is served: there is no list to remove one from")
        return Scopes.of(self.communities - {community})

    @property
    def everything(self) -> bool:
        """Whether every community is served (the default)."""
        return self.communities is None

    def serves(self, scope: bytes) -> bool:
        """Whether a message of ``scope`` (:func:`scope_of`) belongs here."""
        if scope == BASE:
            return self.base
        return self.communities is None or scope in self.communities

    def admits(self, message: SignedMessage) -> bool:
        """Whether ``message`` belongs to one of these scopes."""
        return self.serves(scope_of(message))

    def names(self) -> list[str]:
        """``["all"]`` (every scope), or the scopes (:func:`scope_name`), ``base`` first, then sorted."""
        if self.communities is None and self.base:
            return ["all"]
        return (["base"] if self.base else []) + sorted(scope_name(c) for c in self.communities or ())


#: What a node serves unless told otherwise.
EVERYTHING = Scopes()


def shared_scopes(mine: Scopes, theirs: Scopes) -> list[bytes] | None:
    """The scopes two nodes have in common (what their sync sessions reconcile): ``None``
    (every scope) when both serve all, else the base scope, then the communities both serve,
    ascending."""
    if mine.communities is None and theirs.communities is None:
        return None
    if mine.communities is None or theirs.communities is None:
        both = mine.communities if theirs.communities is None else theirs.communities
    else:
        both = mine.communities & theirs.communities
    return [BASE, *sorted(both or ())]
