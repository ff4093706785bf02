"""Mecenate messages: EIP-712 typed data signed by a user's Ethereum key.

Layout: ``_types`` is the one table of message types (fields, bounds, store codes);
``_eip712`` hashes them (precomputed domain separator and type hashes); ``_validation`` holds
the pure field and type rules (among them :func:`normalize_address`, the node's one address
rule); ``_codec`` the wire form, signing and verification; ``_model`` the
:class:`SignedMessage` value; ``_retry`` which refused messages get a second chance;
``_crypto`` keccak, secp256k1 and checksummed addresses. Public submodules: :mod:`.kinds` (the EIP-712 kinds a field may have), and the
formats of exclusive content that messages carry and check, :mod:`.scope` (the scope a message
belongs to, and the scopes a node serves), :mod:`.gate` (a post's gate:
condition tree and canonical JSON) and :mod:`.sealed` (the layouts of content blobs and wrapped
keys, and the X25519 key a profile publishes).

This package is the bottom layer with ``identity``: it imports nothing of the node but
:mod:`node.errors` (``tests/messages/test_imports.py`` and the import-linter contracts in
``pyproject.toml`` hold it to that). Sealing, opening and evaluating live above, in
:mod:`node.gating`.

The message id is the EIP-712 digest under the domain
``{name: "Mecenate", version: "1", chainId}``. ``docs/message-format.md`` specifies
the format for other implementations; ``tests/vectors/`` holds test vectors.
"""

from . import community, gate, kinds, scope, sealed
from ._codec import (
    decode_message,
    encode_message,
    message_from_json,
    message_to_json,
    sign_message,
    verify_batch,
    verify_message,
)
from ._crypto import SECP256K1_N, address_of_key, checksum_address, keccak, private_key_to_address
from ._eip712 import domain_separator, message_digest, typed_data
from ._model import Reason, SignedMessage
from ._retry import RetryAtEnd
from ._types import (
    CHARTER_FIELDS,
    MAX_CLOCK_SKEW,
    POST_TYPES,
    PROFILE_FIELDS,
    TYPES,
    TYPES_BY_CODE,
    Field,
    MessageType,
)
from ._validation import coerce_address, normalize_address

__all__ = [
    "CHARTER_FIELDS",
    "MAX_CLOCK_SKEW",
    "POST_TYPES",
    "PROFILE_FIELDS",
    "SECP256K1_N",
    "TYPES",
    "TYPES_BY_CODE",
    "Field",
    "MessageType",
    "Reason",
    "RetryAtEnd",
    "SignedMessage",
    "address_of_key",
    "checksum_address",
    "coerce_address",
    "community",
    "decode_message",
    "domain_separator",
    "encode_message",
    "gate",
    "keccak",
    "kinds",
    "message_digest",
    "message_from_json",
    "message_to_json",
    "normalize_address",
    "private_key_to_address",
    "scope",
    "sealed",
    "sign_message",
    "typed_data",
    "verify_batch",
    "verify_message",
]
