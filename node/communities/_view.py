"""A community's view: its posts as the moderation rules show them, its members and whether
each counts, decided against the node's confirmed chain index for gated communities."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from node.chain import Collective
from node.gating import check_gate, tokens_needed
from node.messages import SignedMessage
from node.messages.gate import parse_gate
from node.store import Charter, ModerationFacts, Page, Store, View, Why, moderation

from ._collective import CollectiveStanding, standing
from ._ranking import Engagement, Scored, rank


class GateIndex(Protocol):
    """What a gate check reads of the node's chain index (``node.chain.Indexer`` is one)."""

    def balance(self, token: str, holder: str) -> int:
        """``holder``'s confirmed balance of ``token``."""

    def follows_token(self, token: str) -> bool:
        """Whether the index follows ``token``'s transfers (else its balances are unknown)."""

    def collective(self, shares: str) -> Collective | None:
        """The collective at ``shares`` as indexed, or ``None`` when the index knows none there."""


#: How far back the engagement-ranked feed looks (seconds), and how many posts it ranks at most.
RANKED_WINDOW_SECONDS = 3 * 24 * 3600
RANKED_CANDIDATES = 500


@dataclass(frozen=True, slots=True)
class MemberStanding:
    """A member, and whether they count now (a gated community counts those who meet the gate)."""

    address: str
    since: int
    counts: bool


