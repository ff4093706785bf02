"""Key grants: ECIES wrap/unwrap bound to post and recipient; encryption key helpers."""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from eth_account import Account

from node.errors import DecryptionFailed, InvalidInput
from node.gating import (
    ContentKey,
    EncryptionKeyPair,
    generate_keypair,
    keypair_from_eth_key,
    load_public_key,
    unwrap,
    wrap,
)
from node.gating.ecies import GRANT_BYTES, GRANT_VERSION

# The well-known test key from the eth-account documentation.
ETH_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
# X25519 points of small order: every shared secret with them is zero.
LOW_ORDER = [bytes(32), (1).to_bytes(32, "little")]


def test_round_trip(post_id: bytes) -> None:
    key = ContentKey.generate()
    holder = generate_keypair()
    blob = wrap(key, holder.public_key, post_id)
    assert len(blob) == GRANT_BYTES == 81 and blob[0] == GRANT_VERSION
    assert unwrap(blob, holder, post_id) == key
    assert unwrap(blob, holder.private_key, post_id) == key
    assert unwrap(wrap(key, holder.private_key.public_key(), post_id), holder, post_id) == key


def test_each_grant_has_its_own_ephemeral_key(post_id: bytes) -> None:
    key, holder = ContentKey.generate(), generate_keypair()
    first, second = wrap(key, holder.public_key, post_id), wrap(key, holder.public_key, post_id)
    assert first[1:33] != second[1:33] and first != second


def test_grant_for_someone_else_does_not_open(post_id: bytes) -> None:
    key, alice, mallory = ContentKey.generate(), generate_keypair(), generate_keypair()
    blob = wrap(key, alice.public_key, post_id)
    with pytest.raises(DecryptionFailed, match="another recipient"):
        unwrap(blob, mallory, post_id)


def test_grant_moved_to_another_post_does_not_open(post_id: bytes) -> None:
    key, holder = ContentKey.generate(), generate_keypair()
    blob = wrap(key, holder.public_key, post_id)
    with pytest.raises(DecryptionFailed, match="another post"):
        unwrap(blob, holder, os.urandom(32))


@pytest.mark.parametrize("where", [0, 1, 32, 33, 64, 80], ids=["version", "eph0", "eph31", "ct0", "ct31", "tag"])
def test_any_flipped_byte_fails(post_id: bytes, where: int) -> None:
    key, holder = ContentKey.generate(), generate_keypair()
    blob = bytearray(wrap(key, holder.public_key, post_id))
    blob[where] ^= 0x80
    with pytest.raises(DecryptionFailed):
        unwrap(bytes(blob), holder, post_id)


def test_wrong_lengths_fail(post_id: bytes) -> None:
    key, holder = ContentKey.generate(), generate_keypair()
    blob = wrap(key, holder.public_key, post_id)
    for bad in (b"", blob[:-1], blob + b"\x00"):
        with pytest.raises(DecryptionFailed, match="81 bytes"):
            unwrap(bad, holder, post_id)
    with pytest.raises(ValueError, match="post_id"):
        wrap(key, holder.public_key, post_id[:31])
    with pytest.raises(ValueError, match="post_id"):
        unwrap(blob, holder, post_id.hex().encode())
    with pytest.raises(InvalidInput, match="32 bytes"):
        wrap(key, holder.public_key[:31], post_id)


def test_low_order_keys_are_refused(post_id: bytes) -> None:
    holder = generate_keypair()
    for point in LOW_ORDER:
        with pytest.raises(InvalidInput, match="low-order"):
            load_public_key(point)
        with pytest.raises(InvalidInput, match="low-order"):
            wrap(ContentKey.generate(), point, post_id)
        forged = bytes([GRANT_VERSION]) + point + bytes(48)
        with pytest.raises(DecryptionFailed):
            unwrap(forged, holder, post_id)
    assert load_public_key(holder.public_key).public_bytes_raw() == holder.public_key


def test_keypair_from_eth_key_is_deterministic_and_pinned() -> None:
    derived = keypair_from_eth_key(ETH_KEY)
    assert derived.public_key == keypair_from_eth_key(ETH_KEY).public_key
    # Protocol vector: changing the label or the KDF would strand every grant ever made.
    assert derived.public_key.hex() == "76c9806a499209f0821aff567cc0931cca87cc5bd9023424dd5fa1d2b92e3a6f"
    assert keypair_from_eth_key(ETH_KEY, index=1).public_key.hex() == (
        "bfc51da2ca1937ee30e86807969cef03d0339d5dd1f83653446efbe3b90f4162"
    )
    # ... and the same seed computed independently with RFC 5869 HKDF from hmac/hashlib.
    prk = hmac.new(bytes(32), ETH_KEY, hashlib.sha256).digest()
    info = b"mecenate/encryption-key/x25519-from-secp256k1/v1" + (0).to_bytes(4, "big")
    seed = hmac.new(prk, info + b"\x01", hashlib.sha256).digest()
    independent = X25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    assert independent == derived.public_key


def test_keypair_from_eth_account_works_end_to_end(post_id: bytes) -> None:
    account = Account.create()
    published = keypair_from_eth_key(account.key).public_key  # what the profile would carry
    key = ContentKey.generate()
    blob = wrap(key, published, post_id)
    # later, on another device, from the same account key only:
    assert unwrap(blob, keypair_from_eth_key(bytes(account.key)), post_id) == key
    assert keypair_from_eth_key(Account.create().key).public_key != published


def test_key_helper_inputs_are_validated() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        keypair_from_eth_key(ETH_KEY[:31])
    with pytest.raises(ValueError, match="index"):
        keypair_from_eth_key(ETH_KEY, index=-1)
    with pytest.raises(TypeError):
        EncryptionKeyPair(b"\x00" * 32)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pickle.dumps(generate_keypair())
