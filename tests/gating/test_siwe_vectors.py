"""The EIP-4361 parser against the SIWE reference parsing vectors (tests/vectors/siwe/, from
spruceid/siwe): every positive vector parses to its fields, every negative one is refused for
its own reason, and each deliberate difference is listed here with why."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from node.errors import ChallengeRefused
from node.gating import SiweMessage

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "siwe"
POSITIVE: dict[str, dict[str, Any]] = json.loads((VECTORS / "parsing_positive.json").read_text())
NEGATIVE: dict[str, str] = json.loads((VECTORS / "parsing_negative.json").read_text())
NEGATIVE_OBJECTS: dict[str, dict[str, Any]] = json.loads(
    (VECTORS / "parsing_negative_objects.json").read_text()
)

#: Positive vectors we refuse on purpose, and why (also in node.gating.siwe's docstring).
#: A ``user@`` before the host is legal in an RFC 3986 authority, but a wallet showing
#: "test@127.0.0.1 wants you to sign in" invites phishing ("paypal.com@evil.example"), and a
#: Mecenate node's own domain never has one, so a challenge carrying one is refused.
REFUSED_ON_PURPOSE = {
    "domain is RFC 3986 authority with userinfo": "domain",
    "domain is RFC 3986 authority with userinfo and port": "domain",
}
#: Negative object vectors we accept on purpose: our constructor defaults ``version`` to "1",
#: the only value EIP-4361 allows, so leaving it out builds the same message. (The text form
#: without its "Version:" line is refused, as the text vectors require.)
ACCEPTED_ON_PURPOSE = {"missing version"}

#: What each negative vector's refusal must name: proof it is refused for its own fault.
NEGATIVE_REASON = {
    "missing domain": "domain",
    "missing address": "address",
    "missing uri": "'URI:'",
    "missing version": "'Version:'",
    "missing chainId": "'Chain ID:'",
    "missing nonce": "'Nonce:'",
    "missing issuedAt": "'Issued At:'",
    "out of order uri": "'URI:'",
    "out of order version": "'Version:'",
    "out of order chainId": "'Chain ID:'",
    "out of order nonce": "'Nonce:'",
    "out of order issuedAt": "'Issued At:'",
    "out of order expirationTime": "line 12",
    "out of order notBefore": "line 13",
    "out of order requestId": "line 15",
    "out of order resources": "line 14",
    "domain not RFC4501 authority": "domain",
    "address not EIP-55": "EIP-55",
    "statement has line break": "statement",
    "uri is non-RFC 3986": "uri",
    "version not 1": "version",
    "not a valid chainId": "chain id",
    "nonce with less then 8 chars": "nonce",
    "non-ISO 8601 issuedAt": "Issued At",
    "non-ISO 8601 expirationTime": "Expiration Time",
    "non-ISO 8601 notBefore": "Not Before",
    "resources not separated by line break": "resources[0]",
    "first resource not-RFC 3986": "resources[0]",
    "second resource is not-RFC3986": "resources[1]",
}

_FIELDS = {
    "domain": "domain",
    "address": "address",
    "statement": "statement",
    "uri": "uri",
    "version": "version",
    "chainId": "chain_id",
    "nonce": "nonce",
    "issuedAt": "issued_at",
    "expirationTime": "expiration_time",
    "notBefore": "not_before",
    "requestId": "request_id",
    "resources": "resources",
    "scheme": "scheme",
}
_TIMES = {"issuedAt", "expirationTime", "notBefore"}


def _instant(text: str) -> datetime:
    """An RFC 3339 timestamp from a vector, as an aware datetime (Python 3.11 reads them all)."""
    return datetime.fromisoformat(text)


def test_every_vector_is_accounted_for() -> None:
    assert set(NEGATIVE_REASON) == set(NEGATIVE)
    assert set(REFUSED_ON_PURPOSE) <= set(POSITIVE) and set(NEGATIVE_OBJECTS) >= ACCEPTED_ON_PURPOSE
    assert all(set(v["fields"]) <= set(_FIELDS) for v in POSITIVE.values())


@pytest.mark.parametrize("name", [n for n in POSITIVE if n not in REFUSED_ON_PURPOSE])
def test_positive_vector_parses_to_its_fields(name: str) -> None:
    vector = POSITIVE[name]
    parsed = SiweMessage.parse(vector["message"])
    for field, expected in vector["fields"].items():
        got = getattr(parsed, _FIELDS[field])
        if field in _TIMES:
            assert got == _instant(expected), field  # the same instant; we keep it in UTC
        elif field == "resources":
            assert got == tuple(expected), field
        else:
            assert got == expected, field
    for field in set(_FIELDS) - set(vector["fields"]) - {"scheme", "version"}:
        assert getattr(parsed, _FIELDS[field]) in (None, ()), field  # absent stays absent


@pytest.mark.parametrize("name", sorted(REFUSED_ON_PURPOSE))
def test_positive_vectors_we_refuse_on_purpose(name: str) -> None:
    with pytest.raises(ChallengeRefused) as info:
        SiweMessage.parse(POSITIVE[name]["message"])
    assert info.value.reason == "malformed" and REFUSED_ON_PURPOSE[name] in info.value.detail


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative_vector_is_refused_for_its_reason(name: str) -> None:
    with pytest.raises(ChallengeRefused) as info:
        SiweMessage.parse(NEGATIVE[name])
    assert info.value.reason == "malformed"
    assert NEGATIVE_REASON[name] in info.value.detail, info.value.detail


def _build(fields: dict[str, Any]) -> SiweMessage:
    """Our constructor from a vector's object, timestamps converted (a non-RFC 3339 one fails here)."""
    values: dict[str, Any] = {}
    for field, value in fields.items():
        if field in _TIMES:
            value = _instant(value)
        elif field == "resources":
            value = tuple(value)
        values[_FIELDS[field]] = value
    return SiweMessage(**values)


@pytest.mark.parametrize("name", sorted(set(NEGATIVE_OBJECTS) - ACCEPTED_ON_PURPOSE))
def test_negative_object_vector_is_refused(name: str) -> None:
    missing = re.fullmatch(r"missing (\w+)", name)
    # a missing required field is a TypeError (no such argument); a bad value a ValueError naming it
    with pytest.raises(TypeError if missing else ValueError):
        _build(NEGATIVE_OBJECTS[name])


def test_negative_object_vectors_we_accept_on_purpose() -> None:
    for name in ACCEPTED_ON_PURPOSE:
        assert _build(NEGATIVE_OBJECTS[name]).version == "1"
