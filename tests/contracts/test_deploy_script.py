"""scripts/deploy.py: what it records, and when it reuses a recorded deployment."""

import importlib.util
from pathlib import Path

import ape
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "deploy.py"


@pytest.fixture(scope="module")
def deploy_module():
    spec = importlib.util.spec_from_file_location("mecenate_deploy_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def parameters(owner, fee_recipient):
    return {
        "owner": owner.address,
        "feeRecipient": fee_recipient.address,
        "protocolFeeBps": 100,
        "basePrice": 10**13,
        "slope": 10**12,
        "governance": {
            "votingDelay": 1,
            "votingPeriod": 10,
            "proposalThreshold": 1,
            "quorumPercent": 20,
            "timelockDelay": 3600,
        },
    }


def test_deploy_records_everything_an_indexer_needs(deploy_module, project, owner, parameters):
    record = deploy_module.deploy(owner, parameters)
    assert record["formatVersion"] == 1
    assert record["chainId"] == ape.chain.chain_id
    assert record["parameters"] == parameters
    factory = project.CreatorTokenFactory.at(record["contracts"]["CreatorTokenFactory"]["address"])
    assert factory.owner() == owner.address
    assert factory.feeRecipient() == parameters["feeRecipient"]
    assert factory.implementation() == record["implementations"]["CreatorToken"]["address"]
    tipjar = record["contracts"]["TipJar"]
    assert tipjar["block"] >= record["startBlock"] == record["contracts"]["CreatorTokenFactory"]["block"]
    assert ape.chain.provider.get_code(tipjar["address"])
    collectives = project.CollectiveFactory.at(record["contracts"]["CollectiveFactory"]["address"])
    assert (collectives.votingDelay(), collectives.votingPeriod()) == (1, 10)
    assert collectives.timelockDelay() == 3600
    assert (collectives.proposalThreshold(), collectives.quorumPercent()) == (1, 20)
    implementations = record["implementations"]
    assert collectives.sharesImplementation() == implementations["CollectiveShares"]["address"]
    assert collectives.governorImplementation() == implementations["CollectiveGovernor"]["address"]
    assert collectives.timelockImplementation() == implementations["CollectiveTimelock"]["address"]


def test_deploy_refuses_test_only_contracts(deploy_module):
    import click

    for name in ("MockERC20", "MockReentrant", "TestAnything"):
        with pytest.raises(click.UsageError, match="test-only"):
            deploy_module._product(name)
    assert deploy_module._product("TipJar").contract_type.name == "TipJar"


def test_recorded_deployment_is_reused_only_while_valid(deploy_module, owner, parameters):
    snapshot = ape.chain.snapshot()
    record = deploy_module.deploy(owner, parameters)
    assert deploy_module.still_valid(record, parameters) == (True, "unchanged")

    valid, reason = deploy_module.still_valid(record, {**parameters, "protocolFeeBps": 50})
    assert not valid and reason == "parameters changed"

    changed = {
        **record,
        "contracts": {
            **record["contracts"],
            "TipJar": {**record["contracts"]["TipJar"], "bytecodeHash": "0x00"},
        },
    }
    valid, reason = deploy_module.still_valid(changed, parameters)
    assert not valid and "recompiled" in reason

    ape.chain.restore(snapshot)  # as if the chain had been reset
    valid, reason = deploy_module.still_valid(record, parameters)
    assert not valid and "not on this chain" in reason
