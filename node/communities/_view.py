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

from ._ranking import Engagement, Scored, rank

#: ``balance(token, holder)``: a holder's confirmed balance of a token, from the chain index.
Balance = Callable[[str, str], int]
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
        first, each as its community shows it, ``limit`` of them from rank ``offset`` on; with
        each listed post's score and its numbers. ``tip_counts`` reads the chain index
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
        by_id = {m.id: m for m in posts}
        window = ranked[offset : offset + limit]
        more = offset + limit < len(ranked)
        cursor = f"{offset + limit}.{window[-1].engagement.post.hex()}" if more and window else None
        view = self._across_communities(
            Page([by_id[s.engagement.post] for s in window], cursor), address, show_hidden
        )
        listed = {m.id for m in view.items}
        return view, {s.engagement.post: s for s in window if s.engagement.post in listed}

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
