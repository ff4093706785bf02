"""The HTTP API: FastAPI under ``/v1``, OpenAPI at ``/docs``.

Handlers stay thin: parse (pydantic, at the edge), call the store or a view, shape the answer.
Store calls block (SQLite, fsync on ingest), so the handlers that make them are plain ``def``
and FastAPI runs them in worker threads; the store serialises writers itself.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import trio
from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
)
from fastapi.responses import JSONResponse, Response
from pydantic_core import PydanticSerializationError

from node.errors import ConfigError, InvalidMessage
from node.gating import ContentKey
from node.grants import Gatekeeper
from node.messages import SignedMessage, message_from_json
from node.store import FollowEdge, Outcome, Page, Result

from . import _errors
from ._body import BodyDeadline
from ._context import ApiContext, ChainView
from ._metrics import Metrics, TimingMiddleware
from ._models import (
    ADDRESS_PATTERN,
    ID_PATTERN,
    BatchIn,
    BatchResult,
    ChallengeIn,
    ChallengeOut,
    CreatorDetail,
    CreatorOut,
    Edge,
    EdgePage,
    ErrorOut,
    GatedPostIn,
    GatedPostOut,
    GatingOut,
    Health,
    HolderOut,
    IngestResult,
    MessageIn,
    MessageOut,
    MessagePage,
    PostOut,
    ProfileOut,
    Status,
    SupporterOut,
    TipOut,
    UnlockIn,
    UnlockOut,
)
from ._stream import EventStream

Address = Annotated[str, Path(pattern=ADDRESS_PATTERN, description="An Ethereum address, 0x-hex")]
MessageId = Annotated[str, Path(pattern=ID_PATTERN, description="A message id (EIP-712 digest), 0x-hex")]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut},
    404: {"model": ErrorOut},
    413: {"model": ErrorOut},
    422: {"model": ErrorOut},
}


def _ctx(request: Request) -> ApiContext:
    return request.app.state.ctx


Ctx = Annotated[ApiContext, Depends(_ctx)]


def _id(hex_id: str) -> bytes:
    return bytes.fromhex(hex_id[2:])


def _result(r: Result) -> IngestResult:
    return IngestResult(
        outcome=r.outcome.value,
        id=None if r.id is None else "0x" + r.id.hex(),
        reason=r.reason,
        detail=r.detail,
    )


def _wire(m: MessageIn) -> bytes:
    """The submitted message as wire bytes for the store, which decodes and judges it.

    A JSON string may escape a lone surrogate (``"\\ud800"``): Python parses it, but it is not
    Unicode and has no UTF-8 form, so pydantic cannot serialise it. Such a message is written
    with ASCII escapes instead; the store's strict decoder then refuses it as ``malformed``,
    this message alone (a batch's other messages keep their own outcomes).
    """
    try:
        return m.model_dump_json().encode()
    except PydanticSerializationError:
        return json.dumps(m.model_dump(), ensure_ascii=True, separators=(",", ":")).encode()


def _answer_outcome(result: Result, response: Response) -> None:
    """One message's fate as HTTP: refused raises 422 with its reason, already held is 200 (the
    route's 201 stands for new)."""
    if result.outcome is Outcome.REJECTED:
        raise InvalidMessage(result.reason or "rejected", result.detail or "")
    if result.outcome is Outcome.DUPLICATE:
        response.status_code = 200


def _require_admin(ctx: Ctx, authorization: Annotated[str | None, Header()] = None) -> None:
    token = ctx.admin_token
    if not token:
        raise HTTPException(403, "admin endpoints are disabled: set api.admin_token")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})


v1 = APIRouter(prefix="/v1", responses=_ERRORS)


@v1.post(
    "/messages",
    status_code=201,
    response_model=IngestResult,
    tags=["messages"],
    responses={200: {"model": IngestResult, "description": "Already held (idempotent)"}},
)
def submit_message(body: MessageIn, ctx: Ctx, request: Request, response: Response) -> IngestResult:
    """Submit one signed message. 201 when new, 200 when already held, 422 with a reason when refused."""
    report = ctx.store.ingest([_wire(body)])
    request.app.state.metrics.count(report)
    result = report.results[0]
    _answer_outcome(result, response)
    return _result(result)


@v1.post("/messages/batch", response_model=BatchResult, tags=["messages"])
def submit_batch(body: BatchIn, ctx: Ctx, request: Request) -> BatchResult:
    """Submit up to 1,000 signed messages; each gets its own outcome, in order.

    The valid ones are merged in one transaction; invalid ones are reported and never stored.
    """
    report = ctx.store.ingest(_wire(m) for m in body.messages)
    request.app.state.metrics.count(report)
    return BatchResult(**report.counts, results=[_result(r) for r in report.results])


