"""Wire form, signing, verification, and a refusal with a clear reason for every defect."""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.errors import InvalidMessage
from node.gating import Balance, encode_gate, generate_keypair
from node.messages import (
    MAX_CLOCK_SKEW,
    TYPES,
    Reason,
    SignedMessage,
    decode_message,
    encode_message,
    message_to_json,
    sign_message,
    typed_data,
    verify_batch,
    verify_message,
)
from node.messages._crypto import SECP256K1_N, checksum_address, keccak, private_key_to_address

CHAIN = 31337
KEY = keccak(b"codec test key")
OTHER = keccak(b"codec other key")
ADDR = checksum_address(private_key_to_address(KEY))
OTHER_ADDR = checksum_address(private_key_to_address(OTHER))
NOW = 1_800_000_000


def post(**fields) -> SignedMessage:
    return sign_message("Post", {"text": "hello", "timestamp": NOW, **fields}, KEY, CHAIN)


def tampered(m: SignedMessage, **changes) -> bytes:
    obj = message_to_json(m)
    obj["message"].update(changes)
    return json.dumps(obj).encode()


def refusal(data, chain_id=CHAIN, **kw) -> InvalidMessage:
    with pytest.raises(InvalidMessage) as info:
        verify_message(data, chain_id, now=NOW, **kw)
    return info.value


# ---------------------------------------------------------------- round trips


def test_round_trip_and_fields():
    m = post(replyTo=b"\x01" * 32)
    wire = encode_message(m)
    assert b" " not in wire.replace(b"hello", b"")
    back = decode_message(wire)
    assert back == m and hash(back) == hash(m)
    assert back.fields == m.fields
    assert (
        back.text == "hello" and back.replyTo == b"\x01" * 32 and back.gate == "" and back.ciphertext == b""
    )
    assert back.author == ADDR == back.signer and not back.delegated
    assert back.sync_key == (NOW, m.id)
    with pytest.raises(AttributeError):
        back.nonexistent  # noqa: B018
    with pytest.raises(AttributeError):
        back.text = "changed"  # frozen


def test_decoding_is_lenient_where_harmless():
    m = sign_message("Follow", {"target": OTHER_ADDR, "timestamp": NOW}, KEY, CHAIN)
    obj = message_to_json(m)
    obj["message"]["target"] = OTHER_ADDR.lower()
    obj["message"] = dict(reversed(list(obj["message"].items())))
    sig = bytearray(m.signature)
    sig[64] -= 27  # v as 0/1
    obj["signature"] = "0x" + sig.hex()
    back = decode_message(json.dumps(obj, indent=2).encode())
    assert back.id == m.id and back.signature == m.signature
    del obj["chainId"]
    assert decode_message(json.dumps(obj), chain_id=CHAIN).id == m.id


def test_sign_fills_defaults_and_delegates():
    m = sign_message("Follow", {"target": OTHER_ADDR}, KEY, CHAIN)
    assert m.active is True and m.author == ADDR
    d = sign_message("Post", {"author": OTHER_ADDR, "text": "for you"}, KEY, CHAIN)
    assert d.author == OTHER_ADDR and d.signer == ADDR and d.delegated


def test_chain_id_is_in_the_digest():
    a = sign_message("Post", {"text": "x", "timestamp": NOW}, KEY, 1)
    b = sign_message("Post", {"text": "x", "timestamp": NOW}, KEY, 2)
    assert a.id != b.id


# ---------------------------------------------------------------- refusals


def test_bad_signature_when_a_field_is_changed():
    e = refusal(tampered(post(), text="hellO"))
    assert e.reason == Reason.BAD_SIGNATURE


def test_bad_signature_forms():
    m = post()
    obj = message_to_json(m)
    s = int.from_bytes(m.signature[32:64], "big")
    high = m.signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes((m.signature[64] ^ 1,))
    zero_s = m.signature[:32] + bytes(32) + m.signature[64:]
    spaced = "0x" + m.signature.hex()[:64] + " " + m.signature.hex()[65:]
    for sig in (
        "0x1234",
        "0x" + high.hex(),
        "0x" + (m.signature[:64] + b"\x05").hex(),
        "nothex",
        "0x" + zero_s.hex(),
        spaced,
        "0x" + m.signature.hex() + "00",
    ):
        obj["signature"] = sig
        assert refusal(json.dumps(obj)).reason == Reason.BAD_SIGNATURE, sig


