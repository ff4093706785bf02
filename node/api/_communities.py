"""The community routes: a community's charter and activity, its view, its members, the
communities a user belongs to, and the active communities by topic.

A community's id is ``keccak256(founder ‖ handle)`` (``node.messages.community``); its charter,
memberships, posts and hides are signed messages submitted like any other (``POST
/v1/messages``). What these routes show is decided by the moderation rules
(``node.store.moderation``) and, for gated communities, by this node's chain index.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from node.communities import RANKED_CANDIDATES, CollectiveStanding, CommunityView
from node.errors import InvalidInput, NotFound
from node.messages.community import TOPIC, split_list
from node.store import Charter

from ._context import ApiContext
from ._errors import refuses
from ._models import JSONAnswer, PostPage, post_page
from ._routing import TO_POST, TO_USER, Address, Ctx, Limit, id_bytes, links, store_read, then, viewer_address
from ._wire import ID_PATTERN

CommunityId = Annotated[
    str, Path(pattern=ID_PATTERN, description="A community id: keccak256(founder ‖ handle), 0x-hex")
]
MEMBER_CURSOR = r"^[0-9]{1,18}$"
POST_CURSOR = r"^[0-9]{1,18}\.[0-9a-f]{64}$"
#: The window of a community's activity figures (seconds): a week.
ACTIVITY_WINDOW_SECONDS = 7 * 24 * 3600
#: Most communities ``/v1/discover/communities`` ranks: the most active ones, or the first of
#: a topic by id (its cost grows with them).
DISCOVER_COMMUNITIES_MAX = 1000

router = APIRouter(prefix="/v1", tags=["communities"])


class ActivityOut(BaseModel):
    """A community's activity: members now (by their membership messages), and over the last
    seven days the posts naming it, their distinct authors, and the confirmed tips to those
    posts (``null`` when this node has no chain index)."""

    members: int
    posts_week: int
    authors_week: int
    tips_week: int | None


class CollectiveStandingOut(BaseModel):
    """The collective a community's charter names, and how the charter stands with it:
    ``approved`` (its fields hash to the hash the members approved), ``drifted`` (they do not),
    or ``unverifiable`` (this node's chain index does not know that collective for this
    community; ``detail`` says which). ``charterHash`` is the hash of the charter as this node
    holds it; ``moderatorsSince`` the block the collective's moderators were set in."""

    address: str
    status: Literal["approved", "drifted", "unverifiable"]
    detail: str
    charterHash: str
    approvedHash: str | None
    moderatorsSince: int | None


class CommunityOut(BaseModel):
    """A community: who founded it under which handle, its charter's fields now (empty ones
    left out), who moderates it (the founder and the charter's list, or the moderators its
    collective's members chose on chain when the charter names one), its collective's
    standing, and its activity."""

    id: str
    founder: str
    handle: str
    charter: dict[str, str]
    topics: list[str]
    moderators: list[str]
    gated: bool
    updated: int
    activity: ActivityOut
    collective: CollectiveStandingOut | None = None


class MemberOut(BaseModel):
    """A member since ``since``; ``counts`` is false while they do not meet a gated community's
    gate (as this node's chain index knows it)."""

    address: str
    since: int
    counts: bool


