"""The one exception hierarchy of the Mecenate node.

Every error the node raises on purpose derives from :class:`MecenateError`. The tree says
whose fault an error is, so the API and the CLI can turn it into a status or an exit code in
one place::

    MecenateError
    ├── InvalidInput            the caller's input is wrong (bad JSON, fields out of bounds)
    │   ├── InvalidMessage      a signed message fails decoding, signature or validation rules
    │   └── InvalidGate         a content gate fails parsing or validation (names the field)
    ├── PeerMisbehaved          a remote peer broke the protocol (garbage frames, forged data)
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


class MecenateError(Exception):
    """Root of every error the node raises on purpose."""


class InvalidInput(MecenateError):
    """Raised when a caller's input is malformed or out of bounds."""


class InvalidMessage(InvalidInput):
    """Raised when a signed message fails decoding, signature checks or validation rules.

    ``reason`` is a short machine-readable code (``bad_signature``, ``wrong_chain``,
    ``future_timestamp``, ``field_out_of_bounds``, ``unknown_type``, ``not_authorized``, ...);
    the message text says what was wrong in words.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class InvalidGate(InvalidInput):
    """Raised when a content gate fails parsing or validation.

    ``field`` is the path of the offending field inside the gate (``gate.of[1].token``) so the
    author can find it; the message text says what was wrong with it.
    """

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class PeerMisbehaved(MecenateError):
    """Raised when a remote peer breaks the protocol: garbage or oversize frames, forgeries."""


class StoreError(MecenateError):
    """Raised when the local SQLite store fails; the sqlite3 error is kept in ``__cause__``."""


class ConfigError(MecenateError):
    """Raised when the node's configuration cannot be used as given."""


class ChainError(MecenateError):
    """Raised when a chain call or transaction fails; the web3 error is kept in ``__cause__``."""


class ChainUnavailable(ChainError):
    """Raised when the chain's RPC endpoint cannot be reached, or a receipt does not arrive in time."""


class ChainMismatch(ChainError, ConfigError):
    """Raised when the RPC endpoint serves another chain id than the node's deployment (a
    devnet restarted with another ``--chain-id``, a URL pointed at another network): nothing
    it answers may be used, neither for the index nor for a gate."""


class ContractReverted(ChainError):
    """Raised when a contract call or transaction reverts.

    ``error`` is the name of the contract's custom error (``CreatorTokenZeroAmount``,
    ``Error`` for a string reason, ``Panic``, or ``""`` when the revert carried no data) and
    ``params`` its decoded arguments; the message text says what happened in words.
    """

    def __init__(self, error: str, params: dict[str, object], detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.params = params
        self.detail = detail


class SlippageExceeded(ContractReverted):
    """Raised when a buy would cost more than its ``maxCost`` or a sell return less than its
    ``minProceeds``: the price moved past the caller's tolerance since the quote."""


class GateRefused(MecenateError):
    """Raised when a content gate is not met, or an unlock challenge is invalid."""


class GateNotMet(GateRefused):
    """Raised when an unlock is refused because the requester does not meet the post's gate
    at the latest block (holds none, or too little, of the gate's tokens)."""

    reason = "gate_not_met"


class DecryptionFailed(GateRefused):
    """Raised when a ciphertext or a wrapped key does not open.

    The cause is deliberately not narrowed down further than the text says: AES-GCM cannot tell
    a wrong key from a tampered byte, and that is the point. A blob encrypted under another
    gate, author, chain, post or recipient fails the same way.
    """


class ChallengeRefused(GateRefused):
    """Raised when an online-unlock challenge is refused.

    ``reason`` is a short machine-readable code (``malformed``, ``wrong_domain``,
    ``wrong_uri``, ``wrong_chain``, ``wrong_resource``, ``expired``, ``not_yet_valid``,
    ``bad_signature``, ``wrong_signer``, ``unknown_nonce``, ``nonce_mismatch``, ``replayed``,
    ``too_many_pending``); the message text says what was wrong in words.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class TooManyPending(ChallengeRefused):
    """Raised when a node's nonce book is full: every outstanding challenge is still unexpired."""

    def __init__(self, detail: str) -> None:
        super().__init__("too_many_pending", detail)
