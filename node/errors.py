"""The one exception hierarchy of the Mecenate node.

Every error the node raises on purpose derives from :class:`MecenateError`. The tree says
whose fault an error is, so the API and the CLI can turn it into a status or an exit code in
one place (``node.api._errors`` and ``node.cli._app``); each error carries a stable,
machine-readable ``reason`` code (the API's ``reason``, printed by the CLI) and its ``detail``
in words::

    MecenateError
    ├── InvalidInput            the caller's input is wrong (bad JSON, fields out of bounds)
    │   ├── InvalidRequest      a request does not fit the API's schema (names each field)
    │   ├── InvalidMessage      a signed message fails decoding, signature or validation rules
    │   ├── InvalidGate         a content gate fails parsing or validation (names the field)
    │   └── BadPeerAddress      a peer address to dial is unusable (malformed, ours, banned)
    ├── NotFound                what was asked for is not on this node (message, post, ...)
    │   ├── KeyNotHeld          this node holds no content key for that post
    │   └── NotServed           this node runs without the part that would answer (p2p, chain, ...)
    ├── AccessDenied            the caller may not use the admin API
    │   ├── AdminDisabled       the node has no admin token: its admin API is off
    │   └── WrongAdminToken     the bearer token is missing or wrong
    ├── ServiceUnavailable      the node cannot serve this now; later it may (a limit is full)
    │   └── NotReady            a part of the node is still starting
    ├── NodeUnreachable         the node's API does not answer (the CLI's view)
    ├── NodeFailed              the node answered with a failure the CLI cannot name
    ├── PeerMisbehaved          a remote peer broke the protocol (garbage frames, forged data)
    ├── PeerUnreachable         a peer could not be dialled
    │   └── PeerTimedOut        a peer did not answer the dial in time
    ├── StoreError              the local store failed (translated from sqlite3)
    ├── ChainError              the chain client failed (translated from web3 / RPC errors)
    │   ├── ChainUnavailable    the RPC endpoint cannot be reached or timed out
    │   ├── ChainMismatch       the RPC endpoint serves another chain than the node's (also a ConfigError)
    │   └── ContractReverted    a call or transaction reverted (decoded custom error)
    │       └── SlippageExceeded  a trade's cost or proceeds moved past the caller's bound
    ├── GateRefused             an unlock or grant was refused because the gate was not met
    │   ├── GateNotMet          the requester does not meet the gate on chain (not a holder, or not enough)
    │   ├── DecryptionFailed    a ciphertext or wrapped key does not open (tampered, wrong key/context)
    │   └── ChallengeRefused    an unlock challenge is invalid (reason code: expired, replayed, ...)
    │       └── TooManyPending  the node's nonce book is full (try later: HTTP 429)
    └── ConfigError             the node's configuration is unusable

Errors from libraries below us (sqlite3, libp2p, web3) are translated at the package boundary
with ``raise ... from exc`` so the original cause stays in ``__cause__``.
"""

from __future__ import annotations

from typing import Any, Self


