"""The two varints: same sizes, opposite group order, and neither decodes the other's bytes
to the same value (which is why they carry different names)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.varint import (
    MAX_VARINT_BYTES,
    VarintError,
    decode_leb128,
    decode_varint_be,
    encode_leb128,
    encode_varint_be,
    varint_size,
)

BOUNDARIES = (0, 1, 127, 128, 300, 16383, 16384, 2**21 - 1, 2**21, 2**63)


@pytest.mark.parametrize("n", BOUNDARIES)
def test_round_trips_and_sizes_around_the_boundaries(n: int) -> None:
    for encode, decode in ((encode_varint_be, decode_varint_be), (encode_leb128, decode_leb128)):
        data = encode(n)
        assert decode(data, 0) == (n, len(data))
        assert len(data) == varint_size(n)


def test_group_order_is_what_the_names_say() -> None:
    assert encode_varint_be(300) == bytes([0x82, 0x2C])  # negentropy: most significant group first
    assert encode_leb128(300) == bytes([0xAC, 0x02])  # LEB128: least significant group first
    assert decode_varint_be(encode_leb128(300), 0)[0] != 300


@given(st.integers(min_value=0, max_value=2**70 - 1), st.binary(max_size=4))
def test_decoders_read_from_a_position(n: int, prefix: bytes) -> None:
    for encode, decode in ((encode_varint_be, decode_varint_be), (encode_leb128, decode_leb128)):
        data = prefix + encode(n) + b"\xff"
        assert decode(data, len(prefix)) == (n, len(data) - 1)


@pytest.mark.parametrize("decode", [decode_varint_be, decode_leb128])
def test_truncated_and_overlong_varints_are_refused(decode) -> None:
    with pytest.raises(VarintError):
        decode(b"\x80", 0)
    with pytest.raises(VarintError):
        decode(b"\x80" * MAX_VARINT_BYTES + b"\x00", 0)


def test_negative_values_are_refused() -> None:
    for encode in (encode_varint_be, encode_leb128):
        with pytest.raises(ValueError):
            encode(-1)