@v1.get("/messages/{message_id}", response_model=MessageOut, tags=["messages"])
def get_message(message_id: MessageId, ctx: Ctx) -> MessageOut:
    m = ctx.store.get(_id(message_id))
    if m is None:
        raise HTTPException(404, "no such message on this node")
    return MessageOut.of(m)


@v1.get("/users/{address}/profile", response_model=ProfileOut, tags=["graph"])
def get_profile(address: Address, ctx: Ctx) -> ProfileOut:
    p = ctx.store.profile(address)
    if p is None:
        raise HTTPException(404, "this user has set no profile field")
    return ProfileOut(address=p.address, fields=dict(p.fields), updated=p.updated)


def _edge_page(page: Page[FollowEdge]) -> EdgePage:
    return EdgePage(
        items=[Edge(follower=e.follower, target=e.target, timestamp=e.timestamp) for e in page.items],
        next_cursor=page.next_cursor,
    )


@v1.get("/users/{address}/followers", response_model=EdgePage, tags=["graph"])
def get_followers(address: Address, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None) -> EdgePage:
    return _edge_page(ctx.store.followers(address, limit=limit, cursor=cursor))


@v1.get("/users/{address}/following", response_model=EdgePage, tags=["graph"])
def get_following(address: Address, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None) -> EdgePage:
    return _edge_page(ctx.store.following(address, limit=limit, cursor=cursor))


def _message_page(page: Page[SignedMessage]) -> MessagePage:
    return MessagePage(items=[MessageOut.of(m) for m in page.items], next_cursor=page.next_cursor)


@v1.get("/users/{address}/posts", response_model=MessagePage, tags=["graph"])
def get_posts(address: Address, ctx: Ctx, limit: Limit = 50, cursor: Cursor = None) -> MessagePage:
    return _message_page(ctx.store.posts(address, limit=limit, cursor=cursor))


@v1.get("/users/{address}/feed", response_model=MessagePage, tags=["graph"])
def get_feed(address: Address, ctx: Ctx, limit: Limit = 50, cursor: Cursor = None) -> MessagePage:
    """Posts by the users ``address`` follows, newest first."""
    return _message_page(ctx.store.feed(address, limit=limit, cursor=cursor))


@v1.get("/posts/{post_id}", response_model=PostOut, tags=["graph"])
def get_post(post_id: MessageId, ctx: Ctx) -> PostOut:
    m = ctx.store.get(_id(post_id))
    if m is None or m.type != "Post":
        raise HTTPException(404, "no such post on this node")
    return PostOut(post=MessageOut.of(m), reactions=ctx.store.reactions(m.id))


@v1.get("/posts/{post_id}/thread", response_model=MessagePage, tags=["graph"])
def get_thread(post_id: MessageId, ctx: Ctx, limit: Limit = 100, cursor: Cursor = None) -> MessagePage:
    """The post's ancestors (root first), the post, then every reply below it, oldest first;
    one page at a time, like every list."""
    page = ctx.store.thread(_id(post_id), limit=limit, cursor=cursor)
    if page is None:
        raise HTTPException(404, "no such post on this node")
    return _message_page(page)


def _chain(ctx: ApiContext) -> ChainView:
    if ctx.chain is None:
        raise HTTPException(404, "this node runs without a chain index (no deployment for its chain)")
    return ctx.chain


@v1.get("/posts/{post_id}/tips", response_model=list[TipOut], tags=["chain"])
def get_post_tips(post_id: MessageId, ctx: Ctx) -> list[TipOut]:
    """Confirmed on-chain tips tied to this post id, oldest first."""
    return [TipOut.of(t) for t in _chain(ctx).tips_for_post(_id(post_id))]


@v1.get("/creators", response_model=list[CreatorOut], tags=["chain"])
def get_creators(ctx: Ctx) -> list[CreatorOut]:
    """Every creator with a launched token: price, supply, reserve, holder count."""
    return [CreatorOut.of(c) for c in _chain(ctx).creators()]


