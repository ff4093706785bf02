"""Grant work a node has accepted and not done yet, coalesced, never dropped.

Events that call for grants (a gated post whose key the node holds, a holder publishing an
encryption key, a confirmed token transfer) arrive faster than grants can be made: each grant
may need a chain call. A bounded queue of events has to drop or block when it fills, and
blocking the accepted-messages feed would make it fall behind. :class:`GrantWork` keeps *what is to be done*
instead of *what happened*: one pending rescan per post and one pending check per holder (with
the tokens that concern them), so its size is bounded by the number of distinct posts and
holders, and a thousand events about one holder are one piece of work.

Pure bookkeeping, no I/O; thread-safe (a lock guards it), although the grant service now
feeds and drains it only on the event loop.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Batch", "GrantWork", "WorkStatistics"]


@dataclass(frozen=True, slots=True)
class Batch:
    """Work taken to be done: post rescans, then holder checks (holder -> tokens that concern
    them, ``None`` for every token)."""

    posts: tuple[bytes, ...] = ()
    holders: dict[str, frozenset[str] | None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.posts or self.holders)


@dataclass(frozen=True, slots=True)
class WorkStatistics:
    """Counts for metrics and tests: what is pending, and what was taken and finished."""

    pending_posts: int
    pending_holders: int
    posts_done: int
    holders_done: int


def _merge(old: frozenset[str] | None, new: frozenset[str] | None) -> frozenset[str] | None:
    return None if old is None or new is None else old | new


class GrantWork:
    """Pending grant work: a set of posts to rescan and a map of holders to check.

    :meth:`take` hands out every pending post and at most ``max_holders`` holders, oldest first;
    :meth:`done` marks a taken batch finished, :meth:`put_back` returns one that failed
    (coalescing with anything added meanwhile). Nothing is ever discarded.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._posts: dict[bytes, None] = {}  # insertion-ordered set
        self._holders: dict[str, frozenset[str] | None] = {}
        self._posts_done = 0
        self._holders_done = 0

    def add(
        self, posts: Iterable[bytes] = (), holders: Iterable[tuple[str, frozenset[str] | None]] = ()
    ) -> None:
        """Ask for ``posts`` to be rescanned and ``holders`` (holder, tokens) to be checked."""
        with self._lock:
            for post in posts:
                self._posts[bytes(post)] = None
            for holder, tokens in holders:
                self._holders[holder] = (
                    _merge(self._holders[holder], tokens) if holder in self._holders else tokens
                )

    def take(self, max_holders: int) -> Batch:
        """Every pending post rescan and up to ``max_holders`` holder checks, removed from the set."""
        with self._lock:
            posts = tuple(self._posts)
            self._posts.clear()
            chosen = list(itertools.islice(self._holders, max_holders))
            return Batch(posts, {holder: self._holders.pop(holder) for holder in chosen})

    def done(self, batch: Batch) -> None:
        with self._lock:
            self._posts_done += len(batch.posts)
            self._holders_done += len(batch.holders)

    def put_back(self, batch: Batch) -> None:
        """Return a batch that could not be finished; it is taken again later."""
        self.add(batch.posts, batch.holders.items())

    def statistics(self) -> WorkStatistics:
        with self._lock:
            return WorkStatistics(len(self._posts), len(self._holders), self._posts_done, self._holders_done)
