"""The sync index: the store's ``(timestamp, id)`` keys in memory, kept in step change by change.

Negentropy (:mod:`node.p2p.negentropy`) asks its storage for the key at a position, the keys
of a range, the lower bound of a key and the fingerprint of any range, many times per round.
:class:`~node.p2p.negentropy.SortedKeys` answers from one sorted vector with cumulative id
sums, which makes a change near the start of the vector (a deleted post, the messages of a
revoked signer, an old message arriving by sync) cost a pass over every key after it: about a
tenth of a second per 100,000 keys, on the event loop. :class:`SyncIndex` answers the same
questions from sorted chunks of at most ``2 * CHUNK`` keys, each with its id total and, once
a fingerprint needs them, its own running sums, plus running counts and sums over the chunks:
a change costs a bisection and a list insert in one chunk, and a seal one pass over the chunks
(a thousand or two at a million keys), whatever the position.

Like ``SortedKeys``, changes are buffered (:meth:`add`, :meth:`remove`) and become visible
at :meth:`seal`, in the order they were made; the store bridge seals after each ingest report,
so the index a session reads is the store's set as of some commit (it may move on between a
session's rounds, as the store does; reconciliation converges on the next one). Trio-thread
only (build one in a worker thread and hand it over whole).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable

from node.fingerprint import ID_SIZE, fingerprint_of
from node.p2p.negentropy import MAX_TIMESTAMP, Key

__all__ = ["CHUNK", "ScopedIndex", "SyncIndex"]

#: Keys per chunk when an index is built; a chunk splits in two when it grows past twice this.
CHUNK = 512


def _check(key: Key) -> Key:
    ts, id_ = key
    if len(id_) != ID_SIZE or not 0 <= ts < MAX_TIMESTAMP:
        raise ValueError("a key is (timestamp < 2**64-1, 32-byte id)")
    return ts, bytes(id_)


def _total(chunk: list[Key]) -> int:
    return sum(int.from_bytes(id_, "little") for _, id_ in chunk)


def _running_sums(chunk: list[Key]) -> list[int]:
    sums = [0]
    running = 0
    from_bytes = int.from_bytes
    for _, id_ in chunk:
        running += from_bytes(id_, "little")
        sums.append(running)
    return sums


class SyncIndex:
    """Sorted ``(timestamp, id)`` keys in chunks; the negentropy storage interface plus
    :meth:`add`, :meth:`remove` and :meth:`seal`. ``keys`` need not be sorted; duplicates are
    kept once."""

    def __init__(self, keys: Iterable[Key] = ()) -> None:
        ordered = sorted(map(_check, keys))  # the store's keys come sorted: one linear pass
        if any(a == b for a, b in itertools.pairwise(ordered)):
            ordered = [k for i, k in enumerate(ordered) if i == 0 or k != ordered[i - 1]]
        self._chunks: list[list[Key]] = [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]
        self._firsts: list[Key] = [c[0] for c in self._chunks]
        self._totals: list[int] = [_total(c) for c in self._chunks]
        #: Each chunk's running id sums, computed when a fingerprint first needs them ([]: not yet).
        self._sums: list[list[int]] = [[] for _ in self._chunks]
        self._starts: list[int] = [0]  # _starts[c]: keys before chunk c; last entry: size
        self._bases: list[int] = [0]  # _bases[c]: id sum of the keys before chunk c
        self._pending: list[tuple[bool, Key]] = []  # (adding?, key), in the order asked
        self._recount(0)

    # -- changes -----------------------------------------------------------------------------

    def add(self, keys: Iterable[Key]) -> None:
        """Buffer keys to insert (keys already present are ignored at :meth:`seal`)."""
        self._pending.extend((True, _check(k)) for k in keys)

    def remove(self, keys: Iterable[Key]) -> None:
        """Buffer keys to delete (keys not present are ignored at :meth:`seal`)."""
        self._pending.extend((False, _check(k)) for k in keys)

    def seal(self) -> None:
        """Apply the buffered changes, in order."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        first = len(self._chunks)
        for adding, key in pending:
            c = self._apply(adding, key)
            if c is not None:
                first = min(first, c)
        self._recount(first)

    def _apply(self, adding: bool, key: Key) -> int | None:
        """Insert or delete one key; the index of the chunk it changed, or ``None``."""
        chunks, firsts, totals, sums = self._chunks, self._firsts, self._totals, self._sums
        value = int.from_bytes(key[1], "little")
        if not chunks:
            if not adding:
                return None
            chunks.append([key])
            firsts.append(key)
            totals.append(value)
            sums.append([])
            return 0
        c = max(0, bisect.bisect_right(firsts, key) - 1)
        chunk = chunks[c]
        j = bisect.bisect_left(chunk, key)
        present = j < len(chunk) and chunk[j] == key
        if adding == present:
            return None
        sums[c] = []
        if adding:
            chunk.insert(j, key)
            totals[c] += value
            if len(chunk) > 2 * CHUNK:
                low, high = chunk[:CHUNK], chunk[CHUNK:]
                chunks[c : c + 1] = [low, high]
                firsts[c : c + 1] = [low[0], high[0]]
                totals[c : c + 1] = [_total(low), totals[c] - _total(low)]
                sums[c : c + 1] = [[], []]
        else:
            del chunk[j]
            totals[c] -= value
            if not chunk:
                del chunks[c], firsts[c], totals[c], sums[c]
                return c
        firsts[c] = chunks[c][0]
        return c

    def _recount(self, first: int) -> None:
        """Refresh the running counts and sums of the chunks from ``first`` on."""
        del self._starts[first + 1 :], self._bases[first + 1 :]
        start, base = self._starts[first], self._bases[first]
        for chunk, total in zip(self._chunks[first:], self._totals[first:], strict=True):
            start += len(chunk)
            base += total
            self._starts.append(start)
            self._bases.append(base)

    # -- storage interface (node.p2p.negentropy.Storage) -------------------------------------

    def size(self) -> int:
        return self._starts[-1]

    def _locate(self, index: int) -> tuple[int, int]:
        c = bisect.bisect_right(self._starts, index) - 1
        return c, index - self._starts[c]

    def key(self, index: int) -> Key:
        c, offset = self._locate(index)
        return self._chunks[c][offset]

    def keys(self, lower: int, upper: int) -> list[Key]:
        out: list[Key] = []
        while lower < upper:
            c, offset = self._locate(lower)
            part = self._chunks[c][offset : offset + upper - lower]
            out += part
            lower += len(part)
        return out

    def _sum_before(self, index: int) -> int:
        if index >= self.size():
            return self._bases[-1]
        c, offset = self._locate(index)
        sums = self._sums[c]
        if not sums:
            sums = self._sums[c] = _running_sums(self._chunks[c])
        return self._bases[c] + sums[offset]

    def fingerprint(self, lower: int, upper: int) -> bytes:
        return fingerprint_of(self._sum_before(upper) - self._sum_before(lower), upper - lower)

    def find_lower_bound(self, lower: int, upper: int, bound: Key) -> int:
        c = bisect.bisect_right(self._firsts, bound) - 1
        at = 0 if c < 0 else self._starts[c] + bisect.bisect_left(self._chunks[c], bound)
        return min(max(at, lower), upper)


