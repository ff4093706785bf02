"""Gates as data: who may read an exclusive post.

A gate is a small tree of conditions. A leaf is :class:`Balance` ("holds at least
``min_balance`` base units of ERC-20 ``token`` on chain ``chain_id``"); :class:`All` and
:class:`Any` combine conditions with AND and OR and may nest. The tree is bounded
(:data:`MAX_DEPTH`, :data:`MAX_CONDITIONS`, :data:`MAX_GATE_BYTES`) because every node that
serves the post evaluates it, and each leaf costs a chain call.

The gate travels inside a signed ``Post`` and is bound into the content ciphertext's associated
data (see :mod:`node.gating.content`), so its byte encoding is part of the protocol and must be
the same on every node. The canonical encoding is JSON with sorted keys, no whitespace, ASCII
only, and every integer as a decimal string (uint256 balances do not survive a JavaScript
number)::

    {"chainId":"31337","minBalance":"1000","token":"0x5FbDB2315678afecb367f032d93F642f64180aa3","type":"balance"}
    {"of":[<condition>,...],"type":"all"}
    {"of":[<condition>,...],"type":"any"}

Children keep the author's order: canonical means "one encoding per tree", not "one tree per
meaning". Unknown ``type`` values and unknown fields are rejected, so a new kind of condition
is a protocol change, never something an old node silently misreads.

The gate is a field of a signed message, so its grammar lives here, beside the other message
rules that need it (``Post.gate`` is checked to be canonical where a message enters the node).
What a gate *means* for a holder, evaluating it over balances read on chain, is
:mod:`node.gating.gate`. Pure, no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from eth_utils import is_checksum_address

from node.errors import InvalidGate

__all__ = [
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "MAX_GATE_BYTES",
    "All",
    "Any",
    "Balance",
    "Gate",
    "encode_gate",
    "parse_gate",
]

# ---------------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------------

#: Deepest nesting allowed; a lone :class:`Balance` has depth 1, ``All([Balance])`` depth 2.
MAX_DEPTH = 4
#: Most :class:`Balance` leaves in one gate: each is one ``balanceOf`` call per unlock and per
#: holder at grant time, and eight distinct tokens is already far beyond any real gate.
MAX_CONDITIONS = 8
#: Largest accepted encoding, equal to the ``Post.gate`` bound in :mod:`node.messages`. The
#: worst valid gate (8 leaves with the largest chain id and balance, each under two single-child
#: combinators, under one root: 17 combinators) encodes in 1,965 bytes, so every valid gate
#: fits. The cap is checked before JSON parsing starts.
MAX_GATE_BYTES = 2048

_UINT256_MAX = 2**256 - 1
#: EIP-155 chain ids are carried as uint64 by most clients; larger ones cannot be used anyway.
_CHAIN_ID_MAX = 2**64 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*")

# ---------------------------------------------------------------------------------------------
# Field validation (pure; ``title`` names the field in the error)
# ---------------------------------------------------------------------------------------------


def _validate_int(value: object, title: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidGate(title, f"must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise InvalidGate(title, f"must be between {low} and {high}, got {value}")
    return value


def _validate_token(value: object, title: str) -> str:
    if not isinstance(value, str) or isinstance(value, _Number):
        raise InvalidGate(title, f"must be a string, got {_json_kind(value)}")
    if not is_checksum_address(value):
        raise InvalidGate(title, f"must be an EIP-55 checksum address, got {value!r}")
    return value


def _validate_conditions(value: object, title: str) -> tuple[Gate, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise InvalidGate(title, f"must be a list of conditions, got {type(value).__name__}")
    if not value:
        # An empty AND is vacuously true: a gate that admits everyone by accident.
        raise InvalidGate(title, "must hold at least one condition")
    for index, child in enumerate(value):
        if not isinstance(child, (Balance, All, Any)):
            raise InvalidGate(f"{title}[{index}]", f"must be Balance, All or Any, got {type(child).__name__}")
    return tuple(value)


# ---------------------------------------------------------------------------------------------
# The condition tree
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Balance:
    """Holds at least ``min_balance`` base units of ERC-20 ``token`` on chain ``chain_id``.

    Raises :class:`~node.errors.InvalidGate` when constructed with a chain id outside
    ``1..2**64-1``, a token that is not an EIP-55 checksum address (checksums catch typos that
    would otherwise gate a post on a token nobody holds), or a minimum outside ``1..2**256-1``
    (a minimum of 0 admits everyone: publish such a post ungated instead).
    """

    chain_id: int
    token: str
    min_balance: int

    def __post_init__(self) -> None:
        _validate_int(self.chain_id, "chain_id", low=1, high=_CHAIN_ID_MAX)
        _validate_token(self.token, "token")
        _validate_int(self.min_balance, "min_balance", low=1, high=_UINT256_MAX)

    @property
    def depth(self) -> int:
        """Nesting depth of this subtree (a leaf is 1)."""
        return 1

    @property
    def size(self) -> int:
        """Number of :class:`Balance` leaves in this subtree."""
        return 1


@dataclass(frozen=True, slots=True)
class _Combinator:
    conditions: tuple[Gate, ...]
    depth: int = field(init=False, repr=False, compare=False)
    size: int = field(init=False, repr=False, compare=False)

    def __init__(self, conditions: Sequence[Gate]) -> None:
        name = type(self).__name__
        conditions = _validate_conditions(conditions, f"{name}.conditions")
        depth = 1 + max(child.depth for child in conditions)
        size = sum(child.size for child in conditions)
        if depth > MAX_DEPTH:
            raise InvalidGate(name, f"nests {depth} levels deep, the limit is {MAX_DEPTH}")
        if size > MAX_CONDITIONS:
            raise InvalidGate(name, f"holds {size} conditions, the limit is {MAX_CONDITIONS}")
        object.__setattr__(self, "conditions", conditions)
        object.__setattr__(self, "depth", depth)
        object.__setattr__(self, "size", size)


@dataclass(frozen=True, slots=True, init=False)
class All(_Combinator):
    """Met when every one of ``conditions`` is met (AND). Takes a non-empty list."""


@dataclass(frozen=True, slots=True, init=False)
class Any(_Combinator):
    """Met when at least one of ``conditions`` is met (OR). Takes a non-empty list.

    The name follows the protocol's ``"any"``; it shadows :data:`typing.Any` if imported bare,
    so prefer ``from node.messages import gate`` and ``gate.Any``.
    """


Gate: TypeAlias = Balance | All | Any
"""A content gate: a :class:`Balance` leaf or an :class:`All` / :class:`Any` tree of them."""

# ---------------------------------------------------------------------------------------------
# Canonical encoding
# ---------------------------------------------------------------------------------------------


def _to_json(gate: Gate) -> dict[str, object]:
    if isinstance(gate, Balance):
        return {
            "chainId": str(gate.chain_id),
            "minBalance": str(gate.min_balance),
            "token": gate.token,
            "type": "balance",
        }
    return {"of": [_to_json(child) for child in gate.conditions], "type": _TYPE_OF[type(gate)]}


def encode_gate(gate: Gate) -> bytes:
    """Return the canonical encoding of ``gate`` (sorted keys, no whitespace, ASCII).

    This exact byte string is what a ``Post`` carries and what the content ciphertext's
    associated data binds, so it must never change for a given tree.
    """
    return json.dumps(_to_json(gate), sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


_TYPE_OF: dict[type, str] = {All: "all", Any: "any"}


class _Number(str):
    """A JSON number, kept as its text so that validation can name the field it sat in."""


def _reject_constant(value: str) -> object:
    raise ValueError(f"{value} is not allowed")


def _json_kind(value: object) -> str:
    """Name ``value``'s JSON type, for error messages aimed at whoever wrote the JSON."""
    if isinstance(value, _Number):
        return f"the number {value}"
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _decimal(value: object, title: str, *, low: int, high: int) -> int:
    if not isinstance(value, str) or isinstance(value, _Number):
        raise InvalidGate(title, f"must be a decimal string, got {_json_kind(value)}")
    if not _DECIMAL.fullmatch(value):
        raise InvalidGate(title, f"must be a decimal string without sign or leading zeros, got {value!r}")
    if len(value) > 78:  # 2**256 has 78 digits; stop before int() does needless work
        raise InvalidGate(title, f"must be at most {high}, got a {len(value)}-digit number")
    return _validate_int(int(value), title, low=low, high=high)


