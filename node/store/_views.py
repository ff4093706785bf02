"""Plain values the store returns: ingest outcomes and query results."""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar

from ..messages import SignedMessage

T = TypeVar("T")


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"  # new, valid, now in the log
    DUPLICATE = "duplicate"  # already held, or already deleted by its author (nothing to do)
    REJECTED = "rejected"  # invalid; ``reason`` says why, nothing was written


class Result(NamedTuple):
    """What became of one ingested message."""

    outcome: Outcome
    #: The message id, when the message decoded far enough to have one.
    id: bytes | None = None
    #: For ``REJECTED``, an :class:`~node.messages.Reason` code; for ``DUPLICATE``,
    #: ``"duplicate"`` or ``"deleted"``.
    reason: str | None = None
    detail: str | None = None


#: ``(timestamp, id)``: a message's key in set reconciliation (``SignedMessage.sync_key``).
SyncKey = tuple[int, bytes]


@dataclass(slots=True)
class IngestReport:
    """The outcome of one :meth:`Store.ingest` call: what it did to each input and to the id set.

    ``results`` has one entry per input, in input order. ``accepted`` holds the messages that
    were new and are now durable, in merge order: the ones to relay and to stream. ``removed``
    holds the sync keys of the messages that left the log in the same commit: a post its author
    deleted (and the author's grants for it), every message of a revoked delegate. A set index
    over :meth:`Store.sync_keys` stays equal to the store by removing ``removed``, then adding
    the keys of ``accepted`` (``added``), one report after the other in commit order (an id can
    be in both: a delegate's copy dropped, then the author's own copy of it merged);
    ``count`` and ``fingerprint`` are the store's right after this commit, to check it.
    ``origin`` is what the caller passed to :meth:`Store.ingest` (``None``: this node itself).
    """

    results: list[Result]
    accepted: list[SignedMessage] = field(default_factory=list)
    removed: list[SyncKey] = field(default_factory=list)
    origin: str | None = None
    count: int = 0
    fingerprint: bytes = b""

    @property
    def added(self) -> list[SyncKey]:
        """The sync keys of ``accepted``."""
        return [m.sync_key for m in self.accepted]

    @property
    def counts(self) -> Mapping[str, int]:
        """``{"accepted": n, "duplicate": n, "rejected": n}``."""
        c = Counter(r.outcome.value for r in self.results)
        return {o.value: c.get(o.value, 0) for o in Outcome}

    def rejections(self) -> list[tuple[int, Result]]:
        """``(input index, result)`` for every rejected input."""
        return [(i, r) for i, r in enumerate(self.results) if r.outcome is Outcome.REJECTED]


@dataclass(frozen=True, slots=True)
class Profile:
    """A user's current profile: each field's last-written, non-empty value."""

    address: str
    fields: Mapping[str, str]
    #: Timestamp of the newest write to any field.
    updated: int


@dataclass(frozen=True, slots=True)
class FollowEdge:
    """``follower`` follows ``target`` now: of the follower's ``Follow`` messages for the target,
    the last writer (see the merge rules) set ``active``."""

    follower: str
    target: str
    #: Timestamp of the follow message that set the edge.
    timestamp: int


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; pass ``next_cursor`` back for the next, ``None`` at the end."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Charter:
    """A community's charter now: ``fields`` holds each field's last-written, non-empty value."""

    id: bytes
    founder: str
    handle: str
    fields: Mapping[str, str]
    #: Timestamp of the newest write to any field.
    updated: int


@dataclass(frozen=True, slots=True)
class Member:
    """A user whose last membership message for a community joined it, at ``since``."""

    address: str
    since: int


@dataclass(frozen=True, slots=True)
class MembershipEdge:
    """A community a user is a member of now, since ``since``."""

    community: bytes
    since: int


@dataclass(frozen=True, slots=True)
class CommunityActivity:
    members: int
    posts: int
    authors: int


@dataclass(slots=True)
class ModerationFacts:
    """What the store knows that decides whether some posts show (``Store.moderation_facts``)."""

    #: Per post, whether its author was a member of the community asked about when they
    #: posted: the last membership message at or before the post's timestamp joined (last
    #: writer wins: newer, then leaving, then the larger id).
    member_when_posted: dict[bytes, bool] = field(default_factory=dict)
    #: Active moderator hides in that community, per post: ``(moderator, reason, timestamp)``.
    mod_hides: defaultdict[bytes, list[tuple[str, str, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: The author of each reply's parent, when the parent is held here.
    parent_author: dict[bytes, str] = field(default_factory=dict)
    #: Who hid each reply (active ``ReplyHide``), whoever they are.
    reply_hides: defaultdict[bytes, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: Active blocks of a reply's author by its parent's author: ``(blocker, blocked)``.
    blocks: set[tuple[str, str]] = field(default_factory=set)
    #: The viewer's active mutes and blocks: target -> ``"mute"`` or ``"block"``.
    viewer_mutes: dict[str, str] = field(default_factory=dict)
    #: Who paid, per post, as its own author disclosed.
    paid_by: defaultdict[bytes, list[str]] = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True, slots=True)
class PostHit:
    """A live post a search found; ``score`` its relevance (bm25, negated: higher is better)."""

    post: SignedMessage
    score: float


@dataclass(frozen=True, slots=True)
class ProfileHit:
    """A user a search found by name or bio (``""`` when unset); ``score`` as :class:`PostHit`'s."""

    address: str
    name: str
    bio: str
    score: float


@dataclass(frozen=True, slots=True)
class CommunityHit:
    """A community a search found by its charter's name, about or topics (``""`` when unset);
    ``score`` as :class:`PostHit`'s."""

    community: bytes
    name: str
    about: str
    topics: str
    score: float


#: ``(creator, account, timestamp)`` as raw addresses: ``account``'s last act of one kind toward
#: ``creator``'s posts.
RawEngagement = tuple[bytes, bytes, int]


@dataclass(frozen=True, slots=True)
class StoreEngagement:
    """What the store says about engagement with creators since a time (``Store.engagement``),
    addresses as raw 20 bytes: replies and reactions to each creator's live posts, the
    creators' follower counts now, and, for the engagers asked about, how many of their
    followers are among the vouchers given."""

    replies: list[RawEngagement]
    reactions: list[RawEngagement]
    followers: dict[bytes, int]
    vouches: dict[bytes, int]
