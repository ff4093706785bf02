"""Key grants: a post's content key wrapped to one holder's X25519 public key with HPKE.

HPKE (RFC 9180) in base mode, single-shot, with the suite DHKEM(X25519, HKDF-SHA256),
HKDF-SHA256, AES-256-GCM (KEM 0x0020, KDF 0x0001, AEAD 0x0002), as ``cryptography`` implements
it; any RFC 9180 library opens a grant (``tests/gating/hpke_open.mjs`` does, with npm
``@hpke/core``). A wrapped key is 81 bytes::

    wrapped = version (0x02) || enc (32) || ciphertext (32) || tag (16)

(The layout's numbers are :mod:`node.messages.sealed`'s, which checks a ``KeyGrant``'s shape
where it enters the node; this module seals and opens.)

``enc`` is the sender's fresh ephemeral X25519 public key (one per grant, so no two grants
share a secret); ciphertext and tag are AES-256-GCM over the 32-byte content key, under the
key and nonce of HPKE's key schedule. The version byte lets the format change; version 1 (a
hand-written ECIES of the same primitives, before HPKE) is retired and refused, with a reason.

HPKE's ``info`` binds the grant to everything its ``KeyGrant`` message says about it (the
single-shot API has no ``aad``, and needs none: ``info`` enters the key schedule, so any
difference gives another key and the tag fails)::

    info = "mecenate/key-grant/v2"          21 bytes, ASCII
           || chainId                       32 bytes, big-endian (EIP-712's uint256)
           || post id                       32 bytes, the post's EIP-712 digest
           || author                        20 bytes, the post's author address
           || recipient                     20 bytes, the holder's address
           || recipientKey                  32 bytes, the holder's X25519 public key

157 bytes, every part fixed-length, so the concatenation is unambiguous. A grant copied to
another post, chain or holder, or presented by anyone but its recipient, does not open. (The
post id, a digest over the domain and the author, already implies chain and author; naming
them again costs nothing and keeps the binding plain to anyone reading ``info``.)

HPKE base mode authenticates nothing about the sender: anyone can wrap a key to anyone. A
grant is trusted because it travels in a ``KeyGrant`` message signed for the post's author,
and a wrapped key that is not the post's key simply fails
:func:`node.gating.content.decrypt_content`.

Encryption keys are X25519, separate from the secp256k1 key that signs messages. A user may
generate one (:func:`generate_keypair`) and keep it with their identity, or derive it from
their Ethereum private key (:func:`keypair_from_eth_key`) and keep nothing new; see there for
the trade-off.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from node.errors import DecryptionFailed, InvalidInput
from node.gating.content import ContentKey
from node.messages.sealed import GRANT_BYTES, GRANT_VERSION, RETIRED_V1, X25519_KEY_BYTES, load_public_key

__all__ = [
    "GRANT_BYTES",
    "GRANT_VERSION",
    "INFO_LABEL",
    "RETIRED_V1",
    "SUITE",
    "EncryptionKeyPair",
    "GrantBinding",
    "generate_keypair",
    "keypair_from_eth_key",
    "load_public_key",
    "unwrap",
    "wrap",
]

log = logging.getLogger(__name__)

#: The single HPKE suite grants use: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.
SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
#: First bytes of every grant's HPKE ``info``.
INFO_LABEL = b"mecenate/key-grant/v2"
_DERIVE_LABEL = b"mecenate/encryption-key/x25519-from-secp256k1/v1"
_POST_ID_BYTES = 32
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


class EncryptionKeyPair:
    """A holder's X25519 key pair; ``repr()`` shows the public half only.

    ``public_key`` is the 32 raw bytes that go into the profile; ``private_key`` is the
    ``cryptography`` object, which itself never prints its bytes.
    """

    __slots__ = ("private_key", "public_key")

    def __init__(self, private_key: X25519PrivateKey) -> None:
        """Wrap ``private_key``; raises :class:`TypeError` for anything but an X25519 key."""
        if not isinstance(private_key, X25519PrivateKey):
            raise TypeError(f"private_key must be X25519PrivateKey, got {type(private_key)}")
        self.private_key = private_key
        self.public_key: bytes = private_key.public_key().public_bytes_raw()

    def __repr__(self) -> str:
        return f"EncryptionKeyPair(public_key=0x{self.public_key.hex()})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("EncryptionKeyPair cannot be pickled; store the private key explicitly")


def generate_keypair() -> EncryptionKeyPair:
    """Return a fresh random X25519 key pair (to be stored beside the user's identity key)."""
    return EncryptionKeyPair(X25519PrivateKey.generate())


def keypair_from_eth_key(eth_private_key: bytes, *, index: int = 0) -> EncryptionKeyPair:
    """Derive an X25519 key pair deterministically from a 32-byte Ethereum private key.

    ``HKDF-SHA256(ikm=eth_private_key, salt=None, info=label || index)``, clamped by X25519.
    The user stores no second secret: any device holding the account key, including a node
    restored from a keystore, recovers the same encryption key, so old grants stay readable.
    HKDF is one-way, so the encryption key reveals nothing about the signing key.

    The trade-off: the encryption key is exactly as secret as the account key and falls with
    it, and a leak of the encryption key alone cannot be fixed by re-deriving it. ``index``
    allows rotation (publish the key for ``index + 1`` in the profile; grants to the old key
    still open with the old index). It also requires the raw private key, which hardware and
    most browser wallets never expose; such users need :func:`generate_keypair` instead.

    Raises :class:`ValueError` unless ``eth_private_key`` is 32 bytes (``LocalAccount.key``)
    and ``index`` is in ``0..2**32-1``.
    """
    if not isinstance(eth_private_key, (bytes, bytearray)) or len(eth_private_key) != 32:
        raise ValueError("eth_private_key must be 32 bytes")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 2**32:
        raise ValueError(f"index must be an integer in 0..2**32-1, got {index!r}")
    seed = HKDF(
        algorithm=hashes.SHA256(),
        length=X25519_KEY_BYTES,
        salt=None,
        info=_DERIVE_LABEL + index.to_bytes(4, "big"),
    ).derive(bytes(eth_private_key))
    return EncryptionKeyPair(X25519PrivateKey.from_private_bytes(seed))


@dataclass(frozen=True, slots=True)
class GrantBinding:
    """What a wrapped key is bound to: the ``KeyGrant``'s chain, post, author and recipient.

    ``chain_id`` is the EIP-712 domain's chain id, ``post_id`` the post's 32-byte digest,
    ``author`` the post's author and ``recipient`` the holder (``0x`` and 40 hex digits, any
    case). Constructing one raises :class:`ValueError` naming the bad field.
    """

    chain_id: int
    post_id: bytes
    author: str
    recipient: str

    def __post_init__(self) -> None:
        if (
            isinstance(self.chain_id, bool)
            or not isinstance(self.chain_id, int)
            or not 0 < self.chain_id < 2**256
        ):
            raise ValueError(f"chain_id must be a positive uint256, got {self.chain_id!r}")
        if not isinstance(self.post_id, (bytes, bytearray)) or len(self.post_id) != _POST_ID_BYTES:
            raise ValueError(f"post_id must be {_POST_ID_BYTES} bytes (the post's EIP-712 digest)")
        object.__setattr__(self, "post_id", bytes(self.post_id))
        for name in ("author", "recipient"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
                raise ValueError(f"{name} must be an address (0x and 40 hex digits), got {value!r}")

    def info(self, recipient_key: bytes) -> bytes:
        """The HPKE ``info`` of a grant to ``recipient_key`` (32 raw bytes); layout in the module
        docstring."""
        return (
            INFO_LABEL
            + self.chain_id.to_bytes(32, "big")
            + self.post_id
            + bytes.fromhex(self.author[2:])
            + bytes.fromhex(self.recipient[2:])
            + bytes(recipient_key)
        )


def wrap(
    content_key: ContentKey, recipient_public_key: bytes | X25519PublicKey, binding: GrantBinding
) -> bytes:
    """Wrap ``content_key`` so that only the holder of ``recipient_public_key`` can open it, and
    only as the key of the grant ``binding`` describes.

    Returns a :data:`GRANT_BYTES`-byte blob for a ``KeyGrant``'s ``wrappedKey``. Raises
    :class:`~node.errors.InvalidInput` if the public key is malformed or low-order (see
    :func:`load_public_key`).
    """
    if not isinstance(content_key, ContentKey):
        raise TypeError(f"content_key must be a ContentKey, got {type(content_key).__name__}")
    if not isinstance(binding, GrantBinding):
        raise TypeError(f"binding must be a GrantBinding, got {type(binding).__name__}")
    if isinstance(recipient_public_key, X25519PublicKey):
        recipient, recipient_raw = recipient_public_key, recipient_public_key.public_bytes_raw()
    elif (
        isinstance(recipient_public_key, (bytes, bytearray)) and len(recipient_public_key) == X25519_KEY_BYTES
    ):
        recipient_raw = bytes(recipient_public_key)
        recipient = X25519PublicKey.from_public_bytes(recipient_raw)
    else:
        raise InvalidInput(f"encryption public key must be {X25519_KEY_BYTES} bytes")
    try:  # no probe first (load_public_key's): a third scalar multiplication per grant
        sealed = SUITE.encrypt(content_key.to_bytes(), recipient, info=binding.info(recipient_raw))
    except ValueError as exc:  # the DH output is all zeros: RFC 9180 refuses it, and so do we
        raise InvalidInput("encryption public key is a low-order point") from exc
    return bytes([GRANT_VERSION]) + sealed


def unwrap(
    blob: bytes, recipient_private_key: X25519PrivateKey | EncryptionKeyPair, binding: GrantBinding
) -> ContentKey:
    """Open a wrapped key made by :func:`wrap` for this recipient and this ``binding``.

    Returns the :class:`~node.gating.content.ContentKey` (raw bytes only on request, so it does
    not end up in a log by accident). Raises :class:`~node.errors.DecryptionFailed` when the
    blob has the wrong length or version (version 1 with the reason it is retired), or does not
    authenticate: tampered, wrapped to someone else, or bound to another post, chain, author or
    recipient.
    """
    if isinstance(recipient_private_key, EncryptionKeyPair):
        recipient_private_key = recipient_private_key.private_key
    if not isinstance(recipient_private_key, X25519PrivateKey):
        raise TypeError("recipient_private_key must be X25519PrivateKey or EncryptionKeyPair")
    if not isinstance(binding, GrantBinding):
        raise TypeError(f"binding must be a GrantBinding, got {type(binding).__name__}")
    blob = bytes(blob)
    if len(blob) != GRANT_BYTES:
        raise DecryptionFailed(f"wrapped key must be {GRANT_BYTES} bytes, got {len(blob)}")
    if blob[0] == 1:
        raise DecryptionFailed(f"wrapped key has {RETIRED_V1}")
    if blob[0] != GRANT_VERSION:
        raise DecryptionFailed(f"wrapped key has unknown version {blob[0]}")
    recipient_raw = recipient_private_key.public_key().public_bytes_raw()
    try:
        raw = SUITE.decrypt(blob[1:], recipient_private_key, info=binding.info(recipient_raw))
    except (InvalidTag, ValueError) as exc:  # ValueError: a low-order enc (all-zero DH output)
        log.debug(
            "key grant did not open (post 0x%s, recipient %s)", binding.post_id.hex(), binding.recipient
        )
        raise DecryptionFailed(
            "wrapped key does not open: tampered, wrapped to another key, or bound to another "
            "post, chain, author or recipient"
        ) from exc
    return ContentKey(raw)
