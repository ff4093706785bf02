"""The two base-128 varints the node writes, named so that one is never taken for the other.

Both spend 7 bits a byte, with the high bit set on every byte but the last; they differ in the
order of the 7-bit groups:

* :func:`encode_varint_be`: most significant group first (big-endian). Negentropy v1's
  ``Varint``: the set fingerprint, the reconciliation messages, and the sync frames and message
  batches of ``node.p2p``. ``300`` is ``82 2c``.
* :func:`encode_leb128`: least significant group first (LEB128, as protobuf and multiformats
  write it): the lengths inside the store's packed message bodies. ``300`` is ``ac 02``.

A value takes the same number of bytes either way (:func:`varint_size`), so a packer can count
exact sizes without encoding. Decoders read at most :data:`MAX_VARINT_BYTES` bytes.
"""

from __future__ import annotations

__all__ = [
    "MAX_VARINT_BYTES",
    "VarintError",
    "decode_leb128",
    "decode_varint_be",
    "encode_leb128",
    "encode_varint_be",
    "varint_size",
]

#: Longest varint a decoder reads (values below 2**70: every length and count we use fits).
MAX_VARINT_BYTES = 10


class VarintError(ValueError):
    """Raised when bytes do not hold a complete varint of at most :data:`MAX_VARINT_BYTES` bytes."""


def varint_size(n: int) -> int:
    """How many bytes ``n >= 0`` takes as a base-128 varint (in either group order)."""
    return max(1, (n.bit_length() + 6) // 7)


def encode_varint_be(n: int) -> bytes:
    """Encode ``n >= 0`` most significant group first (negentropy's ``Varint``)."""
    if n < 0:
        raise ValueError("varint must be non-negative")
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    out.reverse()
    return bytes(out)


def decode_varint_be(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode a most-significant-first varint at ``pos``; return ``(value, new_pos)``."""
    value = 0
    for _ in range(MAX_VARINT_BYTES):
        if pos >= len(buf):
            raise VarintError("message ends inside a varint")
        byte = buf[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos
    raise VarintError(f"varint longer than {MAX_VARINT_BYTES} bytes")


def encode_leb128(n: int) -> bytes:
    """Encode ``n >= 0`` least significant group first (LEB128)."""
    if n < 0x80:
        if n < 0:
            raise ValueError("varint must be non-negative")
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    out.append(n)
    return bytes(out)


def decode_leb128(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode a LEB128 varint at ``pos``; return ``(value, new_pos)``."""
    value = shift = 0
    for _ in range(MAX_VARINT_BYTES):
        if pos >= len(buf):
            raise VarintError("data ends inside a varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise VarintError(f"varint longer than {MAX_VARINT_BYTES} bytes")
