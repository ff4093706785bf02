"""How the CLI shows a page of posts (a feed, a thread, a community's view): each post with the
paid partnership its author disclosed, and what the view hid. Nothing a view hides disappears
without a word: the count is always printed, and with ``--show-hidden`` each hidden post is
shown with who hid it and why (the node's ``PostPage``: ``hidden_count``, ``hidden``,
``paid_by``).

Whatever others wrote (a post, a moderator's reason, a charter's name) reaches the terminal
through :func:`printable`: a reply must not be able to clear the screen, conceal itself or
forge a line of the view (``hidden: ...``) with escape sequences or bidirectional overrides.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

out = Console()
ShowHiddenOption = typer.Option(
    False, "--show-hidden", help="List the posts this view hides too, with who hid them and why."
)
ViewerOption = typer.Option(
    None, "--viewer", help="Whose view: their mutes and blocks apply (default: anyone's)."
)
#: ``replyTo`` of a post that replies to none.
NO_PARENT = "0x" + "00" * 32
#: Characters a terminal acts on rather than shows: C0 controls but tab and newline, DEL, C1
#: controls (ESC starts every escape sequence), and the bidirectional embeddings, overrides and
#: isolates that reorder what follows them on screen.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with each character a terminal would act on shown as its escape (``\\x1b``)."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def hidden_line(h: dict[str, Any]) -> str:
    """One reason a post is hidden, in words: ``hidden_by_moderator by 0x..: "off topic"``."""
    by = f" by {h['by']}" if h["by"] else ""
    detail = f': "{printable(h["detail"])}"' if h["detail"] else ""
    return f"{h['reason']}{by}{detail}"


def ranking_line(r: dict[str, Any]) -> str:
    """Why a post ranks where it does in a ranked feed, with the numbers that made its score."""
    return (
        f"score {r['score']:.2f}: {r['reactors']} reactors, {r['repliers']} repliers, {r['tips']} tips, "
        f"{r['age_hours']:.0f}h old"
    )


def print_page(page: dict[str, Any], *, show_hidden: bool = False) -> None:
    """One post per paragraph (when, who, the post id, then the text, never cut), each with who
    paid for it, its rank's explanation in a ranked feed and, when listed, why it is hidden;
    then how many the view hid."""
    hidden, paid_by, ranking = page.get("hidden", {}), page.get("paid_by", {}), page.get("ranking", {})
    for item in page["items"]:
        m = item["message"]
        when = dt.datetime.fromtimestamp(m["timestamp"], dt.UTC).strftime("%Y-%m-%d %H:%M")
        out.print(f"[dim]{when}[/dim] [bold]{m['author']}[/bold] [dim]{item['id']}[/dim]", soft_wrap=True)
        if m.get("replyTo", NO_PARENT) != NO_PARENT:
            out.print(f"[dim]reply to {m['replyTo']}[/dim]", soft_wrap=True)
        if m["text"]:
            out.print(printable(m["text"]), soft_wrap=True, markup=False, highlight=False)
        else:
            out.print("[italic](exclusive)[/italic]")
        for payer in paid_by.get(item["id"], []):
            out.print(f"[yellow]paid partnership with {payer}[/yellow]", soft_wrap=True)
        if item["id"] in ranking:
            out.print(f"[dim]{ranking_line(ranking[item['id']])}[/dim]", soft_wrap=True)
        for h in hidden.get(item["id"], []):
            out.print(f"[red]hidden:[/red] {escape(hidden_line(h))}", soft_wrap=True, highlight=False)
    count = page.get("hidden_count", 0)
    if not page["items"] and not count:
        out.print("(nothing yet)")
    if count:
        hint = "" if show_hidden else " (--show-hidden lists them, with who hid them and why)"
        out.print(f"{count} hidden{hint}", soft_wrap=True)