class MemberPage(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None


class MembershipOut(BaseModel):
    community: str
    since: int


class MuteOut(BaseModel):
    """A user ``address`` mutes or blocks now (``kind``: ``mute`` or ``block``; a block, which
    also hides their replies under ``address``'s posts, is named when there are both)."""

    target: str
    kind: str


#: The feeds a user may choose besides ``following`` (``GET /v1/users/{address}/feed``).
FeedAlgorithm = Literal["following", "communities", "engagement"]


def feed(
    ctx: ApiContext, address: str, algorithm: FeedAlgorithm, limit: int, cursor: str | None, show_hidden: bool
) -> dict[str, Any]:
    """The ``communities`` or ``engagement`` feed of ``address`` as a :class:`PostPage`."""
    view = _view(ctx)
    if algorithm == "communities":
        return post_page(view.feed(address, limit=limit, cursor=cursor, show_hidden=show_hidden))
    ranked, scores = view.ranked_feed(
        address,
        now=int(time.time()),
        tip_counts=None if ctx.chain is None else ctx.chain.tip_counts,
        limit=limit,
        offset=0 if cursor is None else _offset(cursor),
        show_hidden=show_hidden,
    )
    ranking = {
        "0x" + post.hex(): {
            "score": s.score,
            "reactors": s.engagement.reactors,
            "repliers": s.engagement.repliers,
            "tips": s.engagement.tips,
            "age_hours": s.age_hours,
        }
        for post, s in scores.items()
    }
    return post_page(ranked, ranking)


def _offset(cursor: str) -> int:
    """The rank a ranked feed's cursor (``<offset>.<id>``) goes on from."""
    offset = int(cursor.partition(".")[0])
    if offset >= RANKED_CANDIDATES:
        raise InvalidInput("cursor: past the end of the ranked feed")
    return offset


def _view(ctx: ApiContext) -> CommunityView:
    return CommunityView(ctx.store, ctx.chain_id, ctx.chain)


def _activity(ctx: ApiContext, community: bytes) -> ActivityOut:
    since = int(time.time()) - ACTIVITY_WINDOW_SECONDS
    activity = ctx.store.activity(community, since)
    tips = None
    if ctx.chain is not None:
        tips = sum(ctx.chain.tip_counts(ctx.store.community_post_ids(community, since)).values())
    return ActivityOut(
        members=activity.members, posts_week=activity.posts, authors_week=activity.authors, tips_week=tips
    )


def _standing_out(held: CollectiveStanding | None) -> CollectiveStandingOut | None:
    if held is None:
        return None
    return CollectiveStandingOut(
        address=held.collective,
        status=held.status,
        detail=held.detail,
        charterHash="0x" + held.charter_hash.hex(),
        approvedHash=None if held.approved_hash is None else "0x" + held.approved_hash.hex(),
        moderatorsSince=held.moderators_since,
    )


def _community_out(ctx: ApiContext, charter: Charter) -> CommunityOut:
    view = _view(ctx)
    return CommunityOut(
        id="0x" + charter.id.hex(),
        founder=charter.founder,
        handle=charter.handle,
        charter=dict(charter.fields),
        topics=split_list(charter.fields.get("topics", "")),
        moderators=sorted(view.moderators(charter)),
        gated=bool(charter.fields.get("gate")),
        updated=charter.updated,
        activity=_activity(ctx, charter.id),
        collective=_standing_out(view.collective_standing(charter)),
    )


def _charter(ctx: ApiContext, community: str) -> Charter:
    charter = ctx.store.charter(id_bytes(community))
    if charter is None:
        raise NotFound("no charter names this community on this node", reason="no_community")
    return charter


@router.get("/communities/{community}", response_model=CommunityOut)
@refuses((NotFound, "no_community"))
def get_community(community: CommunityId, ctx: Ctx) -> CommunityOut:
    """A community's charter, moderators and activity over the last week."""
    return _community_out(ctx, _charter(ctx, community))


@router.get(
    "/communities/{community}/posts",
    response_model=PostPage,
    responses=then(links("/items/0/id", *TO_POST), links("/items/0/message/author", *TO_USER)),
)
def get_community_posts(
    community: CommunityId,
    ctx: Ctx,
    cursor: Annotated[
        str | None, Query(pattern=POST_CURSOR, description="next_cursor of the previous page")
    ] = None,
    limit: Limit = 50,
    viewer: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$", description="Whose view")] = None,
    show_hidden: Annotated[bool, Query(description="List the hidden posts too, with why")] = False,
) -> JSONAnswer:
    """The community's view, newest first: posts naming it whose authors were members when
    they posted and meet its gate now, not hidden by a moderator (nor by a reply's parent's
    author, nor by ``viewer``'s mutes and blocks). ``show_hidden=true`` lists the others with
    each reason, who hid it and why."""
    view = _view(ctx).posts(
        id_bytes(community),
        viewer=viewer_address(viewer),
        limit=limit,
        cursor=cursor,
        show_hidden=show_hidden,
    )
    return JSONAnswer(post_page(view))


@router.get("/communities/{community}/members", response_model=MemberPage)
def get_community_members(
    community: CommunityId,
    ctx: Ctx,
    cursor: Annotated[
        str | None, Query(pattern=MEMBER_CURSOR, description="next_cursor of the previous page")
    ] = None,
    limit: Limit = 100,
) -> MemberPage:
    """Who is a member now (their last membership message joined), each with whether they count."""
    page = _view(ctx).members(id_bytes(community), limit=limit, cursor=cursor)
    return MemberPage(
        items=[MemberOut(address=m.address, since=m.since, counts=m.counts) for m in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/users/{address}/communities", response_model=list[MembershipOut], tags=["graph"])
async def get_user_communities(address: Address, ctx: Ctx) -> list[MembershipOut]:
    """The communities ``address`` is a member of now, by their membership messages."""
    edges = await store_read(ctx.store.member_of, address)
    return [MembershipOut(community="0x" + e.community.hex(), since=e.since) for e in edges]


@router.get("/users/{address}/mutes", response_model=list[MuteOut], tags=["graph"])
async def get_user_mutes(address: Address, ctx: Ctx) -> list[MuteOut]:
    """The users ``address`` mutes or blocks now, by their mute and block messages: what their
    views leave out (so a client can offer "unmute")."""
    facts = await store_read(ctx.store.moderation_facts, [], viewer=address)
    return [MuteOut(target=target, kind=kind) for target, kind in sorted(facts.viewer_mutes.items())]


@router.get("/discover/communities", response_model=list[CommunityOut], tags=["discovery"])
def discover_communities(
    ctx: Ctx,
    topic: Annotated[
        str | None, Query(pattern=f"^{TOPIC.pattern}$", description="Only communities with this topic")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[CommunityOut]:
    """Active communities, most posts by their members over the last week first (then most
    members, then id), optionally of one topic, with members, posts, authors and tips per week.
    Posts by non-members do not count: they cost nothing to make."""
    since = int(time.time()) - ACTIVITY_WINDOW_SECONDS
    candidates = ctx.store.active_communities(since, topic=topic, limit=DISCOVER_COMMUNITIES_MAX)
    found = [
        _community_out(ctx, charter)
        for community in candidates[:DISCOVER_COMMUNITIES_MAX]
        if (charter := ctx.store.charter(community)) is not None
    ]
    found.sort(key=lambda c: (-c.activity.posts_week, -c.activity.members, c.id))
    return found[:limit]
