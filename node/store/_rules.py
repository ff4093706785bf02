"""The merge rules: how each message type changes the derived tables, as a table of pure functions.

The rules (deterministic, so every node holding the same set holds the same state):

- A message is new or a duplicate by id. A duplicate is an outcome, not an error.
- ``Profile`` per (author, field), ``Follow`` per (author, target), ``Reaction`` per
  (post, author, kind): last writer wins on ``(timestamp, is_removal, id)``: newer wins, on
  equal timestamps a removal wins (``active = false``, an empty profile value), then the
  larger id. Every such message stays in the log; only the derived row changes (the
  comparison is the ``WHERE`` of the schema's upserts).
- ``PostDelete`` by a post's author removes the post from the log (its text is gone from this
  node) and leaves a tombstone, so the post can never come back: re-receiving it is a
  ``duplicate`` with reason ``deleted``. A delete that arrives before its post works the same.
- ``SignerAdd`` makes a key a delegate of the author; ``SignerRemove`` revokes it for good
  (a removed key cannot be re-added: use a new key). Revocation drops every message the
  delegate signed for that author from the log, re-derives the author's profile, follows,
  reactions and tombstones from what is left, and refuses the delegate's messages from then
  on (``revoked_signer``). Within one ingest call, signer messages merge first, then deletes,
  then the rest (:attr:`Rule.stage`), so the order of messages inside a batch never matters.
- ``KeyGrant`` is kept whether or not its post is here yet; ``Store.grant`` counts it only
  while the post is live and gated and the grant speaks for the post's author, newest
  ``(timestamp, id)`` per (post, recipient) first. A ``PostDelete`` drops the author's grants
  for that post with the post, and its tombstone refuses later ones (``deleted``).
- A message signed by a key that is not (yet) a delegate is refused (``bad_signature``); sync
  delivers it again once the ``SignerAdd`` is known.
- Two copies of one message (same id, both validly signed: by the author and by a delegate,
  or by two delegates) settle on the author's own signature, else the smallest
  (:func:`preference`); the log keeps one row per id. A copy that arrives with the
  revocation of the delegate whose copy the log held is new again.

Known corner: when a revoked delegate had signed a ``PostDelete``, the tombstone goes with it,
but the post it deleted is not in this node's log any more; it comes back through sync from any
node that still holds it.

:data:`RULES` holds one :class:`Rule` per type. A rule's functions are pure: they turn a
message into the row its type writes and say what refuses it; the writer (``_writer``) does
the I/O, for ingest and for re-deriving an author after a revocation alike.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..messages import Reason, SignedMessage
from ..messages.community import community_id
from . import schema as S

_ZERO32 = bytes(32)

#: Numbers an address (the store interns addresses to small integers).
AccountOf = Callable[[str], int]
#: The derived row of a message: ``row(fields, author, timestamp, id, seq, account_of)``, where
#: ``author`` is the author's number and ``seq`` the message's position in the log.
RowOf = Callable[[Mapping[str, Any], int, int, bytes, int, AccountOf], tuple[Any, ...]]


class Stage(enum.IntEnum):
    """When a type merges inside one batch."""

    SIGNERS = 0  # delegations first: they decide which signatures count
    DELETES = 1  # then tombstones: they decide which posts and grants are refused
    REST = 2


class Effect(enum.Enum):
    """What merging a message does beyond writing its row (the writer carries it out)."""

    NONE = "none"  # the row alone; rows of a batch are written together at its end
    DELETE_POST = "delete_post"  # drop the tombstoned post and its author's grants for it
    DELEGATE = "delegate"  # the signer's messages now count
    REVOKE = "revoke"  # drop the signer's messages, re-derive the author, refuse the signer


@dataclass(frozen=True, slots=True)
class Rule:
    """How one message type merges."""

    stage: Stage
    #: The schema statement that writes a message's derived row, and that row.
    statement: str
    row: RowOf
    effect: Effect = Effect.NONE
    #: The post whose tombstone (by the message's author) refuses the message, and why.
    refused_with: Callable[[SignedMessage], bytes] | None = None
    refused_detail: str = ""
    #: Statement clearing an author's rows before they are re-derived from the author's
    #: remaining messages after a revocation; ``None``: rows keyed by log position, which
    #: leave with their message.
    clear_author: str | None = None


def _post(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    reply = f["replyTo"]
    return (seq, author, ts, reply if reply != _ZERO32 else None, f.get("community"))


def _follow(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    return (author, account(f["target"]), f["active"], ts, mid)


def _reaction(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    return (f["post"], author, f["kind"], f["active"], ts, mid)


def _profile(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    return (author, f["field"], f["value"], ts, mid)


def _grant(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    return (seq, f["post"], author, account(f["recipient"]), f["recipientKey"], f["wrappedKey"], ts, mid)


def _tombstone(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    return (f["post"], author, mid)


def _charter(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    handle = f["handle"]
    return (community_id(f["author"], handle), f["field"], author, handle, f["value"], ts, mid)


def _membership(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    return (f["community"], author, f["active"], ts, mid)


def _edge(kind: str) -> RowOf:
    """The row of a mute or a block (``kind``): one user's edge to another."""

    def row(
        f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
    ) -> tuple[Any, ...]:
        return (author, account(f["target"]), kind, f["active"], ts, mid)

    return row


