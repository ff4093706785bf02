"""The published test vectors: fast path, generic EIP-712 encoder and wire form all agree."""

from __future__ import annotations

import json
from pathlib import Path

import eth_abi.packed
import eth_utils
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from node.messages import (
    TYPES,
    decode_message,
    domain_separator,
    encode_message,
    message_from_json,
    sign_message,
    typed_data,
)
from node.messages._crypto import keccak
from node.messages._eip712 import TYPE_HASHES, struct_hash
from node.messages.community import community_id

VECTORS = sorted((Path(__file__).parent.parent / "vectors").glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def test_every_type_has_a_vector():
    covered = {load(p)["typedData"]["primaryType"] for p in VECTORS}
    assert covered == set(TYPES)


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_vector(path: Path):
    v = load(path)
    td = v["typedData"]
    chain_id = td["domain"]["chainId"]
    name = td["primaryType"]

    # the wire form decodes to the same message, and re-encodes byte for byte
    m = decode_message(v["wire"].encode())
    assert m.type == name and m.chain_id == chain_id
    assert encode_message(m).decode() == v["wire"]
    assert "0x" + m.id.hex() == v["digest"]
    assert m.signer == v["signer"]
    assert "0x" + m.signature.hex() == v["signature"]

    # intermediate hashes from the fast path
    assert TYPES[name].encode_type == v["encodeType"]
    assert "0x" + TYPE_HASHES[name].hex() == v["typeHash"]
    assert "0x" + domain_separator(chain_id).hex() == v["domainSeparator"]
    assert "0x" + struct_hash(name, m.fields).hex() == v["structHash"]
    assert typed_data(name, m.fields, chain_id) == td

    # eth-account's generic encoder agrees on the digest and the signer
    signable = encode_typed_data(full_message=td)
    assert "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex() == v["digest"]
    assert Account.recover_message(signable, signature=bytes.fromhex(v["signature"][2:])) == v["signer"]

    # signing the same fields with the same key reproduces the signature (RFC 6979)
    again = sign_message(name, m.fields, bytes.fromhex(v["privateKey"][2:]), chain_id)
    assert again.signature == m.signature
    assert Account.sign_typed_data(v["privateKey"], full_message=td).signature == m.signature

    # the JSON-object form is the same message
    assert message_from_json(json.loads(v["wire"])) == m

    # a charter names its community as Solidity would: keccak256(abi.encodePacked(founder, handle))
    if name == "Charter":
        packed = eth_abi.packed.encode_packed(["address", "string"], [m.author, m.fields["handle"]])
        assert eth_utils.keccak(packed).hex() == v["communityId"][2:]
        assert community_id(m.author, m.fields["handle"]).hex() == v["communityId"][2:]


def test_vectors_are_current():
    """``scripts/make_vectors.py`` would write exactly what is committed."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_vectors", Path(__file__).parent.parent.parent / "scripts" / "make_vectors.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    files = mod.build()
    assert sorted(name for name in files if "/" not in name) == [p.name for p in VECTORS]
    for name, text in files.items():  # the message vectors and hpke/key-grant.json
        assert text == (VECTORS[0].parent / name).read_text(), name
