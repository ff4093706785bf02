"""The hot path of decoding: one compiled function per type, from the type table.

``FAST[type](msg)`` takes the ``message`` object of a wire-form message (a ``dict`` from JSON)
and returns ``(values, struct_hash)``: the normalised fields, exactly as
``_codec._coerce_fields`` would return them, and ``hashStruct`` of the message. Coercion,
bounds and hashing happen in one pass with no per-field calls, which is most of what is left
to win around the signature recovery.

It only takes the happy path. On anything unusual (a missing or extra field, a wrong kind, a
bound exceeded, a mixed-case address seen for the first time) it returns ``None`` and the
caller runs the generic, one-check-at-a-time path, which raises the precise
:class:`~node.errors.InvalidMessage` (or accepts the message after all). Both paths accept
exactly the same messages; ``tests/messages`` compare them.

Addresses that passed the generic check once are remembered with their 32-byte ABI word, so
a repeated author costs one dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._crypto import keccak_256
from ._eip712 import _EMPTY_HASH, _FALSE, _TRUE, _ZERO12, TYPE_HASHES
from ._types import ADDRESS, BOOL, BYTES, BYTES32, STRING, TYPES, UINT64, MessageType
from ._validation import TYPE_RULES, coerce_address

_U64 = 1 << 64

#: Input address string -> (checksummed address, ABI word). Only strings that passed
#: ``coerce_address`` get in; cleared when full.
_addresses: dict[str, tuple[str, bytes]] = {}
_ADDRESSES_MAX = 100_000


def _address(text: Any) -> tuple[str, bytes] | None:
    """Slow half of the address check; ``None`` sends the whole message to the generic path."""
    if type(text) is not str:
        return None
    try:
        checksummed = coerce_address(text, "address")
    except Exception:
        return None
    if len(_addresses) >= _ADDRESSES_MAX:
        _addresses.clear()
    hit = _addresses[text] = (checksummed, _ZERO12 + bytes.fromhex(checksummed[2:]))
    return hit


def _compile(t: MessageType) -> Callable[[Mapping[str, Any]], tuple[dict[str, Any], bytes] | None]:
    lines = [
        "def fast(msg):",
        f"    if len(msg) != {len(t.fields)}:",
        "        return None",
        "    try:",
    ]
    words, values = [], []
    for i, f in enumerate(t.fields):
        x, w = f"x{i}", f"w{i}"
        lines.append(f"        {x} = msg[{f.name!r}]")
        if f.kind == ADDRESS:
            lines += [
                f"        a = _addresses.get({x}) or _address({x})",
                "        if a is None:",
                "            return None",
                f"        {x}, {w} = a",
            ]
        elif f.kind == UINT64:
            lines += [
                f"        if type({x}) is not int or not 0 <= {x} < _U64:",
                "            return None",
                f"        {w} = {x}.to_bytes(32, 'big')",
            ]
        elif f.kind == BOOL:
            lines += [
                f"        if type({x}) is not bool:",
                "            return None",
                f"        {w} = _TRUE if {x} else _FALSE",
            ]
        elif f.kind == BYTES32:
            lines += [
                f"        if type({x}) is not str or len({x}) != 66 or {x}[:2] != '0x':",
                "            return None",
                f"        {x} = {w} = bytes.fromhex({x}[2:])",
                f"        if len({x}) != 32:",  # fromhex skips whitespace
                "            return None",
            ]
        elif f.kind == STRING:
            lines += [
                f"        if type({x}) is not str:",
                "            return None",
                f"        b = {x}.encode()",
            ]
            if f.max_len:
                lines += [f"        if len(b) > {f.max_len}:", "            return None"]
            if f.nonempty:
                lines += ["        if not b:", "            return None"]
            lines.append(f"        {w} = _k(b).digest() if b else _EMPTY_HASH")
        elif f.kind == BYTES:
            lines += [
                f"        if type({x}) is not str or {x}[:2] != '0x':",
                "            return None",
                f"        n = len({x})",
                f"        {x} = bytes.fromhex({x}[2:])",
                f"        if n != 2 + 2 * len({x}):",  # fromhex skips whitespace
                "            return None",
            ]
            if f.max_len:
                lines += [f"        if len({x}) > {f.max_len}:", "            return None"]
            lines.append(f"        {w} = _k({x}).digest() if {x} else _EMPTY_HASH")
        else:  # pragma: no cover
            raise AssertionError(f.kind)
        words.append(w)
        values.append(f"{f.name!r}: {x}")
    lines += [
        "    except (KeyError, TypeError, ValueError, UnicodeEncodeError):",
        "        return None",
        f"    values = {{{', '.join(values)}}}",
    ]
    if t.name in TYPE_RULES:
        lines += [
            "    try:",
            "        rule(values)",
            "    except Exception:",
            "        return None",
        ]
    lines.append(f"    return values, _k(type_hash + {' + '.join(words)}).digest()")
    env: dict[str, Any] = {
        "_k": keccak_256,
        "type_hash": TYPE_HASHES[t.name],
        "rule": TYPE_RULES.get(t.name),
        "_addresses": _addresses,
        "_address": _address,
        "_U64": _U64,
        "_TRUE": _TRUE,
        "_FALSE": _FALSE,
        "_EMPTY_HASH": _EMPTY_HASH,
    }
    exec(compile("\n".join(lines) + "\n", f"<decode {t.name}>", "exec"), env)
    return env["fast"]


FAST: Mapping[str, Callable[[Mapping[str, Any]], tuple[dict[str, Any], bytes] | None]] = {
    name: _compile(t) for name, t in TYPES.items()
}
