"""Layouts of the sealed fields a message carries, and the key a profile publishes for them.

A gated ``Post`` carries its body as a content blob, a ``KeyGrant`` a content key wrapped to
one holder, and a ``Profile`` field ``encryptionKey`` the X25519 public key grants are wrapped
to. Where a message enters the node these are checked for shape (:mod:`._validation`); sealing
and opening them is :mod:`node.gating`'s work (``content``, ``keywrap``). Both read the numbers
below, defined once::

    content blob = version (0x01) || nonce (12) || ciphertext || tag (16)          gating.content
    wrapped key  = version (0x02) || enc (32) || sealed content key (32) || tag (16) gating.keywrap

Pure: constants and one check, no I/O.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from node.errors import InvalidInput

__all__ = [
    "AEAD_TAG_BYTES",
    "CONTENT_KEY_BYTES",
    "CONTENT_NONCE_BYTES",
    "CONTENT_VERSION",
    "GRANT_BYTES",
    "GRANT_VERSION",
    "MIN_CONTENT_BYTES",
    "RETIRED_V1",
    "X25519_KEY_BYTES",
    "load_public_key",
]

#: AES-256-GCM: a 256-bit content key, a 96-bit nonce (the size that needs no extra hashing,
#: NIST SP 800-38D) and a 128-bit tag.
CONTENT_KEY_BYTES = 32
CONTENT_NONCE_BYTES = 12
AEAD_TAG_BYTES = 16

#: Version byte at the front of every content blob; the only version so far.
CONTENT_VERSION = 1
#: Shortest content blob: version, nonce and tag around an empty body.
MIN_CONTENT_BYTES = 1 + CONTENT_NONCE_BYTES + AEAD_TAG_BYTES

#: An X25519 public key, raw.
X25519_KEY_BYTES = 32
#: Version byte at the front of every wrapped key: 2 is HPKE (1, the retired ECIES, is refused).
GRANT_VERSION = 2
#: Length of every wrapped key: version, HPKE ``enc``, sealed content key, GCM tag.
GRANT_BYTES = 1 + X25519_KEY_BYTES + CONTENT_KEY_BYTES + AEAD_TAG_BYTES
#: Why a version-1 wrapped key is refused (pre-release, so there is no reader for it).
RETIRED_V1 = "version 1 (the hand-written ECIES before HPKE) is retired: the creator's node must grant again"

# A fixed scalar used only to probe whether a public key is a low-order point (the exchange
# then yields all zeros, which cryptography refuses with ValueError). Not a secret.
_PROBE = X25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def load_public_key(raw: bytes) -> X25519PublicKey:
    """Validate and load a 32-byte X25519 public key, as published in a profile.

    Raises :class:`~node.errors.InvalidInput` for a wrong length or a low-order point (one whose
    shared secret with anyone is all zeros, so a grant to it would be readable by everybody).
    Run it where the profile field enters the node, so that wrapping sees only good keys.
    """
    if not isinstance(raw, (bytes, bytearray)) or len(raw) != X25519_KEY_BYTES:
        raise InvalidInput(f"encryption public key must be {X25519_KEY_BYTES} bytes")
    public = X25519PublicKey.from_public_bytes(bytes(raw))
    try:
        _PROBE.exchange(public)
    except ValueError as exc:
        raise InvalidInput("encryption public key is a low-order point") from exc
    return public