@dataclass
class CommunityView:
    """The community reads of one node: ``store``'s facts, and ``chain`` for gates (``None``:
    the node has no chain index, so nobody is known to meet a gate)."""

    store: Store
    chain_id: int
    chain: GateIndex | None = None

    def gate_standing(self, charter: Charter, holders: Iterable[str]) -> dict[str, Why | None]:
        """Why each of ``holders`` does not meet the community's gate now, or ``None`` when
        they do (all do when it has none), as the chain index knows it. The gate's tokens must
        be ones the index follows (the creator tokens of the factory), on this chain: balances
        of any other token are unknown here, and the gate is unverifiable, not failed."""
        gate_text = charter.fields.get("gate", "")
        holders = set(holders)
        if not gate_text:
            return dict.fromkeys(holders)
        gate, chain = parse_gate(gate_text), self.chain
        if chain is None or any(
            chain_id != self.chain_id or not chain.follows_token(token)
            for chain_id, token in tokens_needed(gate)
        ):
            return dict.fromkeys(holders, Why.GATE_UNVERIFIABLE)

        def lookup(chain_id: int, token: str, holder: str) -> int:
            return chain.balance(token, holder)

        return {holder: None if check_gate(gate, holder, lookup) else Why.GATE_NOT_MET for holder in holders}

    def collective_standing(self, charter: Charter) -> CollectiveStanding | None:
        """How ``charter`` stands with the collective it names (``None``: it names none)."""
        address = charter.fields.get("collective", "")
        if not address:
            return None
        return standing(charter, self.chain.collective(address) if self.chain is not None else None)

    def moderators(self, charter: Charter | None) -> frozenset[str]:
        """Who moderates the community now: its collective's moderators when the charter names
        one (:mod:`._collective`), else the founder and the charter's list."""
        if charter is None:
            return frozenset()
        held = self.collective_standing(charter)
        return moderation.moderators(charter) if held is None else held.moderators

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
        gate = {} if charter is None else self.gate_standing(charter, {m.author for m in posts})
        mods = self.moderators(charter)
        return [
            partial(moderation.in_community, facts=facts, moderators=mods, gate_standing=gate),
            partial(moderation.under_its_parent, facts=facts),
            *([partial(moderation.for_viewer, facts=facts, viewer=viewer)] if viewer is not None else []),
        ]

    def feed(
        self, address: str, *, limit: int = 50, cursor: str | None = None, show_hidden: bool = False
    ) -> View:
        """Posts of the communities ``address`` is a member of now, newest first, each as its
        community's view shows it to ``address``."""
        page = self.store.communities_feed(address, limit=limit, cursor=cursor)
        return self._across_communities(page, address, show_hidden)

    def ranked_feed(
        self,
        address: str,
        *,
        now: int,
        tip_counts: Callable[[list[bytes]], dict[bytes, int]] | None = None,
        window_seconds: int = RANKED_WINDOW_SECONDS,
        limit: int = 50,
        offset: int = 0,
        show_hidden: bool = False,
    ) -> tuple[View, dict[bytes, Scored]]:
        """The engagement-ranked feed of ``address``'s communities (:mod:`._ranking`): their
        posts of the last ``window_seconds`` (at most ``RANKED_CANDIDATES``, newest), best
        first, the ones their communities hide left out (listed too with ``show_hidden``;
        ``hidden_count`` counts them over the whole ranking), ``limit`` of them from ``offset``
        on; with each listed post's score and its numbers. ``tip_counts`` reads the chain index
        (``None``: no tips are known). The next page's cursor is ``<next offset>.<last id>``:
        ranks move as posts age and draw engagement, so a later page is ranked anew."""
        page = self.store.communities_feed(address, limit=RANKED_CANDIDATES)
        posts = [m for m in page.items if m.timestamp >= now - window_seconds]
        ids = [m.id for m in posts]
        drawn = self.store.engagement(ids)
        tips = tip_counts(ids) if tip_counts is not None else {}
        ranked = rank(
            (Engagement(m.id, m.timestamp, *drawn.get(m.id, (0, 0)), tips.get(m.id, 0)) for m in posts), now
        )
        posts_by_id = {m.id: m for m in posts}
        every = self._across_communities(
            Page([posts_by_id[s.engagement.post] for s in ranked], None), address, show_hidden
        )
        window = every.items[offset : offset + limit]
        more = offset + limit < len(every.items)
        cursor = f"{offset + limit}.{window[-1].id.hex()}" if more and window else None
        listed = {m.id for m in window}
        view = View(
            items=window,
            next_cursor=cursor,
            hidden={post: why for post, why in every.hidden.items() if post in listed},
            hidden_count=every.hidden_count,
            paid_by={post: payers for post, payers in every.paid_by.items() if post in listed},
        )
        return view, {s.engagement.post: s for s in ranked if s.engagement.post in listed}

    def _across_communities(self, page: Page[SignedMessage], viewer: str, show_hidden: bool) -> View:
        """``page``, posts of several communities, each through its own community's rules."""
        reasons: dict[bytes, list[moderation.Hidden]] = {}
        paid_by: dict[bytes, list[str]] = {}
        groups: dict[bytes, list[SignedMessage]] = {}
        for m in page.items:
            groups.setdefault(m.fields["community"], []).append(m)
        for community, posts in groups.items():
            charter = self.store.charter(community)
            facts = self.store.moderation_facts(posts, community=community, viewer=viewer)
            rules = self._rules(charter, posts, facts, viewer)
            reasons.update({m.id: [h for rule in rules for h in rule(m)] for m in posts})
            paid_by.update(facts.paid_by)
        return moderation.shown(page, reasons, paid_by, show_hidden)

    def members(
        self, community: bytes, *, limit: int = 100, cursor: str | None = None
    ) -> Page[MemberStanding]:
        """The community's members now (by their membership messages), each with whether they
        count: they meet the gate, or they run the community."""
        page = self.store.members(community, limit=limit, cursor=cursor)
        charter = self.store.charter(community)
        addresses = [m.address for m in page.items]
        if charter is None:
            counts = dict.fromkeys(addresses, True)
        else:  # those who run the community count whatever the gate, as in its view
            mods = self.moderators(charter)
            gate = self.gate_standing(charter, addresses)
            counts = {a: a in mods or gate[a] is None for a in addresses}
        return Page(
            [MemberStanding(m.address, m.since, counts[m.address]) for m in page.items], page.next_cursor
        )