@v1.get("/creators/{address}", response_model=CreatorDetail, tags=["chain"])
def get_creator(address: Address, ctx: Ctx, limit: Limit = 20) -> CreatorDetail:
    """A creator's token, latest tips received and top supporters (per asset, never summed)."""
    chain = _chain(ctx)
    listing = chain.creator(address)
    return CreatorDetail(
        creator=address,
        token=None if listing is None else CreatorOut.of(listing),
        tips_received=[TipOut.of(t) for t in chain.tips_received(address, limit=limit)],
        top_supporters=[
            SupporterOut(tipper=s.tipper, token=s.token, total=str(s.total), count=s.count)
            for s in chain.top_supporters(address, limit=limit)
        ],
    )


@v1.get("/tokens/{token}/holders", response_model=list[HolderOut], tags=["chain"])
def get_holders(token: Address, ctx: Ctx) -> list[HolderOut]:
    """Holders of a creator token with their confirmed balances, largest first."""
    return [HolderOut(holder=h.holder, balance=str(h.balance)) for h in _chain(ctx).holders(token)]


@v1.get("/users/{address}/signers", response_model=list[str], tags=["graph"])
def get_signers(address: Address, ctx: Ctx) -> list[str]:
    """The keys ``address`` has delegated to (SignerAdd) and not removed."""
    return ctx.store.signers(address)


def _gating(ctx: ApiContext) -> Gatekeeper:
    if ctx.gating is None:
        raise HTTPException(404, "this node does not serve exclusive content (no gating service)")
    return ctx.gating


_NOT_HELD = "this node does not hold the key of that post (or the post is not a live gated post here)"


@v1.get("/gating", response_model=GatingOut, tags=["exclusive"])
def get_gating(ctx: Ctx) -> GatingOut:
    """This node's grant signer, and whether it can check gates (grants, online unlock)."""
    keeper = _gating(ctx)
    return GatingOut(signer=keeper.signer_address, unlock=keeper.can_check_gates)


@v1.get("/posts/{post_id}/grants/{address}", response_model=MessageOut, tags=["exclusive"])
def get_grant(post_id: MessageId, address: Address, ctx: Ctx) -> MessageOut:
    """The KeyGrant that gives ``address`` the post's content key (wrapped to their key)."""
    grant = ctx.store.grant(_id(post_id), address)
    if grant is None:
        raise HTTPException(404, "no grant for that holder and post on this node")
    return MessageOut.of(grant)


@v1.post(
    "/posts/{post_id}/unlock/challenge",
    response_model=ChallengeOut,
    tags=["exclusive"],
    responses={404: {"model": ErrorOut}, 429: {"model": ErrorOut}, 503: {"model": ErrorOut}},
)
def unlock_challenge(post_id: MessageId, body: ChallengeIn, ctx: Ctx, request: Request) -> ChallengeOut:
    """An EIP-4361 challenge for ``address`` (EIP-55) to sign; valid once, for a few minutes,
    for that address and post only. 429 when this client, or the node, has too many pending."""
    client = request.client.host if request.client else ""
    try:
        return ChallengeOut(message=_gating(ctx).challenge(_id(post_id), body.address, client=client))
    except KeyError:
        raise HTTPException(404, _NOT_HELD) from None


@v1.post(
    "/posts/{post_id}/unlock",
    response_model=UnlockOut,
    tags=["exclusive"],
    responses={
        401: {"model": ErrorOut},
        403: {"model": ErrorOut},
        404: {"model": ErrorOut},
        503: {"model": ErrorOut},
    },
)
def unlock(post_id: MessageId, body: UnlockIn, ctx: Ctx) -> UnlockOut:
    """Trade a signed challenge for the content key, if the signer meets the gate at the latest block.

    401 with a reason for a bad challenge (expired, replayed, wrong signer, a nonce issued for
    another address or post, ...), 403 when the signer does not meet the gate, 503 when the
    chain cannot be read (the challenge is not used up then: retry it).
    """
    try:
        done = _gating(ctx).unlock(_id(post_id), body.message, body.signature)
    except KeyError:
        raise HTTPException(404, _NOT_HELD) from None
    return UnlockOut(
        post="0x" + done.post.hex(), holder=done.holder, encryption=done.encryption, key="0x" + done.key.hex()
    )


@v1.get(
    "/stream",
    response_class=EventStream,
    status_code=200,
    tags=["messages"],
    responses={503: {"model": ErrorOut, "description": "Too many live-stream subscribers"}},
)
async def stream(ctx: Ctx) -> Response:
    """Server-sent events: every message this node accepts from now on (event ``message``).

    A client that falls too far behind gets one last event ``dropped`` (``data: {"reason":
    "slow_consumer", ...}``) and the stream ends; 503 when the node serves its most subscribers.
    """
    subscription = ctx.broadcaster.subscribe()
    if subscription is None:
        body = ErrorOut(
            error="ServiceUnavailable",
            reason="too_many_subscribers",
            detail="this node serves its most live-stream subscribers; try again later",
        )
        return JSONResponse(
            body.model_dump(exclude_none=True), status_code=503, headers={"Retry-After": "10"}
        )
    return EventStream(ctx.broadcaster, subscription)


