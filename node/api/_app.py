"""The HTTP API: FastAPI under ``/v1``, OpenAPI at ``/docs``.

Handlers stay thin: parse (pydantic, at the edge, once), call the store or a view, shape the
answer. They catch nothing: what goes wrong is a domain error (``node.errors``), raised here or
below, and ``_errors`` answers it.

Where a handler runs is chosen by what it does:

* The graph reads (a message, a profile, a post, a page of a list or thread) are ``async def``
  and try the event loop first (:func:`_read`): one or two indexed queries on the loop thread's
  own read-only WAL connection, which never waits for a writer or a checkpoint. At 1,000,000
  stored messages a 20-post feed page takes about 0.4 ms and a 200-post one about 6 ms, the same
  as at 100,000; handing each to a worker thread cost more than the query (about 0.8 ms of the
  loop's time per request, and the threads' fight for the GIL). A read whose SQL runs past
  ``READ_BUDGET_SECONDS`` (a thread of a hundred thousand replies, a user following fifty
  thousand accounts: data anyone can create) is abandoned and run again in a worker thread, so
  it delays its own answer, not every task's. What a read does in Python afterwards is bounded by
  its page size. The reads clients poll (``HOT_READS``) skip FastAPI's per-request work when
  well-formed: :class:`~._hot.HotReads` calls their handlers directly.
* Ingest (signature recovery, a commit with fsync) runs in a worker thread, handed over by the
  ``async`` handler itself: one trip to the thread, where FastAPI makes two. A single message
  goes to the store's write lane (``Store.lane``, a thread of its own, cheaper to wake), a
  batch to a worker thread (:func:`~._routing.in_thread`): its decoding would hold up the lane.
  A plain ``POST /v1/messages`` skips FastAPI's per-request work: :class:`~._submit.HotSubmit`
  parses it by the route's model and calls the route's work (:func:`_submit`) directly.
* Search runs in a worker thread from the start (:func:`~._routing.in_thread`): at 100,000 stored
  messages a query for a common word ranks thousands of matches (tens of milliseconds), over the
  loop's budget more often than not, and trying the loop first would waste that budget each time.
* Everything else is plain ``def`` and FastAPI runs it in a worker thread: lists without a page
  size (a user's signers), discovery's ranking (every engagement in its window), the chain index's
  listings (as long as the chain's history), grants and unlocks (the nonce book's writes, chain
  calls), and status (it reads the chain index, whose lock a poll holds while it writes). The
  store serialises writers itself. Request bodies are parsed and validated on the loop (a
  1,000-message batch in about 11 ms).
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Annotated, Any, Literal, cast

import trio
from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    Path,
    Query,
    Request,
)
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import Counter

from node.config import WebSettings
from node.discover import DAY, Band, CreatorScore, DiscoverRules, Scope, discover_creators
from node.errors import (
    AdminDisabled,
    BadPeerAddress,
    ChainError,
    ChainMismatch,
    ChainUnavailable,
    ChallengeRefused,
    GateNotMet,
    InvalidInput,
    InvalidMessage,
    KeyNotHeld,
    NotFound,
    NotReady,
    NotServed,
    PeerTimedOut,
    PeerUnreachable,
    ServiceUnavailable,
    TooManyPending,
    WrongAdminToken,
)
from node.fingerprint import fingerprint_of
from node.gating import ContentKey
from node.grants import Gatekeeper
from node.messages import POST_TYPES, SignedMessage, message_from_json
from node.messages.community import TOPIC, split_list
from node.messages.scope import BASE, Scopes, parse_scope, scope_name
from node.store import IngestReport, Outcome, Page, Result, Store, StoreReader

from . import _collectives as collectives
from . import _communities as communities
from . import _errors, _web
from ._body import BodyLimits
from ._context import ApiContext, ChainView, P2PView
from ._errors import CHALLENGE_REASONS, MESSAGE_REASONS, refuses
from ._hot import HotReads, HotRoutes
from ._methods import MethodGuard
from ._metrics import Metrics, TimingMiddleware
from ._models import (
    BatchIn,
    BatchResult,
    ChallengeIn,
    ChallengeOut,
    CommunityHitOut,
    CreatorDetail,
    CreatorOut,
    CreatorScoreOut,
    DiscoverOut,
    EdgePage,
    GatedPostIn,
    GatedPostOut,
    GatingOut,
    Health,
    HolderOut,
    IngestResult,
    JSONAnswer,
    KindPartOut,
    MessageOut,
    MessagePage,
    PostHitOut,
    PostOut,
    PostPage,
    ProfileHitOut,
    ProfileOut,
    ScopeChangeOut,
    ScopesStatus,
    ScoreExplanation,
    SearchPage,
    Status,
    SupporterOut,
    TipOut,
    UnlockIn,
    UnlockOut,
    WebConfigOut,
    edge_page,
    message_out,
    message_page,
    post_out,
    post_page,
)
from ._routing import (
    NO_CHAIN,
    TO_POST,
    TO_USER,
    Address,
    Ctx,
    Limit,
    MessageId,
    chain_of,
    id_bytes,
    in_thread,
    links,
    store_read,
    then,
    viewer_address,
)
from ._stream import EventStream
from ._submit import HotSubmit
from ._wire import ADDRESS_PATTERN, ID_PATTERN, MessageIn, wire_form

#: The cursors the node issues (``next_cursor``), per kind of list: a follow edge's sequence
#: number; a post's ``<timestamp>.<id>``; in a thread also ``up.<n>`` (ancestors served) and
#: ``<n>.`` (replies from the first); for a user's messages a post's form, prefixed ``s.``
#: among their signer messages. Each number has at most 18 digits, so it is below 2^63.
EDGE_CURSOR = r"^[0-9]{1,18}$"
POST_CURSOR = r"^[0-9]{1,18}\.[0-9a-f]{64}$"
MESSAGE_CURSOR = r"^(?:s\.)?[0-9]{1,18}\.[0-9a-f]{64}$"
#: A search page's cursor: how many results came before it, and for posts the page's ceiling
#: (``node.store.schema.SEARCH_POSTS``).
SEARCH_CURSOR = r"^[0-9]{1,9}(?:\.[0-9]{1,18})?$"
THREAD_CURSOR = r"^(?:up\.[0-9]{1,18}|[0-9]{1,18}\.(?:[0-9a-f]{64})?)$"
#: A libp2p peer address to dial: ``/ip4/<address>/tcp/<port>/p2p/<peer id>``.
PEER_ADDRESS_PATTERN = r"^/ip4/[0-9]{1,3}(?:\.[0-9]{1,3}){3}/tcp/[0-9]{1,5}/p2p/[1-9A-HJ-NP-Za-km-z]{1,128}$"


#: Seconds an admin's dial of a peer may take before it is answered 504.
DIAL_TIMEOUT_SECONDS = 10.0


def _result(r: Result) -> IngestResult:
    return IngestResult(
        outcome=r.outcome.value,
        id=None if r.id is None else "0x" + r.id.hex(),
        reason=r.reason,
        detail=r.detail,
    )


def _decode(m: MessageIn, chain_id: int) -> SignedMessage | InvalidMessage:
    """A submitted message, decoded from what pydantic parsed (the body is parsed once), or
    why it does not decode: that is this message's outcome, not the request's."""
    try:
        return message_from_json(wire_form(m), chain_id)
    except InvalidMessage as exc:
        return exc


def _ingest(ctx: ApiContext, metrics: Metrics, messages: Sequence[MessageIn]) -> IngestReport:
    """Each submitted message's fate, in order: the ones that decode are judged and merged by
    the store in one transaction; one that does not (a bad signature, a lone surrogate in a
    string) is refused alone, and a batch's others keep their own outcomes."""
    decoded = [_decode(m, ctx.chain_id) for m in messages]
    store = ctx.store
    report = store.ingest((m for m in decoded if isinstance(m, SignedMessage)), scopes=store.served)
    stored = iter(report.results)
    report = replace(
        report,
        results=[
            next(stored)
            if isinstance(m, SignedMessage)
            else Result(Outcome.REJECTED, None, m.reason, m.detail)
            for m in decoded
        ],
    )
    metrics.count(report)
    return report


