"""User-owned moderation from the command line: mute and block (your own view, on every node),
hide a reply under your own post (for every viewer), and a moderator's hide in a community's
view (with a reason).

Each is one signed per-edge message, last writer wins, undone by the same message with
``active`` false: nothing is deleted, and every view counts what it hides and lists it, with
who hid it and why, on request (``--show-hidden``). An action the node would hold but no view
would honour (a hide of a reply under someone else's post, a hide by someone who does not
moderate the community) is signed all the same, with a note saying so: the rules apply in
views, and the charter may yet name you.
"""

from __future__ import annotations

from collections.abc import Callable

import typer
from rich.console import Console

from ..errors import InvalidInput
from ..messages import TYPES
from . import _parse
from ._app import app
from ._posts import NO_PARENT
from ._session import (
    FromOption,
    NodeClient,
    NodeOption,
    PassphraseOption,
    my_address,
    settings,
    sign_and_submit,
)
from .community import CommunityArgument, note

out = Console()
#: The longest reason a moderator's hide may give (the message type's bound).
MAX_HIDE_REASON = next(f.max_len for f in TYPES["ModHide"].fields if f.name == "reason")


def _about_user(type_: str, active: bool, doc: str) -> Callable[..., None]:
    def command(
        address: str = typer.Argument(..., help="The user's address."),
        sender: str | None = FromOption,
        passphrase: str | None = PassphraseOption,
        node: str | None = NodeOption,
    ) -> None:
        target = _parse.address(address, "ADDRESS")
        out.print(
            sign_and_submit(type_, {"target": target, "active": active}, sender, passphrase, node),
            soft_wrap=True,
        )

    command.__doc__ = doc
    return command


app.command("mute")(
    _about_user("Mute", True, "Mute a user: their posts leave your feed, threads and community views.")
)
app.command("unmute")(_about_user("Mute", False, "Unmute a user."))
app.command("block")(
    _about_user(
        "Block",
        True,
        "Block a user: as a mute, and their replies under your posts are hidden for every viewer.",
    )
)
app.command("unblock")(_about_user("Block", False, "Unblock a user."))


def _reply_note(client: NodeClient, post_id: str, me: str) -> None:
    """Say so when a hide of ``post_id`` would change no view: it is no reply, or it replies to
    someone else's post (as far as this node knows the posts)."""
    reply = client.get(f"/v1/posts/{post_id}", missing_ok=True)
    if reply is None:
        return
    parent = reply["post"]["message"].get("replyTo", NO_PARENT)
    if parent == NO_PARENT:
        note("this post is no reply: hiding it changes no view")
        return
    above = client.get(f"/v1/posts/{parent}", missing_ok=True)
    if above is not None and above["post"]["message"]["author"] != me:
        note("this replies to someone else's post: only its author's hide counts")


def _reply_hide(active: bool, doc: str) -> Callable[..., None]:
    def command(
        post: str = typer.Argument(..., help="The reply's id."),
        sender: str | None = FromOption,
        passphrase: str | None = PassphraseOption,
        node: str | None = NodeOption,
    ) -> None:
        post_id = _parse.message_id(post, "POST")
        if active:
            s = settings()
            _reply_note(NodeClient.of(s, node), post_id, my_address(s, sender))
        out.print(
            sign_and_submit("ReplyHide", {"post": post_id, "active": active}, sender, passphrase, node),
            soft_wrap=True,
        )

    command.__doc__ = doc
    return command


app.command("hide-reply")(
    _reply_hide(True, "Hide a reply under your post, for every viewer (listed with --show-hidden).")
)
app.command("unhide-reply")(_reply_hide(False, "Show a reply you hid again."))


def _mod_hide(
    ref: str,
    post: str,
    reason: str,
    active: bool,
    sender: str | None,
    passphrase: str | None,
    node: str | None,
) -> None:
    cid, post_id = _parse.community(ref), _parse.message_id(post, "POST")
    if active and not reason.strip():
        raise InvalidInput("--reason: a hide says why (the community sees it with --show-hidden)")
    if len(reason.encode()) > MAX_HIDE_REASON:
        raise InvalidInput(f"--reason: {len(reason.encode())} bytes, at most {MAX_HIDE_REASON}")
    s = settings()
    charter = NodeClient.of(s, node).get(f"/v1/communities/{cid}", missing_ok=True)
    me = my_address(s, sender)
    if charter is None:
        note("this node knows no charter of that community")
    elif me not in charter["moderators"] and charter.get("collective"):
        note(
            "you do not moderate this community: its collective's members chose its moderators"
            " on chain, and its view ignores your hides"
        )
    elif me not in charter["moderators"]:
        note("you do not moderate this community: its view ignores your hides unless its charter names you")
    fields = {"community": cid, "post": post_id, "reason": reason, "active": active}
    out.print(sign_and_submit("ModHide", fields, sender, passphrase, node), soft_wrap=True)


@app.command("mod-hide")
def mod_hide(
    ref: str = CommunityArgument,
    post: str = typer.Argument(..., help="The post's id."),
    reason: str = typer.Option(..., "--reason", help="Why, in words: shown beside the hidden post."),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """As a moderator, hide a post from a community's view (it stays in the network)."""
    _mod_hide(ref, post, reason, True, sender, passphrase, node)


@app.command("mod-unhide")
def mod_unhide(
    ref: str = CommunityArgument,
    post: str = typer.Argument(..., help="The post's id."),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Undo your hide of a post in a community's view."""
    _mod_hide(ref, post, "", False, sender, passphrase, node)
