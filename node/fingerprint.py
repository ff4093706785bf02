"""The fingerprint of a set of message ids, as negentropy protocol v1 defines it.

    fingerprint = SHA-256( (Σ ids as 256-bit little-endian integers, mod 2²⁵⁶) ‖ varint(count) )[:16]

``varint`` is negentropy's: base-128, most significant group first, high bit set on every byte
but the last. The store keeps the sum and the count up to date incrementally, so its whole-set
fingerprint is one hash and equals the reconciliation index's fingerprint of the full range;
two nodes compare message sets with one call.
"""

from __future__ import annotations

import hashlib

ID_SIZE = 32
FINGERPRINT_SIZE = 16
_MOD = 2**256


class VarintError(ValueError):
    """Raised when bytes do not hold a complete varint of at most 10 bytes."""


def encode_varint(n: int) -> bytes:
    """Encode ``n >= 0`` as a negentropy varint (big-endian base-128)."""
    if n < 0:
        raise ValueError("varint must be non-negative")
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    out.reverse()
    return bytes(out)


def decode_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode a varint at ``pos``; return ``(value, new_pos)``. At most 10 bytes (< 2**70)."""
    value = 0
    for _ in range(10):
        if pos >= len(buf):
            raise VarintError("message ends inside a varint")
        byte = buf[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos
    raise VarintError("varint longer than 10 bytes")


def fingerprint_of(id_sum: int, count: int) -> bytes:
    """Fingerprint of a set whose ids add up to ``id_sum`` (any int; reduced mod 2**256)."""
    data = (id_sum % _MOD).to_bytes(ID_SIZE, "little") + encode_varint(count)
    return hashlib.sha256(data).digest()[:FINGERPRINT_SIZE]