def _fields(obj: dict[str, object], title: str, expected: set[str]) -> None:
    for key in sorted(obj):
        if key not in expected:
            raise InvalidGate(f"{title}.{key}", "unknown field")
    for key in sorted(expected):
        if key not in obj:
            raise InvalidGate(f"{title}.{key}", "missing field")


def _from_json(obj: object, title: str, depth: int) -> Gate:
    if depth > MAX_DEPTH:
        raise InvalidGate(title, f"nests deeper than the limit of {MAX_DEPTH}")
    if not isinstance(obj, dict):
        raise InvalidGate(title, f"must be an object, got {_json_kind(obj)}")
    kind = obj.get("type")
    if kind == "balance":
        _fields(obj, title, {"chainId", "minBalance", "token", "type"})
        return Balance(
            chain_id=_decimal(obj["chainId"], f"{title}.chainId", low=1, high=_CHAIN_ID_MAX),
            token=_validate_token(obj["token"], f"{title}.token"),
            min_balance=_decimal(obj["minBalance"], f"{title}.minBalance", low=1, high=_UINT256_MAX),
        )
    if kind in ("all", "any"):
        _fields(obj, title, {"of", "type"})
        children = obj["of"]
        if not isinstance(children, list):
            raise InvalidGate(f"{title}.of", f"must be a list, got {_json_kind(children)}")
        if not children:
            raise InvalidGate(f"{title}.of", "must hold at least one condition")
        parsed = [
            _from_json(child, f"{title}.of[{index}]", depth + 1) for index, child in enumerate(children)
        ]
        size = sum(child.size for child in parsed)
        if size > MAX_CONDITIONS:
            raise InvalidGate(title, f"holds {size} conditions, the limit is {MAX_CONDITIONS}")
        return All(parsed) if kind == "all" else Any(parsed)
    if kind is None:
        raise InvalidGate(f"{title}.type", "missing field")
    raise InvalidGate(f"{title}.type", f"must be 'balance', 'all' or 'any', got {kind!r}")


