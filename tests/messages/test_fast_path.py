"""The compiled decoder (``_fast``) accepts exactly what the generic coercers accept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.errors import InvalidMessage
from node.messages import TYPES
from node.messages._codec import _coerce_fields
from node.messages._eip712 import STRUCT_HASHERS
from node.messages._fast import FAST

_json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2**64 + 5),
    st.text(max_size=20),
    st.sampled_from(
        [
            "0x",
            "0x00",
            "0x" + "ab" * 20,
            "0x" + "AB" * 20,
            "0x52908400098527886E0F7030069857D2E4169EE7",  # EIP-55 valid
            "0x52908400098527886e0F7030069857D2E4169EE7",  # EIP-55 broken
            "0x" + "00" * 32,
            "0x" + "0 " * 32,
            "0x" + "zz" * 32,
            "x" * 1100,
            "é" * 600,
            "\ud800",
            '{"all":[]}',
            "[1]",
            "name",
            "bio",
        ]
    ),
)


VECTORS = Path(__file__).parent.parent / "vectors"


def _valid(type_name: str) -> dict:
    """The message object of a published vector of this type (every type has one)."""
    for path in sorted(VECTORS.glob("*.json")):
        v = json.loads(path.read_text())
        if v["typedData"]["primaryType"] == type_name:
            return json.loads(v["wire"])["message"]
    raise AssertionError(f"no vector for {type_name}")


def _generic(type_name, msg):
    try:
        values = _coerce_fields(type_name, msg)
    except InvalidMessage:
        return None
    return values, STRUCT_HASHERS[type_name](values)


@pytest.mark.parametrize("type_name", sorted(TYPES))
def test_valid_messages_take_the_fast_path(type_name):
    msg = _valid(type_name)
    fast = FAST[type_name](msg)
    assert fast is not None and fast == _generic(type_name, msg)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    type_name=st.sampled_from(sorted(TYPES)),
    changes=st.dictionaries(
        st.sampled_from(
            [
                "author",
                "timestamp",
                "text",
                "replyTo",
                "gate",
                "ciphertext",
                "field",
                "value",
                "target",
                "active",
                "post",
                "kind",
                "signer",
                "label",
                "recipient",
                "recipientKey",
                "wrappedKey",
                "extra",
            ]
        ),
        _json_values,
        max_size=3,
    ),
    drop=st.booleans(),
)
def test_fast_path_never_accepts_more_than_the_generic_one(type_name, changes, drop):
    msg = {**_valid(type_name), **changes}
    if drop:
        msg.pop(next(iter(msg)))
    fast = FAST[type_name](msg)
    generic = _generic(type_name, msg)
    if fast is not None:
        assert fast == generic
    elif generic is not None:
        # the only thing the fast path leaves to the generic one and the generic one accepts
        # would be a bug: both must accept the same messages
        pytest.fail(f"generic accepts what the fast path refuses: {msg!r}")
