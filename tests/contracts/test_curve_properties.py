"""Property test of the bonding curve: a few hundred random sequences of buys, sells, transfers
and round trips by several accounts, against the real contracts (150 sequences per chain, or
$MECENATE_CURVE_EXAMPLES).

Each sequence runs in one transaction through `MockCurveDriver` (test-only; it acts through
several `MockDriverFan` accounts), which keeps hundreds of sequences within seconds. The driver
reverts if a quote differs from what the trade then charged or paid, or if a round trip (buy n,
sell n at once) returned more than it cost. After every step it emits the token's state, checked
here against the trades' own events, not against a second copy of the curve's formula:
- the reserve is exactly the ETH the trades put into the curve (costs less fees) minus what they
  took out (proceeds plus fees): nothing leaks or appears;
- the reserve depends on the supply alone: every time a supply comes back, so does its reserve;
- the token's ETH covers selling back the whole supply plus the fees it holds.
Every sequence ends with everyone selling everything: together the accounts got back exactly what
they paid minus the fees (no rounding leak either way), and the token holds only fees.

The creator is a contract that refuses ETH in some sequences, so creator fees are both pushed and
credited.
"""

import os

import ape
import pytest
from contract_helpers import WAD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

N_FANS = 3
BUY, SELL, TRANSFER, ROUND_TRIP, SELL_ALL = range(5)
EXAMPLES = int(os.environ.get("MECENATE_CURVE_EXAMPLES", "150"))

amounts = st.one_of(
    st.integers(min_value=1, max_value=1_000),  # dust: rounding edge cases
    st.integers(min_value=1, max_value=50 * WAD),  # ordinary
    st.integers(min_value=1, max_value=5_000 * WAD),  # large
)
percent = st.integers(min_value=1, max_value=100)
who = st.integers(min_value=0, max_value=N_FANS - 1)
step = st.one_of(
    st.tuples(st.just(BUY), who, st.just(0), amounts),
    st.tuples(st.just(SELL), who, st.just(0), percent),
    st.tuples(st.just(TRANSFER), who, who, percent),
    st.tuples(st.just(ROUND_TRIP), who, st.just(0), amounts),
)


@pytest.fixture(scope="module")
def market(project, factory, attacker, owner):
    attacker.execute(factory, 0, factory.launch.encode_input("Curve", "CRV"), sender=owner)
    token = project.CreatorToken.at(factory.tokenOf(attacker))
    driver = owner.deploy(project.MockCurveDriver, N_FANS)
    return token, attacker, driver


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=12), creator_rejects=st.booleans())
def test_reserve_always_covers_supply_and_trading_never_gains(market, owner, steps, creator_rejects):
    token, creator_contract, driver = market
    snapshot = ape.chain.snapshot()
    try:
        if creator_rejects:
            creator_contract.setRejectEth(True, sender=owner)
        tx = driver.run(
            token, [*steps, (SELL_ALL, 0, 0, 0)], value=5_000 * 10**18, gas=15_000_000, sender=owner
        )

        states = driver.StepDone.from_receipt(tx)
        assert len(states) == len(steps) + 1
        into_curve = 0  # net ETH the trades so far moved into the curve, from their events
        reserve_at_supply = {}
        for log in tx.events:
            if log.event_name == "Bought":
                into_curve += log.cost - log.creatorFee - log.protocolFee
            elif log.event_name == "Sold":
                into_curve -= log.proceeds + log.creatorFee + log.protocolFee
            elif log.event_name == "StepDone":
                assert log.reserve == into_curve
                assert reserve_at_supply.setdefault(log.supply, log.reserve) == log.reserve
                assert log.balance >= log.reserve + log.heldFees
                assert log.quoteSellAll <= log.balance - log.heldFees

        fees = sum(e.creatorFee + e.protocolFee for e in token.Bought.from_receipt(tx))
        fees += sum(e.creatorFee + e.protocolFee for e in token.Sold.from_receipt(tx))
        final = states[-1]
        assert final.supply == 0 and final.reserve == 0
        assert final.received <= final.paid
        assert final.paid - final.received == fees
        assert final.balance == final.heldFees
    finally:
        ape.chain.restore(snapshot)
