"""Loading the build manifest and deployment files."""

from __future__ import annotations

import json

import pytest

from node.chain import Artifacts, Deployment, is_test_contract
from node.errors import ConfigError

FACTORY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
JAR = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


def test_manifest_has_the_contracts(artifacts):
    for name in ("CreatorTokenFactory", "CreatorToken", "TipJar"):
        assert artifacts.abi(name)
    assert artifacts.bytecode("TipJar").startswith("0x")
    assert any(e["name"] == "CreatorTokenMaxCostExceeded" for e in artifacts.errors())
    with pytest.raises(ConfigError, match="Nope"):
        artifacts.abi("Nope")


def test_test_only_contracts_are_not_loaded_by_the_node():
    # The node's own loading (as ChainClient.from_settings does) leaves out every Mock*/Test*
    # fixture, e.g. MockERC20, which anyone can mint; the tests ask for them explicitly.
    from .conftest import MANIFEST

    node_view = Artifacts.load(MANIFEST)
    with pytest.raises(ConfigError, match="MockERC20 is test-only"):
        node_view.abi("MockERC20")
    assert not any(e["name"].startswith("MockReentrant") for e in node_view.errors())
    assert Artifacts.load(MANIFEST, test_contracts=True).abi("MockERC20")
    names = json.loads(MANIFEST.read_text())["contractTypes"]
    assert {"MockERC20", "MockReentrant", "MockCurveDriver"} <= {n for n in names if is_test_contract(n)}
    assert not any(is_test_contract(n) for n in ("CreatorToken", "CreatorTokenFactory", "TipJar"))


def test_missing_files_say_what_to_run(tmp_path):
    with pytest.raises(ConfigError, match="ape compile"):
        Artifacts.load(tmp_path / "__local__.json")
    with pytest.raises(ConfigError, match="ape run deploy"):
        Deployment.load(tmp_path, 31337)


def test_deployment_round_trip_and_variants(tmp_path):
    dep = Deployment(31337, FACTORY, JAR, 3)
    (tmp_path / "31337.json").write_text(json.dumps(dep.to_json()))
    assert Deployment.load(tmp_path, 31337) == dep
    flat = {"chainId": 31337, "CreatorTokenFactory": FACTORY.lower(), "TipJar": JAR}
    assert Deployment.from_json(flat, chain_id=31337) == Deployment(31337, FACTORY, JAR, 0)
    with pytest.raises(ConfigError, match="chain 1"):
        Deployment.from_json({**flat, "chainId": 1}, chain_id=31337)
    with pytest.raises(ConfigError, match="format version 2"):
        Deployment.from_json({**flat, "formatVersion": 2}, chain_id=31337)
    with pytest.raises(ConfigError, match="TipJar"):
        Deployment.from_json({"CreatorTokenFactory": FACTORY}, chain_id=31337)


@pytest.mark.parametrize(
    "broken",
    [
        {"chainId": None},
        {"chainId": "thirty"},
        {"startBlock": [1]},
        {"TipJar": {"address": JAR, "block": "soon"}},
        {"TipJar": FACTORY[:-1] + "A"},  # a mixed-case address with a wrong EIP-55 checksum
    ],
)
def test_a_malformed_deployment_is_a_config_error(broken):
    """Whatever is wrong in the file, the node says so as a ConfigError naming the file."""
    doc = {"chainId": 31337, "CreatorTokenFactory": FACTORY, "TipJar": JAR, **broken}
    with pytest.raises(ConfigError, match="deployment"):
        Deployment.from_json(doc, chain_id=31337)


def test_reads_what_scripts_deploy_writes():
    # The shape scripts/deploy.py writes (format version 1), abridged to the fields that matter.
    doc = {
        "formatVersion": 1,
        "chainId": 31337,
        "startBlock": 1,
        "contracts": {
            "CreatorTokenFactory": {"address": FACTORY, "block": 1, "txHash": "0x" + "00" * 32},
            "TipJar": {"address": JAR, "block": 2, "txHash": "0x" + "11" * 32},
        },
        "implementations": {"CreatorToken": {"address": "0x" + "22" * 20}},
    }
    assert Deployment.from_json(doc, chain_id=31337) == Deployment(31337, FACTORY, JAR, 1)
