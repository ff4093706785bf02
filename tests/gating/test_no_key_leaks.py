"""Keys never show up in repr(), str(), exception text or log records (DESIGN: "Keys never
appear in logs"). Runs every operation, failures included, with DEBUG logging captured."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from eth_account import Account
from eth_account.messages import encode_defunct

from node.errors import MecenateError
from node.gating import (
    Challenger,
    ContentKey,
    Gate,
    GrantBinding,
    decrypt_content,
    encrypt_content,
    generate_keypair,
    keypair_from_eth_key,
    unwrap,
    wrap,
)
from node.grants import SqliteNonceBook

from .conftest import AUTHOR, CHAIN, FakeClock


def _encodings(secret: bytes) -> list[str]:
    """Every way a secret is likely to be printed, and its middle (in case of truncation)."""
    forms = [
        secret.hex(),
        secret.hex().upper(),
        repr(secret),
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
        str(list(secret)),
    ]
    return [*forms, secret[8:24].hex(), repr(secret[8:24])[2:-1]]


def _assert_clean(text: str, secrets: list[bytes]) -> None:
    for secret in secrets:
        for form in _encodings(secret):
            assert form not in text, f"key material leaked: {text[:200]!r}"


def test_no_key_material_in_reprs_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
    clock: FakeClock,
    nonces: SqliteNonceBook,
    post_id: bytes,
    sample_gate: Gate,
) -> None:
    caplog.set_level(logging.DEBUG)
    account = Account.create()
    content_key = ContentKey.generate()
    generated = generate_keypair()
    derived = keypair_from_eth_key(account.key)
    secrets = [
        content_key.to_bytes(),
        generated.private_key.private_bytes_raw(),
        derived.private_key.private_bytes_raw(),
        bytes(account.key),
    ]
    texts: list[str] = []
    holders: list[object] = [content_key, generated, derived, generated.private_key, derived.private_key]
    for obj in holders:
        texts += [repr(obj), str(obj), f"{obj}", f"{obj!r}"]

    # the whole flow, successes and failures alike
    blob = encrypt_content(b"secret body", content_key, chain_id=CHAIN, author=AUTHOR, gate=sample_gate)
    for recipient in (generated, derived):
        binding = GrantBinding(CHAIN, post_id, AUTHOR, account.address)
        grant = wrap(content_key, recipient.public_key, binding)
        opened = unwrap(grant, recipient, binding)
        texts += [repr(opened), str(opened)]
        failures = [
            lambda: unwrap(grant, generate_keypair(), binding),
            lambda: unwrap(grant[:-1] + bytes([grant[-1] ^ 1]), recipient, binding),
            lambda: unwrap(grant, recipient, GrantBinding(CHAIN, bytes(32), AUTHOR, account.address)),
            lambda: decrypt_content(
                blob, ContentKey.generate(), chain_id=CHAIN, author=AUTHOR, gate=sample_gate
            ),
            lambda: decrypt_content(
                blob[:-1] + b"\x00", content_key, chain_id=CHAIN, author=AUTHOR, gate=sample_gate
            ),
            lambda: wrap(content_key, bytes(32), binding),
        ]
        for failure in failures:
            with pytest.raises(MecenateError) as info:
                failure()
            texts += [str(info.value), repr(info.value), repr(info.value.__cause__)]
    challenger = Challenger(
        domain="node.example",
        uri="https://node.example/v1/unlock",
        chain_id=CHAIN,
        nonces=nonces,
        ttl=timedelta(minutes=5),
        clock=clock,
    )
    text = challenger.issue(account.address, post_id)
    signature = bytes(account.sign_message(encode_defunct(text=text)).signature)
    challenger.verify(text, signature, post_id)
    with pytest.raises(MecenateError) as info:
        challenger.verify(text, signature, post_id)
    texts.append(str(info.value))

    assert caplog.records, "the operations above are expected to log something"
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), str(record.__dict__)]
    texts.append(caplog.text)
    _assert_clean("\n".join(texts), secrets)


def test_the_check_itself_would_catch_a_leak() -> None:
    key = ContentKey.generate()
    with pytest.raises(AssertionError):
        _assert_clean(f"oops {key.to_bytes().hex()}", [key.to_bytes()])
    with pytest.raises(AssertionError):
        _assert_clean(f"oops {key.to_bytes()!r}", [key.to_bytes()])
    raw = X25519PrivateKey.generate()
    _assert_clean(repr(raw), [raw.private_bytes_raw()])
