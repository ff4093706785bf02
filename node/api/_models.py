"""The JSON shapes the API reads and writes, as pydantic models (they are the OpenAPI schema).

Inputs are validated here once, at the edge: addresses and ids by pattern, limits by range.
A signed message travels in its wire form (``node.messages``), so any EIP-712 wallet's output
can be posted as it is.

The answers that show messages or follow edges (pages of up to 200, polled by every client)
are not built as models: constructing a model per item, then validating and dumping it again,
cost more of the event loop's time than the SQL behind the page. They are plain ``dict``s in
the model's shape (:func:`message_out`, :func:`message_page`, :func:`post_out`,
:func:`edge_page`; a message in a page already encoded, :func:`message_json`), encoded once by
:class:`JSONAnswer`, which FastAPI sends as it is (the route still declares the model, for the
schema) and the hot path (``_hot``) sends too. ``tests/api/test_answers.py`` holds every such
answer to its model: validated by it and dumped again, it is the same bytes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.responses import JSONResponse

from node.messages import SignedMessage, message_to_json
from node.store import FollowEdge, Page, View

from ._wire import ADDRESS_PATTERN, ID_PATTERN, SIGNATURE_PATTERN, MessageIn

MAX_BATCH = 1000
#: Compact JSON, UTF-8, keys in insertion order: the bytes FastAPI renders for the same shape.
_encode = msgspec.json.Encoder().encode


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[MessageIn] = Field(min_length=1, max_length=MAX_BATCH)


class MessageOut(BaseModel):
    """A stored message: its id, its wire form, and the key that signed it (built by
    :func:`message_out`)."""

    id: str
    type: str
    chainId: int
    message: dict[str, Any]
    signature: str
    signer: str


def message_out(m: SignedMessage) -> dict[str, Any]:
    """``m`` as a :class:`MessageOut`, field for field and in its order."""
    return {"id": "0x" + m.id.hex(), **message_to_json(m), "signer": m.signer}


#: Messages kept encoded as :class:`MessageOut` (:func:`message_json`): at most twice this
#: many, each of at most ``ENCODED_MESSAGE_MAX_BYTES`` (so about 32 MB at most, a few MB with
#: posts of common length).
MESSAGES_KEPT_ENCODED = 4096
ENCODED_MESSAGE_MAX_BYTES = 4096
_kept: dict[tuple[bytes, bytes], msgspec.Raw] = {}
_kept_older: dict[tuple[bytes, bytes], msgspec.Raw] = {}


def message_json(m: SignedMessage) -> msgspec.Raw:
    """``m`` as a :class:`MessageOut`, encoded, for a page to embed; kept for the next page.

    The pages clients poll show the same recent messages over and over, and shaping each
    again cost more than encoding the page. A message is named exactly by its id (which commits
    to its content) and its signature (which gives the signer), so that pair is the key. Two
    generations: when the young one fills, it becomes the old one and the old one is dropped.
    """
    global _kept, _kept_older
    key = (m.id, m.signature)
    raw = _kept.get(key) or _kept_older.get(key)
    if raw is None:
        raw = msgspec.Raw(_encode(message_out(m)))
        if len(raw) <= ENCODED_MESSAGE_MAX_BYTES:
            if len(_kept) >= MESSAGES_KEPT_ENCODED:
                _kept_older, _kept = _kept, {}
            _kept[key] = raw
    return raw


class IngestResult(BaseModel):
    outcome: Literal["accepted", "duplicate", "rejected"]
    id: str | None = None
    reason: str | None = None
    detail: str | None = None


class BatchResult(BaseModel):
    accepted: int
    duplicate: int
    rejected: int
    results: list[IngestResult]


class MessagePage(BaseModel):
    """A page of messages (built by :func:`message_page`)."""

    items: list[MessageOut]
    next_cursor: str | None


def message_page(page: Page[SignedMessage]) -> dict[str, Any]:
    """``page`` as a :class:`MessagePage`."""
    return {"items": [message_json(m) for m in page.items], "next_cursor": page.next_cursor}


class HiddenOut(BaseModel):
    """One reason a view hides a post: ``reason`` (``not_a_member``, ``gate_not_met``,
    ``gate_unverifiable``, ``hidden_by_moderator``, ``hidden_by_post_author``, ``blocked_by_post_author``, ``muted``,
    ``blocked``), who decided it (``null``: the community's rules) and their words."""

    reason: str
    by: str | None
    detail: str


class PostPage(MessagePage):
    """A page of posts as a view shows them (built by :func:`post_page`). ``hidden_count`` posts
    of the page are hidden; with ``show_hidden=true`` they are in ``items`` too and ``hidden``
    says, per post id, why. ``paid_by`` names who paid for a post (its author's disclosures).
    A page may hold fewer items than its limit: follow ``next_cursor``."""

    hidden_count: int
    hidden: dict[str, list[HiddenOut]]
    paid_by: dict[str, list[str]]
    ranking: dict[str, RankingOut] = Field(
        default_factory=dict, description="Per post, in a ranked feed: its score and the numbers that made it"
    )


class RankingOut(BaseModel):
    """Why a post ranks where it does in the engagement-ranked feed: ``score`` =
    (reactors + 2 x repliers + 5 x tips) x 0.5^(age_hours / 24)."""

    score: float
    reactors: int
    repliers: int
    tips: int
    age_hours: float


def post_page(view: View, ranking: dict[str, Any] | None = None) -> dict[str, Any]:
    """``view`` as a :class:`PostPage` (with ``ranking``, the ranked feed's explanations)."""
    return {
        "items": [message_json(m) for m in view.items],
        "next_cursor": view.next_cursor,
        "hidden_count": view.hidden_count,
        "hidden": {
            "0x" + post.hex(): [{"reason": h.why.value, "by": h.by, "detail": h.detail} for h in reasons]
            for post, reasons in view.hidden.items()
        },
        "paid_by": {"0x" + post.hex(): payers for post, payers in view.paid_by.items()},
        "ranking": ranking or {},
    }


#: An amount as a decimal string in base units (wei; 10^-18 token): it exceeds JSON's safe integers.
Amount = Annotated[str, BeforeValidator(str)]
#: Bytes as 0x-hex.
Hex = Annotated[str, BeforeValidator(lambda b: "0x" + b.hex())]


class _View(BaseModel):
    """A shape read off one of the node's views (a dataclass of ``node.store`` or ``node.chain``)
    by attribute name: ``Model.model_validate(view)``."""

    model_config = ConfigDict(from_attributes=True)


class Edge(BaseModel):
    follower: str
    target: str
    timestamp: int


class EdgePage(BaseModel):
    """A page of follow edges (built by :func:`edge_page`)."""

    items: list[Edge]
    next_cursor: str | None


def edge_page(page: Page[FollowEdge]) -> dict[str, Any]:
    """``page`` as an :class:`EdgePage`."""
    return {
        "items": [{"follower": e.follower, "target": e.target, "timestamp": e.timestamp} for e in page.items],
        "next_cursor": page.next_cursor,
    }


class JSONAnswer(JSONResponse):
    """A 200 answer whose body is a shape built above, encoded by msgspec: the same bytes as
    FastAPI's own encoding of the model (compact, UTF-8, nothing escaped but what JSON must),
    without a model built, validated or dumped. FastAPI sends a returned response as it is."""

    def render(self, content: Any) -> bytes:
        return _encode(content)


class ProfileOut(BaseModel):
    address: str
    fields: dict[str, str]
    updated: int


class PostOut(BaseModel):
    """A post, its reaction counts by kind, and who paid for it (its author's disclosures of a
    paid partnership; empty when none) (built by :func:`post_out`)."""

    post: MessageOut
    reactions: dict[str, int]
    paid_by: list[str]


def post_out(post: SignedMessage, reactions: dict[str, int], paid_by: list[str]) -> dict[str, Any]:
    """``post``, its ``reactions`` and ``paid_by`` as a :class:`PostOut`."""
    return {"post": message_json(post), "reactions": reactions, "paid_by": paid_by}


class Health(BaseModel):
    status: Literal["ok"]
    chain_id: int


class ScopesStatus(BaseModel):
    """What the node serves (``p2p.scopes``, or as changed since at run time) and holds, scope by scope."""

    served: list[str] = Field(description='"all", or "base" and the ids of the communities served')
    messages: dict[str, int] = Field(
        description='Messages held per scope: "base", and each community (0x id) held or served'
    )
    fingerprints: dict[str, str] = Field(
        description="Per scope (the keys of messages), the fingerprint of the messages held: "
        "two nodes hold the same messages of a scope exactly when these agree"
    )


class ScopeChangeOut(BaseModel):
    """What adding or removing a scope did."""

    scope: str = Field(description='The scope asked for: "base" or a community id (0x-hex)')
    changed: bool = Field(description="Whether the scopes served changed (false: already so)")
    dropped: int = Field(description="Messages dropped from the store (removing)")
    served: list[str] = Field(description="The scopes served now, as in the status")


class Status(BaseModel):
    chain_id: int
    messages: int
    fingerprint: str
    scopes: ScopesStatus
    p2p: dict[str, Any] | None = None
    chain: dict[str, Any] | None = Field(
        None,
        description="The chain index: indexed_block, and halted (why) while it has stopped, "
        "e.g. when the RPC endpoint serves another chain id",
    )


class WebConfigOut(BaseModel):
    """What the web app reads from the node at start: the chain and where the contracts are."""

    chain_id: int
    factory: str | None = Field(description="CreatorTokenFactory's address; none without a deployment")
    tip_jar: str | None = Field(description="TipJar's address; none without a deployment")
    start_block: int | None = Field(description="The deployment's first block; none without one")
    rpc_url: str | None = Field(
        description="A chain RPC URL the app may read through (never one with a secret); "
        "none: read through the user's wallet"
    )


class ErrorOut(BaseModel):
    """The one shape of every error answer."""

    error: str = Field(
        description="What kind of error: a class of node.errors (InvalidMessage, NotFound, ...), "
        "or the HTTP status's name for the framework's own (PayloadTooLarge, ...)"
    )
    reason: str = Field(description="A stable, machine-readable code (bad_signature, no_post, ...)")
    detail: str = Field(description="What was wrong, in words; never echoes a submitted value")
    fields: list[dict[str, Any]] | None = Field(
        None, description="For InvalidRequest: each bad field and rule"
    )


# ---------------------------------------------------------------- chain (indexed, confirmed)


class TipOut(_View):
    creator: str
    tipper: str
    token: str | None = Field(description="ERC-20 tipped, or null for ether")
    amount: Amount
    post_id: Hex
    memo: str
    block_number: int
    tx_hash: str


class SupporterOut(_View):
    tipper: str
    token: str | None
    total: Amount
    count: int


class CreatorOut(_View):
    creator: str
    token: str
    name: str
    symbol: str
    supply: Amount
    price: Amount = Field(description="Marginal price of one whole token, in wei")
    reserve: Amount
    holders: int


class CreatorDetail(BaseModel):
    creator: str
    token: CreatorOut | None
    tips_received: list[TipOut]
    top_supporters: list[SupporterOut]


# ---------------------------------------------------------------- search and discovery


class PostHitOut(BaseModel):
    kind: Literal["post"] = "post"
    score: float = Field(description="Relevance (bm25, negated): higher is better")
    post: MessageOut


class ProfileHitOut(BaseModel):
    kind: Literal["profile"] = "profile"
    score: float = Field(
        description="Relevance (bm25, a name match weighing thrice a bio's): higher is better"
    )
    address: str
    name: str = Field(description="The profile's name, empty when unset")
    bio: str = Field(description="The profile's bio, empty when unset")


class CommunityHitOut(BaseModel):
    kind: Literal["community"] = "community"
    score: float = Field(description="Relevance (bm25; a name match weighs most): higher is better")
    id: str = Field(description="The community's id (GET /v1/communities/{id})")
    name: str
    about: str
    topics: list[str]


class SearchPage(BaseModel):
    """One page of search results, best first."""

    items: list[Annotated[PostHitOut | ProfileHitOut | CommunityHitOut, Field(discriminator="kind")]]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at the end")


class KindPartOut(BaseModel):
    engagers: int = Field(description="Engagers whose strongest signal was of this kind")
    points: float = Field(description="What they added to engagement (weight x decay x credibility)")


class ScoreExplanation(BaseModel):
    """The numbers that made a score: score = engagement / (followers + follower_prior);
    engagement = the points of by_kind + fresh_points; fresh_points = fresh_weight x
    log2(1 + fresh_pool)."""

    engagement: float
    audience: float = Field(description="followers + follower_prior")
    follower_prior: float
    engagers: int = Field(description="Distinct accounts that engaged (the creator never counts)")
    by_kind: dict[str, KindPartOut] = Field(description="Credible points by each engager's strongest signal")
    fresh_engagers: int = Field(
        description="Engagers without (full) vouching, whose free signals were pooled"
    )
    fresh_pool: float
    fresh_points: float


class CreatorScoreOut(BaseModel):
    creator: str
    score: float
    band: Literal["nano", "micro", "mid", "macro"]
    followers: int
    explanation: ScoreExplanation


class DiscoverOut(BaseModel):
    """Creators ranked by engagement relative to audience (docs/discovery.md)."""

    now: int = Field(description="The time the window ends (Unix seconds)")
    window_days: int
    chain_head: int | None = Field(
        description="The indexed block on-chain ages count from; null: no chain index"
    )
    since_block: int | None = Field(description="The first block of the window; null: no chain index")
    creators: list[CreatorScoreOut]


# ---------------------------------------------------------------- exclusive content


class GatingOut(BaseModel):
    signer: str = Field(
        description="The key this node signs KeyGrants with; creators delegate to it (SignerAdd)"
    )
    unlock: bool = Field(description="Whether this node can check gates on chain (grants and online unlock)")


class GatedPostIn(BaseModel):
    """A gated post and its content key, handed by the creator's client to the creator's node."""

    model_config = ConfigDict(extra="forbid")

    post: MessageIn
    contentKey: str = Field(pattern=ID_PATTERN, description="The 32-byte AES-256-GCM content key")


class GatedPostOut(BaseModel):
    post: str
    outcome: Literal["accepted", "duplicate"]
    signer: str = Field(description="This node's grant signer")
    delegated: bool = Field(description="Whether the author has delegated to the grant signer yet")


class ChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(pattern=ADDRESS_PATTERN)


class ChallengeOut(BaseModel):
    message: str = Field(description="EIP-4361 text to sign with personal_sign (EIP-191)")


class UnlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(max_length=4096)
    signature: str = Field(pattern=SIGNATURE_PATTERN)


class UnlockOut(_View):
    post: Hex
    holder: str
    encryption: Literal["x25519", "none"] = Field(
        description="x25519: key is wrapped to the holder's profile encryptionKey (81 bytes, HPKE, "
        "bound as a KeyGrant from the post's author to the holder); "
        "none: key is the raw 32-byte content key (the holder published no encryptionKey)"
    )
    key: Hex


class HolderOut(_View):
    holder: str
    balance: Amount
