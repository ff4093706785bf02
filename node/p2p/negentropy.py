"""Range-based set reconciliation, negentropy protocol v1 (pure: no I/O, no libp2p).

This is a Python implementation of hoytech/negentropy's protocol version 1
(``docs/negentropy-protocol-v1.md`` in that repository; Nostr's NIP-77 uses the same wire
format). Mecenate reconciles the set of message keys ``(timestamp, id)`` where ``id`` is the
32-byte EIP-712 digest of a signed message and ``timestamp`` its Unix time in seconds.

Spec summary (what the code below implements)
=============================================

Items are ``(timestamp: u64, id: 32 bytes)``, sorted by timestamp, then id bytewise.
``2**64 - 1`` is reserved as the "infinity" timestamp.

Wire grammar::

    Message     := <protocolVersion: Byte = 0x61> <Range>*
    Range       := <upperBound: Bound> <mode: Varint> <payload>
    mode 0      Skip         payload empty: the sender does not care about this range
    mode 1      Fingerprint  payload Byte{16}
    mode 2      IdList       payload <count: Varint> <Id: Byte{32}>*
    Bound       := <encodedTimestamp: Varint> <length: Varint> <idPrefix: Byte{length}>
    Varint      := base-128, most significant group first, high bit set on all but the last

* Ranges are adjacent and ascending: a range's (inclusive) lower bound is the previous range's
  (exclusive) upper bound, the first starts at (0, 0...). A message that stops short of
  infinity has an implicit trailing Skip.
* ``encodedTimestamp`` is 0 for infinity, otherwise ``1 + (timestamp - previous timestamp)``
  where "previous" restarts at 0 for every message (delta coding; decoding saturates at
  infinity). ``idPrefix`` (0..32 bytes) is zero-padded to 32 bytes; a bound between two items
  uses the shortest prefix that separates them (length 0 when their timestamps differ).
* Fingerprint of a range: ``sha256(sum(ids as 32-byte little-endian ints) mod 2**256 as 32
  LE bytes || Varint(count))[:16]``.
* A server that gets an unknown version in 0x60..0x6f answers with just its own version
  byte; a byte outside that window is an error.

Algorithm (the reference C++ ``Negentropy::reconcileAux``, with the two departures noted):

* The client (initiator) sends ``0x61`` plus ``split(all items, upper=infinity)``.
* For each incoming range the receiver looks at its own items in that range:
  Skip -> nothing; Fingerprint equal -> nothing (becomes Skip), different -> ``split``;
  IdList -> the client records ``have`` (ids only it has) and ``need`` (ids only the peer
  has) and is done with the range; the server answers with the full IdList of its own items
  in the range, so the client can compute both directions.
* ``split(range)``: fewer than ``id_list_threshold`` (or 2) items -> one IdList; otherwise
  ``buckets`` equal-count sub-ranges each sent as a Fingerprint, separated by minimal bounds.
* Consecutive Skips are coalesced and trailing Skips are omitted.
* Frame size limit (``frame_size_limit`` > 0): once the output would exceed
  ``frame_size_limit - 200`` bytes, the sender stops and sends one Fingerprint covering
  everything from where it stopped to infinity; the peer's next round picks it up.
  Departure 1: pending Skips are written before that Fingerprint, so it starts where the
  processing stopped (the reference lets it start at the last bound written, re-covering
  ranges already settled). Departure 2: since an early stop can still re-cover settled
  ranges, the client reports each have/need id once per session. Neither changes the wire
  format; both only save bytes and duplicates.
* The client is done when its reply would contain nothing but the version byte.

``buckets`` and ``id_list_threshold`` are local choices that the wire format does not fix
(the reference uses 16 and 32); any combination interoperates.

Storage is a small interface (:class:`Storage`): sorted keys with range fingerprints.
:class:`SortedKeys` is an in-memory sorted vector with cumulative id sums, so any range's
fingerprint costs one subtraction and one SHA-256.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Protocol

from node.fingerprint import FINGERPRINT_SIZE, ID_SIZE, fingerprint_of
from node.varint import VarintError, encode_varint_be
from node.varint import decode_varint_be as _decode_varint_be

__all__ = [
    "FINGERPRINT_SIZE",
    "ID_SIZE",
    "MAX_TIMESTAMP",
    "PROTOCOL_VERSION",
    "Negentropy",
    "NegentropyError",
    "SortedKeys",
    "Storage",
    "decode_varint_be",
    "encode_varint_be",
    "fingerprint_of",
]

PROTOCOL_VERSION = 0x61
MAX_TIMESTAMP = 2**64 - 1
_ZERO_ID = bytes(ID_SIZE)

MODE_SKIP = 0
MODE_FINGERPRINT = 1
MODE_IDLIST = 2

Key = tuple[int, bytes]


class NegentropyError(ValueError):
    """Raised when a reconciliation message is malformed or breaks the protocol."""


# ---------------------------------------------------------------------------------------------
# Varints (most significant group first): node.varint; fingerprints: node.fingerprint (shared
# with the store, whose whole-set fingerprint must equal the full range's here).


def decode_varint_be(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """:func:`node.varint.decode_varint_be`, raising :class:`NegentropyError` on bad bytes."""
    try:
        return _decode_varint_be(buf, pos)
    except VarintError as exc:
        raise NegentropyError(str(exc)) from None


class Storage(Protocol):
    """What reconciliation needs from a set of keys: sorted access and range fingerprints."""

    def size(self) -> int: ...

    def key(self, index: int) -> Key: ...

    def keys(self, lower: int, upper: int) -> list[Key]: ...

    def fingerprint(self, lower: int, upper: int) -> bytes: ...

    def find_lower_bound(self, lower: int, upper: int, bound: Key) -> int:
        """First index in ``[lower, upper)`` whose key is ``>= bound`` (else ``upper``)."""
        ...


class SortedKeys:
    """A sorted vector of ``(timestamp, id)`` keys with cumulative id sums.

    ``add`` buffers new keys; they become visible at the next :meth:`seal` (the sync service
    seals at the start of each session, so a session reconciles one consistent snapshot).
    Sealing re-sorts and recomputes the cumulative sums only from the first changed position,
    so appending recent keys is cheap.
    """

    def __init__(self, keys: Iterable[Key] = ()) -> None:
        self._keys: list[Key] = []
        self._sums: list[int] = [0]  # _sums[i] = sum of ids of keys[:i] (unreduced)
        self._members: set[bytes] = set()
        self._pending: list[Key] = []
        self.add(keys)
        self.seal()

    def add(self, keys: Iterable[Key]) -> int:
        """Buffer keys not already present; return how many were new."""
        added = 0
        for ts, id_ in keys:
            if len(id_) != ID_SIZE or not 0 <= ts < MAX_TIMESTAMP:
                raise ValueError("a key is (timestamp < 2**64-1, 32-byte id)")
            if id_ in self._members:
                continue
            self._members.add(id_)
            self._pending.append((ts, bytes(id_)))
            added += 1
        return added

    def seal(self) -> None:
        """Make buffered keys visible (sorted, with cumulative sums updated)."""
        if not self._pending:
            return
        pending = sorted(self._pending)
        self._pending = []
        first = bisect.bisect_left(self._keys, pending[0])
        if first == len(self._keys):
            self._keys.extend(pending)
        else:
            tail = self._keys[first:]
            tail.extend(pending)
            tail.sort()
            del self._keys[first:]
            self._keys.extend(tail)
        del self._sums[first + 1 :]
        running = self._sums[first]
        from_bytes = int.from_bytes
        sums = self._sums
        for _, id_ in self._keys[first:]:
            running += from_bytes(id_, "little")
            sums.append(running)

    # Storage interface
    def size(self) -> int:
        return len(self._keys)

    def key(self, index: int) -> Key:
        return self._keys[index]

    def keys(self, lower: int, upper: int) -> list[Key]:
        return self._keys[lower:upper]

    def fingerprint(self, lower: int, upper: int) -> bytes:
        return fingerprint_of(self._sums[upper] - self._sums[lower], upper - lower)

    def find_lower_bound(self, lower: int, upper: int, bound: Key) -> int:
        return bisect.bisect_left(self._keys, bound, lower, upper)


# ---------------------------------------------------------------------------------------------
# Protocol state machine


class _Writer:
    """Output of one message: delta-coded bounds need the running previous timestamp."""

    __slots__ = ("last_ts", "parts", "size")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.last_ts = 0

    def put(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)

    def bound(self, ts: int, prefix: bytes) -> bytes:
        if ts == MAX_TIMESTAMP:
            self.last_ts = MAX_TIMESTAMP
            enc = b"\x00"
        else:
            enc = encode_varint_be(ts - self.last_ts + 1)
            self.last_ts = ts
        return enc + encode_varint_be(len(prefix)) + prefix


def _minimal_bound(prev: Key, curr: Key) -> tuple[int, bytes]:
    if curr[0] != prev[0]:
        return curr[0], b""
    a, b = prev[1], curr[1]
    shared = 0
    while shared < ID_SIZE and a[shared] == b[shared]:
        shared += 1
    return curr[0], b[: shared + 1]


_INFINITY: tuple[int, bytes] = (MAX_TIMESTAMP, b"")


class Negentropy:
    """One side of one reconciliation session over a sealed :class:`Storage`.

    Client: ``msg = n.initiate()``, then repeatedly ``msg, have, need = n.reconcile_client(reply)``
    until ``msg`` is None. Server: ``reply = n.reconcile(msg)`` for each incoming message.
    Both raise :class:`NegentropyError` for a malformed or out-of-protocol message.
    """

    def __init__(
        self,
        storage: Storage,
        frame_size_limit: int = 0,
        *,
        buckets: int = 16,
        id_list_threshold: int = 32,
    ) -> None:
        if frame_size_limit and frame_size_limit < 4096:
            raise ValueError("frame_size_limit must be 0 (none) or at least 4096")
        if buckets < 2 or id_list_threshold < 1:
            raise ValueError("buckets must be >= 2 and id_list_threshold >= 1")
        self.storage = storage
        self.frame_size_limit = frame_size_limit
        # the split policy: how a differing range is cut up (a local choice; the wire allows any)
        self.buckets, self.id_list_threshold = buckets, id_list_threshold
        # session state: which side this is, and the ids already reported to the client
        self.is_initiator = False
        self._started = False
        self._reported: set[bytes] = set()

    # public API -------------------------------------------------------------------------

    def initiate(self) -> bytes:
        """Build the client's first message."""
        if self._started:
            raise NegentropyError("already initiated")
        self._started = True
        self.is_initiator = True
        out = _Writer()
        out.put(bytes([PROTOCOL_VERSION]))
        self._split(out, 0, self.storage.size(), _INFINITY)
        return b"".join(out.parts)

    def reconcile(self, query: bytes) -> bytes:
        """Server side: answer one client message."""
        if self.is_initiator:
            raise NegentropyError("the initiator must call reconcile_client")
        self._started = True
        return self._reconcile(query, [], [])

    def reconcile_client(self, reply: bytes) -> tuple[bytes | None, list[bytes], list[bytes]]:
        """Client side: process a server reply.

        Returns ``(next message or None when done, have_ids, need_ids)`` where ``have_ids``
        are ids only this side has and ``need_ids`` ids only the server has, each reported
        once per session (found in this round).
        """
        if not self.is_initiator:
            raise NegentropyError("reconcile_client needs initiate() first")
        have: list[bytes] = []
        need: list[bytes] = []
        out = self._reconcile(reply, have, need)
        # Under a frame size limit an early stop re-covers ranges already settled, so an id
        # can come back in a later round: report each one once.
        have = self._first_report(have)
        need = self._first_report(need)
        return (None if len(out) == 1 else out), have, need

    def _first_report(self, ids: list[bytes]) -> list[bytes]:
        """``ids`` not reported before in this session (each once), now marked reported."""
        fresh = []
        for k in ids:
            if k not in self._reported:
                self._reported.add(k)
                fresh.append(k)
        return fresh

    # internals --------------------------------------------------------------------------

    def _exceeded(self, n: int) -> bool:
        return bool(self.frame_size_limit) and n > self.frame_size_limit - 200

    def _reconcile(self, query: bytes, have: list[bytes], need: list[bytes]) -> bytes:
        if not query:
            raise NegentropyError("empty message")
        version = query[0]
        if not 0x60 <= version <= 0x6F:
            raise NegentropyError(f"invalid protocol version byte 0x{version:02x}")
        if version != PROTOCOL_VERSION:
            if self.is_initiator:
                raise NegentropyError(f"peer does not speak version 0x{PROTOCOL_VERSION:02x}")
            return bytes([PROTOCOL_VERSION])

        storage = self.storage
        size = storage.size()
        full = _Writer()
        full.put(bytes([PROTOCOL_VERSION]))
        pos = 1
        end = len(query)
        last_ts_in = 0
        prev_bound: tuple[int, bytes] = (0, b"")
        prev_index = 0
        skip = False

        while pos < end:
            # decode bound
            enc, pos = decode_varint_be(query, pos)
            if enc == 0 or last_ts_in == MAX_TIMESTAMP:
                ts = MAX_TIMESTAMP
            else:
                ts = min(last_ts_in + enc - 1, MAX_TIMESTAMP)
            last_ts_in = ts
            length, pos = decode_varint_be(query, pos)
            if length > ID_SIZE:
                raise NegentropyError("bound id prefix longer than 32 bytes")
            if pos + length > end:
                raise NegentropyError("message ends inside a bound")
            prefix = bytes(query[pos : pos + length])
            pos += length
            curr_bound = (ts, prefix)
            mode, pos = decode_varint_be(query, pos)

            lower = prev_index
            if ts == MAX_TIMESTAMP:
                upper = size
            else:
                upper = storage.find_lower_bound(prev_index, size, (ts, prefix + _ZERO_ID[length:]))
            resume = lower  # where an early stop would have to pick up again
            o = _Writer()

            if mode == MODE_SKIP:
                skip = True
            elif mode == MODE_FINGERPRINT:
                if pos + FINGERPRINT_SIZE > end:
                    raise NegentropyError("message ends inside a fingerprint")
                theirs = bytes(query[pos : pos + FINGERPRINT_SIZE])
                pos += FINGERPRINT_SIZE
                if theirs != storage.fingerprint(lower, upper):
                    if skip:
                        skip = False
                        full.put(full.bound(*prev_bound) + b"\x00")
                    o.last_ts = full.last_ts
                    self._split(o, lower, upper, curr_bound)
                else:
                    skip = True
            elif mode == MODE_IDLIST:
                count, pos = decode_varint_be(query, pos)
                if count * ID_SIZE > end - pos:
                    raise NegentropyError("IdList longer than the message")
                theirs_set = {
                    bytes(query[p : p + ID_SIZE]) for p in range(pos, pos + count * ID_SIZE, ID_SIZE)
                }
                pos += count * ID_SIZE
                ours = storage.keys(lower, upper)
                if self.is_initiator:
                    for _, k in ours:
                        if k in theirs_set:
                            theirs_set.discard(k)
                        else:
                            have.append(k)
                    need.extend(theirs_set)
                    skip = True
                else:
                    if skip:
                        skip = False
                        full.put(full.bound(*prev_bound) + b"\x00")
                    ids: list[bytes] = []
                    end_bound = curr_bound
                    for offset, (kts, kid) in enumerate(ours):
                        if self._exceeded(full.size + len(ids) * ID_SIZE):
                            end_bound = (kts, kid)
                            upper = lower + offset
                            break
                        ids.append(kid)
                    full.put(full.bound(*end_bound) + b"\x02" + encode_varint_be(len(ids)) + b"".join(ids))
                    resume = upper
            else:
                raise NegentropyError(f"unexpected mode {mode}")

            if self._exceeded(full.size + o.size):
                # Stop here: one fingerprint covers everything from the last bound written
                # to infinity, and the peer's next message picks it up from there. (Unlike
                # the reference, pending Skips are flushed first, so the ranges already
                # settled are not listed again.)
                full.put(full.bound(*_INFINITY) + b"\x01" + storage.fingerprint(resume, size))
                break
            full.parts.extend(o.parts)
            full.size += o.size
            if o.parts:
                full.last_ts = o.last_ts
            prev_index = upper
            prev_bound = curr_bound

        return b"".join(full.parts)

    def _split(self, o: _Writer, lower: int, upper: int, upper_bound: tuple[int, bytes]) -> None:
        storage = self.storage
        n = upper - lower
        if n < self.id_list_threshold or n < 2:
            ids = b"".join(k for _, k in storage.keys(lower, upper))
            o.put(o.bound(*upper_bound) + b"\x02" + encode_varint_be(n) + ids)
            return
        buckets = min(self.buckets, n)
        per, extra = divmod(n, buckets)
        curr = lower
        for i in range(buckets):
            size = per + (1 if i < extra else 0)
            fp = storage.fingerprint(curr, curr + size)
            curr += size
            bound = upper_bound if curr == upper else _minimal_bound(storage.key(curr - 1), storage.key(curr))
            o.put(o.bound(*bound) + b"\x01" + fp)
