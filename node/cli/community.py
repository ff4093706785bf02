"""``mecenate community``: found a community and set its charter, join and leave, post to it,
and read its view, its members and the active communities by topic.

A community is named by its founder and a handle (its id is ``keccak256(founder ‖ handle)``),
so a command takes it as that id or as ``HANDLE@FOUNDER``. The charter is one signed
``Charter`` message per field, last writer wins, like a profile: ``create`` signs one per field
given, ``set`` one. Every value is checked and put in its canonical form here, before the
passphrase is asked for and before anything is signed (``_parse``). What a community's view
shows is the node's to decide (members at post time, its gate, its moderators' hides); these
commands print it, with the hidden posts counted and, on request, listed with who hid them and why.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from ..config import Settings
from ..errors import InvalidInput
from ..identity import Key
from ..messages import CHARTER_FIELDS
from ..messages.community import community_id
from ..messages.gate import encode_gate
from . import _parse
from ._app import app, err
from ._posts import ShowHiddenOption, ViewerOption, print_page, printable
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
from .exclusive import parse_gate_option
from .social import PaidByOption, payers, publish

community = typer.Typer(
    help="Communities: a founder's charter, members, their posts and its moderators.", no_args_is_help=True
)
app.add_typer(community, name="community")
out = Console()

CommunityArgument = typer.Argument(..., help="The community: its id, or HANDLE@FOUNDER.")
GateHelp = (
    "Who may be a member: a gate as JSON (as an exclusive post's), @FILE holding it, or TOKEN:MIN "
    "(a token or its creator's address, whole tokens); empty: open."
)


def note(text: str) -> None:
    """A word to the user beside a command's result (stderr, so stdout stays the result)."""
    err.print(f"[yellow]note:[/yellow] {escape(text)}", soft_wrap=True, highlight=False)


def charter_value(s: Settings, field: str, value: str, title: str) -> str:
    """``value`` for charter ``field`` in canonical form (:func:`_parse.charter_value`); a gate
    may also be given as ``TOKEN:MIN``, like an exclusive post's."""
    if field == "gate" and value and not _parse.is_gate_json(value):
        value = encode_gate(parse_gate_option(s, [value], False)).decode()
    elif field == "gate" and value:
        value = _parse.gate_json(value, title)
    return _parse.charter_value(field, value, title)


def _charter_values(
    s: Settings, given: dict[str, str], sender: str | None, title: Callable[[str], str]
) -> tuple[dict[str, str], str]:
    """The ``given`` charter fields in canonical form (each error naming ``title(field)``), and
    the founder's address (the signing key's), whom the moderator list leaves out. Everything
    the user typed is checked before the keyring is read."""
    values = {f: charter_value(s, f, v, title(f)) for f, v in given.items()}
    founder = my_address(s, sender)
    if "moderators" in values:
        values["moderators"] = _parse.without_founder(values["moderators"], founder, title("moderators"))
    return values, founder


def publish_charter(
    s: Settings, key: Key, handle: str, values: dict[str, str], node: str | None, after: int = 0
) -> None:
    """Sign one ``Charter`` per field and submit them together; print each field's outcome.
    Signed later than ``after`` (the charter's last change), so a change made within the same
    second as the last one still wins: on equal timestamps the larger id would decide."""
    timestamp = max(int(time.time()), after + 1)
    signed = [
        key.sign(
            "Charter", {"handle": handle, "field": f, "value": v, "timestamp": timestamp}, chain_id=s.chain_id
        )
        for f, v in values.items()
    ]
    for field, line in zip(values, submit_all(NodeClient.of(s, node), signed), strict=True):
        out.print(f"{field}: {line}", soft_wrap=True)


def _founded(s: Settings, node: str | None, founder: str, handle: str) -> tuple[str, dict[str, Any] | None]:
    """The id of the community ``founder`` names ``handle``, and what the node says of it
    (``None``: no charter names it there)."""
    cid = "0x" + community_id(founder, handle).hex()
    return cid, NodeClient.of(s, node).get(f"/v1/communities/{cid}", missing_ok=True)


