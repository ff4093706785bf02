"""Content encryption: round trips, and every kind of tampering or context swap fails."""

from __future__ import annotations

import pickle

import pytest

from node.errors import DecryptionFailed, GateRefused
from node.gating import Balance, ContentKey, Gate, decrypt_content, encrypt_content
from node.gating.content import CONTENT_VERSION

from .conftest import AUTHOR, CHAIN, TOKEN_A

OTHER_AUTHOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BODY = "Behind the scenes: the full making-of, with stems. ✨".encode()


def _seal(key: ContentKey, gate: Gate, body: bytes = BODY) -> bytes:
    return encrypt_content(body, key, chain_id=CHAIN, author=AUTHOR, gate=gate)


def _open(blob: bytes, key: ContentKey, sealed_under: Gate, **context: object) -> bytes:
    args: dict[str, object] = {"chain_id": CHAIN, "author": AUTHOR, "gate": sealed_under}
    args.update(context)
    return decrypt_content(blob, key, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body", [b"", b"x", BODY, bytes(range(256)) * 4096], ids=["empty", "one", "text", "1MiB"]
)
def test_round_trip(sample_gate: Gate, body: bytes) -> None:
    key = ContentKey.generate()
    blob = _seal(key, sample_gate, body)
    assert blob[0] == CONTENT_VERSION
    assert len(blob) == 1 + 12 + len(body) + 16
    assert _open(blob, key, sample_gate) == body
    assert _open(blob, ContentKey(key.to_bytes()), sample_gate) == body


def test_each_encryption_uses_a_fresh_nonce(sample_gate: Gate) -> None:
    key = ContentKey.generate()
    assert _seal(key, sample_gate) != _seal(key, sample_gate)
    assert ContentKey.generate() != ContentKey.generate()


@pytest.mark.parametrize(
    ("where", "words"),
    [(0, "unknown version"), (1, "does not decrypt"), (13, "does not decrypt"), (-1, "does not decrypt")],
    ids=["version", "nonce", "ciphertext", "tag"],
)
def test_any_flipped_byte_fails(sample_gate: Gate, where: int, words: str) -> None:
    key = ContentKey.generate()
    blob = bytearray(_seal(key, sample_gate))
    blob[where] ^= 0x01
    with pytest.raises(DecryptionFailed, match=words):
        _open(bytes(blob), key, sample_gate)


def test_truncated_and_extended_blobs_fail(sample_gate: Gate) -> None:
    key = ContentKey.generate()
    blob = _seal(key, sample_gate)
    for bad in (b"", blob[:28], blob[:-1], blob + b"\x00"):
        with pytest.raises(DecryptionFailed):
            _open(bad, key, sample_gate)


def test_wrong_key_fails(sample_gate: Gate) -> None:
    blob = _seal(ContentKey.generate(), sample_gate)
    with pytest.raises(DecryptionFailed):
        _open(blob, ContentKey.generate(), sample_gate)


def test_ciphertext_cannot_move_to_another_context(sample_gate: Gate) -> None:
    key = ContentKey.generate()
    blob = _seal(key, sample_gate)
    looser = Balance(CHAIN, TOKEN_A, 1)
    for context in (
        {"gate": looser},  # republished behind a cheaper gate
        {"author": OTHER_AUTHOR},  # lifted into someone else's post
        {"chain_id": 1},  # replayed on another network
    ):
        with pytest.raises(DecryptionFailed) as info:
            _open(blob, key, sample_gate, **context)
        assert isinstance(info.value, GateRefused)


def test_bad_context_and_key_inputs_are_refused(sample_gate: Gate) -> None:
    key = ContentKey.generate()
    with pytest.raises(ValueError, match="author"):
        encrypt_content(BODY, key, chain_id=CHAIN, author=AUTHOR.lower(), gate=sample_gate)
    with pytest.raises(ValueError, match="chain_id"):
        encrypt_content(BODY, key, chain_id=0, author=AUTHOR, gate=sample_gate)
    with pytest.raises(TypeError):
        encrypt_content("text", key, chain_id=CHAIN, author=AUTHOR, gate=sample_gate)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        encrypt_content(BODY, key.to_bytes(), chain_id=CHAIN, author=AUTHOR, gate=sample_gate)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="32 bytes"):
        ContentKey(b"short")


def test_content_key_does_not_leak_by_accident() -> None:
    key = ContentKey.generate()
    with pytest.raises(TypeError):
        bytes(key)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        hash(key)