def test_unknown_type():
    obj = message_to_json(post())
    obj["type"] = "Poll"
    assert refusal(json.dumps(obj)).reason == Reason.UNKNOWN_TYPE


def test_wrong_chain():
    m = sign_message("Post", {"text": "x", "timestamp": NOW}, KEY, 1)
    assert refusal(encode_message(m)).reason == Reason.WRONG_CHAIN
    assert refusal(m).reason == Reason.WRONG_CHAIN
    # a message without chainId, checked on another chain, does not verify
    obj = message_to_json(m)
    del obj["chainId"]
    assert refusal(json.dumps(obj)).reason == Reason.BAD_SIGNATURE


@pytest.mark.parametrize(
    "type_, fields",
    [
        ("Post", {"text": "x" * 1025}),
        ("Post", {"text": "é" * 513}),  # 1026 UTF-8 bytes
        ("Post", {"text": ""}),
        ("Post", {"text": "x", "gate": "g" * 2049}),
        ("Post", {"text": "x", "ciphertext": b"\0" * 65537}),
        ("Profile", {"field": "name", "value": "n" * 65}),
        ("Profile", {"field": "shoe size", "value": "44"}),
        ("Profile", {"field": "", "value": "x"}),
        ("Reaction", {"post": b"\1" * 32, "kind": ""}),
        ("Reaction", {"post": b"\1" * 32, "kind": "k" * 33}),
        ("SignerAdd", {"signer": "0x" + "11" * 20, "label": "l" * 65}),
        ("Follow", {"target": ADDR}),
        ("SignerAdd", {"signer": ADDR}),
    ],
)
def test_fields_out_of_bounds(type_, fields):
    with pytest.raises(InvalidMessage) as info:
        sign_message(type_, {"timestamp": NOW, **fields}, KEY, CHAIN)
    assert info.value.reason == Reason.FIELD_OUT_OF_BOUNDS


def test_out_of_bounds_on_the_wire_too():
    e = refusal(tampered(post(), text="x" * 2000))
    assert e.reason == Reason.FIELD_OUT_OF_BOUNDS and "text" in e.detail


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"timestamp": -1}, Reason.FIELD_OUT_OF_BOUNDS),
        ({"timestamp": 1 << 64}, Reason.FIELD_OUT_OF_BOUNDS),
        ({"timestamp": "1"}, Reason.BAD_FIELD),
        ({"timestamp": True}, Reason.BAD_FIELD),
        ({"author": "0x1234"}, Reason.BAD_FIELD),
        ({"author": ADDR[:10] + ADDR[10:].swapcase()}, Reason.BAD_FIELD),  # broken EIP-55 checksum
        ({"replyTo": "0x12"}, Reason.BAD_FIELD),
        ({"ciphertext": "0xzz"}, Reason.BAD_FIELD),
        ({"text": 5}, Reason.BAD_FIELD),
        ({"gate": "not json"}, Reason.BAD_FIELD),
        ({"gate": '{"all":[]}'}, Reason.BAD_FIELD),  # a gate without ciphertext
        ({"extra": 1}, Reason.UNKNOWN_FIELD),
    ],
)
def test_bad_fields(change, reason):
    assert refusal(tampered(post(), **change)).reason == reason


def test_missing_field_and_malformed():
    obj = message_to_json(post())
    del obj["message"]["gate"]
    assert refusal(json.dumps(obj)).reason == Reason.MISSING_FIELD
    assert refusal(b"{not json").reason == Reason.MALFORMED
    assert refusal(b"[1, 2]").reason == Reason.MALFORMED
    assert (
        refusal(b'{"type": "Post", "chainId": 31337, "message": [], "signature": "0x"}').reason
        == Reason.MALFORMED
    )


def test_future_timestamp():
    ok = post(timestamp=NOW + MAX_CLOCK_SKEW)
    assert verify_message(ok, CHAIN, now=NOW) is ok
    e = refusal(post(timestamp=NOW + MAX_CLOCK_SKEW + 1))
    assert e.reason == Reason.FUTURE_TIMESTAMP


