"""Full-text search over live posts, profiles and communities (``schema``: ``post_search``,
``profile_search``, ``community_search``): what a user typed, made into an FTS5 query that cannot be anything else.

FTS5 has a query language (``AND``, ``NEAR(...)``, ``col:``, ``^``, ``*``, quotes): passed
through, a user's text could be a syntax error (a 500) or a costly query. So the text is never
passed: its words are cut out (runs of letters and digits, as the ``unicode61`` tokenizer cuts
them, so a word never splits into a phrase), and each becomes a quoted term. Every word must
match, each as the prefix of a word (``art`` finds "artist"), except words shorter than
``min_prefix_chars``, which match whole (a one-letter prefix would walk most of the index).
Ranked by bm25 (term frequency, rarity, length), ties by id or address, so the same data gives
the same order on every node. A post query that matches more than ``max_candidates`` posts
ranks the ``max_candidates`` this node stored last (``schema.SEARCH_POSTS``): its cost is
bounded whatever it matches, and a social network's searcher wants recent posts first anyway;
two nodes that received the same posts in different orders can then rank different
candidates for such a query.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import InvalidInput
from . import schema as S

#: Runs of Unicode letters and digits: the words ``unicode61`` indexes (``_`` separates there too).
_WORD = re.compile(r"[^\W_]+")

SearchKind = Literal["posts", "profiles", "communities"]
_SEARCHES = {"posts": S.SEARCH_POSTS, "profiles": S.SEARCH_PROFILES, "communities": S.SEARCH_COMMUNITIES}


@dataclass(frozen=True, slots=True)
class SearchRules:
    """The bounds a search query must keep (the node's settings: ``node.config.SearchSettings``)."""

    #: Longest query text, in characters.
    max_query_chars: int = 200
    #: Most words in one query.
    max_terms: int = 8
    #: Words at least this long match as prefixes; shorter ones match whole words only.
    min_prefix_chars: int = 2
    #: How deep a result list may be paged: results past this many are not served.
    max_results: int = 1000
    #: A post query ranks at most this many matches, the ones stored last (module docstring).
    max_candidates: int = 1000


def match_expression(text: str, rules: SearchRules) -> str:
    """The FTS5 query for ``text``: each of its words a quoted term, all required (see the
    module docstring). Raises :class:`~node.errors.InvalidInput` when the text is too long,
    has too many words, or none."""
    if len(text) > rules.max_query_chars:
        raise InvalidInput(f"q: at most {rules.max_query_chars} characters")
    words = _WORD.findall(text)
    if not words:
        raise InvalidInput("q: no word to search for (letters or digits)")
    if len(words) > rules.max_terms:
        raise InvalidInput(f"q: at most {rules.max_terms} words")
    return " AND ".join(f'"{w}"*' if len(w) >= rules.min_prefix_chars else f'"{w}"' for w in words)


def position_of(cursor: str | None, rules: SearchRules) -> tuple[int, int | None]:
    """Where a page starts: the cursor a search issued, ``<results served before it>`` and, for
    posts, ``.<ceiling>`` (``schema.SEARCH_POSTS``); ``(0, None)`` for a first page."""
    if cursor is None:
        return 0, None
    offset, _, ceiling = cursor.partition(".")
    if not (offset.isdigit() and (not ceiling or ceiling.isdigit())) or int(offset) >= rules.max_results:
        raise InvalidInput(f"cursor: {cursor!r} is not a cursor this node issued")
    return int(offset), int(ceiling) if ceiling else None


def next_cursor(offset: int, limit: int, more: bool, rules: SearchRules, ceiling: int | None) -> str | None:
    """The cursor after a page of ``limit`` from ``offset``, when ``more`` results follow and
    they are within ``rules.max_results`` (with the page's ``ceiling``, when it has one)."""
    after = offset + limit
    if not more or after >= rules.max_results:
        return None
    return str(after) if ceiling is None else f"{after}.{ceiling}"


def search_rows(
    db: sqlite3.Connection,
    kind: SearchKind,
    match: str,
    page: tuple[int, int, int | None],
    rules: SearchRules,
) -> tuple[list[Any], int | None]:
    """One page of ``kind`` matching ``match`` (an expression of :func:`match_expression`),
    plus one row when more follow, and the page's ceiling (posts only); ``page`` is the
    limit, the offset and the ceiling a cursor named. FTS5's own refusals of a query (none are
    expected from a built expression) become :class:`~node.errors.InvalidInput`, never a
    server error."""
    limit, offset, ceiling = page
    bounds = {"limit": limit + 1, "offset": offset, "ceiling": ceiling, "candidates": rules.max_candidates}
    try:
        rows = db.execute(_SEARCHES[kind], {"match": match, **bounds}).fetchall()
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc):
            raise
        raise InvalidInput(f"q: not a query this node can run ({exc})") from None
    if kind != "posts":
        return rows, None
    return [r[:-1] for r in rows], rows[0][-1] if rows else None
