"""The in-memory form of a message: :class:`SignedMessage`, and the refusal reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import FrozenInstanceError, dataclass
from typing import Any


class Reason:
    """The ``reason`` codes :class:`~node.errors.InvalidMessage` carries.

    Peer faults (a peer that sends these forged or broke the format): ``MALFORMED``,
    ``UNKNOWN_TYPE``, ``MISSING_FIELD``, ``UNKNOWN_FIELD``, ``BAD_FIELD``,
    ``FIELD_OUT_OF_BOUNDS``, ``BAD_SIGNATURE``, ``WRONG_CHAIN``, ``NOT_AUTHORIZED``, and
    ``FUTURE_TIMESTAMP`` (an honest node never relays a message more than ten minutes ahead of
    its own clock, so a peer that keeps sending them is penalised like any other). Not a fault:
    ``REVOKED_SIGNER`` (the peer may not have seen the ``SignerRemove`` yet). ``OUT_OF_SCOPE``
    (a message of a community the node does not serve) is a peer's fault when the peer knew:
    on a gossip topic of another scope, or outside the scopes a sync session negotiated.
    ``NO_LONGER_SERVED`` is not: the node stopped serving the message's community while the
    message was on its way (a session negotiated before, a topic just left).
    """

    MALFORMED = "malformed"  # not JSON, or not the {"type","chainId","message","signature"} shape
    UNKNOWN_TYPE = "unknown_type"  # "type" is not in the type table
    MISSING_FIELD = "missing_field"  # a typed field (or the chain id) is absent
    UNKNOWN_FIELD = "unknown_field"  # a field the type does not declare (it would be unsigned)
    BAD_FIELD = "bad_field"  # a field of the wrong kind: not an address, not 0x-hex, ...
    FIELD_OUT_OF_BOUNDS = "field_out_of_bounds"  # too long, too large, empty when required
    BAD_SIGNATURE = "bad_signature"  # malformed, malleable, or not by the author or a delegate
    WRONG_CHAIN = "wrong_chain"  # signed for another chain id than this node's
    FUTURE_TIMESTAMP = "future_timestamp"  # more than MAX_CLOCK_SKEW seconds ahead
    NOT_AUTHORIZED = "not_authorized"  # a delegate signed what only the author may sign
    REVOKED_SIGNER = "revoked_signer"  # signed by a delegate the author has removed
    OUT_OF_SCOPE = "out_of_scope"  # of a community this node does not serve (node.messages.scope)
    NO_LONGER_SERVED = "no_longer_served"  # of a community the node stopped serving meanwhile


@dataclass(slots=True, eq=False, init=False, repr=False)
class SignedMessage:
    """One verified-structure, signed Mecenate message.

    ``fields`` holds every typed field in signing order (``author`` and ``timestamp``
    included) as Python values: addresses as checksummed ``str``, ``uint64`` as ``int``,
    ``bool``, ``bytes32``/``bytes`` as ``bytes``, ``string`` as ``str``. Typed fields are also
    attributes (``m.text``, ``m.target``, ``m.replyTo``).

    ``signer`` is the address recovered from ``signature``; it is the author, or a delegate
    whose authority the store checks. Two messages are equal when their ids are.

    Build one with :func:`sign_message` or :func:`decode_message`, never by hand: the
    constructor does not check that ``id`` and ``signer`` match the fields.
    """

    type: str
    chain_id: int
    id: bytes
    author: str
    timestamp: int
    fields: Mapping[str, Any]
    signature: bytes
    signer: str

    # Frozen by hand: ``dataclass(frozen=True, slots=True)`` raises TypeError instead of
    # FrozenInstanceError on Python 3.11, and its __init__ is slower.
    def __init__(
        self,
        type: str,
        chain_id: int,
        id: bytes,
        author: str,
        timestamp: int,
        fields: Mapping[str, Any],
        signature: bytes,
        signer: str,
    ) -> None:
        _set = object.__setattr__
        _set(self, "type", type)
        _set(self, "chain_id", chain_id)
        _set(self, "id", id)
        _set(self, "author", author)
        _set(self, "timestamp", timestamp)
        _set(self, "fields", fields)
        _set(self, "signature", signature)
        _set(self, "signer", signer)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "fields":  # unset slot, copy/pickle probes
            raise AttributeError(name)
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(f"{self.type} message has no field {name!r}") from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SignedMessage):
            return NotImplemented
        return self.id == other.id and self.signature == other.signature

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def delegated(self) -> bool:
        """True when a delegate, not the author's own key, signed the message."""
        return self.signer != self.author

    @property
    def sync_key(self) -> tuple[int, bytes]:
        """``(timestamp, id)``: the message's key in set reconciliation."""
        return (self.timestamp, self.id)

    def __repr__(self) -> str:
        return f"SignedMessage({self.type} {self.id.hex()[:12]} by {self.author} at {self.timestamp})"