def test_delegates():
    d = sign_message("Post", {"author": OTHER_ADDR, "text": "x", "timestamp": NOW}, KEY, CHAIN)
    assert refusal(d).reason == Reason.BAD_SIGNATURE
    assert verify_message(d, CHAIN, now=NOW, is_delegate=lambda a, s: (a, s) == (OTHER_ADDR, ADDR)) is d
    custody = sign_message(
        "SignerAdd", {"author": OTHER_ADDR, "signer": "0x" + "22" * 20, "timestamp": NOW}, KEY, CHAIN
    )
    assert refusal(custody, is_delegate=lambda a, s: True).reason == Reason.NOT_AUTHORIZED


def test_verify_batch_reports_in_order():
    good = post()
    items = [encode_message(good), b"junk", post(timestamp=NOW + 10_000), good]
    out = verify_batch(items, CHAIN, now=NOW)
    assert out[0] == good and out[3] is good
    assert isinstance(out[1], InvalidMessage) and out[1].reason == Reason.MALFORMED
    assert isinstance(out[2], InvalidMessage) and out[2].reason == Reason.FUTURE_TIMESTAMP


def test_bad_key():
    with pytest.raises(ValueError):
        sign_message("Post", {"text": "x"}, b"\1" * 31, CHAIN)
    with pytest.raises(InvalidMessage) as info:
        sign_message("Nope", {}, KEY, CHAIN)
    assert info.value.reason == Reason.UNKNOWN_TYPE


# ---------------------------------------------------------------- fast path == generic path

