"""A Bloom filter over the ids in the log, so that ingest asks SQLite only about ids it may hold.

One probe per id, 64 bits per id: about 1.5 % false positives, and a false positive costs one
lookup by id. Ids are uniform digests, so their first 4 bytes are the hash. Ids that leave the
log keep their bit (a stale bit is a false positive, nothing worse); the writer builds a larger
filter from the log when this one is full (:attr:`IdFilter.capacity`).
"""

from __future__ import annotations

from collections.abc import Iterable

#: Filter bits per id it is sized for.
BITS_PER_ID = 64
#: The smallest filter, in bits (128 KiB): a new store does not rebuild it for a while.
MIN_BITS = 1 << 20


class IdFilter:
    """The set of ids a store may hold (no false negatives), sized for ``count`` ids."""

    __slots__ = ("_bits", "_mask", "capacity")

    def __init__(self, ids: Iterable[bytes], count: int) -> None:
        size = max(MIN_BITS, 1 << (max(count, 1) * BITS_PER_ID - 1).bit_length())
        self._bits = bytearray(size >> 3)
        self._mask = size - 1
        #: How many ids the filter holds before its false-positive rate grows past its design.
        self.capacity = size // BITS_PER_ID
        self.add(ids)

    def add(self, ids: Iterable[bytes]) -> None:
        bits, mask = self._bits, self._mask
        for mid in ids:
            h = int.from_bytes(mid[:4], "little") & mask
            bits[h >> 3] |= 1 << (h & 7)

    def maybe_held(self, ids: Iterable[bytes]) -> list[bytes]:
        """The ids among ``ids`` that may be in the log (every one that is, some that are not)."""
        bits, mask = self._bits, self._mask
        out = []
        for mid in ids:
            h = int.from_bytes(mid[:4], "little") & mask
            if bits[h >> 3] & (1 << (h & 7)):
                out.append(mid)
        return out
