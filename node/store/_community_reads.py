"""The store's reads about communities and moderation: charters, members, a community's posts,
and the facts a view needs to decide what to show (:class:`ModerationFacts`).

The store only gathers; it decides nothing. Whether a post shows in a community's view, a
reply under a post or an author in someone's feed depends on rules that read these facts and
the chain (``node.communities``), applied the same way on every node.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import InvalidInput
from ..messages import SignedMessage, checksum_address
from . import _moderation as moderation
from . import schema as S
from ._moderation import View
from ._views import Charter, CommunityActivity, Member, MembershipEdge, ModerationFacts, Page

R = TypeVar("R")
_ZERO32 = bytes(32)


def _raw(address: str) -> bytes:
    return bytes.fromhex(address[2:])


def _member_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 18:
        raise InvalidInput(f"cursor: {cursor!r} is not a cursor this node issued")
    return int(cursor)


class CommunityReads:
    """Community and moderation queries (mixed into the store's :class:`~._reads.Reads`)."""

    if TYPE_CHECKING:

        def _read(self, fn: Callable[[sqlite3.Connection], R], *, one_statement: bool = False) -> R: ...

        def _post_page(
            self, where: str, params: dict[str, Any], limit: int, cursor: str | None
        ) -> Page[SignedMessage]: ...

        def posts(
            self, address: str, *, limit: int = 50, cursor: str | None = None
        ) -> Page[SignedMessage]: ...

        def feed(
            self, address: str, *, limit: int = 50, cursor: str | None = None
        ) -> Page[SignedMessage]: ...

        def thread(
            self, post_id: bytes, *, limit: int = 100, cursor: str | None = None
        ) -> Page[SignedMessage] | None: ...

    # ------------------------------------------------------------------ moderated views

    def feed_view(
        self, address: str, *, limit: int = 50, cursor: str | None = None, show_hidden: bool = False
    ) -> View:
        """:meth:`feed` as ``address`` sees it: the authors they mute or block, replies their
        parents' authors hid or whose authors those block, hidden."""
        return self._moderated(self.feed(address, limit=limit, cursor=cursor), address, show_hidden)

    def posts_view(
        self,
        address: str,
        *,
        viewer: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        show_hidden: bool = False,
    ) -> View:
        """:meth:`posts` as ``viewer`` (anyone, when ``None``) sees them."""
        return self._moderated(self.posts(address, limit=limit, cursor=cursor), viewer, show_hidden)

    def thread_view(
        self,
        post_id: bytes,
        *,
        viewer: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        show_hidden: bool = False,
    ) -> View | None:
        """:meth:`thread` as ``viewer`` (anyone, when ``None``) sees it, or ``None`` when the
        post is not live here."""
        page = self.thread(post_id, limit=limit, cursor=cursor)
        return None if page is None else self._moderated(page, viewer, show_hidden)

    def _moderated(self, page: Page[SignedMessage], viewer: str | None, show_hidden: bool) -> View:
        facts = self.moderation_facts(page.items, viewer=viewer)
        rules = [partial(moderation.under_its_parent, facts=facts)]
        if viewer is not None:
            rules.append(partial(moderation.for_viewer, facts=facts, viewer=viewer))
        return moderation.apply(page, facts, rules, show_hidden)

    def charter(self, community: bytes) -> Charter | None:
        """The community's charter now (each field's last-written, non-empty value), or
        ``None`` when no charter message names it."""
        rows = self._read(lambda db: db.execute(S.SELECT_CHARTER, (community,)).fetchall())
        if not rows:
            return None
        return Charter(
            id=community,
            founder=checksum_address(rows[0][3]),
            handle=rows[0][4],
            fields={field: value for field, value, *_ in rows if value},
            updated=max(r[2] for r in rows),
        )

    def communities(self, *, limit: int = 100, cursor: str | None = None) -> Page[Charter]:
        """Every community with a charter, by id, a page at a time (only ``name`` and
        ``topics`` of each charter are filled in)."""
        after = b"" if cursor is None else _community_cursor(cursor)
        rows = self._read(lambda db: db.execute(S.SELECT_COMMUNITIES, (after, limit + 1)).fetchall())
        items = [
            Charter(
                id=cid,
                founder=checksum_address(founder),
                handle=handle,
                fields={k: v for k, v in (("name", name), ("topics", topics)) if v},
                updated=updated,
            )
            for cid, founder, handle, name, topics, updated in rows[:limit]
        ]
        return Page(items, "0x" + items[-1].id.hex() if len(rows) > limit else None)

    def active_communities(self, since: int, *, topic: str | None = None, limit: int = 100) -> list[bytes]:
        """Communities by activity: the ``limit`` with the most posts by their members since
        ``since``, most first; or, for a ``topic``, every community whose charter lists it."""
        if topic is not None:
            rows = self._read(lambda db: db.execute(S.SELECT_COMMUNITIES_OF_TOPIC, (topic,)).fetchall())
        else:
            rows = self._read(lambda db: db.execute(S.SELECT_ACTIVE_COMMUNITIES, (since, limit)).fetchall())
        return [r[0] for r in rows]

    def activity(self, community: bytes, since: int) -> CommunityActivity:
        """Members now, and posts by members (and their distinct authors) since ``since``."""

        def q(db: sqlite3.Connection) -> CommunityActivity:
            members = db.execute(S.COUNT_MEMBERS, (community,)).fetchone()[0]
            posts, authors = db.execute(S.COUNT_COMMUNITY_POSTS_SINCE, (community, since)).fetchone()
            return CommunityActivity(members=members, posts=posts, authors=authors)

        return self._read(q)

    def communities_feed(
        self, address: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[SignedMessage]:
        """Every live post naming a community ``address`` is a member of now, newest first."""
        return self._post_page(S.POSTS_IN_COMMUNITIES_OF, {"address": _raw(address)}, limit, cursor)

    def engagement(self, post_ids: Sequence[bytes]) -> dict[bytes, tuple[int, int]]:
        """For each of ``post_ids`` with any: how many distinct users react to it and reply to
        it, its author aside."""

        def q(db: sqlite3.Connection) -> dict[bytes, tuple[int, int]]:
            reactors = dict(S.rows_in(db, S.SELECT_REACTORS_IN, post_ids))
            repliers = dict(S.rows_in(db, S.SELECT_REPLIERS_IN, post_ids))
            return {p: (reactors.get(p, 0), repliers.get(p, 0)) for p in reactors.keys() | repliers.keys()}

        return self._read(q)

    def community_post_ids(self, community: bytes, since: int) -> list[bytes]:
        """The ids of the live posts naming ``community`` posted at or after ``since``."""
        rows = self._read(
            lambda db: db.execute(S.SELECT_COMMUNITY_POST_IDS_SINCE, (community, since)).fetchall()
        )
        return [r[0] for r in rows]

    def members(self, community: bytes, *, limit: int = 100, cursor: str | None = None) -> Page[Member]:
        """The users whose last membership message for ``community`` joined it, a page at a time."""
        after = _member_cursor(cursor)
        rows = self._read(lambda db: db.execute(S.SELECT_MEMBERS, (community, after, limit + 1)).fetchall())
        items = [Member(checksum_address(address), ts) for _, address, ts in rows[:limit]]
        return Page(items, str(rows[limit - 1][0]) if len(rows) > limit else None)

    def member_of(self, address: str) -> list[MembershipEdge]:
        """The communities ``address`` is a member of now (by messages; gates are the view's)."""
        rows = self._read(lambda db: db.execute(S.SELECT_MEMBER_OF, (_raw(address),)).fetchall())
        return [MembershipEdge(community, ts) for community, ts in rows]

    def community_posts(
        self, community: bytes, *, limit: int = 50, cursor: str | None = None
    ) -> Page[SignedMessage]:
        """Every live post naming ``community``, newest first, whatever a view makes of it."""
        return self._post_page(S.POSTS_IN_COMMUNITY, {"community": community}, limit, cursor)

    def moderation_facts(
        self, posts: Sequence[SignedMessage], *, community: bytes | None = None, viewer: str | None = None
    ) -> ModerationFacts:
        """What decides whether ``posts`` show, in one snapshot: whether each author was a
        member of ``community`` when they posted and the moderators' hides there (when given),
        each reply's parent author, the hides of replies, whether the parent's author blocks
        the reply's, ``viewer``'s mutes and blocks (when given) and each post's disclosures by
        its own author. Indexed lookups per post of the page, whatever else anyone signed."""
        ids = [m.id for m in posts]
        parents = {m.id: m.fields["replyTo"] for m in posts if m.fields["replyTo"] != _ZERO32}

        def q(db: sqlite3.Connection) -> ModerationFacts:
            facts = ModerationFacts()
            if community is not None:
                for m in posts:
                    row = db.execute(
                        S.SELECT_MEMBERSHIP_AT, (community, _raw(m.author), m.timestamp)
                    ).fetchone()
                    facts.member_when_posted[m.id] = row is not None and bool(row[0])
                for post, address, reason, ts in _rows_in_after(db, S.SELECT_MOD_HIDES_IN, community, ids):
                    facts.mod_hides[post].append((checksum_address(address), reason, ts))
            parent_rows = S.rows_by_ids(db, S.SELECT_AUTHORS_BY_IDS, list(set(parents.values())))
            parent_author = {pid: checksum_address(address) for pid, address in parent_rows}
            facts.parent_author.update(
                {child: parent_author[pid] for child, pid in parents.items() if pid in parent_author}
            )
            for post, address in S.rows_in(db, S.SELECT_REPLY_HIDES_IN, list(parents)):
                facts.reply_hides[post].add(checksum_address(address))
            pairs = {(facts.parent_author[m.id], m.author) for m in posts if m.id in facts.parent_author}
            if pairs:
                blockers = sorted({_raw(a) for a, _ in pairs})
                blocked = sorted({_raw(b) for _, b in pairs})
                among = _rows_among(db, S.SELECT_BLOCKS_AMONG, blockers, blocked)
                facts.blocks.update({(checksum_address(a), checksum_address(b)) for a, b in among} & pairs)
            if viewer is not None:
                rows = db.execute(S.SELECT_MUTES_OF, (_raw(viewer),)).fetchall()
                for target, kind in rows:
                    if kind == "block" or checksum_address(target) not in facts.viewer_mutes:
                        facts.viewer_mutes[checksum_address(target)] = kind
            author_of = {m.id: m.author for m in posts}
            for post, discloser, payer in S.rows_in(db, S.SELECT_DISCLOSURES_IN, ids):
                if author_of.get(post) == checksum_address(discloser):
                    facts.paid_by[post].append(checksum_address(payer))
            return facts

        # Each fact is read as it stands now, statement by statement: no transaction around
        # them (two fewer trips into SQLite per page). A fact one commit newer than another is
        # what a page read a moment later would show anyway.
        return self._read(q, one_statement=True)


def _rows_among(
    db: sqlite3.Connection, sql: str, first: list[Any], second: list[Any]
) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (two ``{}``: one list of keys each), in chunks of both lists."""
    half = S.CHUNK // 2
    rows: list[tuple[Any, ...]] = []
    for i in range(0, len(first), half):
        for j in range(0, len(second), half):
            a, b = first[i : i + half], second[j : j + half]
            rows += db.execute(sql.format(S.params(len(a)), S.params(len(b))), (*a, *b)).fetchall()
    return rows


def _rows_in_after(
    db: sqlite3.Connection, sql: str, first: Any, keys: Iterable[Any]
) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (``?1`` is ``first``, ``{}`` takes the keys), in chunks."""
    keys = list(keys)
    rows: list[tuple[Any, ...]] = []
    for i in range(0, len(keys), S.CHUNK):
        part = keys[i : i + S.CHUNK]
        rows += db.execute(
            sql.format(",".join(f"?{j + 2}" for j in range(len(part)))), (first, *part)
        ).fetchall()
    return rows


def _community_cursor(cursor: str) -> bytes:
    if len(cursor) != 66 or not cursor.startswith("0x"):
        raise InvalidInput(f"cursor: {cursor!r} is not a cursor this node issued")
    try:
        return bytes.fromhex(cursor[2:])
    except ValueError:
        raise InvalidInput(f"cursor: {cursor!r} is not a cursor this node issued") from None
