"""The browser's exclusive-content module (web/src/exclusive) against the node's Python.

The TypeScript runs in Node (tests/web/exclusive/interop.mjs over the esbuild bundle) and every
value crosses the language boundary: gates the browser builds are the node's canonical bytes; a
body encrypted in TypeScript decrypts in Python and the other way round; a grant wrapped by
``node.gating.wrap`` opens in TypeScript, and a tampered one, or one bound to anything else, is
refused with a reason; the key derived from a wallet signature matches an implementation of
docs/web-keys.md written here in Python, and is the same for every encoding of one signature.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eth_account import Account
from eth_account.messages import encode_defunct

from node import gating
from node.errors import DecryptionFailed, InvalidGate
from node.gating import Balance, ContentKey, GrantBinding, encode_gate
from node.messages import gate as g
from tests.web.exclusive.bundle import ROOT, bundle

CHAIN = 31337
TOKEN_A = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TOKEN_B = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
AUTHOR = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
HARNESS = ROOT / "tests" / "web" / "exclusive" / "interop.mjs"
#: Bound on one run of the harness (a few dozen operations take well under a second).
NODE_TIMEOUT_S = 60
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundle(tmp_path_factory.mktemp("exclusive") / "exclusive.mjs")


@pytest.fixture
def ts(module: Path):  # type: ignore[no-untyped-def]
    """Run operations in the TypeScript module; returns one result dict per operation."""

    def run(*operations: dict[str, Any]) -> list[dict[str, Any]]:
        done = subprocess.run(
            ["node", str(HARNESS), str(module)],
            input=json.dumps(list(operations)),
            capture_output=True,
            text=True,
            timeout=NODE_TIMEOUT_S,
            check=True,
        )
        return json.loads(done.stdout)

    return run


def spec(gate: g.Gate) -> dict[str, Any]:
    """A gate as the page's editor hands it over: fields as typed (lowercase token, whole strings)."""
    if isinstance(gate, Balance):
        return {
            "type": "balance",
            "chainId": str(gate.chain_id),
            "token": gate.token.lower(),
            "minBalance": str(gate.min_balance),
        }
    return {
        "type": "all" if isinstance(gate, g.All) else "any",
        "of": [spec(child) for child in gate.conditions],
    }


GATES = [
    Balance(CHAIN, TOKEN_A, 5 * 10**18),
    g.All([Balance(CHAIN, TOKEN_A, 1000), Balance(CHAIN, TOKEN_B, 2**256 - 1)]),
    g.Any([Balance(CHAIN, TOKEN_B, 1), Balance(1, TOKEN_A, 7)]),
    g.All(
        [Balance(CHAIN, TOKEN_A, 1000), g.Any([Balance(1, TOKEN_B, 5), g.All([Balance(CHAIN, TOKEN_B, 1)])])]
    ),
]


def test_gates_built_in_the_browser_are_the_nodes_canonical_bytes(ts) -> None:  # type: ignore[no-untyped-def]
    built = ts(*({"op": "build", "gate": spec(gate)} for gate in GATES))
    parsed = ts(*({"op": "parse", "text": encode_gate(gate).decode()} for gate in GATES))
    for gate, made, read in zip(GATES, built, parsed, strict=True):
        assert made == {"ok": encode_gate(gate).decode()}
        assert gating.parse_gate(made["ok"]) == gate
        assert read == made


LEAF = '{"chainId":"1","minBalance":"1","token":"TOKEN","type":"balance"}'
NOT_CANONICAL = [
    text.replace("TOKEN", TOKEN_A)
    for text in (
        '{"type":"balance","chainId":"31337","minBalance":"1","token":"TOKEN"}',  # key order
        '{"chainId":"31337", "minBalance":"1","token":"TOKEN","type":"balance"}',  # whitespace
        '{"chainId":31337,"minBalance":"1","token":"TOKEN","type":"balance"}',  # a JSON number
        '{"chainId":"31337","minBalance":"0","token":"TOKEN","type":"balance"}',  # admits everyone
        '{"chainId":"31337","minBalance":"01","token":"TOKEN","type":"balance"}',  # leading zero
        '{"of":[],"type":"all"}',  # an empty AND admits everyone
        '{"chainId":"31337","extra":"1","minBalance":"1","token":"TOKEN","type":"balance"}',  # unknown field
        '{"of":[{"of":[{"of":[{"of":[LEAF],"type":"all"}],"type":"all"}],"type":"all"}],"type":"all"}'.replace(
            "LEAF", LEAF
        ),  # five levels
        '{"of":[%s],"type":"any"}'.replace("%s", ",".join([LEAF] * 9)),  # nine leaves
    )
] + ['{"chainId":"1","minBalance":"1","token":"TOKEN","type":"balance"}'.replace("TOKEN", TOKEN_A.lower())]


@pytest.mark.parametrize("text", NOT_CANONICAL)
def test_a_gate_the_node_refuses_is_refused_in_the_browser_with_a_reason(ts, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidGate):
        gating.parse_gate(text)
    [result] = ts({"op": "parse", "text": text})
    assert result["error"]["reason"] == "invalid_gate", result


