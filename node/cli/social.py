"""The social graph from the command line: profile, follow, unfollow, post, feed.

Each command signs one message locally with the user's key and submits it to the node.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import typer
from rich.console import Console

from ..messages import PROFILE_FIELDS
from ._app import app
from ._profile import profile
from ._session import FromOption, NodeClient, NodeOption, PassphraseOption, my_address, settings, unlock
from .exclusive import parse_gate_option, publish_gated

out = Console()


def _sign_and_submit(
    type: str, fields: dict, sender: str | None, passphrase: str | None, node: str | None
) -> str:
    s = settings()
    key = unlock(s, sender, passphrase)
    result = NodeClient.of(s, node).submit(key.sign(type, fields, chain_id=s.chain_id))
    return f"{result['outcome']} {result['id']}"


@profile.command("set")
def profile_set(
    field: str = typer.Argument(..., help=f"One of: {', '.join(PROFILE_FIELDS)}."),
    value: str = typer.Argument(..., help="The new value; empty clears the field."),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Set one profile field."""
    out.print(_sign_and_submit("Profile", {"field": field, "value": value}, sender, passphrase, node))


@profile.command("show")
def profile_show(address: str, node: str | None = NodeOption) -> None:
    """A user's profile as this node knows it."""
    p = NodeClient.of(settings(), node).get(f"/v1/users/{address}/profile")
    for k, v in p["fields"].items():
        out.print(f"{k}: {v}")


def _follow_command(active: bool, doc: str) -> Callable[..., None]:
    def command(
        target: str,
        sender: str | None = FromOption,
        passphrase: str | None = PassphraseOption,
        node: str | None = NodeOption,
    ) -> None:
        out.print(_sign_and_submit("Follow", {"target": target, "active": active}, sender, passphrase, node))

    command.__doc__ = doc
    return command


# One Follow message type sets the edge either way: each edge is its own last-writer-wins message.
app.command("follow")(_follow_command(True, "Follow a user."))
app.command("unfollow")(_follow_command(False, "Stop following a user."))


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
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Publish a post; prints its id. With --gate, TEXT is encrypted and only holders can read it."""
    if gate:
        s = settings()
        key = unlock(s, sender, passphrase)
        result = publish_gated(s, key, text, parse_gate_option(s, gate, any_of), teaser, node, reply_to)
        out.print(f"{result['outcome']} {result['post']}")
        return
    fields: dict = {"text": text}
    if reply_to:
        fields["replyTo"] = reply_to
    out.print(_sign_and_submit("Post", fields, sender, passphrase, node))


def print_posts(items: list[dict]) -> None:
    """One post per paragraph: when, who, the post id, then the text (never cut)."""
    for m in items:
        when = dt.datetime.fromtimestamp(m["message"]["timestamp"], dt.UTC).strftime("%Y-%m-%d %H:%M")
        out.print(
            f"[dim]{when}[/dim] [bold]{m['message']['author']}[/bold] [dim]{m['id']}[/dim]", soft_wrap=True
        )
        out.print(m["message"]["text"] or "[italic](exclusive)[/italic]", soft_wrap=True, markup=False)
    if not items:
        out.print("(nothing yet)")


@app.command("feed")
def feed(
    address: str | None = typer.Argument(None, help="Whose home feed (default: your key's address)."),
    limit: int = typer.Option(20, "--limit", min=1, max=200),
    sender: str | None = FromOption,
    node: str | None = NodeOption,
) -> None:
    """Posts by the users you follow, newest first."""
    s = settings()
    address = address or my_address(s, sender)
    page = NodeClient.of(s, node).get(f"/v1/users/{address}/feed", limit=limit)
    print_posts(page["items"])
