"""``mecenate discover`` and ``mecenate search``: creators ranked by engagement relative to their
audience, each with the numbers that made its score, and full-text search over posts, profiles
and communities.

The ranking and the search are the node's (``GET /v1/discover/creators``, ``GET /v1/search``;
the formula in docs/discovery.md): these commands check what the user typed before anything is
sent (``_parse``), and print the answer. A score is never shown bare: its explanation is the
engagement and the audience it divides, and who engaged how. Whatever others wrote (a name, a
bio, a post) reaches the terminal through :func:`~node.cli._posts.printable`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer
from rich.console import Console

from ..errors import InvalidInput
from . import _parse
from ._app import app
from ._posts import print_page, printable
from ._session import NodeClient, NodeOption, settings

out = Console()

#: What ``--kind`` may name, as the node's ``kind``.
SEARCH_KINDS = ("posts", "profiles", "communities")


def explanation_line(c: dict[str, Any]) -> str:
    """Why a creator (an answer's ``creators`` item) scores what it does, in numbers:
    ``engagement 15.00 / audience 13 (3 followers + prior 10); 3 engagers: 3 by tip 15.00;
    fresh keys: 0, pool 0.00 -> 0.00`` (score = engagement / audience, docs/discovery.md)."""
    e = c["explanation"]
    kinds = ", ".join(f"{p['engagers']} by {kind} {p['points']:.2f}" for kind, p in e["by_kind"].items())
    return (
        f"engagement {e['engagement']:.2f} / audience {e['audience']:g} ({c['followers']} followers + "
        f"prior {e['follower_prior']:g}); {e['engagers']} engagers: {kinds or 'none credited'}; "
        f"fresh keys: {e['fresh_engagers']}, pool {e['fresh_pool']:.2f} -> {e['fresh_points']:.2f}"
    )


def _window_line(found: dict[str, Any]) -> str:
    end = dt.datetime.fromtimestamp(found["now"], dt.UTC).strftime("%Y-%m-%d %H:%M")
    chain = (
        f"chain signals from block {found['since_block']} to {found['chain_head']}"
        if found["chain_head"] is not None
        else "no chain index on this node: replies and reactions alone"
    )
    return f"window: {found['window_days']} days to {end} UTC; {chain}"


@app.command("discover")
def discover(
    band: list[str] | None = typer.Option(
        None,
        "--band",
        help="Only creators with this many followers: nano (<1k), micro (<10k), mid, macro; repeatable.",
    ),
    window_days: int | None = typer.Option(
        None, "--window-days", min=1, help="Days of engagement ranked (default: the node's, 30)."
    ),
    community: str | None = typer.Option(
        None, "--community", help="Only engagement with this community's posts: its id, or HANDLE@FOUNDER."
    ),
    topic: str | None = typer.Option(
        None, "--topic", help="Only engagement with the posts of communities of this topic."
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=100),
    node: str | None = NodeOption,
) -> None:
    """Creators ranked by engagement relative to their audience, each score explained."""
    bands = sorted({_parse.band(b) for b in band or ()})
    cid = _parse.community(community, "--community") if community is not None else None
    tag = _parse.topic(topic) if topic is not None else None
    found = NodeClient.of(settings(), node).get(
        "/v1/discover/creators",
        band=[b.value for b in bands] or None,
        window_days=window_days,
        community=cid,
        topic=tag,
        limit=limit,
    )
    out.print(f"[dim]{_window_line(found)}[/dim]", soft_wrap=True)
    for rank, c in enumerate(found["creators"], 1):
        out.print(
            f"{rank}. [bold]{c['creator']}[/bold] score {c['score']:.4f} ({c['band']}, {c['followers']} followers)",
            soft_wrap=True,
            highlight=False,
        )
        out.print(f"   {explanation_line(c)}", soft_wrap=True, markup=False, highlight=False)
    if not found["creators"]:
        out.print("(no creator drew engagement in this window)")


def _print_hit(hit: dict[str, Any]) -> None:
    """A profile or community found, with its relevance; others' text made printable."""
    if hit["kind"] == "profile":
        head, title, text = hit["address"], hit["name"], hit["bio"]
    else:
        head, title, text = hit["id"], hit["name"], hit["about"]
        text = f"[{', '.join(hit['topics'])}] {text}"
    out.print(f"[bold]{head}[/bold] [dim]score {hit['score']:.2f}[/dim]", soft_wrap=True, highlight=False)
    out.print(f"  {printable(title) or '(no name)'}", soft_wrap=True, markup=False, highlight=False)
    if text.strip():
        out.print(f"  {printable(text)}", soft_wrap=True, markup=False, highlight=False)


@app.command("search")
def search(
    query: str = typer.Argument(..., help="Words to find: every one, each as the start of a word."),
    kind: str = typer.Option("posts", "--kind", help=f"What to search: {', '.join(SEARCH_KINDS)}."),
    limit: int = typer.Option(20, "--limit", min=1, max=100),
    cursor: str | None = typer.Option(
        None, "--cursor", help="Where the previous page ended (it printed it)."
    ),
    node: str | None = NodeOption,
) -> None:
    """Search live posts, profiles or communities, best match first."""
    q = _parse.search_query(query)
    if kind not in SEARCH_KINDS:
        raise InvalidInput(f"--kind: {kind!r} is not one of {', '.join(SEARCH_KINDS)}")
    page = NodeClient.of(settings(), node).get("/v1/search", q=q, kind=kind, limit=limit, cursor=cursor)
    if not page["items"]:
        out.print("(nothing found)")
    elif kind == "posts":
        print_page({"items": [h["post"] for h in page["items"]]})
    else:
        for hit in page["items"]:
            _print_hit(hit)
    if page["next_cursor"]:
        out.print(f"(more: --cursor {page['next_cursor']})", soft_wrap=True)
