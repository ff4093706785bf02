"""The moderation rules: which posts a view shows, and why it hides the others. Pure functions
of the signed data (:class:`~._views.ModerationFacts`) and, for gated communities, of what the
node knows of the chain (passed in as a plain value), so every node that holds the same
messages and the same chain shows the same thing.

Layers, each owned by whoever it protects (moderation is never a global delete; every post
stays in the log, for its author and the rest of the network):

- **A post's author over the replies under it**, for every viewer: a reply the parent's author
  hid (``ReplyHide``), or written by someone the parent's author blocks (``Block``).
- **A community's moderators over its view**: a post naming the community shows there only if
  its author was a member when it was posted (the last membership message at or before the
  post's timestamp joined) and meets the community's gate now, as this node's chain index
  knows it (a member counts only while the gate holds), and no moderator has hidden it
  (``ModHide``, with a reason). The founder and the moderators are always members, whatever
  the gate. The moderators are
  the founder and the charter's list *now* (or, for a community owned by a collective, the
  list its members voted on chain, ``node.communities``): a hide by someone who is no longer a
  moderator stops counting. (A rule "moderator at the hide's timestamp" would let a removed moderator
  backdate hides: timestamps are the signer's claim.)
- **A user over what they see**: the authors they mute or block vanish from their feed,
  threads and community views.

A view never drops a post silently: it counts what it hid, and on request
(``show_hidden``) lists every hidden post with each reason, who hid it and why.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..messages import SignedMessage
from ..messages.community import split_list
from ._views import Charter, ModerationFacts, Page


class Why(enum.StrEnum):
    """Why a view hides a post."""

    NOT_A_MEMBER = "not_a_member"  # not a member of the community when it was posted
    GATE_NOT_MET = "gate_not_met"  # the author does not meet the community's gate now
    GATE_UNVERIFIABLE = "gate_unverifiable"  # the node's chain index does not follow the gate's tokens
    HIDDEN_BY_MODERATOR = "hidden_by_moderator"
    HIDDEN_BY_POST_AUTHOR = "hidden_by_post_author"  # a reply its parent's author hid
    BLOCKED_BY_POST_AUTHOR = "blocked_by_post_author"  # a reply by someone the parent's author blocks
    MUTED = "muted"  # the viewer mutes the author
    BLOCKED = "blocked"  # the viewer blocks the author


@dataclass(frozen=True, slots=True)
class Hidden:
    """One reason a view hides a post: what, who decided it (``None``: the rules), and their words."""

    why: Why
    by: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class View:
    """A page of posts as a view shows it.

    ``items`` are the posts shown, or with ``show_hidden`` every post of the page, the hidden
    ones listed in ``hidden`` with their reasons; ``hidden_count`` says how many of the page's
    posts are hidden either way. ``paid_by`` names, per post, who paid for it (the author's own
    disclosures). ``next_cursor`` continues the underlying list: a page may show fewer than
    its limit when some were hidden.
    """

    items: list[SignedMessage]
    next_cursor: str | None
    hidden: dict[bytes, list[Hidden]] = field(default_factory=dict)
    hidden_count: int = 0
    paid_by: dict[bytes, list[str]] = field(default_factory=dict)


def moderators(charter: Charter) -> frozenset[str]:
    """Who moderates a community now: its founder and the charter's list."""
    return frozenset((charter.founder, *split_list(charter.fields.get("moderators", ""))))


def under_its_parent(post: SignedMessage, facts: ModerationFacts) -> list[Hidden]:
    """Why ``post``, a reply, is hidden by its parent's author, for every viewer."""
    parent = facts.parent_author.get(post.id)
    if parent is None:
        return []
    hidden = []
    if parent in facts.reply_hides.get(post.id, ()):
        hidden.append(Hidden(Why.HIDDEN_BY_POST_AUTHOR, parent))
    if (parent, post.author) in facts.blocks:
        hidden.append(Hidden(Why.BLOCKED_BY_POST_AUTHOR, parent))
    return hidden


def for_viewer(post: SignedMessage, facts: ModerationFacts, viewer: str | None) -> list[Hidden]:
    """Why ``viewer`` does not see ``post``: they mute or block its author."""
    kind = facts.viewer_mutes.get(post.author)
    if kind is None:
        return []
    return [Hidden(Why.BLOCKED if kind == "block" else Why.MUTED, viewer)]


def in_community(
    post: SignedMessage,
    facts: ModerationFacts,
    moderators: frozenset[str],
    gate_standing: Mapping[str, Why | None],
) -> list[Hidden]:
    """Why ``post`` does not show in its community's view (``moderators``: who moderates the
    community now, none when no charter is known; ``gate_standing``: why each author does not
    meet the community's gate, ``None`` when they do, as this node's chain index knows it)."""
    hidden = []
    if post.author not in moderators:  # those who run the community are always members
        if not facts.member_when_posted.get(post.id, False):
            hidden.append(Hidden(Why.NOT_A_MEMBER, None, "the author was not a member when this was posted"))
        why = gate_standing.get(post.author)
        if why is not None:
            hidden.append(Hidden(why, None, _GATE_DETAIL[why]))
    hidden += [
        Hidden(Why.HIDDEN_BY_MODERATOR, moderator, reason)
        for moderator, reason, _ in sorted(facts.mod_hides.get(post.id, ()))
        if moderator in moderators
    ]
    return hidden


_GATE_DETAIL = {
    Why.GATE_NOT_MET: "the author does not meet the community's gate",
    Why.GATE_UNVERIFIABLE: "this node's chain index does not follow the gate's tokens",
}

Rule = Callable[[SignedMessage], list[Hidden]]


def apply(
    page: Page[SignedMessage], facts: ModerationFacts, rules: Sequence[Rule], show_hidden: bool
) -> View:
    """``page`` through ``rules`` (each says why a post is hidden, if it is)."""
    reasons = {post.id: [h for rule in rules for h in rule(post)] for post in page.items}
    return shown(page, reasons, facts.paid_by, show_hidden)


def shown(
    page: Page[SignedMessage],
    reasons: Mapping[bytes, list[Hidden]],
    paid_by: Mapping[bytes, list[str]],
    show_hidden: bool,
) -> View:
    """The view of ``page`` once each post's ``reasons`` to hide it are known."""
    hidden = {post: why for post, why in reasons.items() if why}
    items = [post for post in page.items if show_hidden or post.id not in hidden]
    ids = {m.id for m in items}
    return View(
        items=items,
        next_cursor=page.next_cursor,
        hidden=hidden if show_hidden else {},
        hidden_count=len(hidden),
        paid_by={post: payers for post, payers in paid_by.items() if post in ids},
    )
