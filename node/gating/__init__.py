"""Exclusive content, the pure part: gates, content encryption, key wrapping, unlock challenges.

Layout, one concern per module, none with I/O:

- :mod:`.gate`       what a gate means: ``evaluate`` over balances the caller fetched,
                     ``check_gate`` through a chain lookup; the gate's tree (``Balance`` under
                     ``All`` / ``Any``) and canonical JSON are a message field, so they live in
                     :mod:`node.messages.gate` and are re-exported here
- :mod:`.content`    the post body: AES-256-GCM under a per-post ``ContentKey``, bound to the
                     chain, author and gate
- :mod:`.keywrap`    key grants: the content key wrapped to one holder's X25519 key with HPKE
                     (RFC 9180), bound to the chain, post, author and recipient
- :mod:`.siwe`       the EIP-4361 (Sign-In with Ethereum) grammar: render and parse strictly
- :mod:`.challenge`  online unlock: the node's challenge policy over EIP-4361, the nonce-book
                     protocol and its rule

This package sits above :mod:`node.messages` (whose field layouts, :mod:`node.messages.sealed`,
it seals and opens) and imports nothing else of the node but :mod:`node.errors`. The node side,
with SQLite, the chain and the store (held content keys, nonce book, grant signer, the grant
service), is :mod:`node.grants`.

Errors live in :mod:`node.errors`: ``InvalidGate``, ``DecryptionFailed``, ``ChallengeRefused``
(all but the first are ``GateRefused``, as is ``GateNotMet``). The names below are the public
API; a test pins them.
"""

from node.gating.challenge import (
    Challenger,
    Clock,
    NonceBook,
    SignedChallenge,
    check_nonce,
    post_resource,
    utc_now,
)
from node.gating.content import ContentKey, decrypt_content, encrypt_content
from node.gating.gate import BalanceLookup, check_gate, evaluate, tokens_needed
from node.gating.keywrap import (
    EncryptionKeyPair,
    GrantBinding,
    generate_keypair,
    keypair_from_eth_key,
    load_public_key,
    unwrap,
    wrap,
)
from node.gating.siwe import SiweMessage, validate_address
from node.messages.gate import All, Any, Balance, Gate, encode_gate, parse_gate

__all__ = [
    "All",
    "Any",
    "Balance",
    "BalanceLookup",
    "Challenger",
    "Clock",
    "ContentKey",
    "EncryptionKeyPair",
    "Gate",
    "GrantBinding",
    "NonceBook",
    "SignedChallenge",
    "SiweMessage",
    "check_gate",
    "check_nonce",
    "decrypt_content",
    "encode_gate",
    "encrypt_content",
    "evaluate",
    "generate_keypair",
    "keypair_from_eth_key",
    "load_public_key",
    "parse_gate",
    "post_resource",
    "tokens_needed",
    "unwrap",
    "utc_now",
    "validate_address",
    "wrap",
]