@v1.get("/status", response_model=Status, tags=["node"])
def get_status(ctx: Ctx) -> Status:
    return Status(
        chain_id=ctx.chain_id,
        messages=len(ctx.store),
        fingerprint="0x" + ctx.store.fingerprint().hex(),
        p2p=ctx.p2p.status() if ctx.p2p else None,
        chain=_chain_status(ctx.chain) if ctx.chain else None,
    )


def _chain_status(chain: ChainView) -> dict[str, Any]:
    """The index's last block; ``halted`` (why) only while indexing has stopped."""
    halted = chain.halted
    return {"indexed_block": chain.indexed_block, **({"halted": halted} if halted else {})}


admin = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(_require_admin)])


@admin.get("/peers")
def admin_peers(ctx: Ctx) -> dict[str, Any]:
    if ctx.p2p is None:
        raise HTTPException(404, "this node runs without libp2p")
    return ctx.p2p.status()


@admin.post("/peers")
async def admin_connect(ctx: Ctx, multiaddr: Annotated[str, Query(max_length=300)]) -> dict[str, str]:
    """Dial a peer now, e.g. ``/ip4/127.0.0.1/tcp/4002/p2p/16Uiu2...``."""
    if ctx.p2p is None:
        raise HTTPException(404, "this node runs without libp2p")
    try:
        with trio.fail_after(10):
            await ctx.p2p.connect(multiaddr)
    except ConfigError as exc:  # not a multiaddr with /p2p/<id>, or a banned peer: the admin's input
        raise HTTPException(400, str(exc)) from exc
    except trio.TooSlowError:
        raise HTTPException(504, f"no answer from {multiaddr} within 10 s") from None
    except Exception as exc:  # libp2p's dial errors have no common base: the peer is the problem
        raise HTTPException(502, f"cannot connect to {multiaddr}: {exc}") from exc
    return {"connected": multiaddr}


@admin.post("/gated-posts", response_model=GatedPostOut, status_code=201)
def admin_gated_post(body: GatedPostIn, ctx: Ctx, response: Response) -> GatedPostOut:
    """Publish a gated post and leave its content key with this node, which then grants it to
    qualifying holders and answers unlocks. The key is checked against the ciphertext and kept
    in the node's vault, never in the message log; nothing about it is echoed back."""
    keeper = _gating(ctx)
    post = message_from_json(body.post.model_dump(), ctx.chain_id)
    key = ContentKey(bytes.fromhex(body.contentKey[2:]))  # 64 hex digits, checked by GatedPostIn
    result = keeper.accept(post, key)
    _answer_outcome(result, response)
    delegated = keeper.is_delegate(post.author)
    return GatedPostOut(
        post="0x" + post.id.hex(),
        outcome=result.outcome.value,
        signer=keeper.signer_address,
        delegated=delegated,
    )


def create_app(
    ctx: ApiContext, *, max_body_bytes: int = 1_048_576, body_timeout_seconds: float = 15.0
) -> FastAPI:
    """The node's ASGI app, serving from ``ctx``: bodies over ``max_body_bytes`` get 413, bodies
    not received within ``body_timeout_seconds`` of the request's start get 408."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.broadcaster.bind()
        remove = ctx.store.add_listener(lambda report: ctx.broadcaster.publish(report.accepted))
        try:
            yield
        finally:
            remove()

    app = FastAPI(
        title="Mecenate node",
        version="1",
        description="Signed social graph, creator tokens and tips. Messages are EIP-712 typed data.",
        lifespan=lifespan,
        max_body_size=max_body_bytes,
    )
    app.state.ctx = ctx
    app.state.metrics = metrics = Metrics(ctx)
    app.add_middleware(BodyDeadline, seconds=body_timeout_seconds)
    app.add_middleware(TimingMiddleware, metrics=metrics)
    _errors.install(app)
    app.include_router(v1)
    app.include_router(admin)

    @app.get("/health", response_model=Health, tags=["node"])
    def health() -> Health:
        return Health(status="ok", chain_id=ctx.chain_id)

    @app.get(
        "/metrics", tags=["node"], response_class=Response, responses={200: {"content": {"text/plain": {}}}}
    )
    def prometheus() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    return app
