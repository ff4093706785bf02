"""Key grants: a post's content key wrapped to one holder's X25519 public key (ECIES).

The scheme, per grant, with a fresh ephemeral key so no two grants share a secret::

    shared  = X25519(ephemeral_private, recipient_public)
    okm     = HKDF-SHA256(ikm=shared,
                          salt=ephemeral_public || recipient_public,
                          info=b"mecenate/key-grant/v1", length=44)
    key, nonce = okm[:32], okm[32:44]
    aad     = b"mecenate/key-grant/v1" || version || post_id (32) || recipient_public (32)
    blob    = version (0x01) || ephemeral_public (32) || AES-256-GCM(key, nonce, content_key, aad)

81 bytes in all. The salt binds both public keys into the derived key (so a shared secret
cannot be re-used under a different pairing), and the AAD binds the post id and the recipient:
a grant copied to another post, or presented by anyone but its recipient, does not open. The
GCM nonce comes out of HKDF because every grant has its own ephemeral key and therefore its own
AES key; a random nonce would add 12 bytes and no security.

ECIES authenticates nothing about the sender: anyone can wrap a key to anyone. A grant is
trusted because it travels in a ``KeyGrant`` message signed by the post's author, and a wrapped
key that is not the post's key simply fails :func:`node.gating.content.decrypt_content`.

Encryption keys are X25519, separate from the secp256k1 key that signs messages. A user may
generate one (:func:`generate_keypair`) and keep it with their identity, or derive it from
their Ethereum private key (:func:`keypair_from_eth_key`) and keep nothing new; see there for
the trade-off.
"""

from __future__ import annotations

import logging

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from node.errors import DecryptionFailed, InvalidInput
from node.gating.content import ContentKey

__all__ = [
    "GRANT_BYTES",
    "GRANT_VERSION",
    "EncryptionKeyPair",
    "generate_keypair",
    "keypair_from_eth_key",
    "load_public_key",
    "unwrap",
    "wrap",
]

log = logging.getLogger(__name__)

#: Version byte at the front of every wrapped key.
GRANT_VERSION = 1
_LABEL = b"mecenate/key-grant/v1"
_DERIVE_LABEL = b"mecenate/encryption-key/x25519-from-secp256k1/v1"
_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_POST_ID_BYTES = 32
#: Length of every wrapped key: version, ephemeral public key, sealed content key, GCM tag.
GRANT_BYTES = 1 + _KEY_BYTES + _KEY_BYTES + _TAG_BYTES
# A fixed scalar used only to probe whether a public key is a low-order point (the exchange
# then yields all zeros, which cryptography refuses with ValueError). Not a secret.
_PROBE = X25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


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

    def __reduce__(self) -> object:
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
        length=_KEY_BYTES,
        salt=None,
        info=_DERIVE_LABEL + index.to_bytes(4, "big"),
    ).derive(bytes(eth_private_key))
    return EncryptionKeyPair(X25519PrivateKey.from_private_bytes(seed))


def load_public_key(raw: bytes) -> X25519PublicKey:
    """Validate and load a 32-byte X25519 public key, as published in a profile.

    Raises :class:`~node.errors.InvalidInput` for a wrong length or a low-order point (one whose
    shared secret with anyone is all zeros, so a grant to it would be readable by everybody).
    Run it where the profile field enters the node, so that :func:`wrap` sees only good keys.
    """
    if not isinstance(raw, (bytes, bytearray)) or len(raw) != _KEY_BYTES:
        raise InvalidInput(f"encryption public key must be {_KEY_BYTES} bytes")
    public = X25519PublicKey.from_public_bytes(bytes(raw))
    try:
        _PROBE.exchange(public)
    except ValueError as exc:
        raise InvalidInput("encryption public key is a low-order point") from exc
    return public