class ScopedIndex:
    """The sync keys partitioned by scope (``node.messages.scope``): one :class:`SyncIndex`
    per scope held, so each scope has its own count and fingerprint (what two nodes serving a
    scope compare, whatever else each serves). Changed as a :class:`SyncIndex` is: buffered
    :meth:`add` and :meth:`remove`, visible at :meth:`seal`. A removed key names no scope, so
    the index keeps the scope of each community key (base is the rest). Trio-thread only."""

    def __init__(self, keys: Iterable[tuple[Key, bytes]] = ()) -> None:
        by_scope: dict[bytes, list[Key]] = {}
        self._community_of: dict[bytes, bytes] = {}
        for key, scope in keys:
            by_scope.setdefault(scope, []).append(key)
            if scope:
                self._community_of[key[1]] = scope
        self._indexes = {scope: SyncIndex(scoped) for scope, scoped in by_scope.items()}

    def index(self, scope: bytes) -> SyncIndex:
        """The keys of ``scope``; for a scope not held, a new empty index, not kept (a peer
        naming a thousand communities leaves nothing behind)."""
        return self._indexes.get(scope) or SyncIndex()

    def add(self, keys: Iterable[tuple[Key, bytes]]) -> None:
        """Buffer ``(key, scope)`` pairs to insert."""
        for key, scope in keys:
            self._indexes.setdefault(scope, SyncIndex()).add([key])
            if scope:
                self._community_of[key[1]] = scope

    def remove(self, keys: Iterable[Key]) -> None:
        """Buffer keys to delete, from the scope each was added to."""
        for key in keys:
            scope = self._community_of.pop(key[1], b"")
            if scope in self._indexes:
                self._indexes[scope].remove([key])

    def seal(self) -> None:
        """Apply the buffered changes of every scope."""
        for index in self._indexes.values():
            index.seal()

    def summary(self) -> dict[bytes, tuple[int, bytes]]:
        """``scope: (keys, fingerprint)`` for every scope holding keys."""
        return {
            scope: (index.size(), index.fingerprint(0, index.size()))
            for scope, index in self._indexes.items()
            if index.size()
        }
