"""Mecenate messages: EIP-712 typed data signed by a user's Ethereum key.

Layout: ``_types`` is the one table of message types (fields, bounds, store codes);
``_eip712`` hashes them (precomputed domain separator and type hashes); ``_validation`` holds
the pure field and type rules (among them :func:`normalize_address`, the node's one address
rule); ``_codec`` the wire form, signing and verification; ``_model`` the
:class:`SignedMessage` value; ``_retry`` which refused messages get a second chance.

The message id is the EIP-712 digest under the domain
``{name: "Mecenate", version: "1", chainId}``. README.md, section "Message format", specifies
the format for other implementations; ``tests/vectors/`` holds test vectors.
"""

from ._codec import (
    decode_message,
    encode_message,
    message_from_json,
    message_to_json,
    sign_message,
    verify_batch,
    verify_message,
)
from ._crypto import address_of_key
from ._eip712 import domain_separator, message_digest, typed_data
from ._model import Reason, SignedMessage
from ._retry import RetryAtEnd
from ._types import MAX_CLOCK_SKEW, PROFILE_FIELDS, TYPES, Field, MessageType
from ._validation import normalize_address

__all__ = [
    "MAX_CLOCK_SKEW",
    "PROFILE_FIELDS",
    "TYPES",
    "Field",
    "MessageType",
    "Reason",
    "RetryAtEnd",
    "SignedMessage",
    "address_of_key",
    "decode_message",
    "domain_separator",
    "encode_message",
    "message_digest",
    "message_from_json",
    "message_to_json",
    "normalize_address",
    "sign_message",
    "typed_data",
    "verify_batch",
    "verify_message",
]
