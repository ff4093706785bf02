"""Exclusive content: gates, content encryption, key grants and unlock challenges.

Pure and I/O-free; the node service supplies the chain lookup, the store and the API.

Layout, one concern per module:

- :mod:`.gate`       who may read: ``Balance`` conditions under ``All`` / ``Any``, canonical JSON,
                     ``evaluate`` over balances the caller fetched (``check_gate`` via a lookup)
- :mod:`.content`    the post body: AES-256-GCM under a per-post ``ContentKey``, bound to the
                     chain, author and gate
- :mod:`.keywrap`    key grants: the content key wrapped to one holder's X25519 key with HPKE
                     (RFC 9180), bound to the chain, post, author and recipient
- :mod:`.challenge`  online unlock: EIP-4361 challenges, single-use nonces, signer recovery

The modules above are pure. ``_keeper`` is the node side, with I/O: :class:`Vault` (content
keys held by a creator's node, single-use unlock nonces, in SQLite), :class:`Gatekeeper`
(accept a key, grant it to qualifying holders, answer unlocks), :func:`load_signer` (the
node's grant-signing key) and :func:`serve_grants` (the trio service that grants as holders
qualify).

Errors live in :mod:`node.errors`: ``InvalidGate``, ``DecryptionFailed``, ``ChallengeRefused``
(all but the first are ``GateRefused``, as is ``GateNotMet``). The names below are the public API; a test pins them.
"""

from node.gating._keeper import Gatekeeper, Unlocked, Vault, load_signer
from node.gating._keeper import serve as serve_grants
from node.gating.challenge import Challenger, MemoryNonceBook, NonceBook, SiweMessage, post_resource
from node.gating.content import ContentKey, decrypt_content, encrypt_content
from node.gating.gate import (
    All,
    Any,
    Balance,
    BalanceLookup,
    Gate,
    check_gate,
    encode_gate,
    evaluate,
    parse_gate,
    tokens_needed,
)
from node.gating.keywrap import (
    EncryptionKeyPair,
    GrantBinding,
    generate_keypair,
    keypair_from_eth_key,
    load_public_key,
    unwrap,
    wrap,
)

__all__ = [
    # gate
    "All",
    "Any",
    "Balance",
    "BalanceLookup",
    # challenge
    "Challenger",
    # content
    "ContentKey",
    # keywrap
    "EncryptionKeyPair",
    "Gate",
    # node side
    "Gatekeeper",
    "GrantBinding",
    "MemoryNonceBook",
    "NonceBook",
    "SiweMessage",
    "Unlocked",
    "Vault",
    "check_gate",
    "decrypt_content",
    "encode_gate",
    "encrypt_content",
    "evaluate",
    "generate_keypair",
    "keypair_from_eth_key",
    "load_public_key",
    "load_signer",
    "parse_gate",
    "post_resource",
    "serve_grants",
    "tokens_needed",
    "unwrap",
    "wrap",
]
