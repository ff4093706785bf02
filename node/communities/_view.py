"""A community's view: its posts as the moderation rules show them, its members and whether
each counts, decided against the node's confirmed chain index for gated communities."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from node.gating import check_gate
from node.messages import SignedMessage
from node.messages.gate import parse_gate
from node.store import Charter, ModerationFacts, Page, Store, View, moderation

#: ``balance(token, holder)``: a holder's confirmed balance of a token, from the chain index.
Balance = Callable[[str, str], int]


@dataclass(frozen=True, slots=True)
class MemberStanding:
    """A member, and whether they count now (a gated community counts those who meet the gate)."""

    address: str
    since: int
    counts: bool


@dataclass
class CommunityView:
    """The community reads of one node: ``store``'s facts, ``balance`` for gates (``None``: the
    node has no chain index, so nobody is known to meet a gate)."""

    store: Store
    chain_id: int
    balance: Balance | None = None

    def meets_gate(self, charter: Charter, holders: Iterable[str]) -> dict[str, bool]:
        """Whether each of ``holders`` meets the community's gate now (``True`` for all when the
        community has none), as the chain index knows it: a gate on another chain, or a node
        without a chain index, is met by nobody."""
        gate_text = charter.fields.get("gate", "")
        holders = set(holders)
        if not gate_text:
            return dict.fromkeys(holders, True)
        if self.balance is None:
            return dict.fromkeys(holders, False)
        gate, balance = parse_gate(gate_text), self.balance

        def lookup(chain_id: int, token: str, holder: str) -> int:
            return balance(token, holder) if chain_id == self.chain_id else 0

        return {holder: check_gate(gate, holder, lookup) for holder in holders}

    def posts(
        self,
        community: bytes,
        *,
        viewer: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        show_hidden: bool = False,
    ) -> View:
        """The community's posts, newest first, as its view shows them to ``viewer``."""
        page = self.store.community_posts(community, limit=limit, cursor=cursor)
        charter = self.store.charter(community)
        facts = self.store.moderation_facts(page.items, community=community, viewer=viewer)
        return moderation.apply(page, facts, self._rules(charter, page.items, facts, viewer), show_hidden)

    def _rules(
        self, charter: Charter | None, posts: list[SignedMessage], facts: ModerationFacts, viewer: str | None
    ) -> list[moderation.Rule]:
        meets = {} if charter is None else self.meets_gate(charter, {m.author for m in posts})
        return [
            partial(moderation.in_community, facts=facts, charter=charter, meets_gate=meets),
            partial(moderation.under_its_parent, facts=facts),
            *([partial(moderation.for_viewer, facts=facts, viewer=viewer)] if viewer is not None else []),
        ]

    def members(
        self, community: bytes, *, limit: int = 100, cursor: str | None = None
    ) -> Page[MemberStanding]:
        """The community's members now, each with whether they count (the gate)."""
        page = self.store.members(community, limit=limit, cursor=cursor)
        charter = self.store.charter(community)
        meets = (
            dict.fromkeys((m.address for m in page.items), True)
            if charter is None
            else self.meets_gate(charter, (m.address for m in page.items))
        )
        return Page(
            [MemberStanding(m.address, m.since, meets[m.address]) for m in page.items], page.next_cursor
        )
