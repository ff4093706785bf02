"""The fingerprint of a set of message ids, as negentropy protocol v1 defines it.

    fingerprint = SHA-256( (Σ ids as 256-bit little-endian integers, mod 2²⁵⁶) ‖ varint(count) )[:16]

``varint`` is negentropy's: base-128, most significant group first
(:func:`node.varint.encode_varint_be`). The store keeps the sum and the count up to date
incrementally, so its whole-set fingerprint is one hash and equals the reconciliation index's
fingerprint of the full range; two nodes compare message sets with one call.
"""

from __future__ import annotations

import hashlib

from node.varint import encode_varint_be

ID_SIZE = 32
FINGERPRINT_SIZE = 16
_MOD = 2**256


def fingerprint_of(id_sum: int, count: int) -> bytes:
    """Fingerprint of a set whose ids add up to ``id_sum`` (any int; reduced mod 2**256)."""
    data = (id_sum % _MOD).to_bytes(ID_SIZE, "little") + encode_varint_be(count)
    return hashlib.sha256(data).digest()[:FINGERPRINT_SIZE]
