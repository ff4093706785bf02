"""The rules community and moderation messages must meet to enter a node, each refused with
the field at fault: one spelling per handle, topic list and moderator list, so two nodes
comparing charters compare bytes."""

from __future__ import annotations

import pytest

from node.errors import InvalidMessage
from node.messages import Reason, checksum_address, decode_message, encode_message, sign_message
from node.messages._crypto import keccak, private_key_to_address
from node.messages.community import community_id

CHAIN = 31337
KEY = keccak(b"community message test key")
ME = checksum_address(private_key_to_address(KEY))
A, B = sorted((checksum_address(bytes([i]) * 20) for i in (0xAB, 0x1C)), key=lambda a: bytes.fromhex(a[2:]))
assert A.lower() != A and B.lower() != B  # so that the lower-case spelling is another one
SYNTH = community_id(ME, "synth")


def sign(type_: str, **fields):
    return sign_message(type_, {"timestamp": 1_800_000_000, **fields}, KEY, CHAIN)


def charter(field: str, value: str, handle: str = "synth"):
    return sign("Charter", handle=handle, field=field, value=value)


@pytest.mark.parametrize(
    ("type_", "fields", "field", "reason"),
    [
        ("Charter", {"handle": "Synth", "field": "name", "value": "x"}, "handle", Reason.BAD_FIELD),
        ("Charter", {"handle": "-synth", "field": "name", "value": "x"}, "handle", Reason.BAD_FIELD),
        (
            "Charter",
            {"handle": "a" * 33, "field": "name", "value": "x"},
            "handle",
            Reason.FIELD_OUT_OF_BOUNDS,
        ),
        (
            "Charter",
            {"handle": "synth", "field": "colour", "value": "x"},
            "field",
            Reason.FIELD_OUT_OF_BOUNDS,
        ),
        (
            "Charter",
            {"handle": "synth", "field": "name", "value": "x" * 65},
            "value",
            Reason.FIELD_OUT_OF_BOUNDS,
        ),
        (
            "Charter",
            {"handle": "synth", "field": "topics", "value": "music,modular"},
            "value",
            Reason.BAD_FIELD,
        ),
        (
            "Charter",
            {"handle": "synth", "field": "topics", "value": "music,music"},
            "value",
            Reason.BAD_FIELD,
        ),
        ("Charter", {"handle": "synth", "field": "topics", "value": "Music"}, "value", Reason.BAD_FIELD),
        (
            "Charter",
            {"handle": "synth", "field": "topics", "value": ",".join("abcdefghi")},
            "value",
            Reason.BAD_FIELD,
        ),
        (
            "Charter",
            {"handle": "synth", "field": "moderators", "value": f"{B},{A}"},
            "value",
            Reason.BAD_FIELD,
        ),
        (
            "Charter",
            {"handle": "synth", "field": "moderators", "value": A.lower()},
            "value",
            Reason.BAD_FIELD,
        ),
        ("Charter", {"handle": "synth", "field": "moderators", "value": ME}, "value", Reason.BAD_FIELD),
        ("Charter", {"handle": "synth", "field": "moderators", "value": "0x12"}, "value", Reason.BAD_FIELD),
        (
            "Charter",
            {"handle": "synth", "field": "collective", "value": A.lower()},
            "value",
            Reason.BAD_FIELD,
        ),
        (
            "Charter",
            {"handle": "synth", "field": "gate", "value": '{"type":"nope"}'},
            "value",
            Reason.BAD_FIELD,
        ),
        ("Membership", {"community": bytes(32)}, "community", Reason.BAD_FIELD),
        ("CommunityPost", {"community": bytes(32), "text": "hi"}, "community", Reason.BAD_FIELD),
        ("CommunityPost", {"community": SYNTH, "text": ""}, "text", Reason.FIELD_OUT_OF_BOUNDS),
        (
            "CommunityReaction",
            {"community": bytes(32), "post": SYNTH, "kind": "like"},
            "community",
            Reason.BAD_FIELD,
        ),
        ("Mute", {"target": ME}, "target", Reason.FIELD_OUT_OF_BOUNDS),
        ("Block", {"target": ME}, "target", Reason.FIELD_OUT_OF_BOUNDS),
        ("ModHide", {"community": SYNTH, "post": SYNTH, "reason": ""}, "reason", Reason.FIELD_OUT_OF_BOUNDS),
        (
            "ModHide",
            {"community": SYNTH, "post": SYNTH, "reason": "x" * 281},
            "reason",
            Reason.FIELD_OUT_OF_BOUNDS,
        ),
        ("Disclosure", {"post": SYNTH, "paidBy": ME}, "paidBy", Reason.FIELD_OUT_OF_BOUNDS),
    ],
)
def test_a_message_breaking_a_community_rule_is_refused_naming_the_field(type_, fields, field, reason):
    with pytest.raises(InvalidMessage) as info:
        sign(type_, **fields)
    assert info.value.reason == reason
    assert str(info.value).split(": ", 1)[1].startswith(f"{field}:"), str(info.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("topics", "modular,music,synth-diy"),
        ("moderators", f"{A},{B}"),
        ("collective", A),
        ("name", ""),  # clears the field
        ("moderators", ""),
    ],
)
def test_canonical_charter_values_are_accepted_and_round_trip(field, value):
    m = charter(field, value)
    assert decode_message(encode_message(m)) == m


def test_an_undo_needs_no_reason_and_the_id_is_the_founders_and_handles():
    assert sign("ModHide", community=SYNTH, post=SYNTH, active=False).fields["reason"] == ""
    assert community_id(ME, "synth") != community_id(ME, "synth2") != community_id(A, "synth")
