"""How a community's charter stands with the collective it names: who moderates it, and
whether its charter is the one the members approved. A pure rule of the charter the node holds
and the collective as its chain index knows it (confirmed), so every node with the same
messages and the same chain says the same.

- A charter without a ``collective`` field: the founder and the charter's list moderate
  (:func:`node.store.moderation.moderators`), and there is no standing.
- A charter naming a collective the index knows, launched for this community: the collective's
  moderators, exactly its on-chain list, from the block the members' decision executed in. The
  founder moderates only if the members listed them: the community is theirs now. The charter
  is ``approved`` when its fields hash (:func:`node.chain.charter_hash`) to the hash the
  collective approved, else ``drifted`` (the founder's key signed changes the members did not
  vote on; the node serves them and says so).
- A charter naming a collective the index does not know (not launched by this deployment's
  factory, not confirmed yet, no chain index), or one launched for another community:
  ``unverifiable``, and nobody's hides count, rather than trusting a list nobody voted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from node.chain import Collective, charter_hash
from node.store import Charter

Status = Literal["approved", "drifted", "unverifiable"]


@dataclass(frozen=True, slots=True)
class CollectiveStanding:
    """A community's standing with the collective its charter names."""

    collective: str
    status: Status
    #: Why it is unverifiable, in words ("" otherwise).
    detail: str
    #: The hash of the charter as this node holds it, and the one the members approved.
    charter_hash: bytes
    approved_hash: bytes | None
    moderators: frozenset[str]
    #: The block the moderators were set in (``None``: unverifiable).
    moderators_since: int | None


def standing(charter: Charter, collective: Collective | None) -> CollectiveStanding | None:
    """The standing of ``charter`` with the collective it names (``collective``: that
    collective as indexed, ``None`` when the index does not know it); ``None`` when the charter
    names no collective."""
    address = charter.fields.get("collective", "")
    if not address:
        return None
    held = charter_hash(charter.id, charter.fields)
    if collective is None or collective.community != charter.id:
        detail = (
            "this node's chain index knows no collective at this address"
            if collective is None
            else "the collective was launched for another community"
        )
        return CollectiveStanding(address, "unverifiable", detail, held, None, frozenset(), None)
    status: Status = "approved" if collective.charter_hash == held else "drifted"
    return CollectiveStanding(
        address,
        status,
        "",
        held,
        collective.charter_hash,
        frozenset(collective.moderators),
        collective.moderators_since,
    )
