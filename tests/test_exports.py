"""Each package's public surface is deliberate: adding or removing a name is a decision made
here, in one place (Trio's ``test_exports`` idea). Everything else lives in ``_`` modules."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "node.api": [
        "ApiContext",
        "Broadcaster",
        "ChainView",
        "HotRoutes",
        "P2PView",
        "READ_BUDGET_SECONDS",
        "create_app",
        "hot_reads",
        "public_rpc_url",
        "request_metrics",
    ],
    "node.chain": [
        "Artifacts",
        "ChainClient",
        "ChainEngagement",
        "CreatorListing",
        "Deployment",
        "Holding",
        "Indexer",
        "Launch",
        "PollReport",
        "Supporter",
        "Tip",
        "TokenInfo",
        "Trade",
        "Transfer",
        "ZERO_ADDRESS",
        "format_wei",
        "is_test_contract",
        "max_cost",
        "min_proceeds",
        "schema",
        "sign_permit",
    ],
    "node.gating": [
        # gates
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
        # content encryption and key grants
        "ContentKey",
        "decrypt_content",
        "encrypt_content",
        "EncryptionKeyPair",
        "GrantBinding",
        "generate_keypair",
        "keypair_from_eth_key",
        "load_public_key",
        "unwrap",
        "wrap",
        # online unlock
        "Challenger",
        "Clock",
        "NonceBook",
        "SignedChallenge",
        "SiweMessage",
        "check_nonce",
        "post_resource",
        "utc_now",
        "validate_address",
    ],
    "node.grants": [
        "GrantWork",
        "Gatekeeper",
        "SIGNER_FILE",
        "SqliteNonceBook",
        "Unlocked",
        "VAULT_FILE",
        "Vault",
        "load_signer",
        "schema",
        "serve_grants",
    ],
    "node.identity": [
        "Key",
        "Keyring",
        "add_signer",
        "create_key",
        "import_key",
        "keystore_address",
        "read_keystore",
        "remove_signer",
        "write_keystore",
    ],
    "node.messages": [
        "Field",
        "MAX_CLOCK_SKEW",
        "MessageType",
        "PROFILE_FIELDS",
        "Reason",
        "RetryAtEnd",
        "SignedMessage",
        "TYPES",
        "TYPES_BY_CODE",
        # primitives other packages build on: keccak, secp256k1, checksummed addresses
        "SECP256K1_N",
        "address_of_key",
        "checksum_address",
        "coerce_address",
        "keccak",
        "private_key_to_address",
        # public submodules: field kinds; the formats of exclusive content a message carries
        "kinds",
        "gate",
        "sealed",
        "decode_message",
        "domain_separator",
        "encode_message",
        "message_digest",
        "message_from_json",
        "message_to_json",
        "normalize_address",
        "sign_message",
        "typed_data",
        "verify_batch",
        "verify_message",
    ],
    "node.discover": [
        "DAY",
        "Band",
        "CreatorFacts",
        "CreatorScore",
        "DiscoverRules",
        "Discovery",
        "DiscoveryCache",
        "KindPart",
        "RankingWeights",
        "Scope",
        "Signal",
        "SignalKind",
        "Vouching",
        "band_of",
        "discover_creators",
        "rank_creators",
        "score_creator",
    ],
    "node.p2p": ["P2PNode", "SYNC_PROTOCOL", "SyncState", "serve", "topic_for"],
    "node.store": [
        "FollowEdge",
        "Holder",
        "IngestReport",
        "Outcome",
        "Page",
        "PostHit",
        "Profile",
        "ProfileHit",
        "ReadOverBudget",
        "Result",
        "SearchKind",
        "SearchRules",
        "Store",
        "StoreClaim",
        "StoreEngagement",
        "StoreReader",
        "schema",
        "store_holder",
    ],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_public_names_are_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(PUBLIC[package])
    for name in module.__all__:
        assert getattr(module, name) is not None


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_star_import_gives_exactly_the_api(package: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(PUBLIC[package])
