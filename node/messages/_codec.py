"""The wire form, signing and verification.

Wire form (one canonical JSON text per message, UTF-8, no whitespace, keys in this order)::

    {"type":"Follow","chainId":31337,
     "message":{"author":"0x…","timestamp":1767225600,"target":"0x…","active":true},
     "signature":"0x<r 32 bytes><s 32 bytes><v 1 byte, 27 or 28>"}

``message`` holds every field of the type, in declaration order, addresses checksummed,
``bytes``/``bytes32`` as lowercase ``0x``-hex. The HTTP API accepts this JSON, the JSONL
export writes one per line, and p2p frames carry it. Decoding is lenient where it is harmless
(any key order, lowercase addresses, v as 0/1) and strict where it matters (every field
present, no unknown field, bounds, low-s signatures).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec

from ..errors import InvalidMessage
from ._crypto import (
    checksum_address,
    keccak_256,
    private_key_to_address,
    recover_address,
    sign_digest,
)
from ._eip712 import STRUCT_HASHERS, digest_prefix, message_digest
from ._fast import FAST
from ._model import Reason, SignedMessage
from ._types import CUSTODY_TYPES, MAX_CLOCK_SKEW, TYPES
from ._validation import (
    _hex_bytes,
    field_coercer,
    validate_signature,
    validate_timestamp,
    validate_type_rules,
)

#: Largest wire form accepted (a post at every bound, hex-encoded, fits with room).
MAX_WIRE_BYTES = 160_000

_PLANS: Mapping[str, tuple[tuple[str, Callable[[Any, str], Any]], ...]] = {
    name: tuple((f.name, field_coercer(f)) for f in t.fields) for name, t in TYPES.items()
}
_HEX_KINDS = frozenset({"bytes", "bytes32"})
_HEX_FIELDS: Mapping[str, tuple[str, ...]] = {
    name: tuple(f.name for f in t.fields if f.kind in _HEX_KINDS) for name, t in TYPES.items()
}
# Recently recovered signers, by digest. The same message often arrives several times (gossip
# from each peer, the API and sync); recovery is a pure function of (digest, signature), so a
# copy with byte-identical signature skips it. Two generations of at most _VERIFIED_GENERATION
# entries each: when the young one fills, it becomes the old one and the old one is dropped.
_VERIFIED_GENERATION = 16_384
_verified: dict[bytes, tuple[bytes, str]] = {}
_verified_older: dict[bytes, tuple[bytes, str]] = {}


def _remember(digest: bytes, sig: bytes, signer: str) -> None:
    global _verified, _verified_older
    if len(_verified) >= _VERIFIED_GENERATION:
        _verified_older, _verified = _verified, {}
    _verified[digest] = (sig, signer)


def forget_verified() -> None:
    """Empty the recovered-signer cache (benchmarks measure recovery, not the cache)."""
    global _verified, _verified_older
    _verified, _verified_older = {}, {}


_dumps = msgspec.json.encode  # compact, UTF-8, keys in insertion order
_loads = msgspec.json.decode  # strict RFC 8259 (no NaN, no lone surrogates); errors are ValueError


def _malformed(detail: str) -> InvalidMessage:
    return InvalidMessage(Reason.MALFORMED, detail)


def _coerce_fields(type_name: str, msg: Any) -> dict[str, Any]:
    if type(msg) is not dict:
        raise _malformed('"message" must be a JSON object')
    plan = _PLANS[type_name]
    try:
        values = {name: coerce(msg[name], name) for name, coerce in plan}
    except KeyError as exc:
        raise InvalidMessage(Reason.MISSING_FIELD, f"{type_name} needs field {exc.args[0]!r}") from None
    if len(msg) != len(plan):
        extra = sorted(set(msg) - set(values))
        raise InvalidMessage(
            Reason.UNKNOWN_FIELD, f"{type_name} has no field(s) {', '.join(map(repr, extra))}"
        )
    validate_type_rules(TYPES[type_name], values)
    return values


def message_from_json(obj: Any, chain_id: int | None = None) -> SignedMessage:
    """Like :func:`decode_message`, from already-parsed JSON (a ``dict``)."""
    if type(obj) is not dict:
        raise _malformed("a message is a JSON object")
    type_name = obj.get("type")
    if type(type_name) is not str or type_name not in _PLANS:
        raise InvalidMessage(Reason.UNKNOWN_TYPE, f"unknown message type {type_name!r}")
    cid = obj.get("chainId", chain_id)
    if cid is None:
        raise InvalidMessage(Reason.MISSING_FIELD, '"chainId" is missing')
    if type(cid) is not int or cid <= 0:
        raise _malformed('"chainId" must be a positive integer')
    if chain_id is not None and cid != chain_id:
        raise InvalidMessage(Reason.WRONG_CHAIN, f"signed for chain {cid}, this node is on chain {chain_id}")
    msg = obj.get("message")
    fast = FAST[type_name](msg) if type(msg) is dict else None
    if fast is None:  # something unusual: the generic path says what, or accepts it after all
        values = _coerce_fields(type_name, msg)
        struct_hash = STRUCT_HASHERS[type_name](values)
    else:
        values, struct_hash = fast
    text = obj.get("signature")
    if text is None:
        raise InvalidMessage(Reason.MISSING_FIELD, '"signature" is missing')
    try:
        sig = validate_signature(_hex_bytes(text, "signature"))
    except InvalidMessage as exc:
        raise InvalidMessage(Reason.BAD_SIGNATURE, exc.detail) from None
    digest = keccak_256(digest_prefix(cid) + struct_hash).digest()
    known = _verified.get(digest) or _verified_older.get(digest)
    if known is not None and known[0] == sig:
        signer = known[1]
    else:
        try:
            signer = checksum_address(recover_address(digest, sig))
        except ValueError:
            raise InvalidMessage(Reason.BAD_SIGNATURE, "signature does not recover to a key") from None
        _remember(digest, sig, signer)
    return SignedMessage(type_name, cid, digest, values["author"], values["timestamp"], values, sig, signer)


def decode_message(data: bytes | str, chain_id: int | None = None) -> SignedMessage:
    """Parse one wire-form message, check its structure and bounds, and recover its signer.

    The chain id is the message's ``chainId``; a caller that knows its chain passes
    ``chain_id`` (used when the JSON omits it; a different one raises ``wrong_chain``).
    Raises :class:`~node.errors.InvalidMessage` on any defect. Whether the recovered signer
    may speak for the author, and whether the timestamp is too far ahead, is for
    :func:`verify_message` (or the store) to decide.
    """
    if len(data) > MAX_WIRE_BYTES:
        raise _malformed(f"message is {len(data)} bytes, at most {MAX_WIRE_BYTES} allowed")
    try:
        obj = _loads(data)
    except ValueError as exc:
        raise _malformed(f"not JSON: {exc}") from None
    return message_from_json(obj, chain_id)


def message_to_json(m: SignedMessage) -> dict[str, Any]:
    """The wire form as a JSON-ready ``dict``. (Every message the API shows is built here: the
    fields are copied whole and the few ``bytes`` ones rewritten, not each field tested.)"""
    message = dict(m.fields)
    for k in _HEX_FIELDS[m.type]:
        message[k] = "0x" + message[k].hex()
    return {
        "type": m.type,
        "chainId": m.chain_id,
        "message": message,
        "signature": "0x" + m.signature.hex(),
    }


def encode_message(m: SignedMessage) -> bytes:
    """The canonical wire form: compact JSON, UTF-8. ``decode_message`` inverts it."""
    return _dumps(message_to_json(m))


def _private_key_bytes(private_key: bytes | str) -> bytes:
    if isinstance(private_key, str):
        private_key = bytes.fromhex(private_key.removeprefix("0x"))
    if len(private_key) != 32:
        raise ValueError("a private key is 32 bytes")
    return private_key


def sign_message(
    type: str, fields: Mapping[str, Any], private_key: bytes | str, chain_id: int
) -> SignedMessage:
    """Sign a message of ``type`` with ``private_key`` for ``chain_id``.

    ``fields`` may leave out ``author`` (the key's own address), ``timestamp`` (now) and any
    field with a default in the type table (``replyTo``, ``gate``, ``ciphertext``, ``active``,
    ``label``). Give ``author`` to sign as a delegate for another user. Raises
    :class:`~node.errors.InvalidMessage` when a field is missing, unknown or out of bounds,
    and ``ValueError`` when the key is not 32 bytes.
    """
    t = TYPES.get(type)
    if t is None:
        raise InvalidMessage(Reason.UNKNOWN_TYPE, f"unknown message type {type!r}")
    key = _private_key_bytes(private_key)
    own = checksum_address(private_key_to_address(key))
    full = {"author": own, "timestamp": int(time.time())}
    full.update({f.name: f.default for f in t.fields if f.default is not None})
    full.update(fields)
    values = _coerce_fields(type, full)
    digest = message_digest(type, values, chain_id)
    sig = sign_digest(digest, key)
    return SignedMessage(type, chain_id, digest, values["author"], values["timestamp"], values, sig, own)


def verify_message(
    m: SignedMessage | bytes | str,
    chain_id: int,
    *,
    now: float | None = None,
    is_delegate: Callable[[str, str], bool] | None = None,
) -> SignedMessage:
    """Check a message fully against ``chain_id`` and the clock, and return it decoded.

    A message signed by a key other than the author's passes only if ``is_delegate(author,
    signer)`` says so, and never for ``SignerAdd``/``SignerRemove``. Raises
    :class:`~node.errors.InvalidMessage` (``wrong_chain``, ``future_timestamp``,
    ``bad_signature``, ``not_authorized``, or any decoding reason).
    """
    checked = verify_batch([m], chain_id, now=now)[0]
    if isinstance(checked, InvalidMessage):
        raise checked
    if checked.signer != checked.author and (
        is_delegate is None or not is_delegate(checked.author, checked.signer)
    ):
        raise InvalidMessage(
            Reason.BAD_SIGNATURE, f"signed by {checked.signer}, not by {checked.author} or a delegate"
        )
    return checked


def verify_batch(
    items: Iterable[SignedMessage | bytes | str], chain_id: int, *, now: float | None = None
) -> list[SignedMessage | InvalidMessage]:
    """Decode and check many messages: the hot path of ingest.

    For each item, in order, the decoded message or the :class:`InvalidMessage` it raised.
    Checks everything :func:`verify_message` does except a delegate's authority, which needs
    the store's signer table: a result whose ``signer != author`` still needs that check.
    """
    now = time.time() if now is None else now
    latest = now + MAX_CLOCK_SKEW
    out: list[SignedMessage | InvalidMessage] = []
    append = out.append
    for item in items:
        try:
            if isinstance(item, SignedMessage):
                if item.chain_id != chain_id:
                    raise InvalidMessage(
                        Reason.WRONG_CHAIN,
                        f"signed for chain {item.chain_id}, this node is on chain {chain_id}",
                    )
                m = item
            else:
                m = decode_message(item, chain_id)
            if m.timestamp > latest:
                validate_timestamp(m.timestamp, now)  # raises, with the words
            if m.signer != m.author and m.type in CUSTODY_TYPES:
                raise InvalidMessage(Reason.NOT_AUTHORIZED, f"only {m.author} may sign {m.type}")
            append(m)
        except InvalidMessage as exc:
            append(exc)
    return out