def _status(result: Result) -> int:
    """One message's fate as an HTTP status: new is 201, already held 200; refused raises 422
    with its reason."""
    if result.outcome is Outcome.REJECTED:
        raise InvalidMessage(result.reason or "rejected", result.detail or "")
    return 200 if result.outcome is Outcome.DUPLICATE else 201


def _answer_outcome(result: Result, response: Response) -> Literal["accepted", "duplicate"]:
    """One message's fate as HTTP (:func:`_status`), set on ``response``. Returns the outcome,
    which is not a refusal then."""
    response.status_code = _status(result)
    return "duplicate" if response.status_code == 200 else "accepted"


_bearer = HTTPBearer(auto_error=False, description="The node's api.admin_token")


@refuses(WrongAdminToken, AdminDisabled)
async def _require_admin(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    token = ctx.admin_token.get_secret_value().encode()
    if not token:
        raise AdminDisabled("admin endpoints are disabled: set api.admin_token")
    if credentials is None or not hmac.compare_digest(credentials.credentials.strip().encode(), token):
        raise WrongAdminToken("missing or wrong bearer token")


def _cursor(pattern: str) -> Callable[..., Awaitable[str | None]]:
    """The dependency reading a list's ``cursor`` parameter: absent, or one of the cursors the
    node issues for that list (``pattern``); any other is refused 400, before the store is asked."""
    issued = re.compile(pattern)

    @refuses(InvalidInput)
    async def cursor(
        cursor: str | None = Query(  # a default, not an annotation: it closes over ``pattern``
            None,
            description="next_cursor of the previous page: an opaque token, as issued",
            json_schema_extra={"pattern": pattern},
        ),
    ) -> str | None:
        if cursor is not None and not issued.fullmatch(cursor):
            raise InvalidInput("cursor: not a cursor this node issued")
        return cursor

    return cursor


EdgeCursor = Annotated[str | None, Depends(_cursor(EDGE_CURSOR))]
PostCursor = Annotated[str | None, Depends(_cursor(POST_CURSOR))]
ThreadCursor = Annotated[str | None, Depends(_cursor(THREAD_CURSOR))]
MessageCursor = Annotated[str | None, Depends(_cursor(MESSAGE_CURSOR))]
SearchCursor = Annotated[str | None, Depends(_cursor(SEARCH_CURSOR))]

v1 = APIRouter(prefix="/v1")


@v1.post(
    "/messages",
    status_code=201,
    response_model=IngestResult,
    tags=["messages"],
    responses={
        200: {
            "model": IngestResult,
            "description": "Already held (idempotent)",
            "links": links("/id", *TO_POST),
        },
        201: {"links": links("/id", *TO_POST)},
    },
)
@refuses((InvalidMessage, *MESSAGE_REASONS))
async def submit_message(body: MessageIn, ctx: Ctx, request: Request, response: Response) -> IngestResult:
    """Submit one signed message. 201 when new, 200 when already held, 422 with a reason when refused."""
    response.status_code, answer = await _submit(ctx, request.app.state.metrics, body)
    return answer


async def _submit(ctx: ApiContext, metrics: Metrics, body: MessageIn) -> tuple[int, IngestResult]:
    """The work of ``submit_message``, for it and for the hot path (:class:`~._submit.HotSubmit`):
    the message ingested in the store's write lane; its status and answer, or its refusal raised."""
    result = (await ctx.store.lane.run(partial(_ingest, ctx, metrics, [body]))).results[0]
    return _status(result), _result(result)


@v1.post("/messages/batch", response_model=BatchResult, tags=["messages"])
async def submit_batch(body: BatchIn, ctx: Ctx, request: Request) -> BatchResult:
    """Submit up to 1,000 signed messages; each gets its own outcome, in order.

    The valid ones are merged in one transaction; invalid ones are reported and never stored.
    """
    report = await in_thread(_ingest, ctx, request.app.state.metrics, body.messages)
    return BatchResult(**report.counts, results=[_result(r) for r in report.results])


@v1.get(
    "/messages/{message_id}",
    response_model=MessageOut,
    tags=["messages"],
    responses=then(links("/id", *TO_POST[1:]), links("/message/author", *TO_USER)),
)
@refuses((NotFound, "no_message"))
async def get_message(message_id: MessageId, ctx: Ctx) -> JSONAnswer:
    m = await store_read(ctx.store.get, id_bytes(message_id))
    if m is None:
        raise NotFound("no such message on this node", reason="no_message")
    return JSONAnswer(message_out(m))


@v1.get("/users/{address}/profile", response_model=ProfileOut, tags=["graph"])
@refuses((NotFound, "no_profile"))
async def get_profile(address: Address, ctx: Ctx) -> ProfileOut:
    p = await store_read(ctx.store.profile, address)
    if p is None:
        raise NotFound("this user has set no profile field", reason="no_profile")
    return ProfileOut(address=p.address, fields=dict(p.fields), updated=p.updated)


def _user_list(
    path: str,
    query: Callable[..., Page[Any]],
    shape: type[EdgePage | MessagePage],
    cursor: Any,
    page_size: int,
    doc: str,
    *,
    to_item: Sequence[str] = TO_POST,
) -> None:
    """Serve ``GET /v1/users/{address}/<path>``: the store's ``query`` for that user, a page at
    a time (``page_size`` by default, after a ``cursor`` of that list's pattern), as ``shape``;
    a listed message links to the operations ``to_item``."""
    answer = edge_page if shape is EdgePage else message_page

    async def route(address: Address, ctx: Ctx, cursor: PostCursor, limit: Limit = page_size) -> JSONAnswer:
        return JSONAnswer(answer(await store_read(query, ctx.store, address, limit=limit, cursor=cursor)))

    route.__doc__ = doc
    route.__annotations__["cursor"] = cursor
    answers = (
        then(links(f"/items/0/{'follower' if path == 'followers' else 'target'}", *TO_USER))
        if shape is EdgePage
        else then(links("/items/0/id", *to_item), links("/items/0/message/author", *TO_USER))
    )
    v1.get(
        f"/users/{{address}}/{path}",
        response_model=shape,
        tags=["graph"],
        name=f"get_{path}",
        responses=answers,
    )(route)


_user_list("followers", Store.followers, EdgePage, EdgeCursor, 100, "Who follows ``address`` now.")
_user_list("following", Store.following, EdgePage, EdgeCursor, 100, "Whom ``address`` follows now.")
_user_list(
    "messages",
    Store.messages_by,
    MessagePage,
    MessageCursor,
    100,
    """Every live message ``address`` signed (or a delegate signed for them): their export, a
    page at a time. Signer messages come first, so importing the pages in order (``POST
    /v1/messages/batch``, ``mecenate import``) on another node accepts every one.""",
    to_item=("get_message",),
)


ShowHidden = Annotated[
    bool, Query(description="List the posts the view hides too, each with who hid it and why (``hidden``)")
]
Viewer = Annotated[
    str | None,
    Query(
        pattern=ADDRESS_PATTERN,
        description="Whose view: their mutes and blocks apply (none: anyone's view)",
    ),
]


_POST_LINKS = then(links("/items/0/id", *TO_POST), links("/items/0/message/author", *TO_USER))


@v1.get("/users/{address}/feed", response_model=PostPage, tags=["graph"], responses=_POST_LINKS)
@refuses(InvalidInput)
async def get_feed(
    address: Address,
    ctx: Ctx,
    cursor: PostCursor,
    limit: Limit = 50,
    show_hidden: ShowHidden = False,
    algorithm: Annotated[
        communities.FeedAlgorithm,
        Query(description="Which feed: ``following`` (the default), ``communities``, ``engagement``"),
    ] = "following",
) -> JSONAnswer:
    """The feed ``address`` chooses, as they see it (the authors they mute or block are left
    out; what a rule hides is counted in ``hidden_count``):

    - ``following``: posts by the users ``address`` follows, newest first;
    - ``communities``: posts of the communities ``address`` is a member of, newest first, each
      as its community's view shows it;
    - ``engagement``: those communities' posts of the last three days ranked by engagement
      (``ranking`` explains each score; a next page is ranked anew, as scores move)."""
    if algorithm != "following":
        return JSONAnswer(
            await in_thread(communities.feed, ctx, address, algorithm, limit, cursor, show_hidden)
        )
    view = await store_read(ctx.store.feed_view, address, limit=limit, cursor=cursor, show_hidden=show_hidden)
    return JSONAnswer(post_page(view))


@v1.get("/users/{address}/posts", response_model=PostPage, tags=["graph"], responses=_POST_LINKS)
async def get_posts(
    address: Address,
    ctx: Ctx,
    cursor: PostCursor,
    limit: Limit = 50,
    viewer: Viewer = None,
    show_hidden: ShowHidden = False,
) -> JSONAnswer:
    """Posts by ``address`` (replies included), newest first, as ``viewer`` sees them."""
    view = await store_read(
        ctx.store.posts_view,
        address,
        viewer=viewer_address(viewer),
        limit=limit,
        cursor=cursor,
        show_hidden=show_hidden,
    )
    return JSONAnswer(post_page(view))


def _post(ctx: ApiContext, post_id: str) -> SignedMessage:
    m = ctx.store.get(id_bytes(post_id))
    if m is None or m.type not in POST_TYPES:
        raise NotFound("no such post on this node", reason="no_post")
    return m


@v1.get(
    "/posts/{post_id}",
    response_model=PostOut,
    tags=["graph"],
    responses=then(links("/post/id", *TO_POST[2:]), links("/post/message/author", *TO_USER)),
)
@refuses((NotFound, "no_post"))
async def get_post(post_id: MessageId, ctx: Ctx) -> JSONAnswer:
    m = await store_read(_post, ctx, post_id)
    facts = await store_read(ctx.store.moderation_facts, [m])
    return JSONAnswer(post_out(m, await store_read(ctx.store.reactions, m.id), facts.paid_by.get(m.id, [])))


@v1.get("/posts/{post_id}/thread", response_model=PostPage, tags=["graph"], responses=_POST_LINKS)
@refuses((NotFound, "no_post"))
async def get_thread(
    post_id: MessageId,
    ctx: Ctx,
    cursor: ThreadCursor,
    limit: Limit = 100,
    viewer: Viewer = None,
    show_hidden: ShowHidden = False,
) -> JSONAnswer:
    """The post's ancestors (root first), the post, then every reply below it, oldest first;
    one page at a time, like every list. Replies the parent's author hid, or wrote by someone
    they block, are hidden for every viewer; ``viewer``'s mutes and blocks apply too."""
    view = await store_read(
        ctx.store.thread_view,
        id_bytes(post_id),
        viewer=viewer_address(viewer),
        limit=limit,
        cursor=cursor,
        show_hidden=show_hidden,
    )
    if view is None:
        raise NotFound("no such post on this node", reason="no_post")
    return JSONAnswer(post_page(view))


_NO_GATING = (NotServed, "no_gating")


@v1.get("/posts/{post_id}/tips", response_model=list[TipOut], tags=["chain"])
@refuses(NO_CHAIN)
def get_post_tips(post_id: MessageId, ctx: Ctx) -> list[TipOut]:
    """Confirmed on-chain tips tied to this post id, oldest first."""
    return [TipOut.model_validate(t) for t in chain_of(ctx).tips_for_post(id_bytes(post_id))]


@v1.get(
    "/creators",
    response_model=list[CreatorOut],
    tags=["chain"],
    responses=then(links("/0/creator", "get_creator", *TO_USER)),
)
@refuses(NO_CHAIN)
def get_creators(ctx: Ctx) -> list[CreatorOut]:
    """Every creator with a launched token: price, supply, reserve, holder count."""
    return [CreatorOut.model_validate(c) for c in chain_of(ctx).creators()]


@v1.get("/creators/{address}", response_model=CreatorDetail, tags=["chain"])
@refuses(NO_CHAIN, InvalidInput)
def get_creator(address: Address, ctx: Ctx, limit: Limit = 20) -> CreatorDetail:
    """A creator's token, latest tips received and top supporters (per asset, never summed)."""
    chain = chain_of(ctx)
    listing = chain.creator(address)
    return CreatorDetail(
        creator=address,
        token=None if listing is None else CreatorOut.model_validate(listing),
        tips_received=[TipOut.model_validate(t) for t in chain.tips_received(address, limit=limit)],
        top_supporters=[SupporterOut.model_validate(s) for s in chain.top_supporters(address, limit=limit)],
    )


@v1.get("/tokens/{token}/holders", response_model=list[HolderOut], tags=["chain"])
@refuses(NO_CHAIN, InvalidInput)
def get_holders(token: Address, ctx: Ctx) -> list[HolderOut]:
    """Holders of a creator token with their confirmed balances, largest first."""
    return [HolderOut.model_validate(h) for h in chain_of(ctx).holders(token)]


@v1.get("/search", response_model=SearchPage, tags=["discover"])
@refuses(InvalidInput)
async def search(
    ctx: Ctx,
    q: Annotated[str, Query(description="Words to find (every one, each as a word's prefix); no syntax")],
    cursor: SearchCursor,
    kind: Literal["posts", "profiles", "communities"] = "posts",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchPage:
    """Live posts (their public text), profiles (name and bio) or communities (their charter's
    name, about and topics) matching every word of ``q``, best first (bm25). Operators and
    quotes in ``q`` are only words: any text is a query or a 400."""
    items: list[PostHitOut | ProfileHitOut | CommunityHitOut]
    if kind == "posts":
        posts = await in_thread(
            partial(ctx.store.search_posts, q, limit=limit, cursor=cursor, rules=ctx.search)
        )
        items = [
            PostHitOut(score=h.score, post=MessageOut.model_validate(message_out(h.post)))
            for h in posts.items
        ]
        return SearchPage(items=items, next_cursor=posts.next_cursor)
    if kind == "communities":
        found = await in_thread(
            partial(ctx.store.search_communities, q, limit=limit, cursor=cursor, rules=ctx.search)
        )
        items = [
            CommunityHitOut(
                score=h.score,
                id="0x" + h.community.hex(),
                name=h.name,
                about=h.about,
                topics=split_list(h.topics),
            )
            for h in found.items
        ]
        return SearchPage(items=items, next_cursor=found.next_cursor)
    users = await in_thread(
        partial(ctx.store.search_profiles, q, limit=limit, cursor=cursor, rules=ctx.search)
    )
    items = [ProfileHitOut(score=h.score, address=h.address, name=h.name, bio=h.bio) for h in users.items]
    return SearchPage(items=items, next_cursor=users.next_cursor)


def _score_out(s: CreatorScore) -> CreatorScoreOut:
    return CreatorScoreOut(
        creator=s.creator,
        score=s.score,
        band=s.band.value,
        followers=s.followers,
        explanation=ScoreExplanation(
            engagement=s.engagement,
            audience=s.followers + s.follower_prior,
            follower_prior=s.follower_prior,
            engagers=s.engagers,
            by_kind={
                k.value: KindPartOut(engagers=p.engagers, points=p.points) for k, p in s.by_kind.items()
            },
            fresh_engagers=s.fresh_engagers,
            fresh_pool=s.fresh_pool,
            fresh_points=s.fresh_points,
        ),
    )


@v1.get("/discover/creators", response_model=DiscoverOut, tags=["discover"])
@refuses(InvalidInput)
def get_discover_creators(
    ctx: Ctx,
    window_days: Annotated[
        int | None, Query(ge=1, description="Days of engagement ranked (default and most: node settings)")
    ] = None,
    band: Annotated[list[Band] | None, Query(description="Only creators in these follower bands")] = None,
    community: Annotated[
        str | None,
        Query(pattern=ID_PATTERN, description="Only engagement with this community's posts (its id)"),
    ] = None,
    topic: Annotated[
        str | None,
        Query(
            pattern=TOPIC.pattern, description="Only engagement with the posts of communities of this topic"
        ),
    ] = None,
    limit: Limit = 20,
) -> DiscoverOut:
    """Creators ranked by engagement relative to audience over the window: distinct users who
    replied, reacted, tipped, bought or hold the creator's token, per follower, with time decay;
    costly signals weigh more, fresh keys little (docs/discovery.md). Each result explains its
    score. With ``community`` or ``topic`` (or both: either), only replies and reactions to those
    communities' posts count, and only creators who drew some rank (docs/discovery.md). Without
    a chain index, replies and reactions alone. A ranking is reused for
    ``discover.cache_seconds`` (``now`` says when it was computed)."""
    settings = ctx.discover
    days = settings.default_window_days if window_days is None else window_days
    if days > settings.max_window_days:
        raise InvalidInput(f"window_days: at most {settings.max_window_days}")
    if limit > settings.max_results:
        raise InvalidInput(f"limit: at most {settings.max_results}")
    bands = None if band is None else tuple(sorted(set(band)))
    communities = None
    if community is not None or topic is not None:
        communities = frozenset(
            ([] if community is None else [id_bytes(community)])
            + ([] if topic is None else ctx.store.communities_with_topic(topic))
        )
    assert ctx.discover_cache is not None  # ApiContext makes one
    found = ctx.discover_cache.get(
        (days, bands, limit, communities),
        partial(
            discover_creators,
            ctx.store,
            ctx.chain,
            now=int(time.time()),
            window_seconds=days * DAY,
            rules=DiscoverRules.from_settings(settings),
            bands=bands,
            scope=Scope(communities=communities),
            limit=limit,
        ),
    )
    return DiscoverOut(
        now=found.now,
        window_days=days,
        chain_head=found.chain_head,
        since_block=found.since_block,
        creators=[_score_out(s) for s in found.results],
    )


@v1.get("/users/{address}/signers", response_model=list[str], tags=["graph"])
def get_signers(address: Address, ctx: Ctx) -> list[str]:
    """The keys ``address`` has delegated to (SignerAdd) and not removed."""
    return ctx.store.signers(address)


def _gating(ctx: ApiContext) -> Gatekeeper:
    if ctx.gating is None:
        raise NotServed("this node does not serve exclusive content (no gating service)", reason="no_gating")
    return ctx.gating


@v1.get("/gating", response_model=GatingOut, tags=["exclusive"])
@refuses(_NO_GATING)
def get_gating(ctx: Ctx) -> GatingOut:
    """This node's grant signer, and whether it can check gates (grants, online unlock)."""
    keeper = _gating(ctx)
    return GatingOut(signer=keeper.signer_address, unlock=keeper.can_check_gates)


@v1.get("/posts/{post_id}/grants/{address}", response_model=MessageOut, tags=["exclusive"])
@refuses((NotFound, "no_grant"))
def get_grant(post_id: MessageId, address: Address, ctx: Ctx) -> JSONAnswer:
    """The KeyGrant that gives ``address`` the post's content key (wrapped to their key)."""
    grant = ctx.store.grant(id_bytes(post_id), address)
    if grant is None:
        raise NotFound("no grant for that holder and post on this node", reason="no_grant")
    return JSONAnswer(message_out(grant))


@v1.post(
    "/posts/{post_id}/unlock/challenge",
    response_model=ChallengeOut,
    tags=["exclusive"],
    responses=then(links("$request.path.post_id", "unlock")),
)
@refuses(
    InvalidInput,
    KeyNotHeld,
    TooManyPending,
    (NotReady, "api_not_bound"),
    (NotServed, "no_gating", "no_chain"),
)
def unlock_challenge(post_id: MessageId, body: ChallengeIn, ctx: Ctx, request: Request) -> ChallengeOut:
    """An EIP-4361 challenge for ``address`` (EIP-55) to sign; valid once, for a few minutes,
    for that address and post only. 429 when this client, or the node, has too many pending."""
    client = request.client.host if request.client else ""
    return ChallengeOut(message=_gating(ctx).challenge(id_bytes(post_id), body.address, client=client))


@v1.post(
    "/posts/{post_id}/unlock",
    response_model=UnlockOut,
    tags=["exclusive"],
)
@refuses(
    InvalidInput,
    (ChallengeRefused, *CHALLENGE_REASONS),
    GateNotMet,
    KeyNotHeld,
    (NotReady, "api_not_bound"),
    (NotServed, "no_gating", "no_chain"),
    ChainUnavailable,
    ChainMismatch,
    ChainError,
)
def unlock(post_id: MessageId, body: UnlockIn, ctx: Ctx) -> UnlockOut:
    """Trade a signed challenge for the content key, if the signer meets the gate at the latest block.

    401 with a reason for a bad challenge (expired, replayed, wrong signer, a nonce issued for
    another address or post, ...), 403 when the signer does not meet the gate, 404 when this
    node holds no key for the post (``key_not_held``) or runs without a chain (``no_chain``),
    503 when the chain cannot be read (the challenge is not used up then: retry it).
    """
    return UnlockOut.model_validate(_gating(ctx).unlock(id_bytes(post_id), body.message, body.signature))


@v1.get(
    "/stream",
    response_class=EventStream,
    status_code=200,
    tags=["messages"],
)
@refuses((ServiceUnavailable, "too_many_subscribers"))
async def stream(ctx: Ctx) -> Response:
    """Server-sent events: every message this node accepts from now on (event ``message``).

    A client that falls too far behind gets one last event ``dropped`` (``data: {"reason":
    "slow_consumer", ...}``) and the stream ends; 503 (``too_many_subscribers``) when the node
    serves its most subscribers.
    """
    subscription = ctx.broadcaster.subscribe()
    if subscription is None:
        raise ServiceUnavailable(
            "this node serves its most live-stream subscribers; try again later",
            reason="too_many_subscribers",
        )
    return EventStream(ctx.broadcaster, subscription)


@v1.get("/status", response_model=Status, tags=["node"])
async def get_status(ctx: Ctx) -> Status:
    count, fingerprint = ctx.store.summary()  # of one commit
    # Per scope: the p2p sync index's (kept in step, free to read), else one scan of the store.
    held = ctx.p2p.scope_summary() if ctx.p2p else await store_read(ctx.store.scope_summary)
    return Status(
        chain_id=ctx.chain_id,
        messages=count,
        fingerprint="0x" + fingerprint.hex(),
        scopes=_scopes_status(ctx.store.served, held),
        p2p=ctx.p2p.status() if ctx.p2p else None,
        chain=_chain_status(ctx.chain) if ctx.chain else None,
    )


_NOTHING_HELD = (0, fingerprint_of(0, 0))


def _scopes_status(scopes: Scopes, held: dict[bytes, tuple[int, bytes]]) -> ScopesStatus:
    """The scopes served, and the messages held and their fingerprint, of each scope held or
    served (none held: 0 messages, the empty set's fingerprint)."""
    served = dict.fromkeys((BASE, *sorted(scopes.communities or ())), _NOTHING_HELD)
    summary = {**served, **held}
    order = sorted(summary, key=lambda s: (s != BASE, s))
    return ScopesStatus(
        served=scopes.names(),
        messages={scope_name(s): summary[s][0] for s in order},
        fingerprints={scope_name(s): "0x" + summary[s][1].hex() for s in order},
    )


def _chain_status(chain: ChainView) -> dict[str, Any]:
    """The index's last block; ``halted`` (why) only while indexing has stopped."""
    halted = chain.halted
    return {"indexed_block": chain.indexed_block, **({"halted": halted} if halted else {})}


@v1.get("/web-config", response_model=WebConfigOut, tags=["node"])
async def get_web_config(ctx: Ctx) -> WebConfigOut:
    """What the web app needs to reach the chain: its id, the contracts' addresses (none when
    this node runs without a deployment) and an RPC URL to read through (none: use the wallet)."""
    d = ctx.deployment
    return WebConfigOut(
        chain_id=ctx.chain_id,
        factory=None if d is None else d.factory,
        tip_jar=None if d is None else d.tip_jar,
        start_block=None if d is None else d.start_block,
        rpc_url=ctx.app_rpc_url,
    )


admin = APIRouter(
    prefix="/v1/admin",
    tags=["admin"],
    dependencies=[Depends(_require_admin)],
)


_NO_P2P = (NotServed, "no_p2p")


def _p2p(ctx: ApiContext) -> P2PView:
    if ctx.p2p is None:
        raise NotServed("this node runs without libp2p", reason="no_p2p")
    return ctx.p2p


@admin.get("/peers")
@refuses(_NO_P2P)
def admin_peers(ctx: Ctx) -> dict[str, Any]:
    return _p2p(ctx).status()


@admin.post("/peers")
@refuses(
    (BadPeerAddress, "not_a_peer_address", "own_address", "banned_peer"),
    _NO_P2P,
    PeerUnreachable,
    PeerTimedOut,
)
async def admin_connect(
    ctx: Ctx,
    multiaddr: Annotated[str, Query(max_length=300, json_schema_extra={"pattern": PEER_ADDRESS_PATTERN})],
) -> dict[str, str]:
    """Dial a peer now, e.g. ``/ip4/127.0.0.1/tcp/4002/p2p/16Uiu2...``: 400 for an address
    that is malformed, this node's own or a banned peer's, 502 when the dial fails, 504 when
    the peer does not answer in time."""
    p2p = _p2p(ctx)
    with trio.move_on_after(DIAL_TIMEOUT_SECONDS) as dial:
        await p2p.connect(multiaddr)
    if dial.cancelled_caught:
        raise PeerTimedOut(f"no answer from {multiaddr} within {DIAL_TIMEOUT_SECONDS:g} s")
    return {"connected": multiaddr}


#: A scope in a path: ``base``, or a community id.
SCOPE_PATTERN = r"^(?:base|0x[0-9a-fA-F]{64})$"
ScopeName = Annotated[
    str, Path(pattern=SCOPE_PATTERN, description='"base", or a community id (0x and 64 hex digits)')
]


@admin.put("/scopes/{scope}", response_model=ScopeChangeOut)
@refuses(_NO_P2P)
async def admin_add_scope(scope: ScopeName, ctx: Ctx) -> ScopeChangeOut:
    """Serve a community from now on (also after a restart, until ``p2p.scopes`` is changed):
    join its gossip topic and catch up on it from the connected peers that serve it. Adding a
    community already served, or the base scope, changes nothing."""
    p2p = _p2p(ctx)
    community = parse_scope(scope)  # the path's pattern has checked it
    added = community != BASE and await p2p.add_scope(community)
    return ScopeChangeOut(scope=scope.lower(), changed=added, dropped=0, served=ctx.store.served.names())


@admin.delete("/scopes/{scope}", response_model=ScopeChangeOut)
@refuses((InvalidInput, "base_scope", "serves_every_community"), _NO_P2P)
async def admin_remove_scope(scope: ScopeName, ctx: Ctx) -> ScopeChangeOut:
    """Stop serving a community: leave its gossip topic and drop its messages (and what was
    derived from them: posts, reactions, hides, search entries) from the store, answering
    once they are gone. 400 for the base scope (``base_scope``), and on a node serving every
    community (``serves_every_community``: list the ones to serve in ``p2p.scopes``)."""
    community = parse_scope(scope)  # the path's pattern has checked it
    if community == BASE:
        raise InvalidInput("the base scope cannot be removed: every node serves it", reason="base_scope")
    if ctx.store.served.everything:
        raise InvalidInput(
            "this node serves every community: list the ones it should serve in p2p.scopes",
            reason="serves_every_community",
        )
    removed, dropped = await _p2p(ctx).remove_scope(community)
    return ScopeChangeOut(
        scope=scope.lower(), changed=removed, dropped=dropped, served=ctx.store.served.names()
    )


@admin.post("/gated-posts", response_model=GatedPostOut, status_code=201)
@refuses((InvalidMessage, *MESSAGE_REASONS), InvalidInput, _NO_GATING)
def admin_gated_post(body: GatedPostIn, ctx: Ctx, response: Response) -> GatedPostOut:
    """Publish a gated post and leave its content key with this node, which then grants it to
    qualifying holders and answers unlocks. The key is checked against the ciphertext and kept
    in the node's vault, never in the message log; nothing about it is echoed back."""
    keeper = _gating(ctx)
    post = message_from_json(wire_form(body.post), ctx.chain_id)
    key = ContentKey(bytes.fromhex(body.contentKey[2:]))  # 64 hex digits, checked by GatedPostIn
    outcome = _answer_outcome(keeper.accept(post, key), response)
    return GatedPostOut(
        post="0x" + post.id.hex(),
        outcome=outcome,
        signer=keeper.signer_address,
        delegated=keeper.is_delegate(post.author),
    )


#: The reads clients poll, by operation id, with the cursor pattern each list issues (``None``:
#: it takes no cursor). :class:`~._hot.HotReads` answers their well-formed requests by calling
#: the handler directly, without FastAPI's routing, dependency solving and revalidation.
HOT_READS: dict[str, str | None] = {
    "health": None,
    "get_feed": POST_CURSOR,
    "get_posts": POST_CURSOR,
    "get_messages": MESSAGE_CURSOR,
    "get_followers": EDGE_CURSOR,
    "get_following": EDGE_CURSOR,
    "get_thread": THREAD_CURSOR,
    "get_message": None,
    "get_post": None,
    "get_profile": None,
}


def hot_reads(store: StoreReader, chain_id: int, answered: Counter) -> HotRoutes:
    """The hot reads (``HOT_READS``) of the node's routes over ``store``, answered as the node
    answers them (a read worker's). ``answered`` counts them."""
    ctx = ApiContext(cast(Store, store), chain_id)  # the hot routes use the store's reads alone
    return HotRoutes(create_app(ctx).routes, ctx, HOT_READS, answered)


def create_app(
    ctx: ApiContext,
    *,
    max_body_bytes: int = 1_048_576,
    body_timeout_seconds: float = 15.0,
    web: WebSettings | None = None,
) -> FastAPI:
    """The node's ASGI app, serving from ``ctx``: bodies over ``max_body_bytes`` get 413, bodies
    not received within ``body_timeout_seconds`` of the request's start get 408; the web app
    and ``/docs`` from the files ``web`` names (the repository's by default)."""

    app = FastAPI(
        title="Mecenate node",
        version="1",
        description="Signed social graph, creator tokens and tips. Messages are EIP-712 typed data.",
        generate_unique_id_function=lambda route: route.name,  # operationId: the handler's name
        docs_url=None,  # served by _web from the node's own files (FastAPI's loads a CDN's)
        redoc_url=None,
        # The node exports Prometheus metrics (``_metrics``), not OpenTelemetry; left on, FastAPI
        # looks up OpenTelemetry's global providers on every request (6 us, a sixth of /health).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.ctx = ctx
    app.state.metrics = metrics = Metrics(ctx)
    app.add_middleware(HotReads, context=ctx, cursors=HOT_READS, answered=metrics.hot_reads)
    app.add_middleware(HotSubmit, submit=partial(_submit, ctx, metrics), answered=metrics.hot_submits)
    app.add_middleware(MethodGuard)
    app.add_middleware(BodyLimits, seconds=body_timeout_seconds, max_bytes=max_body_bytes)
    app.add_middleware(TimingMiddleware, metrics=metrics)
    _errors.install(app)
    app.include_router(v1)
    app.include_router(communities.router)
    app.include_router(collectives.router)
    app.include_router(admin)
    _web.install(app, web or WebSettings(), rpc_url=ctx.app_rpc_url)

    @app.get("/health", response_model=Health, tags=["node"])
    async def health() -> Health:
        return Health(status="ok", chain_id=ctx.chain_id)

    @app.get(
        "/metrics", tags=["node"], response_class=Response, responses={200: {"content": {"text/plain": {}}}}
    )
    def prometheus() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    return app
