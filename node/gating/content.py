"""Content encryption for gated posts: AES-256-GCM under a fresh per-post content key.

A gated post carries its body as a ciphertext blob, self-describing so that a later format can
sit beside this one::

    blob = version (1 byte, 0x01) || nonce (12 bytes) || ciphertext || tag (16 bytes)

(The layout's numbers are :mod:`node.messages.sealed`'s, which checks a post's blob for shape
where it enters the node; this module seals and opens.)

Each post gets its own 256-bit :class:`ContentKey` and each encryption a random 96-bit nonce;
with one key per post the birthday bound on random nonces (2**32 messages per key) is never
approached.

The associated data binds the ciphertext to its context: the chain id, the author's address and
the gate's canonical encoding (:func:`node.messages.gate.encode_gate`)::

    aad = b"mecenate/content/v1" || version || chain_id (32-byte big-endian)
          || author (20 bytes) || encode_gate(gate)

So a ciphertext lifted into another author's post, onto another chain, or under a looser gate
fails to decrypt: nobody can republish a creator's exclusive body behind a gate they chose.
The post id is not bound because it is the digest of the post that contains the ciphertext.
Every fixed-length field precedes the one variable-length field, so the encoding is unambiguous.
"""

from __future__ import annotations

import hmac
import logging
import os
from typing import NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eth_utils import is_checksum_address

from node.errors import DecryptionFailed
from node.messages.gate import Gate, encode_gate
from node.messages.sealed import CONTENT_KEY_BYTES, CONTENT_NONCE_BYTES, CONTENT_VERSION, MIN_CONTENT_BYTES

__all__ = [
    "CONTENT_KEY_BYTES",
    "CONTENT_VERSION",
    "ContentKey",
    "content_aad",
    "decrypt_content",
    "encrypt_content",
]

log = logging.getLogger(__name__)

_AAD_LABEL = b"mecenate/content/v1"


class ContentKey:
    """A 256-bit AES-GCM key that keeps itself out of logs and reprs.

    ``repr()`` and ``str()`` never show the key, equality is constant-time, and there is no
    ``__bytes__``: getting the raw bytes takes an explicit :meth:`to_bytes` call, which is
    easy to find in review (the places that legitimately need them are wrapping, the node's
    key store, and the online-unlock response to a holder who passed the gate).
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        """Wrap existing key bytes; raises :class:`ValueError` unless ``key`` is 32 bytes."""
        if not isinstance(key, (bytes, bytearray)) or len(key) != CONTENT_KEY_BYTES:
            raise ValueError(f"key must be {CONTENT_KEY_BYTES} bytes")
        self._key = bytes(key)

    @classmethod
    def generate(cls) -> ContentKey:
        """Return a fresh random key from the OS CSPRNG; one per gated post."""
        return cls(AESGCM.generate_key(bit_length=CONTENT_KEY_BYTES * 8))

    def to_bytes(self) -> bytes:
        """Return the raw key. Every call site is a place where the key leaves this object."""
        return self._key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContentKey):
            return NotImplemented
        return hmac.compare_digest(self._key, other._key)

    __hash__ = None  # type: ignore[assignment]  # keys are not dict keys: no hashing of secrets

    def __repr__(self) -> str:
        return "ContentKey(<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        # Pickling would write the key wherever the pickle goes (caches, task queues, crash
        # dumps): refuse, so persisting a key is always an explicit ``to_bytes()``.
        raise TypeError("ContentKey cannot be pickled; persist key.to_bytes() explicitly")


def content_aad(*, chain_id: int, author: str, gate: Gate) -> bytes:
    """Return the associated data that binds a content blob to its chain, author and gate.

    Raises :class:`ValueError` if ``chain_id`` is not a positive integer below 2**256 or
    ``author`` is not an EIP-55 checksum address; the gate was validated when it was built.
    """
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or not 0 < chain_id < 2**256:
        raise ValueError(f"chain_id must be a positive integer, got {chain_id!r}")
    if not isinstance(author, str) or not is_checksum_address(author):
        raise ValueError(f"author must be an EIP-55 checksum address, got {author!r}")
    return b"".join(
        (
            _AAD_LABEL,
            bytes([CONTENT_VERSION]),
            chain_id.to_bytes(32, "big"),
            bytes.fromhex(author[2:]),
            encode_gate(gate),
        )
    )


def encrypt_content(plaintext: bytes, key: ContentKey, *, chain_id: int, author: str, gate: Gate) -> bytes:
    """Encrypt a post body under ``key``, bound to ``chain_id``, ``author`` and ``gate``.

    Returns the versioned blob described in the module docstring. Raises :class:`ValueError`
    for a malformed context (see :func:`content_aad`) and :class:`TypeError` if ``plaintext``
    is not bytes.
    """
    if not isinstance(plaintext, (bytes, bytearray, memoryview)):
        raise TypeError(f"plaintext must be bytes, got {type(plaintext).__name__}")
    if not isinstance(key, ContentKey):
        raise TypeError(f"key must be a ContentKey, got {type(key).__name__}")
    aad = content_aad(chain_id=chain_id, author=author, gate=gate)
    nonce = os.urandom(CONTENT_NONCE_BYTES)
    sealed = AESGCM(key.to_bytes()).encrypt(nonce, bytes(plaintext), aad)
    return bytes([CONTENT_VERSION]) + nonce + sealed


def decrypt_content(blob: bytes, key: ContentKey, *, chain_id: int, author: str, gate: Gate) -> bytes:
    """Decrypt a content blob made by :func:`encrypt_content` with the same context.

    Raises :class:`~node.errors.DecryptionFailed` when the blob is truncated, has an unknown
    version byte, or fails authentication: a flipped byte anywhere, a wrong key, or a context
    (chain, author, gate) other than the one it was sealed under. GCM cannot tell these last
    apart, so the error does not pretend to.
    """
    if not isinstance(key, ContentKey):
        raise TypeError(f"key must be a ContentKey, got {type(key).__name__}")
    aad = content_aad(chain_id=chain_id, author=author, gate=gate)
    blob = bytes(blob)
    if len(blob) < MIN_CONTENT_BYTES:
        raise DecryptionFailed(f"content blob is truncated ({len(blob)} bytes)")
    if blob[0] != CONTENT_VERSION:
        raise DecryptionFailed(f"content blob has unknown version {blob[0]}")
    nonce, sealed = blob[1 : 1 + CONTENT_NONCE_BYTES], blob[1 + CONTENT_NONCE_BYTES :]
    try:
        return AESGCM(key.to_bytes()).decrypt(nonce, sealed, aad)
    except InvalidTag as exc:
        log.debug("content blob failed authentication (author %s, chain %d)", author, chain_id)
        raise DecryptionFailed(
            "content does not decrypt: wrong key, or tampered, or sealed under another chain, author or gate"
        ) from exc