def _reply_hide(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    return (f["post"], author, f["active"], ts, mid)


def _mod_hide(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    return (f["community"], f["post"], author, f["reason"], f["active"], ts, mid)


def _disclosure(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    return (f["post"], author, account(f["paidBy"]), mid)


def _delegation(
    f: Mapping[str, Any], author: int, ts: int, mid: bytes, seq: int, account: AccountOf
) -> tuple[Any, ...]:
    return (author, account(f["signer"]), ts, mid)


_POST_RULE = Rule(
    Stage.REST, S.INSERT_POST, _post, refused_with=lambda m: m.id, refused_detail="deleted by its author"
)
_REACTION_RULE = Rule(Stage.REST, S.UPSERT_REACTION, _reaction, clear_author=S.DELETE_AUTHOR_REACTIONS)

RULES: dict[str, Rule] = {
    "Profile": Rule(Stage.REST, S.UPSERT_PROFILE, _profile, clear_author=S.DELETE_AUTHOR_PROFILES),
    "Follow": Rule(Stage.REST, S.UPSERT_FOLLOW, _follow, clear_author=S.DELETE_AUTHOR_FOLLOWS),
    "Reaction": _REACTION_RULE,
    "Post": _POST_RULE,
    # A community's post and reaction are a post and a reaction that say where they belong:
    # one posts table, one reaction per (post, user, kind) whichever type set it.
    "CommunityPost": _POST_RULE,
    "CommunityReaction": _REACTION_RULE,
    "KeyGrant": Rule(
        # Kept before or after its post (sync order never matters); reads decide whether it
        # counts. A grant by the author of a post they deleted is gone like the post.
        Stage.REST,
        S.INSERT_GRANT,
        _grant,
        refused_with=lambda m: m.fields["post"],
        refused_detail="its post was deleted by its author",
    ),
    "PostDelete": Rule(
        Stage.DELETES,
        S.INSERT_TOMBSTONE,
        _tombstone,
        Effect.DELETE_POST,
        clear_author=S.DELETE_AUTHOR_TOMBSTONES,
    ),
    "SignerAdd": Rule(Stage.SIGNERS, S.UPSERT_SIGNER_ADD, _delegation, Effect.DELEGATE),
    "SignerRemove": Rule(Stage.SIGNERS, S.UPSERT_SIGNER_REMOVE, _delegation, Effect.REVOKE),
    # Communities and moderation: rows only. Whether a member counts (a gate on chain), a
    # hide counts (its author's right to hide) or a post shows in a community's view is decided
    # by reads, never here, so what a node stores never depends on chain state or order.
    "Charter": Rule(Stage.REST, S.UPSERT_CHARTER, _charter, clear_author=S.DELETE_AUTHOR_CHARTERS),
    "Membership": Rule(
        Stage.REST, S.UPSERT_MEMBERSHIP, _membership, clear_author=S.DELETE_AUTHOR_MEMBERSHIPS
    ),
    "Mute": Rule(Stage.REST, S.UPSERT_MUTE, _edge("mute"), clear_author=S.DELETE_AUTHOR_MUTES),
    "Block": Rule(Stage.REST, S.UPSERT_MUTE, _edge("block"), clear_author=S.DELETE_AUTHOR_MUTES),
    "ReplyHide": Rule(Stage.REST, S.UPSERT_REPLY_HIDE, _reply_hide, clear_author=S.DELETE_AUTHOR_REPLY_HIDES),
    "ModHide": Rule(Stage.REST, S.UPSERT_MOD_HIDE, _mod_hide, clear_author=S.DELETE_AUTHOR_MOD_HIDES),
    "Disclosure": Rule(
        Stage.REST, S.INSERT_DISCLOSURE, _disclosure, clear_author=S.DELETE_AUTHOR_DISCLOSURES
    ),
}


def preference(delegated: bool, signature: bytes) -> tuple[bool, bytes]:
    """Which of two copies of one message the log keeps: the smaller key (the author's own
    signature, then the smallest signature)."""
    return (delegated, signature)


def merge_order(m: SignedMessage) -> tuple[int, bool, bytes]:
    """The order a batch merges in: by stage, copies of one message by :func:`preference`."""
    return (RULES[m.type].stage, *preference(m.signer != m.author, m.signature))


def refused_signer(m: SignedMessage, live: int | None) -> tuple[str, str]:
    """Why a delegated message is refused when its signer's state is ``live`` (``None``: never
    a delegate of the author, ``0``: revoked)."""
    if live is None:
        return Reason.BAD_SIGNATURE, f"signed by {m.signer}, not by {m.author} or a delegate"
    return Reason.REVOKED_SIGNER, f"{m.signer} was removed as a signer of {m.author}"