def _derive(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> tuple[bytes, bytes]:
    okm = HKDF(
        algorithm=hashes.SHA256(),
        length=_KEY_BYTES + _NONCE_BYTES,
        salt=ephemeral_public + recipient_public,
        info=_LABEL,
    ).derive(shared)
    return okm[:_KEY_BYTES], okm[_KEY_BYTES:]


def _aad(post_id: bytes, recipient_public: bytes) -> bytes:
    return _LABEL + bytes([GRANT_VERSION]) + post_id + recipient_public


def _check_post_id(post_id: bytes) -> bytes:
    if not isinstance(post_id, (bytes, bytearray)) or len(post_id) != _POST_ID_BYTES:
        raise ValueError(f"post_id must be {_POST_ID_BYTES} bytes (the post's EIP-712 digest)")
    return bytes(post_id)


def wrap(
    content_key: ContentKey, recipient_public_key: bytes | X25519PublicKey, post_id: bytes
) -> bytes:
    """Wrap ``content_key`` so that only the holder of ``recipient_public_key`` can open it,
    and only as the key of post ``post_id``.

    Returns a :data:`GRANT_BYTES`-byte blob for a ``KeyGrant``'s ``wrappedKey``. Raises
    :class:`ValueError` if ``post_id`` is not 32 bytes and :class:`~node.errors.InvalidInput`
    if the public key is malformed or low-order (see :func:`load_public_key`).
    """
    if not isinstance(content_key, ContentKey):
        raise TypeError(f"content_key must be a ContentKey, got {type(content_key).__name__}")
    post_id = _check_post_id(post_id)
    if isinstance(recipient_public_key, X25519PublicKey):
        recipient = recipient_public_key
        recipient_raw = recipient.public_bytes_raw()
    elif isinstance(recipient_public_key, (bytes, bytearray)) and len(recipient_public_key) == 32:
        recipient_raw = bytes(recipient_public_key)
        recipient = X25519PublicKey.from_public_bytes(recipient_raw)
    else:
        raise InvalidInput(f"encryption public key must be {_KEY_BYTES} bytes")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes_raw()
    try:
        shared = ephemeral.exchange(recipient)
    except ValueError as exc:
        raise InvalidInput("encryption public key is a low-order point") from exc
    key, nonce = _derive(shared, ephemeral_raw, recipient_raw)
    sealed = AESGCM(key).encrypt(nonce, content_key.to_bytes(), _aad(post_id, recipient_raw))
    return bytes([GRANT_VERSION]) + ephemeral_raw + sealed


def unwrap(
    blob: bytes, recipient_private_key: X25519PrivateKey | EncryptionKeyPair, post_id: bytes
) -> ContentKey:
    """Open a wrapped key made by :func:`wrap` for this recipient and this post.

    Returns the :class:`~node.gating.content.ContentKey` (raw bytes only on request, so it does
    not end up in a log by accident). Raises :class:`~node.errors.DecryptionFailed` when the
    blob has the wrong length or version, or does not authenticate: tampered, wrapped to
    someone else, or wrapped for another post. Raises :class:`ValueError` if ``post_id`` is
    not 32 bytes.
    """
    post_id = _check_post_id(post_id)
    if isinstance(recipient_private_key, EncryptionKeyPair):
        recipient_private_key = recipient_private_key.private_key
    if not isinstance(recipient_private_key, X25519PrivateKey):
        raise TypeError("recipient_private_key must be X25519PrivateKey or EncryptionKeyPair")
    blob = bytes(blob)
    if len(blob) != GRANT_BYTES:
        raise DecryptionFailed(f"wrapped key must be {GRANT_BYTES} bytes, got {len(blob)}")
    if blob[0] != GRANT_VERSION:
        raise DecryptionFailed(f"wrapped key has unknown version {blob[0]}")
    ephemeral_raw, sealed = blob[1 : 1 + _KEY_BYTES], blob[1 + _KEY_BYTES :]
    recipient_raw = recipient_private_key.public_key().public_bytes_raw()
    try:
        shared = recipient_private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw))
    except ValueError as exc:
        raise DecryptionFailed("wrapped key carries a low-order ephemeral key") from exc
    key, nonce = _derive(shared, ephemeral_raw, recipient_raw)
    try:
        raw = AESGCM(key).decrypt(nonce, sealed, _aad(post_id, recipient_raw))
    except InvalidTag as exc:
        log.debug(
            "key grant did not open (post 0x%s, recipient 0x%s)", post_id.hex(), recipient_raw.hex()
        )
        raise DecryptionFailed(
            "wrapped key does not open: tampered, wrapped to another recipient, or for another post"
        ) from exc
    return ContentKey(raw)
