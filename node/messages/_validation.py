"""Pure validation rules. Each raises :class:`~node.errors.InvalidMessage` naming the field.

Field coercers accept a field's JSON form (addresses and bytes as ``0x``-hex strings) and its
Python form (``bytes``), and return the normalised Python value that :class:`SignedMessage`
holds. They run once, where a message enters the node.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InvalidGate, InvalidInput, InvalidMessage
from ._crypto import SECP256K1_HALF_N, checksum_address
from ._model import Reason
from ._types import CHARTER_FIELDS, MAX_CLOCK_SKEW, PROFILE_FIELDS, Field, MessageType
from .community import HANDLE, MAX_MODERATORS, MAX_TOPICS, TOPIC, address_order, split_list
from .gate import parse_gate
from .kinds import ADDRESS, BOOL, BYTES, BYTES32, STRING, UINT64
from .sealed import (
    CONTENT_VERSION,
    GRANT_BYTES,
    GRANT_VERSION,
    MIN_CONTENT_BYTES,
    RETIRED_V1,
    load_public_key,
)

_U64 = 1 << 64
_ZERO32 = bytes(32)


def _bad(title: str, what: str) -> InvalidMessage:
    return InvalidMessage(Reason.BAD_FIELD, f"{title}: {what}")


def _oob(title: str, what: str) -> InvalidMessage:
    return InvalidMessage(Reason.FIELD_OUT_OF_BOUNDS, f"{title}: {what}")


def _hex_bytes(value: Any, title: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if type(value) is not str or not value.startswith("0x"):
        raise _bad(title, "expected 0x-prefixed hex")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise _bad(title, "not valid hex") from None
    if len(value) != 2 + 2 * len(raw):  # fromhex skips whitespace; the wire form has none
        raise _bad(title, "not valid hex")
    return raw


def normalize_address(value: object, title: str = "address") -> str:
    """The node's one address rule: the EIP-55 form of 20 bytes, or of ``0x`` and 40 hex digits
    (all lower case, all upper case, or mixed case with a valid EIP-55 checksum).

    Raises :class:`~node.errors.InvalidInput` naming ``title`` (the caller's parameter) and
    saying what is wrong; :func:`coerce_address` words it as a message field's fault.
    """
    if isinstance(value, bytes):
        if len(value) != 20:
            raise InvalidInput(f"{title}: an address is 20 bytes")
        return checksum_address(value)
    if type(value) is not str or len(value) != 42 or not value.startswith("0x"):
        raise InvalidInput(f"{title}: expected a 0x-prefixed 20-byte hex address")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise InvalidInput(f"{title}: not valid hex") from None
    checksummed = checksum_address(raw)
    if value != checksummed:
        body = value[2:]
        if body != body.lower() and body != body.upper():
            raise InvalidInput(f"{title}: mixed-case address with a wrong EIP-55 checksum")
    return checksummed


def coerce_address(value: Any, title: str) -> str:
    """:func:`normalize_address` for the message field ``title`` (``bad_field`` when it fails)."""
    try:
        return normalize_address(value, title)
    except InvalidInput as exc:
        raise InvalidMessage(Reason.BAD_FIELD, str(exc)) from None


def coerce_uint64(value: Any, title: str) -> int:
    if type(value) is not int:
        raise _bad(title, "expected an integer")
    if not 0 <= value < _U64:
        raise _oob(title, "not a uint64")
    return value


def coerce_bool(value: Any, title: str) -> bool:
    if type(value) is not bool:
        raise _bad(title, "expected true or false")
    return value


def coerce_bytes32(value: Any, title: str) -> bytes:
    raw = _hex_bytes(value, title)
    if len(raw) != 32:
        raise _bad(title, "expected 32 bytes")
    return raw


def _coerce_string(f: Field) -> Callable[[Any, str], str]:
    limit, nonempty = f.max_len, f.nonempty

    def coerce_string(value: Any, title: str) -> str:
        if type(value) is not str:
            raise _bad(title, "expected a string")
        try:
            n = len(value.encode())
        except UnicodeEncodeError:
            # A lone surrogate: not Unicode, so not JSON text (as the wire decoder says).
            raise InvalidMessage(Reason.MALFORMED, f"{title}: not Unicode text (a lone surrogate)") from None
        if limit and n > limit:
            raise _oob(title, f"{n} bytes, at most {limit} allowed")
        if nonempty and not n:
            raise _oob(title, "must not be empty")
        return value

    return coerce_string


def _coerce_bytes(f: Field) -> Callable[[Any, str], bytes]:
    limit = f.max_len

    def coerce_bytes(value: Any, title: str) -> bytes:
        raw = _hex_bytes(value, title)
        if limit and len(raw) > limit:
            raise _oob(title, f"{len(raw)} bytes, at most {limit} allowed")
        return raw

    return coerce_bytes


def field_coercer(f: Field) -> Callable[[Any, str], Any]:
    """The coercer for one declared field."""
    if f.kind == ADDRESS:
        return coerce_address
    if f.kind == UINT64:
        return coerce_uint64
    if f.kind == BOOL:
        return coerce_bool
    if f.kind == BYTES32:
        return coerce_bytes32
    if f.kind == STRING:
        return _coerce_string(f)
    if f.kind == BYTES:
        return _coerce_bytes(f)
    raise AssertionError(f"unknown field kind {f.kind}")  # pragma: no cover


# ---------------------------------------------------------------- per-type rules


def _field_value(values: Mapping[str, Any], fields: Mapping[str, int], what: str) -> tuple[str, str]:
    """The ``field`` and ``value`` of a field-wise message (a profile, a charter): a known
    field, a value within that field's bound."""
    name = values["field"]
    limit = fields.get(name)
    if limit is None:
        raise _oob("field", f"unknown {what} field {name!r} (known: {', '.join(fields)})")
    value: str = values["value"]
    n = len(value.encode())
    if n > limit:
        raise _oob("value", f"{n} bytes, at most {limit} allowed for {name!r}")
    return name, value


def _validate_profile(values: Mapping[str, Any]) -> None:
    name, value = _field_value(values, PROFILE_FIELDS, "profile")
    if name == "encryptionKey" and value:
        if not _X25519_HEX.fullmatch(value):
            raise _bad("value", "an encryptionKey is 0x and 64 lowercase hex digits (an X25519 public key)")
        try:
            load_public_key(bytes.fromhex(value[2:]))
        except InvalidInput as exc:
            raise _bad("value", str(exc)) from None


_X25519_HEX = re.compile(r"0x[0-9a-f]{64}")


def _validate_charter(values: Mapping[str, Any]) -> None:
    if not HANDLE.fullmatch(values["handle"]):
        raise _bad("handle", "a handle is 1-32 lower-case letters, digits and inner hyphens")
    name, value = _field_value(values, CHARTER_FIELDS, "charter")
    if not value:
        return
    if name == "topics":
        tags = split_list(value)
        if len(tags) > MAX_TOPICS or not all(TOPIC.fullmatch(t) for t in tags):
            raise _bad(
                "value", f"topics are up to {MAX_TOPICS} tags of 1-32 lower-case letters, digits and hyphens"
            )
        if tags != sorted(set(tags)):
            raise _bad("value", "topics are listed once each, sorted, comma-separated")
    elif name == "moderators":
        listed = split_list(value)
        if len(listed) > MAX_MODERATORS:
            raise _oob("value", f"at most {MAX_MODERATORS} moderators")
        addresses = [coerce_address(a, "value") for a in listed]
        if addresses != listed or addresses != sorted(set(addresses), key=address_order):
            raise _bad("value", "moderators are EIP-55 addresses listed once each, sorted by their bytes")
        if values["author"] in addresses:
            raise _bad("value", "the founder is always a moderator and is not listed")
    elif name == "collective":
        if coerce_address(value, "value") != value:
            raise _bad("value", "the collective is an EIP-55 address")
    elif name == "gate":
        _check_gate(value, "value")


def _check_gate(gate: str, field: str = "") -> None:
    """Refuse ``gate`` unless it is a gate in canonical form; the error names the gate's part
    at fault, inside ``field`` when the gate is a field's value (a charter's)."""
    try:
        parse_gate(gate)  # canonical form only: one gate, one encoding, one AAD
    except InvalidGate as exc:
        raise _bad(f"{field}: {exc.field}" if field else exc.field, exc.detail) from None


def _community(values: Mapping[str, Any]) -> None:
    if values["community"] == _ZERO32:
        raise _bad("community", "a community's id, not zero")


def _validate_community_post(values: Mapping[str, Any]) -> None:
    _community(values)
    _validate_post(values)


def _validate_mod_hide(values: Mapping[str, Any]) -> None:
    _community(values)
    if values["active"] and not values["reason"]:
        raise _oob("reason", "a hide says why")


def _validate_target(values: Mapping[str, Any]) -> None:
    if values["target"] == values["author"]:
        raise _oob("target", "cannot follow, mute or block oneself")


def _validate_disclosure(values: Mapping[str, Any]) -> None:
    if values["paidBy"] == values["author"]:
        raise _oob("paidBy", "a paid partnership names who paid, not the author")


def _validate_post(values: Mapping[str, Any]) -> None:
    ciphertext = values["ciphertext"]
    if not values["text"] and not ciphertext:
        raise _oob("text", "a post needs text or ciphertext")
    gate = values["gate"]
    if bool(gate) != bool(ciphertext):
        raise _bad("gate", "a gate and a ciphertext go together: both or neither")
    if gate:
        _check_gate(gate)
        if ciphertext[0] != CONTENT_VERSION or len(ciphertext) < MIN_CONTENT_BYTES:
            raise _bad(
                "ciphertext",
                f"a content blob starts with version {CONTENT_VERSION} and is at least {MIN_CONTENT_BYTES} bytes",
            )


def _validate_key_grant(values: Mapping[str, Any]) -> None:
    wrapped = values["wrappedKey"]
    if len(wrapped) != GRANT_BYTES or wrapped[0] != GRANT_VERSION:
        retired = f"; {RETIRED_V1}" if wrapped[:1] == b"\x01" else ""
        raise _bad(
            "wrappedKey",
            f"a wrapped key is {GRANT_BYTES} bytes starting with version {GRANT_VERSION} (HPKE){retired}",
        )
    try:
        load_public_key(values["recipientKey"])
    except InvalidInput as exc:
        raise _bad("recipientKey", str(exc)) from None


def _validate_signer(values: Mapping[str, Any]) -> None:
    if values["signer"] == values["author"]:
        raise _oob("signer", "the author's own key is always a signer")


#: Cross-field rules by type name; a type without an entry has none.
TYPE_RULES: Mapping[str, Callable[[Mapping[str, Any]], None]] = {
    "Profile": _validate_profile,
    "Post": _validate_post,
    "Follow": _validate_target,
    "SignerAdd": _validate_signer,
    "SignerRemove": _validate_signer,
    "KeyGrant": _validate_key_grant,
    "Charter": _validate_charter,
    "Membership": _community,
    "CommunityPost": _validate_community_post,
    "CommunityReaction": _community,
    "Mute": _validate_target,
    "Block": _validate_target,
    "ModHide": _validate_mod_hide,
    "Disclosure": _validate_disclosure,
}


def validate_type_rules(t: MessageType, values: Mapping[str, Any]) -> None:
    rule = TYPE_RULES.get(t.name)
    if rule is not None:
        rule(values)


def validate_timestamp(timestamp: int, now: float) -> None:
    """Refuse a timestamp more than :data:`MAX_CLOCK_SKEW` seconds ahead of ``now``."""
    if timestamp > now + MAX_CLOCK_SKEW:
        raise InvalidMessage(
            Reason.FUTURE_TIMESTAMP,
            f"timestamp {timestamp} is {timestamp - int(now)} s ahead (at most {MAX_CLOCK_SKEW} s allowed)",
        )


def validate_signature(sig: bytes) -> bytes:
    """A canonical 65-byte ``r||s||v``: v is 27 or 28 (0/1 accepted and normalised), s is low."""
    if len(sig) != 65:
        raise InvalidMessage(Reason.BAD_SIGNATURE, f"signature is {len(sig)} bytes, expected 65")
    v = sig[64]
    if v in (0, 1):
        sig = sig[:64] + bytes((v + 27,))
    elif v not in (27, 28):
        raise InvalidMessage(Reason.BAD_SIGNATURE, f"signature v is {v}, expected 27 or 28")
    s = int.from_bytes(sig[32:64], "big")
    if s == 0 or s > SECP256K1_HALF_N:
        raise InvalidMessage(Reason.BAD_SIGNATURE, "signature s is zero or high (malleable form)")
    return sig