def test_the_gate_editor_refuses_a_minimum_of_zero_and_a_bad_token(ts) -> None:  # type: ignore[no-untyped-def]
    zero, token = ts(
        {"op": "build", "gate": {"type": "balance", "chainId": "31337", "token": TOKEN_A, "minBalance": "0"}},
        {
            "op": "build",
            "gate": {"type": "balance", "chainId": "31337", "token": "0x1234", "minBalance": "1"},
        },
    )
    assert zero["error"]["reason"] == "invalid_gate" and "minBalance" in zero["error"]["message"]
    assert token["error"]["reason"] == "invalid_gate" and "token" in token["error"]["message"]


def test_a_gate_in_words(ts) -> None:  # type: ignore[no-untyped-def]
    text = encode_gate(g.All([Balance(CHAIN, TOKEN_A, 5 * 10**18), g.Any([Balance(CHAIN, TOKEN_B, 10**17)])]))
    [named] = ts({"op": "describe", "text": text.decode(), "names": {TOKEN_A: {"symbol": "CRE"}}})
    assert named == {"ok": "at least 5 CRE, and (at least 0.1 of token 0xe7f1…0512)"}


@pytest.mark.parametrize("gate", GATES[:2])
def test_a_body_encrypted_in_the_browser_decrypts_in_python_and_back(ts, gate: g.Gate) -> None:  # type: ignore[no-untyped-def]
    key = ContentKey.generate()
    context = {
        "chainId": CHAIN,
        "author": AUTHOR,
        "gate": encode_gate(gate).decode(),
        "key": "0x" + key.to_bytes().hex(),
    }
    body = "the secret track ♫, with a line\nbreak"
    [sealed] = ts({"op": "encrypt", "text": body, **context})
    blob = bytes.fromhex(sealed["ok"][2:])
    assert blob[0] == 1 and len(blob) == 1 + 12 + len(body.encode()) + 16
    assert gating.decrypt_content(blob, key, chain_id=CHAIN, author=AUTHOR, gate=gate).decode() == body

    python_blob = gating.encrypt_content(body.encode(), key, chain_id=CHAIN, author=AUTHOR, gate=gate)
    [opened] = ts({"op": "decrypt", "blob": "0x" + python_blob.hex(), **context})
    assert opened == {"ok": body}


def test_a_tampered_body_or_one_under_another_gate_or_author_is_refused(ts) -> None:  # type: ignore[no-untyped-def]
    key, gate = ContentKey.generate(), GATES[0]
    blob = gating.encrypt_content(b"secret", key, chain_id=CHAIN, author=AUTHOR, gate=gate)
    flipped = bytearray(blob)
    flipped[20] ^= 1
    base = {"op": "decrypt", "key": "0x" + key.to_bytes().hex(), "chainId": CHAIN, "author": AUTHOR}
    results = ts(
        {**base, "blob": "0x" + flipped.hex(), "gate": encode_gate(gate).decode()},
        {**base, "blob": "0x" + blob.hex(), "gate": encode_gate(GATES[1]).decode()},
        {**base, "blob": "0x" + blob.hex(), "gate": encode_gate(gate).decode(), "author": TOKEN_B},
        {**base, "blob": "0x" + blob.hex(), "gate": encode_gate(gate).decode(), "chainId": 1},
        {**base, "blob": "0x" + blob[:20].hex(), "gate": encode_gate(gate).decode()},
        {**base, "blob": "0x02" + blob[1:].hex(), "gate": encode_gate(gate).decode()},
    )
    for result in results:
        assert result["error"]["reason"] == "decryption_failed", result
    assert "truncated" in results[4]["error"]["message"]
    assert "unknown version 2" in results[5]["error"]["message"]
    with pytest.raises(DecryptionFailed):  # the same flip, refused by the node too
        gating.decrypt_content(bytes(flipped), key, chain_id=CHAIN, author=AUTHOR, gate=gate)


def _binding(post_id: bytes, recipient: str) -> GrantBinding:
    return GrantBinding(CHAIN, post_id, AUTHOR, recipient)


def _binding_json(post_id: bytes, recipient: str, **changes: Any) -> dict[str, Any]:
    return {
        "chainId": CHAIN,
        "postId": "0x" + post_id.hex(),
        "author": AUTHOR,
        "recipient": recipient,
        **changes,
    }


