"""The social graph from the command line: profile, follow, unfollow, post (with a paid
partnership's disclosure), feed, thread.

Each command signs its messages locally with the user's key and submits them to the node.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import typer
from rich.console import Console

from ..config import Settings
from ..errors import InvalidInput
from ..identity import Key
from ..messages import PROFILE_FIELDS, SignedMessage
from . import _parse
from ._app import app
from ._posts import ShowHiddenOption, ViewerOption, print_page, printable
from ._profile import profile
from ._session import (
    FromOption,
    NodeClient,
    NodeOption,
    PassphraseOption,
    my_address,
    settings,
    sign_and_submit,
    submit_all,
    unlock,
)
from .exclusive import parse_gate_option, publish_gated

out = Console()


@profile.command("set")
def profile_set(
    field: str = typer.Argument(..., help=f"One of: {', '.join(PROFILE_FIELDS)}."),
    value: str = typer.Argument(..., help="The new value; empty clears the field."),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Set one profile field."""
    out.print(
        sign_and_submit("Profile", {"field": field, "value": value}, sender, passphrase, node), soft_wrap=True
    )


@profile.command("show")
def profile_show(address: str, node: str | None = NodeOption) -> None:
    """A user's profile as this node knows it."""
    p = NodeClient.of(settings(), node).get(f"/v1/users/{address}/profile")
    for k, v in p["fields"].items():
        out.print(f"{k}: {printable(v)}", soft_wrap=True, markup=False, highlight=False)


def _follow_command(active: bool, doc: str) -> Callable[..., None]:
    def command(
        target: str,
        sender: str | None = FromOption,
        passphrase: str | None = PassphraseOption,
        node: str | None = NodeOption,
    ) -> None:
        out.print(
            sign_and_submit("Follow", {"target": target, "active": active}, sender, passphrase, node),
            soft_wrap=True,
        )

    command.__doc__ = doc
    return command


# One Follow message type sets the edge either way: each edge is its own last-writer-wins message.
app.command("follow")(_follow_command(True, "Follow a user."))
app.command("unfollow")(_follow_command(False, "Stop following a user."))


PaidByOption = typer.Option(
    None,
    "--paid-by",
    help="A paid partnership: the address of who paid for this post (signs a disclosure beside it); repeatable.",
)


def payers(s: Settings, paid_by: list[str] | None, sender: str | None) -> list[str]:
    """The ``--paid-by`` addresses, EIP-55 and unique; never the author's own (a disclosure
    names who paid, not who posted)."""
    found = list(dict.fromkeys(_parse.address(a, f"--paid-by {a!r}") for a in paid_by or ()))
    if found and my_address(s, sender) in found:
        raise InvalidInput("--paid-by: a paid partnership names who paid you, not yourself")
    return found


def disclosures(key: Key, chain_id: int, post: str | bytes, paid_by: list[str]) -> list[SignedMessage]:
    """One signed ``Disclosure`` of ``post`` per payer."""
    return [key.sign("Disclosure", {"post": post, "paidBy": p}, chain_id=chain_id) for p in paid_by]


def _print_disclosed(outcomes: list[str], paid_by: list[str]) -> None:
    for line, payer in zip(outcomes, paid_by, strict=True):
        out.print(f"{line} paid partnership with {payer}", soft_wrap=True)


def publish(client: NodeClient, key: Key, chain_id: int, post: SignedMessage, paid_by: list[str]) -> None:
    """Submit ``post`` with a disclosure per payer, together; print the post's outcome, then each
    disclosure's."""
    posted, *disclosed = submit_all(client, [post, *disclosures(key, chain_id, post.id, paid_by)])
    out.print(posted, soft_wrap=True)
    _print_disclosed(disclosed, paid_by)


@app.command("post")
def post(
    text: str,
    reply_to: str | None = typer.Option(None, "--reply-to", help="Id of the post this replies to."),
    gate: list[str] | None = typer.Option(
        None,
        "--gate",
        help="Exclusive to holders: TOKEN:MIN (token or creator address, whole tokens); repeatable.",
    ),
    any_of: bool = typer.Option(
        False, "--any", help="With several --gate: holding any one is enough (default: all)."
    ),
    teaser: str = typer.Option("", "--teaser", help="Public text shown beside an exclusive post."),
    paid_by: list[str] | None = PaidByOption,
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Publish a post; prints its id. --gate: only holders can read it; --paid-by: who paid for it."""
    s = settings()
    parent = _parse.message_id(reply_to, "--reply-to") if reply_to else None
    sponsors = payers(s, paid_by, sender)
    the_gate = parse_gate_option(s, gate, any_of) if gate else None
    key = unlock(s, sender, passphrase)
    client = NodeClient.of(s, node)
    if the_gate is not None:
        result = publish_gated(s, key, text, the_gate, teaser, node, parent)
        out.print(f"{result['outcome']} {result['post']}", soft_wrap=True)
        if sponsors:
            _print_disclosed(
                submit_all(client, disclosures(key, s.chain_id, result["post"], sponsors)), sponsors
            )
        return
    fields: dict = {"text": text}
    if parent:
        fields["replyTo"] = parent
    publish(client, key, s.chain_id, key.sign("Post", fields, chain_id=s.chain_id), sponsors)


class Algorithm(enum.StrEnum):
    """The feeds a user chooses among (the node's ``?algorithm=``)."""

    FOLLOWING = "following"  # posts by the users you follow, newest first
    COMMUNITIES = "communities"  # your communities' posts, each as its community shows it
    ENGAGEMENT = "engagement"  # your communities' recent posts, ranked by engagement


@app.command("feed")
def feed(
    user: str | None = typer.Argument(None, help="Whose home feed (default: your key's address)."),
    algorithm: Algorithm = typer.Option(
        Algorithm.FOLLOWING,
        "--algorithm",
        help="following: whom you follow, newest first; communities: your communities' posts; "
        "engagement: those ranked by engagement, each score explained.",
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=200),
    show_hidden: bool = ShowHiddenOption,
    sender: str | None = FromOption,
    node: str | None = NodeOption,
) -> None:
    """Your feed as you see it (without those you mute): following, communities or engagement."""
    s = settings()
    whose = user or my_address(s, sender)
    page = NodeClient.of(s, node).get(
        f"/v1/users/{whose}/feed",
        limit=limit,
        show_hidden=show_hidden or None,
        algorithm=None if algorithm is Algorithm.FOLLOWING else algorithm.value,
    )
    print_page(page, show_hidden=show_hidden)


@app.command("thread")
def thread(
    post: str = typer.Argument(..., help="A post's id."),
    limit: int = typer.Option(100, "--limit", min=1, max=200),
    viewer: str | None = ViewerOption,
    show_hidden: bool = ShowHiddenOption,
    node: str | None = NodeOption,
) -> None:
    """A post's ancestors, the post, then its replies, oldest first, hidden replies counted."""
    post_id = _parse.message_id(post, "POST")
    who = _parse.address(viewer, "--viewer") if viewer else None
    page = NodeClient.of(settings(), node).get(
        f"/v1/posts/{post_id}/thread", limit=limit, viewer=who, show_hidden=show_hidden or None
    )
    print_page(page, show_hidden=show_hidden)