class MecenateError(Exception):
    """Root of every error the node raises on purpose.

    ``reason`` is a short, stable, machine-readable code: each class names its own
    (``class NotFound(MecenateError, reason="not_found")``), and a class whose cases differ
    (``NotFound``: ``no_post``, ``no_profile``, ...) takes one per error. ``detail`` says what
    was wrong in words.
    """

    reason: str = "internal"

    def __init_subclass__(cls, reason: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if reason is not None:
            cls.reason = reason

    def __init__(self, detail: str = "", *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if reason is not None:
            self.reason = reason

    @classmethod
    def rebuilt(cls, detail: str, reason: str | None = None) -> Self:
        """This error as another process reported it (the API's ``{error, reason, detail}``):
        its words and code only, since the arguments of its constructor (``ContractReverted``'s
        ``params``, ``InvalidGate``'s ``field``) do not travel."""
        exc = cls.__new__(cls)
        MecenateError.__init__(exc, detail, reason=reason)
        return exc


# ---------------------------------------------------------------- the caller's fault


class InvalidInput(MecenateError, reason="invalid_input"):
    """Raised when a caller's input is malformed or out of bounds."""


class InvalidRequest(InvalidInput, reason="invalid_request"):
    """Raised when an API request does not fit its schema: ``fields`` lists each bad field and
    the rule it broke (``{type, loc, msg}``), never the value (it may be a secret)."""

    def __init__(self, detail: str, fields: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.fields = fields


class InvalidMessage(InvalidInput, reason="invalid_message"):
    """Raised when a signed message fails decoding, signature checks or validation rules.

    ``reason`` is a short machine-readable code (``bad_signature``, ``wrong_chain``,
    ``future_timestamp``, ``field_out_of_bounds``, ``unknown_type``, ``not_authorized``, ...);
    the message text says what was wrong in words.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}", reason=reason)
        self.detail = detail


class InvalidGate(InvalidInput, reason="invalid_gate"):
    """Raised when a content gate fails parsing or validation.

    ``field`` is the path of the offending field inside the gate (``gate.of[1].token``) so the
    author can find it; the message text says what was wrong with it.
    """

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class BadPeerAddress(InvalidInput, reason="not_a_peer_address"):
    """Raised when a peer address given to dial cannot be used: ``not_a_peer_address``
    (not ``/ip4/<ip>/tcp/<port>/p2p/<id>``), ``own_address`` (this node's own peer id) or
    ``banned_peer`` (banned for misbehaving)."""


class NotFound(MecenateError, reason="not_found"):
    """Raised when what was asked for is not on this node: ``no_message``, ``no_post``,
    ``no_profile``, ``no_grant``."""


class KeyNotHeld(NotFound, reason="key_not_held"):
    """Raised when this node cannot unlock a post: it holds no content key for it, or the post
    is not a live gated post here."""


class NotServed(NotFound, reason="not_served"):
    """Raised when this node runs without the part that would answer: ``no_p2p`` (libp2p),
    ``no_chain`` (a chain to check gates or an index to read) or ``no_gating`` (exclusive
    content)."""


class AccessDenied(MecenateError, reason="access_denied"):
    """Raised when a caller may not use the admin API."""


class AdminDisabled(AccessDenied, reason="admin_disabled"):
    """Raised for an admin call to a node with no ``api.admin_token``: its admin API is off."""


class WrongAdminToken(AccessDenied, reason="wrong_admin_token"):
    """Raised when an admin call's bearer token is missing or wrong."""


# ---------------------------------------------------------------- the node's state, for now


class ServiceUnavailable(MecenateError, reason="unavailable"):
    """Raised when the node cannot serve a request now but may soon: ``too_many_subscribers``
    (its live stream serves its most clients)."""


class NotReady(ServiceUnavailable, reason="not_ready"):
    """Raised when a part of the node is still starting: ``api_not_bound`` (unlock challenges
    name the API's address, not known yet)."""


class NodeUnreachable(MecenateError, reason="node_unreachable"):
    """Raised (by the CLI) when the node's API does not answer."""


class NodeFailed(MecenateError, reason="node_failed"):
    """Raised (by the CLI) when the node answers a failure it does not name (a 5xx of no kind
    known here): the node's fault, not the user's."""


# ---------------------------------------------------------------- peers and services below us


class PeerMisbehaved(MecenateError, reason="peer_misbehaved"):
    """Raised when a remote peer breaks the protocol: garbage or oversize frames, forgeries."""


class PeerUnreachable(MecenateError, reason="dial_failed"):
    """Raised when a peer cannot be dialled (refused, unreachable, failed handshake); the
    libp2p error is kept in ``__cause__``."""


class PeerTimedOut(PeerUnreachable, reason="dial_timeout"):
    """Raised when a peer does not answer a dial in time."""


class StoreError(MecenateError, reason="store_failed"):
    """Raised when the local SQLite store fails; the sqlite3 error is kept in ``__cause__``."""


class ConfigError(MecenateError, reason="bad_config"):
    """Raised when the node's configuration cannot be used as given."""


class ChainError(MecenateError, reason="chain_failed"):
    """Raised when a chain call or transaction fails; the web3 error is kept in ``__cause__``."""


class ChainUnavailable(ChainError, reason="chain_unavailable"):
    """Raised when the chain's RPC endpoint cannot be reached, or a receipt does not arrive in time."""


class ChainMismatch(ChainError, ConfigError, reason="chain_mismatch"):
    """Raised when the RPC endpoint serves another chain id than the node's deployment (a
    devnet restarted with another ``--chain-id``, a URL pointed at another network): nothing
    it answers may be used, neither for the index nor for a gate."""


class ContractReverted(ChainError, reason="contract_reverted"):
    """Raised when a contract call or transaction reverts.

    ``error`` is the name of the contract's custom error (``CreatorTokenZeroAmount``,
    ``Error`` for a string reason, ``Panic``, or ``""`` when the revert carried no data) and
    ``params`` its decoded arguments; the message text says what happened in words.
    """

    def __init__(self, error: str, params: dict[str, object], detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.params = params


class SlippageExceeded(ContractReverted, reason="slippage_exceeded"):
    """Raised when a buy would cost more than its ``maxCost`` or a sell return less than its
    ``minProceeds``: the price moved past the caller's tolerance since the quote."""


# ---------------------------------------------------------------- gates


class GateRefused(MecenateError, reason="gate_refused"):
    """Raised when a content gate is not met, or an unlock challenge is invalid."""


class GateNotMet(GateRefused, reason="gate_not_met"):
    """Raised when an unlock is refused because the requester does not meet the post's gate
    at the latest block (holds none, or too little, of the gate's tokens)."""


class DecryptionFailed(GateRefused, reason="decryption_failed"):
    """Raised when a ciphertext or a wrapped key does not open.

    The cause is deliberately not narrowed down further than the text says: AES-GCM cannot tell
    a wrong key from a tampered byte, and that is the point. A blob encrypted under another
    gate, author, chain, post or recipient fails the same way.
    """


class ChallengeRefused(GateRefused, reason="challenge_refused"):
    """Raised when an online-unlock challenge is refused.

    ``reason`` is a short machine-readable code (``malformed``, ``wrong_domain``,
    ``wrong_uri``, ``wrong_chain``, ``wrong_resource``, ``expired``, ``not_yet_valid``,
    ``bad_signature``, ``wrong_signer``, ``unknown_nonce``, ``nonce_mismatch``, ``replayed``,
    ``too_many_pending``); the message text says what was wrong in words.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}", reason=reason)
        self.detail = detail


class TooManyPending(ChallengeRefused, reason="too_many_pending"):
    """Raised when a node's nonce book is full: every outstanding challenge is still unexpired."""

    def __init__(self, detail: str) -> None:
        super().__init__("too_many_pending", detail)


def error_class(name: str) -> type[MecenateError] | None:
    """The class of this tree named ``name`` (an API answer's ``error``), or ``None``."""
    found = globals().get(name)
    if isinstance(found, type) and issubclass(found, MecenateError) and found.__module__ == __name__:
        return found
    return None