@community.command("create")
def create(
    handle: str = typer.Argument(..., help="Its handle: 1-32 lower-case letters, digits and hyphens."),
    name: str | None = typer.Option(None, "--name", help="Its name (default: the handle)."),
    about: str | None = typer.Option(None, "--about", help="What it is about."),
    rules: str | None = typer.Option(None, "--rules", help="Its rules, in words."),
    topics: str | None = typer.Option(None, "--topics", help="Topic tags, comma-separated: music,modular."),
    gate: str | None = typer.Option(None, "--gate", help=GateHelp),
    moderators: str | None = typer.Option(
        None, "--moderators", help="Moderators' addresses, comma-separated (you always are one)."
    ),
    collective: str | None = typer.Option(
        None, "--collective", help="Address of an on-chain collective that names the moderators."
    ),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Found a community: sign its charter, one message per field given; prints its id."""
    s = settings()
    handle = _parse.handle(handle)
    given = {
        "name": handle if name is None else name,
        "about": about,
        "rules": rules,
        "topics": topics,
        "gate": gate,
        "moderators": moderators,
        "collective": collective,
    }
    values, founder = _charter_values(
        s, {f: v for f, v in given.items() if v is not None}, sender, lambda f: f"--{f}"
    )
    cid, known = _founded(s, node, founder, handle)
    if known is not None:
        raise InvalidInput(
            f"you founded {handle!r} already ({cid}): change its charter with `mecenate community set`"
        )
    key = unlock(s, sender, passphrase)
    out.print(f"community {cid}", soft_wrap=True)
    publish_charter(s, key, handle, values, node)


@community.command("set")
def set_field(
    handle: str = typer.Argument(..., help="The handle of a community you founded."),
    field: str = typer.Argument(..., help=f"One of: {', '.join(CHARTER_FIELDS)}."),
    value: str = typer.Argument(..., help="The new value; empty clears the field."),
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Set one charter field of a community you founded (lists comma-separated, gate as for create)."""
    s = settings()
    handle = _parse.handle(handle)
    values, founder = _charter_values(s, {field: value}, sender, lambda _: "VALUE")
    _, known = _founded(s, node, founder, handle)
    after = 0 if known is None else int(known["updated"])
    publish_charter(s, unlock(s, sender, passphrase), handle, values, node, after)


def _when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _activity(a: dict[str, Any]) -> str:
    tips = "tips not indexed here" if a["tips_week"] is None else _count(a["tips_week"], "tip")
    return (
        f"{_count(a['members'], 'member')}; this week {_count(a['posts_week'], 'post')} by "
        f"{_count(a['authors_week'], 'author')}, {tips}"
    )


@community.command("show")
def show(ref: str = CommunityArgument, node: str | None = NodeOption) -> None:
    """A community's charter, moderators and activity, as this node knows them."""
    c = NodeClient.of(settings(), node).get(f"/v1/communities/{_parse.community(ref)}")
    out.print(f"[bold]{escape(c['handle'])}[/bold] {c['id']}", soft_wrap=True)
    out.print(f"founder: {c['founder']}", soft_wrap=True)
    for field in ("name", "about", "rules"):
        if field in c["charter"]:
            out.print(
                f"{field}: {printable(c['charter'][field])}", soft_wrap=True, markup=False, highlight=False
            )
    out.print(f"topics: {', '.join(c['topics']) or '-'}", soft_wrap=True)
    out.print(f"gate: {c['charter'].get('gate') or 'open'}", soft_wrap=True, markup=False)
    held = c.get("collective")
    chosen = f" (chosen by the collective's members since block {held['moderatorsSince']})" if held else ""
    if held and held["moderatorsSince"] is None:
        chosen = " (none: the collective cannot be verified)"
    out.print(f"moderators: {', '.join(c['moderators']) or '-'}{chosen}", soft_wrap=True)
    if held:
        out.print(f"collective: {held['address']} ({_standing(held)})", soft_wrap=True)
    out.print(_activity(c["activity"]), soft_wrap=True)
    out.print(f"charter updated {_when(c['updated'])}")


def _standing(held: dict[str, Any]) -> str:
    """How the charter stands with its collective, in words."""
    if held["status"] == "approved":
        return "charter approved by its members"
    if held["status"] == "drifted":
        return f"charter drifted: the members approved {held['approvedHash']}, it now hashes to {held['charterHash']}"
    return f"unverifiable: {held['detail']}"


def _membership_command(active: bool, doc: str) -> Callable[..., None]:
    def command(
        ref: str = CommunityArgument,
        sender: str | None = FromOption,
        passphrase: str | None = PassphraseOption,
        node: str | None = NodeOption,
    ) -> None:
        fields = {"community": _parse.community(ref), "active": active}
        out.print(sign_and_submit("Membership", fields, sender, passphrase, node), soft_wrap=True)

    command.__doc__ = doc
    return command


# One Membership message type sets the edge either way, like a follow.
community.command("join")(_membership_command(True, "Join a community."))
community.command("leave")(_membership_command(False, "Leave a community."))


def _counts_in(client: NodeClient, cid: str, author: str) -> bool:
    """Whether ``author`` is a member of the community or moderates it, as the node knows."""
    charter = client.get(f"/v1/communities/{cid}", missing_ok=True)
    if charter is not None and author in charter["moderators"]:
        return True
    return any(m["community"] == cid for m in client.get(f"/v1/users/{author}/communities"))


@community.command("post")
def post(
    ref: str = CommunityArgument,
    text: str = typer.Argument(..., help="The post."),
    reply_to: str | None = typer.Option(None, "--reply-to", help="Id of the post this replies to."),
    paid_by: list[str] | None = PaidByOption,
    sender: str | None = FromOption,
    passphrase: str | None = PassphraseOption,
    node: str | None = NodeOption,
) -> None:
    """Post to a community; prints the post's id. Its view shows posts of members only."""
    s = settings()
    cid = _parse.community(ref)
    fields: dict[str, Any] = {"community": cid, "text": text}
    if reply_to:
        fields["replyTo"] = _parse.message_id(reply_to, "--reply-to")
    sponsors = payers(s, paid_by, sender)
    author = my_address(s, sender)
    client = NodeClient.of(s, node)
    if not _counts_in(client, cid, author):
        note("you are not a member: the community's view will not show this post (`mecenate community join`)")
    key = unlock(s, sender, passphrase)
    publish(client, key, s.chain_id, key.sign("CommunityPost", fields, chain_id=s.chain_id), sponsors)


@community.command("posts")
def posts(
    ref: str = CommunityArgument,
    limit: int = typer.Option(20, "--limit", min=1, max=200),
    viewer: str | None = ViewerOption,
    show_hidden: bool = ShowHiddenOption,
    node: str | None = NodeOption,
) -> None:
    """The community's view, newest first: its members' posts its moderators have not hidden."""
    cid = _parse.community(ref)
    who = _parse.address(viewer, "--viewer") if viewer else None
    page = NodeClient.of(settings(), node).get(
        f"/v1/communities/{cid}/posts", limit=limit, viewer=who, show_hidden=show_hidden or None
    )
    print_page(page, show_hidden=show_hidden)


@community.command("members")
def members(
    ref: str = CommunityArgument,
    limit: int = typer.Option(100, "--limit", min=1, max=200),
    node: str | None = NodeOption,
) -> None:
    """Who is a member now, since when, and whether they count (meet a gated community's gate)."""
    page = NodeClient.of(settings(), node).get(
        f"/v1/communities/{_parse.community(ref)}/members", limit=limit
    )
    for m in page["items"]:
        counts = "" if m["counts"] else " (does not count: the gate is not met)"
        out.print(f"{m['address']} since {_when(m['since'])}{counts}", soft_wrap=True)
    if not page["items"]:
        out.print("(no members yet)")
    elif page["next_cursor"]:
        out.print(f"(more than {len(page['items'])}: raise --limit)")


@community.command("list")
def list_communities(
    topic: str | None = typer.Option(None, "--topic", help="Only communities with this topic tag."),
    limit: int = typer.Option(20, "--limit", min=1, max=100),
    node: str | None = NodeOption,
) -> None:
    """Active communities, most posts this week first (discover), optionally of one topic."""
    if topic is not None:
        topic = _parse.topic(topic)
    found = NodeClient.of(settings(), node).get("/v1/discover/communities", topic=topic, limit=limit)
    for c in found:
        name = printable(c["charter"].get("name", c["handle"]))
        out.print(f"[bold]{escape(c['handle'])}@{c['founder']}[/bold] {c['id']}", soft_wrap=True)
        out.print(f"  {name} [{', '.join(c['topics'])}]", soft_wrap=True, markup=False, highlight=False)
        out.print(f"  {_activity(c['activity'])}", soft_wrap=True)
    if not found:
        out.print("(no community" + (f" with topic {topic}" if topic else "") + " yet)")
