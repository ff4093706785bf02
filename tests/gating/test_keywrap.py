"""Key grants: HPKE wrap/unwrap bound to chain, post, author and recipient; encryption key helpers."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import pickle

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from eth_account import Account

from node.errors import DecryptionFailed, InvalidInput
from node.gating import (
    ContentKey,
    EncryptionKeyPair,
    GrantBinding,
    generate_keypair,
    keypair_from_eth_key,
    load_public_key,
    unwrap,
    wrap,
)
from node.gating.keywrap import GRANT_BYTES, GRANT_VERSION, SUITE

# The well-known test key from the eth-account documentation.
ETH_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
# X25519 points of small order: every shared secret with them is zero.
LOW_ORDER = [bytes(32), (1).to_bytes(32, "little")]
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b0" * 20


def test_round_trip(binding: GrantBinding) -> None:
    key = ContentKey.generate()
    holder = generate_keypair()
    blob = wrap(key, holder.public_key, binding)
    assert len(blob) == GRANT_BYTES == 81 and blob[0] == GRANT_VERSION == 2
    assert unwrap(blob, holder, binding) == key
    assert unwrap(blob, holder.private_key, binding) == key
    assert unwrap(wrap(key, holder.private_key.public_key(), binding), holder, binding) == key


def test_wire_form_is_version_then_plain_hpke(binding: GrantBinding) -> None:
    """After the version byte comes exactly HPKE's single-shot output, ``enc || ct``, sealed
    with the documented ``info``: what any RFC 9180 library opens."""
    key, holder = ContentKey.generate(), generate_keypair()
    blob = wrap(key, holder.public_key, binding)
    assert SUITE.decrypt(blob[1:], holder.private_key, info=binding.info(holder.public_key)) == key.to_bytes()


def test_info_layout_is_pinned() -> None:
    """The ``info`` bytes are protocol: other implementations build them from this layout."""
    post = bytes(range(32))
    recipient_key = bytes(range(32, 64))
    info = GrantBinding(31337, post, ALICE, BOB).info(recipient_key)
    assert info == (
        b"mecenate/key-grant/v2"
        + (31337).to_bytes(32, "big")
        + post
        + bytes.fromhex("a1" * 20)
        + bytes.fromhex("b0" * 20)
        + recipient_key
    )
    assert len(info) == 157
    # an address's case (EIP-55 checksum) does not change the binding
    assert GrantBinding(31337, post, ALICE.upper().replace("0X", "0x"), BOB).info(recipient_key) == info


def test_each_grant_has_its_own_ephemeral_key(binding: GrantBinding) -> None:
    key, holder = ContentKey.generate(), generate_keypair()
    first, second = wrap(key, holder.public_key, binding), wrap(key, holder.public_key, binding)
    assert first[1:33] != second[1:33] and first != second


def test_grant_for_someone_else_does_not_open(binding: GrantBinding) -> None:
    key, alice, mallory = ContentKey.generate(), generate_keypair(), generate_keypair()
    blob = wrap(key, alice.public_key, binding)
    with pytest.raises(DecryptionFailed, match="another key"):
        unwrap(blob, mallory, binding)


@pytest.mark.parametrize(
    "change",
    [{"chain_id": 1}, {"post_id": bytes(32)}, {"author": ALICE}, {"recipient": BOB}],
    ids=["chain", "post", "author", "recipient"],
)
def test_grant_moved_to_another_binding_does_not_open(
    binding: GrantBinding, change: dict[str, object]
) -> None:
    key, holder = ContentKey.generate(), generate_keypair()
    blob = wrap(key, holder.public_key, binding)
    with pytest.raises(DecryptionFailed, match="bound to another"):
        unwrap(blob, holder, dataclasses.replace(binding, **change))  # type: ignore[arg-type]


@pytest.mark.parametrize("where", [1, 32, 33, 64, 80], ids=["enc0", "enc31", "ct0", "ct31", "tag"])
def test_any_flipped_byte_fails(binding: GrantBinding, where: int) -> None:
    key, holder = ContentKey.generate(), generate_keypair()
    blob = bytearray(wrap(key, holder.public_key, binding))
    blob[where] ^= 0x80
    with pytest.raises(DecryptionFailed, match="does not open"):
        unwrap(bytes(blob), holder, binding)


def test_version_1_is_refused_as_retired_and_others_as_unknown(binding: GrantBinding) -> None:
    key, holder = ContentKey.generate(), generate_keypair()
    blob = wrap(key, holder.public_key, binding)
    with pytest.raises(DecryptionFailed, match=r"version 1 .*ECIES.* is retired"):
        unwrap(b"\x01" + blob[1:], holder, binding)
    with pytest.raises(DecryptionFailed, match="unknown version 3"):
        unwrap(b"\x03" + blob[1:], holder, binding)


def test_wrong_lengths_and_bad_bindings_fail(binding: GrantBinding) -> None:
    key, holder = ContentKey.generate(), generate_keypair()
    blob = wrap(key, holder.public_key, binding)
    for bad in (b"", blob[:-1], blob + b"\x00"):
        with pytest.raises(DecryptionFailed, match="81 bytes"):
            unwrap(bad, holder, binding)
    with pytest.raises(InvalidInput, match="32 bytes"):
        wrap(key, holder.public_key[:31], binding)
    with pytest.raises(TypeError, match="GrantBinding"):
        wrap(key, holder.public_key, binding.post_id)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="GrantBinding"):
        unwrap(blob, holder, binding.post_id)  # type: ignore[arg-type]
    bad_fields: list[dict[str, object]] = [
        {"post_id": binding.post_id[:31]},
        {"post_id": binding.post_id.hex()},
        {"chain_id": 0},
        {"chain_id": True},
        {"chain_id": 2**256},
        {"author": ALICE[:-1]},
        {"recipient": "bob"},
    ]
    for change in bad_fields:
        name = next(iter(change))
        with pytest.raises(ValueError, match=name):
            dataclasses.replace(binding, **change)  # type: ignore[arg-type]


def test_low_order_keys_are_refused(binding: GrantBinding) -> None:
    holder = generate_keypair()
    for point in LOW_ORDER:
        with pytest.raises(InvalidInput, match="low-order"):
            load_public_key(point)
        with pytest.raises(InvalidInput, match="low-order"):
            wrap(ContentKey.generate(), point, binding)
        forged = bytes([GRANT_VERSION]) + point + bytes(48)
        with pytest.raises(DecryptionFailed):
            unwrap(forged, holder, binding)
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


def test_keypair_from_eth_account_works_end_to_end(binding: GrantBinding) -> None:
    account = Account.create()
    published = keypair_from_eth_key(account.key).public_key  # what the profile would carry
    key = ContentKey.generate()
    blob = wrap(key, published, binding)
    # later, on another device, from the same account key only:
    assert unwrap(blob, keypair_from_eth_key(bytes(account.key)), binding) == key
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
