"""The public surface of node.gating is deliberate: adding or removing a name is a decision."""

from __future__ import annotations

import node.gating

EXPECTED = {
    # gate
    "All",
    "Any",
    "Balance",
    "BalanceLookup",
    "Gate",
    "check_gate",
    "encode_gate",
    "evaluate",
    "parse_gate",
    "tokens_needed",
    # content
    "ContentKey",
    "decrypt_content",
    "encrypt_content",
    # ecies
    "EncryptionKeyPair",
    "generate_keypair",
    "keypair_from_eth_key",
    "load_public_key",
    "unwrap",
    "wrap",
    # challenge
    "Challenger",
    "MemoryNonceBook",
    "NonceBook",
    "SiweMessage",
    "post_resource",
    # node side
    "Gatekeeper",
    "Unlocked",
    "Vault",
    "load_signer",
    "serve_grants",
}
SUBMODULES = {"challenge", "content", "ecies", "gate"}


def test_all_is_pinned() -> None:
    assert set(node.gating.__all__) == EXPECTED
    assert len(node.gating.__all__) == len(EXPECTED)


def test_every_public_attribute_is_exported_and_importable() -> None:
    public = {name for name in dir(node.gating) if not name.startswith("_")}
    assert public - SUBMODULES == EXPECTED
    for name in EXPECTED:
        value = getattr(node.gating, name)
        module = getattr(value, "__module__", "node.gating")
        assert module.startswith("node.gating") or name == "Gate", name


def test_star_import_gives_exactly_the_api() -> None:
    namespace: dict[str, object] = {}
    exec("from node.gating import *", namespace)  # noqa: S102
    assert set(namespace) - {"__builtins__"} == EXPECTED
