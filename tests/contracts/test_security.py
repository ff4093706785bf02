"""Reentrancy: an attacker contract that calls back whenever it receives ETH gains nothing from buy,
sell, the creator-fee push, a tip or a withdrawal."""

import ape
import pytest

from contract_helpers import WAD

POST = bytes.fromhex("cd" * 32)
ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def attacker_holding(token, attacker, owner):
    """The attacker holding 10 tokens, bought honestly."""
    cost = token.quoteBuy(10 * WAD)
    attacker.execute(token, cost, token.buy.encode_input(10 * WAD, cost), value=cost, sender=owner)
    assert token.balanceOf(attacker) == 10 * WAD
    return attacker


def _assert_solvent(token):
    assert token.balance >= token.reserve() + token.protocolFeesAccrued() + token.creatorFeesOwed()


def test_reentrant_sell_during_buy_refund_is_blocked(token, attacker_holding, owner):
    attacker = attacker_holding
    # On the refund of an overpaid buy, try to sell everything again mid-buy.
    attacker.arm(token, token.sell.encode_input(10 * WAD, 0), 1, sender=owner)
    cost = token.quoteBuy(WAD)
    before = attacker.balance
    attacker.execute(token, cost + 10**15, token.buy.encode_input(WAD, cost), value=cost + 10**15,
                     sender=owner)
    assert attacker.reentriesAttempted() == 1
    assert attacker.reentriesSucceeded() == 0
    assert token.balanceOf(attacker) == 11 * WAD
    # It paid `cost` out of the value it was sent and kept the refunded excess: no more, no less.
    assert attacker.balance - before == 10**15
    _assert_solvent(token)


def test_reentrant_sell_during_sell_is_blocked(token, attacker_holding, owner):
    attacker = attacker_holding
    attacker.arm(token, token.sell.encode_input(5 * WAD, 0), 3, sender=owner)
    expected = token.quoteSell(5 * WAD)
    before = attacker.balance
    attacker.execute(token, 0, token.sell.encode_input(5 * WAD, 0), sender=owner)
    assert attacker.reentriesSucceeded() == 0
    assert attacker.balance - before == expected  # exactly one sale paid
    assert token.balanceOf(attacker) == 5 * WAD
    _assert_solvent(token)


def test_reentrant_buy_during_sell_is_blocked(token, attacker_holding, owner, fan):
    attacker = attacker_holding
    fan.transfer(attacker, 10**18)
    attacker.arm(token, token.buy.encode_input(WAD, 10**30), 1, sender=owner)
    attacker.execute(token, 0, token.sell.encode_input(WAD, 0), sender=owner)
    assert attacker.reentriesAttempted() == 1
    assert attacker.reentriesSucceeded() == 0
    _assert_solvent(token)


def test_reentrant_creator_gains_nothing_from_fee_push(project, factory, attacker, owner, fan):
    # The attacker is a creator; when its fee is pushed it tries to withdraw fees twice.
    attacker.execute(factory, 0, factory.launch.encode_input("Evil", "EVL"), sender=owner)
    token = project.CreatorToken.at(factory.tokenOf(attacker))
    attacker.setRejectEth(True, sender=owner)
    token.buy(WAD, 10**30, value=token.quoteBuy(WAD), sender=fan)  # fee credited
    owed = token.creatorFeesOwed()
    assert owed > 0
    attacker.setRejectEth(False, sender=owner)
    attacker.arm(token, token.withdrawCreatorFees.encode_input(attacker), 5, sender=owner)
    before = attacker.balance
    tx = token.buy(WAD, 10**30, value=token.quoteBuy(WAD), sender=fan)
    creator_fee = token.Bought.from_receipt(tx)[0].creatorFee
    assert attacker.reentriesSucceeded() == 0  # the trade holds the guard
    # Whether the bounded push got through or the fee was credited, the creator gets it once.
    received = attacker.balance - before
    assert received + token.creatorFeesOwed() - owed == creator_fee
    owed = token.creatorFeesOwed()
    # Withdrawing legitimately, with a reentrant receive, pays out the credit exactly once.
    attacker.arm(token, token.withdrawCreatorFees.encode_input(attacker), 5, sender=owner)
    before = attacker.balance
    attacker.execute(token, 0, token.withdrawCreatorFees.encode_input(attacker), sender=owner)
    assert attacker.reentriesSucceeded() == 0
    assert attacker.balance - before == owed
    assert token.creatorFeesOwed() == 0
    _assert_solvent(token)


def test_reentrant_tip_recipient_gains_nothing(tipjar, attacker, owner, fan, fan2):
    # The attacker earns a credit (it refused a tip), then re-enters withdraw when the next tip
    # arrives: it can only ever get its own credit, once, plus the tips sent to it.
    attacker.setRejectEth(True, sender=owner)
    tipjar.tip(attacker, POST, "", value=10**15, sender=fan)
    attacker.setRejectEth(False, sender=owner)
    attacker.arm(tipjar, tipjar.withdraw.encode_input(ZERO, attacker), 3, sender=owner)
    before = attacker.balance
    tipjar.tip(attacker, POST, "", value=2 * 10**15, sender=fan2)
    tipjar.tip(attacker, POST, "", value=3 * 10**15, sender=fan2)
    received = attacker.balance - before
    pending = tipjar.pendingWithdrawal(attacker, ZERO)
    assert received + pending == 2 * 10**15 + 3 * 10**15 + 10**15  # two tips + its earlier credit
    assert tipjar.balance == pending


def test_reentrant_withdraw_is_blocked(tipjar, attacker, owner, fan):
    attacker.setRejectEth(True, sender=owner)
    tipjar.tip(attacker, POST, "", value=10**15, sender=fan)
    tipjar.tip(attacker, POST, "", value=10**15, sender=fan)
    attacker.setRejectEth(False, sender=owner)
    attacker.arm(tipjar, tipjar.withdraw.encode_input(ZERO, attacker), 3, sender=owner)
    before = attacker.balance
    attacker.execute(tipjar, 0, tipjar.withdraw.encode_input(ZERO, attacker), sender=owner)
    assert attacker.reentriesAttempted() == 1
    assert attacker.reentriesSucceeded() == 0
    assert attacker.balance - before == 2 * 10**15
    assert tipjar.balance == 0
    with ape.reverts(tipjar.TipJarNothingToWithdraw):
        attacker.execute(tipjar, 0, tipjar.withdraw.encode_input(ZERO, attacker), sender=owner)


def test_reentrant_split_account_gains_nothing(tipjar, attacker, owner, creator, fan):
    # A co-creator that re-enters tip() with the ETH it just received only tips with its own money.
    tipjar.setSplit([attacker, creator], [5_000, 5_000], sender=creator)
    attacker.arm(tipjar, tipjar.tip.encode_input(creator, POST, "again"), 1, sender=owner)
    before_attacker, before_creator = attacker.balance, creator.balance
    tipjar.tip(creator, POST, "", value=1_000, sender=fan)
    # tip() forwards msg.value, and the attacker's reentrant call sent none: it reverted, no gain.
    assert attacker.reentriesSucceeded() == 0
    # Its share arrives once: pushed, or (its receive needs more than the push's gas) credited.
    received = attacker.balance - before_attacker
    assert received + tipjar.pendingWithdrawal(attacker, ZERO) == 500
    assert creator.balance - before_creator == 500
    assert tipjar.balance == tipjar.pendingWithdrawal(attacker, ZERO)