def parse_gate(data: str | bytes, *, canonical: bool = True) -> Gate:
    """Parse and validate a gate's JSON encoding.

    With ``canonical=True`` (the default, for anything that came off the wire or out of a
    signed message) the input must be byte for byte the canonical encoding, so that one gate
    has exactly one representation wherever it is stored or hashed. ``canonical=False`` accepts
    any whitespace and key order, for gates typed by a person (CLI, API authoring); encode the
    result with :func:`encode_gate` before publishing it.

    Raises :class:`~node.errors.InvalidGate` naming the offending field (``gate.of[1].token``)
    for input that is too large, not UTF-8, not JSON, has duplicate keys, JSON numbers, unknown
    or missing fields, out-of-range values, or exceeds the depth and size limits.
    """
    if isinstance(data, str):
        raw = data.encode("utf-8", errors="surrogatepass")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise TypeError(f"data must be str or bytes, got {type(data).__name__}")
    if len(raw) > MAX_GATE_BYTES:
        raise InvalidGate("gate", f"is {len(raw)} bytes, the limit is {MAX_GATE_BYTES}")
    try:
        text = raw.decode("utf-8")
        obj = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_float=_Number,
            parse_int=_Number,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidGate("gate", f"is not valid JSON: {exc}") from exc
    gate = _from_json(obj, "gate", 1)
    if canonical and encode_gate(gate) != raw:
        raise InvalidGate("gate", "is not in canonical form (sorted keys, no whitespace, decimal strings)")
    return gate
