"""The request shape of a signed message, generated from the message type table.

Each type of :data:`node.messages.TYPES` becomes one model: ``type`` its name, ``message`` its
fields with their kinds, bounds and patterns, and :data:`MessageIn` the union of them all,
told apart by ``type`` (an OpenAPI discriminator). So the schema a client is generated from
and the check a request passes are one thing, and both follow the table: a schema-valid
message has every field of its type, of the right kind and within its bounds.

What a schema cannot say stays the decoder's (``node.messages``): the signature, the chain,
a string's bound in UTF-8 bytes (the schema bounds its characters, never fewer than its
bytes), an address's EIP-55 checksum, lone surrogates, and each type's cross-field rules. A
message that fails those is refused as before: 422 with the decoder's reason, and in a batch,
alone. The models check without coercion (an ``"1"`` is not a ``1``, a ``1`` not a
``true``; only ``1.0`` is ``1``, as in JSON Schema), and let any ``str`` through to the decoder, so that a string that is
not Unicode is the decoder's ``malformed`` refusal of that one message, not the request's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictStr,
    create_model,
)
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from node.messages import TYPES, MessageType, kinds
from node.messages import Field as MessageField

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
ID_PATTERN = r"^0x[0-9a-fA-F]{64}$"
SIGNATURE_PATTERN = r"^0x[0-9a-fA-F]{130}$"
#: Any bytes as ``0x``-hex: pairs of hex digits (their number bounded by ``maxLength``).
HEX_PATTERN = r"^0x(?:[0-9a-fA-F]{2})*$"
#: The largest integer a ``uint64`` field takes through the API: the largest every JSON parser
#: holds exactly (I-JSON, RFC 7493: 2^53 - 1; JavaScript's ``Number.MAX_SAFE_INTEGER``). Above it
#: lie only timestamps hundreds of millions of years ahead, which the node refuses anyway
#: (``future_timestamp``); the wire form itself, as peers exchange it, allows any ``uint64``.
UINT64_MAX = (1 << 53) - 1


def _string(f: MessageField) -> Any:
    """A ``string`` field: any ``str`` (the decoder judges its Unicode), bounded in characters
    by the table's bound in bytes (a string of at most ``n`` bytes has at most ``n`` characters)."""
    bounds: dict[str, int] = {}
    if f.max_len:
        bounds["maxLength"] = f.max_len
    if f.nonempty:
        bounds["minLength"] = 1

    def check(value: object) -> str:
        if type(value) is not str:
            raise PydanticCustomError("string_type", "Input should be a valid string")
        if f.max_len and len(value) > f.max_len:
            raise PydanticCustomError("string_too_long", f"String should have at most {f.max_len} characters")
        if f.nonempty and not value:
            raise PydanticCustomError("string_too_short", "String should have at least 1 character")
        return value

    words = f"at most {f.max_len} UTF-8 bytes" if f.max_len else "bounded by the type's rules"
    schema = {"type": "string", **bounds, "description": f"Text, {words}"}
    return Annotated[str, PlainValidator(check), WithJsonSchema(schema)]


def _integer(low: int, high: int) -> Any:
    """A JSON integer from ``low`` to ``high``: an ``int``, or a number with no fraction
    (``3.0`` is the integer 3 in JSON Schema, and in JavaScript), never a string or a bool."""

    def check(value: object) -> int:
        if type(value) is float and value.is_integer():
            value = int(value)
        if type(value) is not int:
            raise PydanticCustomError("int_type", "Input should be a valid integer")
        if not low <= value <= high:
            raise PydanticCustomError("int_range", f"Input should be from {low} to {high}")
        return value

    return Annotated[
        int, PlainValidator(check), WithJsonSchema({"type": "integer", "minimum": low, "maximum": high})
    ]


def _bytes(f: MessageField) -> Any:
    limit = 2 + 2 * f.max_len if f.max_len else None
    return Annotated[
        StrictStr,
        Field(pattern=HEX_PATTERN, max_length=limit, description=f"0x-hex, at most {f.max_len} bytes"),
    ]


_KINDS: dict[str, Callable[[MessageField], Any]] = {
    kinds.ADDRESS: lambda f: Annotated[StrictStr, Field(pattern=ADDRESS_PATTERN)],
    kinds.UINT64: lambda f: _integer(0, UINT64_MAX),
    kinds.BOOL: lambda f: StrictBool,
    kinds.BYTES32: lambda f: Annotated[StrictStr, Field(pattern=ID_PATTERN, description="32 bytes, 0x-hex")],
    kinds.STRING: _string,
    kinds.BYTES: _bytes,
}


def _fields_model(t: MessageType) -> type[BaseModel]:
    """``message`` of type ``t``: every field of the table, required, nothing else."""
    fields: dict[str, Any] = {f.name: (_KINDS[f.kind](f), ...) for f in t.fields}
    return create_model(
        f"{t.name}Fields",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"The typed fields of a {t.name}, as signed: EIP-712 struct {t.encode_type}.",
        **fields,
    )


def _message_model(t: MessageType) -> type[BaseModel]:
    return create_model(
        f"{t.name}In",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"A signed {t.name} in wire form, as produced by ``mecenate`` or any EIP-712 signer.",
        type=(Literal[t.name], ...),  # type: ignore[arg-type]
        chainId=(_integer(1, UINT64_MAX), ...),
        message=(_fields_model(t), ...),
        signature=(Annotated[StrictStr, Field(pattern=SIGNATURE_PATTERN)], ...),
    )


#: One model per message type, in the table's order.
MESSAGE_MODELS: tuple[type[BaseModel], ...] = tuple(_message_model(t) for t in TYPES.values())

if TYPE_CHECKING:
    MessageIn = BaseModel
else:
    #: A signed message of any type, told apart by ``type``.
    MessageIn = Annotated[Union[MESSAGE_MODELS], Field(discriminator="type")]  # noqa: UP007


def wire_form(m: BaseModel) -> dict[str, Any]:
    """A parsed message as the decoder reads it: the JSON it came as (nothing was coerced)."""
    return m.model_dump()
