"""Fixtures for the contract tests (run with `ape test tests/contracts`, on py-evm and on anvil).

Ape isolates every test in a chain snapshot, so the module-level deployments below are made
once per module and every test starts from the same state.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from contract_helpers import (
    BASE_PRICE,
    COLLECTIVE_IMPLEMENTATIONS,
    PROPOSAL_THRESHOLD,
    PROTOCOL_FEE_BPS,
    QUORUM_PERCENT,
    SLOPE,
    TIMELOCK_DELAY,
    VOTING_DELAY,
    VOTING_PERIOD,
)


@pytest.fixture(scope="module")
def owner(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def fee_recipient(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def creator(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def fan(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def fan2(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def stranger(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def factory(project, owner, fee_recipient):
    return owner.deploy(
        project.CreatorTokenFactory, owner, fee_recipient, PROTOCOL_FEE_BPS, BASE_PRICE, SLOPE
    )


@pytest.fixture(scope="module")
def token(project, factory, creator):
    factory.launch("Alice Token", "ALICE", sender=creator)
    return project.CreatorToken.at(factory.tokenOf(creator))


@pytest.fixture(scope="module")
def tipjar(project, owner):
    return owner.deploy(project.TipJar)


@pytest.fixture(scope="module")
def erc20(project, owner, fan, fan2):
    mock = owner.deploy(project.MockERC20, "Mock USD", "MUSD")
    mock.mint(fan, 10**24, sender=owner)
    mock.mint(fan2, 10**24, sender=owner)
    return mock


@pytest.fixture(scope="module")
def attacker(project, owner):
    """A contract account that can refuse ETH, or call back into a contract when paid."""
    return owner.deploy(project.MockReentrant)


@pytest.fixture(scope="module")
def collective_factory(project, accounts):
    """A CollectiveFactory with the tests' short governance (contract_helpers), and its three
    implementations, deployed from accounts[8] in the order benchmarks/gas.py deploys them: Ape
    remembers the type of the contract at each address across chain snapshots, so no other
    contract may be deployed from that account at the same nonces."""
    deployer = accounts[8]
    implementations = [deployer.deploy(getattr(project, name)) for name in COLLECTIVE_IMPLEMENTATIONS]
    return deployer.deploy(
        project.CollectiveFactory,
        *implementations,
        VOTING_DELAY,
        VOTING_PERIOD,
        PROPOSAL_THRESHOLD,
        QUORUM_PERCENT,
        TIMELOCK_DELAY,
    )