def test_a_grant_wrapped_by_python_opens_in_the_browser_and_nothing_else_does(ts) -> None:  # type: ignore[no-untyped-def]
    seed, post_id, holder = os.urandom(32), os.urandom(32), Account.create().address
    public = X25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    key = ContentKey.generate()
    wrapped = gating.wrap(key, public, _binding(post_id, holder))
    tampered = bytearray(wrapped)
    tampered[-1] ^= 1
    base = {"op": "open", "seed": "0x" + seed.hex(), "wrapped": "0x" + wrapped.hex()}
    other = os.urandom(32)
    results = ts(
        {**base, "binding": _binding_json(post_id, holder), "wrappedTo": "0x" + public.hex()},
        {**base, "binding": _binding_json(post_id, holder, postId="0x" + other.hex())},
        {**base, "binding": _binding_json(post_id, holder, chainId=1)},
        {**base, "binding": _binding_json(post_id, Account.create().address)},
        {**base, "binding": _binding_json(post_id, holder, author=TOKEN_A)},
        {**base, "wrapped": "0x" + tampered.hex(), "binding": _binding_json(post_id, holder)},
        {**base, "seed": "0x" + os.urandom(32).hex(), "binding": _binding_json(post_id, holder)},
        {**base, "wrapped": "0x01" + wrapped[1:].hex(), "binding": _binding_json(post_id, holder)},
        {**base, "binding": _binding_json(post_id, holder), "wrappedTo": "0x" + other.hex()},
    )
    assert results[0] == {"ok": "0x" + key.to_bytes().hex()}
    for result in results[1:8]:
        assert result["error"]["reason"] == "decryption_failed", result
    assert "retired version 1" in results[7]["error"]["message"]
    assert results[8]["error"]["reason"] == "not_your_key"


# -- the key derived from a wallet signature, as docs/web-keys.md specifies it, in Python


def _seed(signature: bytes, index: int = 0) -> bytes:
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    low_s = min(s, SECP256K1_N - s)
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"mecenate/encryption-key/x25519-from-wallet-signature/v1" + index.to_bytes(4, "big"),
    ).derive(r.to_bytes(32, "big") + low_s.to_bytes(32, "big"))


def test_the_key_derived_from_a_wallet_signature_is_the_documented_one_for_every_encoding(ts) -> None:  # type: ignore[no-untyped-def]
    account = Account.create()
    [message] = ts({"op": "keyMessage", "address": account.address.lower(), "index": 0})
    text = message["ok"]
    assert text.startswith("Mecenate: create my encryption key\n")
    assert f"Account: {account.address}\nKey number: 0" in text  # checksummed, whatever was passed
    signature = bytes(Account.sign_message(encode_defunct(text=text), account.key).signature)
    again = bytes(Account.sign_message(encode_defunct(text=text), account.key).signature)
    assert signature == again  # RFC 6979: the same account signs the same text the same way
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    high_s = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # the same signature, high s
    v_as_parity = signature[:64] + bytes([v - 27])  # the same, v as 0/1 (some hardware wallets)
    seed = _seed(signature)
    public = "0x" + X25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw().hex()
    results = ts(
        *(
            {"op": "derive", "signature": "0x" + sig.hex(), "index": 0}
            for sig in (signature, again, high_s, v_as_parity)
        ),
        {"op": "derive", "signature": "0x" + signature.hex(), "index": 1},
    )
    for result in results[:4]:
        assert result == {"ok": {"seed": "0x" + seed.hex(), "publicKey": public}}
    assert results[4]["ok"]["seed"] == "0x" + _seed(signature, 1).hex() != "0x" + seed.hex()


def test_a_grant_to_the_derived_key_opens_with_the_key_derived_again(ts) -> None:  # type: ignore[no-untyped-def]
    account, post_id, key = Account.create(), os.urandom(32), ContentKey.generate()
    [message] = ts({"op": "keyMessage", "address": account.address, "index": 0})
    signature = bytes(Account.sign_message(encode_defunct(text=message["ok"]), account.key).signature)
    [derived] = ts({"op": "derive", "signature": "0x" + signature.hex(), "index": 0})
    public = bytes.fromhex(derived["ok"]["publicKey"][2:])
    wrapped = gating.wrap(key, public, _binding(post_id, account.address))  # as the creator's node does
    [opened] = ts(
        {
            "op": "open",
            "seed": derived["ok"]["seed"],
            "wrapped": "0x" + wrapped.hex(),
            "binding": _binding_json(post_id, account.address),
            "wrappedTo": "0x" + public.hex(),
        }
    )
    assert opened == {"ok": "0x" + key.to_bytes().hex()}


def test_a_wallet_whose_signatures_differ_cannot_publish_a_key(ts) -> None:  # type: ignore[no-untyped-def]
    account = Account.create()
    [message] = ts({"op": "keyMessage", "address": account.address, "index": 0})
    signature = bytes(Account.sign_message(encode_defunct(text=message["ok"]), account.key).signature)
    other = bytes(Account.sign_message(encode_defunct(text=message["ok"] + " "), account.key).signature)
    same, differ = ts(
        {"op": "checkedKey", "address": account.address, "signatures": ["0x" + signature.hex()] * 2},
        {
            "op": "checkedKey",
            "address": account.address,
            "signatures": ["0x" + signature.hex(), "0x" + other.hex()],
        },
    )
    seed = _seed(signature)
    assert same == {
        "ok": "0x" + X25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw().hex()
    }
    assert differ["error"]["reason"] == "wallet_not_deterministic"
    assert "cannot re-create a stable encryption key" in differ["error"]["message"]
