"""EIP-712 hashing, specialised to our types.

``digest = keccak256(0x1901 || domainSeparator(chainId) || hashStruct(message))`` with
``hashStruct(s) = keccak256(typeHash || encodeData(s))``. The domain separator (one per chain
id) and the type hashes are computed once; each message is then a few keccaks over a direct
byte concatenation, instead of the generic typed-data encoder (which re-parses the type
strings of every message and is several times slower).

:func:`typed_data` returns the same message as the standard EIP-712 JSON document (types,
primaryType, domain, message), which any wallet or generic encoder signs to the same digest;
the tests check that both paths agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from ._crypto import keccak
from ._types import (
    ADDRESS,
    BOOL,
    BYTES,
    BYTES32,
    DOMAIN_NAME,
    DOMAIN_VERSION,
    STRING,
    TYPES,
    UINT64,
    MessageType,
)

DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId)"
_DOMAIN_TYPEHASH = keccak(DOMAIN_TYPE.encode())
_PREFIX = b"\x19\x01"
_ZERO12 = bytes(12)
_TRUE = (1).to_bytes(32, "big")
_FALSE = bytes(32)
_EMPTY_HASH = keccak(b"")

TYPE_HASHES: Mapping[str, bytes] = {name: keccak(t.encode_type.encode()) for name, t in TYPES.items()}


@lru_cache(maxsize=64)
def digest_prefix(chain_id: int) -> bytes:
    """``0x1901 || domainSeparator``: what every digest of ``chain_id`` starts with."""
    return _PREFIX + domain_separator(chain_id)


@lru_cache(maxsize=64)
def domain_separator(chain_id: int) -> bytes:
    """``hashStruct(EIP712Domain{name: "Mecenate", version: "1", chainId})``."""
    return keccak(
        _DOMAIN_TYPEHASH
        + keccak(DOMAIN_NAME.encode())
        + keccak(DOMAIN_VERSION.encode())
        + chain_id.to_bytes(32, "big")
    )


_WORD_EXPR = {
    # Python expression for the 32-byte word of field ``v[name]``, per kind.
    ADDRESS: "_ZERO12 + bytes.fromhex(v[{n!r}][2:])",
    UINT64: "v[{n!r}].to_bytes(32, 'big')",
    BOOL: "(_TRUE if v[{n!r}] else _FALSE)",
    BYTES32: "v[{n!r}]",
    STRING: "(keccak(v[{n!r}].encode()) if v[{n!r}] else _EMPTY_HASH)",
    BYTES: "(keccak(v[{n!r}]) if v[{n!r}] else _EMPTY_HASH)",
}


def _struct_hasher(t: MessageType) -> Callable[[Mapping[str, Any]], bytes]:
    """``hashStruct`` for one type, compiled from the type table into one expression.

    One concatenation and one keccak per message instead of a loop of calls: this is the hot
    path of ingest. ``tests/messages`` checks it against the generic encoder on every vector.
    """
    words = " + ".join(_WORD_EXPR[f.kind].format(n=f.name) for f in t.fields)
    src = f"def struct_hash(v):\n    return keccak(type_hash + {words})\n"
    env: dict[str, Any] = {
        "keccak": keccak,
        "type_hash": TYPE_HASHES[t.name],
        "_ZERO12": _ZERO12,
        "_TRUE": _TRUE,
        "_FALSE": _FALSE,
        "_EMPTY_HASH": _EMPTY_HASH,
    }
    exec(compile(src, f"<hashStruct {t.name}>", "exec"), env)
    return env["struct_hash"]


STRUCT_HASHERS: Mapping[str, Callable[[Mapping[str, Any]], bytes]] = {
    name: _struct_hasher(t) for name, t in TYPES.items()
}


def struct_hash(type_name: str, values: Mapping[str, Any]) -> bytes:
    """``hashStruct`` of a message whose fields are already normalised Python values."""
    return STRUCT_HASHERS[type_name](values)


def message_digest(type_name: str, values: Mapping[str, Any], chain_id: int) -> bytes:
    """The EIP-712 digest, which is also the message id."""
    return keccak(digest_prefix(chain_id) + STRUCT_HASHERS[type_name](values))


def _json_value(kind: str, v: Any) -> Any:
    if kind in (BYTES32, BYTES):
        return "0x" + v.hex()
    return v


def typed_data(type_name: str, values: Mapping[str, Any], chain_id: int) -> dict[str, Any]:
    """The standard EIP-712 JSON document for a message (what ``eth_signTypedData_v4`` takes)."""
    t = TYPES[type_name]
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
            ],
            t.name: [{"name": f.name, "type": f.kind} for f in t.fields],
        },
        "primaryType": t.name,
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id},
        "message": {f.name: _json_value(f.kind, values[f.name]) for f in t.fields},
    }