_text = st.text(max_size=40).filter(lambda s: len(s.encode()) <= 64)  # bounds are UTF-8 bytes (name, label)
_GATE = encode_gate(Balance(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", 10**18)).decode()
_addr = st.binary(min_size=20, max_size=20).map(checksum_address)
_b32 = st.binary(min_size=32, max_size=32)
_ts = st.integers(0, NOW)
_community = _b32.filter(any)
_FIELDS = {
    "Profile": st.fixed_dictionaries({"field": st.sampled_from(["name", "bio", "url"]), "value": _text}),
    "Follow": st.fixed_dictionaries({"target": _addr, "active": st.booleans()}),
    "Post": st.fixed_dictionaries({"text": st.text(min_size=1, max_size=60), "replyTo": _b32}).flatmap(
        lambda f: st.one_of(
            st.just({**f, "gate": "", "ciphertext": b""}),
            st.binary(min_size=28, max_size=40).map(
                lambda c: {**f, "gate": _GATE, "ciphertext": b"\x01" + c}
            ),
        )
    ),
    "KeyGrant": st.fixed_dictionaries(
        {
            "post": _b32,
            "recipient": _addr,
            "recipientKey": st.just(generate_keypair().public_key),
            "wrappedKey": st.binary(min_size=80, max_size=80).map(lambda b: b"\x02" + b),
        }
    ),
    "PostDelete": st.fixed_dictionaries({"post": _b32}),
    "Reaction": st.fixed_dictionaries(
        {"post": _b32, "kind": st.text(min_size=1, max_size=8), "active": st.booleans()}
    ),
    "SignerAdd": st.fixed_dictionaries({"signer": _addr, "label": _text}),
    "SignerRemove": st.fixed_dictionaries({"signer": _addr}),
    "Charter": st.fixed_dictionaries(
        {
            "handle": st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True),
            "field": st.sampled_from(["name", "about", "rules"]),
            "value": _text,
        }
    ),
    "Membership": st.fixed_dictionaries({"community": _community, "active": st.booleans()}),
    "CommunityReaction": st.fixed_dictionaries(
        {
            "community": _community,
            "post": _b32,
            "kind": st.text(min_size=1, max_size=8),
            "active": st.booleans(),
        }
    ),
    "Mute": st.fixed_dictionaries({"target": _addr, "active": st.booleans()}),
    "Block": st.fixed_dictionaries({"target": _addr, "active": st.booleans()}),
    "ReplyHide": st.fixed_dictionaries({"post": _b32, "active": st.booleans()}),
    "ModHide": st.fixed_dictionaries(
        {
            "community": _community,
            "post": _b32,
            "reason": st.text(min_size=1, max_size=40),
            "active": st.booleans(),
        }
    ),
    "Disclosure": st.fixed_dictionaries({"post": _b32, "paidBy": _addr}),
}
_FIELDS["CommunityPost"] = st.tuples(_community, _FIELDS["Post"]).map(
    lambda cp: {"community": cp[0], **cp[1]}
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    type_=st.sampled_from(sorted(TYPES)),
    data=st.data(),
    ts=_ts,
    chain_id=st.sampled_from([1, 31337, 8453]),
    key=st.integers(1, SECP256K1_N - 1),
)
def test_fast_path_agrees_with_eth_account(type_, data, ts, chain_id, key):
    fields = data.draw(_FIELDS[type_])
    k = key.to_bytes(32, "big")
    m = sign_message(type_, {**fields, "timestamp": ts}, k, chain_id)
    td = typed_data(type_, m.fields, chain_id)
    signable = encode_typed_data(full_message=td)
    assert keccak(b"\x19" + signable.version + signable.header + signable.body) == m.id
    assert Account.recover_message(signable, signature=m.signature) == m.signer == m.author
    back = decode_message(encode_message(m))
    assert back == m and back.fields == m.fields and back.signer == m.signer


# ---------------------------------------------------------------- exclusive content


def _gated(**change):
    fields = {"text": "", "gate": _GATE, "ciphertext": b"\x01" + bytes(40), "timestamp": NOW}
    fields.update(change)
    return sign_message("Post", fields, KEY, CHAIN)


def test_gated_post_needs_canonical_gate_and_a_content_blob():
    assert _gated().gate == _GATE
    loose = _GATE.replace('","', '", "')  # same gate, not canonical
    for change, field in (
        ({"gate": loose}, "gate"),
        ({"gate": '{"type":"balance"}'}, "gate."),
        ({"ciphertext": b"\x02" + bytes(40)}, "ciphertext"),
        ({"ciphertext": b"\x01" + bytes(27)}, "ciphertext"),
        ({"gate": "", "text": "x"}, "gate"),
        ({"ciphertext": b"", "text": "x"}, "gate"),
    ):
        with pytest.raises(InvalidMessage) as info:
            _gated(**change)
        assert info.value.reason == Reason.BAD_FIELD and field in info.value.detail, (change, info.value)


def test_key_grant_rules():
    pub = generate_keypair().public_key
    ok = {
        "post": b"\1" * 32,
        "recipient": OTHER_ADDR,
        "recipientKey": pub,
        "wrappedKey": b"\x02" + bytes(80),
        "timestamp": NOW,
    }
    assert sign_message("KeyGrant", ok, KEY, CHAIN).wrappedKey == ok["wrappedKey"]
    for change, field in (
        ({"wrappedKey": b"\x02" + bytes(79)}, "wrappedKey"),
        ({"wrappedKey": b"\x03" + bytes(80)}, "wrappedKey"),
        ({"recipientKey": bytes(32)}, "recipientKey"),  # a low-order point: readable by anyone
    ):
        with pytest.raises(InvalidMessage) as info:
            sign_message("KeyGrant", {**ok, **change}, KEY, CHAIN)
        assert info.value.reason == Reason.BAD_FIELD and field in info.value.detail


def test_key_grant_of_the_retired_ecies_is_refused_with_its_reason():
    """Version 1 (hand-written ECIES) predates HPKE; pre-release, no reader is kept for it."""
    fields = {
        "post": b"\1" * 32,
        "recipient": OTHER_ADDR,
        "recipientKey": generate_keypair().public_key,
        "wrappedKey": b"\x01" + bytes(80),
        "timestamp": NOW,
    }
    with pytest.raises(InvalidMessage) as info:
        sign_message("KeyGrant", fields, KEY, CHAIN)
    assert info.value.reason == Reason.BAD_FIELD
    assert (
        "version 2 (HPKE)" in info.value.detail
        and "version 1" in info.value.detail
        and "retired" in info.value.detail
    )


def test_profile_encryption_key():
    pub = "0x" + generate_keypair().public_key.hex()
    assert sign_message("Profile", {"field": "encryptionKey", "value": pub, "timestamp": NOW}, KEY, CHAIN)
    assert sign_message("Profile", {"field": "encryptionKey", "value": "", "timestamp": NOW}, KEY, CHAIN)
    for bad in (pub.upper().replace("0X", "0x"), "0x" + "00" * 32, pub[:-2]):
        with pytest.raises(InvalidMessage) as info:
            sign_message("Profile", {"field": "encryptionKey", "value": bad, "timestamp": NOW}, KEY, CHAIN)
        assert info.value.reason == Reason.BAD_FIELD
