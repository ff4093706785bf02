"""Fixtures for the contract tests (run with `ape test tests/contracts`, on py-evm and on anvil).

Ape isolates every test in a chain snapshot, so the module-level deployments below are made
once per module and every test starts from the same state.
"""

import pytest

# Curve parameters used by the tests (and by scripts/deploy.py's defaults).
BASE_PRICE = 10**13  # wei per whole token at zero supply (0.00001 ETH)
SLOPE = 10**12  # wei per whole token per whole token of supply
PROTOCOL_FEE_BPS = 100
CREATOR_FEE_BPS = 500  # CreatorTokenFactory.INITIAL_CREATOR_FEE_BPS
BPS = 10_000
WAD = 10**18
MAX_UINT = 2**256 - 1


def ceil_div(a, b):
    return -(-a // b)


def reserve_at(supply, base_price=BASE_PRICE, slope=SLOPE):
    """Python model of CreatorToken's R(s)."""
    return ceil_div(base_price * supply, WAD) + ceil_div(slope * supply * supply, 2 * WAD * WAD)


def buy_quote(supply, amount, creator_bps=CREATOR_FEE_BPS, protocol_bps=PROTOCOL_FEE_BPS):
    curve = reserve_at(supply + amount) - reserve_at(supply)
    creator_fee = ceil_div(curve * creator_bps, BPS)
    protocol_fee = ceil_div(curve * protocol_bps, BPS)
    return curve + creator_fee + protocol_fee, curve, creator_fee, protocol_fee


def sell_quote(supply, amount, creator_bps=CREATOR_FEE_BPS, protocol_bps=PROTOCOL_FEE_BPS):
    curve = reserve_at(supply) - reserve_at(supply - amount)
    creator_fee = min(ceil_div(curve * creator_bps, BPS), curve)
    protocol_fee = min(ceil_div(curve * protocol_bps, BPS), curve - creator_fee)
    return curve - creator_fee - protocol_fee, curve, creator_fee, protocol_fee


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
    return owner.deploy(project.Attacker)
