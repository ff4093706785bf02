"""Attacks on the contracts, each proved to have happened before it is shown to gain nothing.

Reentrancy: `MockReentrant` calls back into a target whenever it receives ETH, cheaply enough to
do so inside the 30,000 gas of a bounded push, and records every attempt as a `ReentryAttempted`
event with the selector of the error the call reverted with. Every test below first asserts the
attempt (and that the reentrancy guard is what refused it), then that the attacker got exactly
what it was owed and everyone else's funds are intact. The TipJar split exploit found in review
(a creator rewriting its split from inside a tip's payout, to be paid twice out of other users'
credits) is reproduced in full.

Forced ether (`selfdestruct`, which no contract can refuse) changes no price, quote or credit.
"""

import ape
import pytest
from contract_helpers import FAR, WAD
from eth_utils import keccak

POST = bytes.fromhex("cd" * 32)
ZERO = "0x0000000000000000000000000000000000000000"
GUARD = keccak(text="ReentrancyGuardReentrantCall()")[:4]


def attempts(attacker, tx):
    """The reentrant calls `attacker` tried during `tx`: (selector, succeeded, revert selector)."""
    return [
        (bytes(e.selector), e.succeeded, bytes(e.revertSelector))
        for e in attacker.ReentryAttempted.from_receipt(tx)
    ]


def selector(function):
    return keccak(text=function.abis[0].selector)[:4]


def blocked_by_guard(attacker, tx, function):
    """Asserts that `attacker` tried to call `function` once during `tx` and the guard refused it."""
    assert attempts(attacker, tx) == [(selector(function), False, GUARD)]


@pytest.fixture
def attacker_holding(token, attacker, owner):
    """The attacker holding 10 tokens, bought honestly."""
    cost = token.quoteBuy(10 * WAD)
    attacker.execute(token, cost, token.buy.encode_input(10 * WAD, cost, FAR), value=cost, sender=owner)
    assert token.balanceOf(attacker) == 10 * WAD
    return attacker


def _assert_solvent(token):
    assert token.balance >= token.reserve() + token.protocolFeesAccrued() + token.creatorFeesOwed()


# ── CreatorToken ───────────────────────────────────────────────────────────────────────────────


def test_reentrant_sell_during_buy_refund_is_blocked(token, attacker_holding, owner):
    attacker = attacker_holding
    # On the refund of an overpaid buy, try to sell everything again mid-buy.
    attacker.arm(token, token.sell.encode_input(10 * WAD, 0, FAR), 0, sender=owner)
    cost = token.quoteBuy(WAD)
    before = attacker.balance
    tx = attacker.execute(
        token, cost + 10**15, token.buy.encode_input(WAD, cost, FAR), value=cost + 10**15, sender=owner
    )
    blocked_by_guard(attacker, tx, token.sell)
    assert token.balanceOf(attacker) == 11 * WAD
    # It paid `cost` out of the value it was sent and kept the refunded excess: no more, no less.
    assert attacker.balance - before == 10**15
    _assert_solvent(token)


def test_reentrant_sell_during_sell_is_blocked(token, attacker_holding, owner):
    attacker = attacker_holding
    attacker.arm(token, token.sell.encode_input(5 * WAD, 0, FAR), 0, sender=owner)
    expected = token.quoteSell(5 * WAD)
    before = attacker.balance
    tx = attacker.execute(token, 0, token.sell.encode_input(5 * WAD, 0, FAR), sender=owner)
    blocked_by_guard(attacker, tx, token.sell)
    assert attacker.balance - before == expected  # exactly one sale paid
    assert token.balanceOf(attacker) == 5 * WAD
    _assert_solvent(token)


def test_reentrant_buy_during_sell_is_blocked(token, attacker_holding, owner, fan):
    attacker = attacker_holding
    fan.transfer(attacker, 10**18)
    quote = token.quoteBuy(WAD)
    attacker.arm(token, token.buy.encode_input(WAD, quote * 2, FAR), quote * 2, sender=owner)
    supply = token.totalSupply()
    tx = attacker.execute(token, 0, token.sell.encode_input(WAD, 0, FAR), sender=owner)
    blocked_by_guard(attacker, tx, token.buy)
    assert token.totalSupply() == supply - WAD
    _assert_solvent(token)


def test_reentrant_creator_gains_nothing_from_fee_push(project, factory, attacker, owner, fan):
    # The attacker is a creator with fees credited; when its next fee is pushed (with the bounded
    # 30,000 gas) it tries to withdraw its credit in the middle of the trade.
    attacker.execute(factory, 0, factory.launch.encode_input("Evil", "EVL"), sender=owner)
    token = project.CreatorToken.at(factory.tokenOf(attacker))
    attacker.setRejectEth(True, sender=owner)
    token.buy(WAD, 10**30, FAR, value=token.quoteBuy(WAD), sender=fan)  # fee credited
    owed = token.creatorFeesOwed()
    assert owed > 0
    attacker.setRejectEth(False, sender=owner)
    attacker.arm(token, token.withdrawCreatorFees.encode_input(attacker), 0, sender=owner)
    before = attacker.balance
    tx = token.buy(WAD, 10**30, FAR, value=token.quoteBuy(WAD), sender=fan)
    blocked_by_guard(attacker, tx, token.withdrawCreatorFees)
    creator_fee = token.Bought.from_receipt(tx)[0].creatorFee
    # The push went through (the attacker's receive fits the allowance) and paid this fee once;
    # the earlier credit is untouched.
    assert attacker.balance - before == creator_fee
    assert token.creatorFeesOwed() == owed
    # Withdrawing legitimately, with a reentrant receive, pays out the credit exactly once.
    before = attacker.balance
    tx = attacker.execute(token, 0, token.withdrawCreatorFees.encode_input(attacker), sender=owner)
    blocked_by_guard(attacker, tx, token.withdrawCreatorFees)
    assert attacker.balance - before == owed
    assert token.creatorFeesOwed() == 0
    _assert_solvent(token)


def test_forced_ether_changes_no_price_or_payout(project, token, owner, fan):
    token.buy(10 * WAD, 10**30, FAR, value=token.quoteBuy(10 * WAD), sender=fan)
    quotes = (token.quoteBuy(WAD), token.quoteSell(WAD), token.reserve(), token.spotPrice())
    held = token.balance
    owner.deploy(project.MockForceSend, token, value=10**18)
    assert token.balance == held + 10**18  # the ether arrived, refused by nobody
    assert (token.quoteBuy(WAD), token.quoteSell(WAD), token.reserve(), token.spotPrice()) == quotes
    proceeds = token.quoteSell(10 * WAD)
    before = fan.balance
    tx = token.sell(10 * WAD, proceeds, FAR, sender=fan)
    assert fan.balance - before == proceeds - tx.total_fees_paid
    # What is left is the fees the token holds plus the forced ether, which nobody can take.
    assert token.balance == token.protocolFeesAccrued() + token.creatorFeesOwed() + 10**18


# ── TipJar ─────────────────────────────────────────────────────────────────────────────────────


def test_creator_rewriting_its_split_mid_tip_recovers_nothing(
    tipjar, attacker, project, owner, fan, fan2, stranger
):
    """The exploit found in review: a creator (a contract) lists itself first in its own split
    (9,999 bps, A 1 bp); when its share is pushed, its `receive` calls
    `setSplit([A, Z], [1, 9999])`, so that (on the old jar) the next pass of the payout loop paid
    accomplice Z 99.99% of the tip again, out of other users' credits, and `rest` wrapped around.
    """
    # A victim with 1 ETH credited in the jar (it refused a tip).
    victim = owner.deploy(project.MockReentrant)
    victim.setRejectEth(True, sender=owner)
    tipjar.tip(victim, POST, "", value=10**18, sender=fan)
    assert tipjar.pendingWithdrawal(victim, ZERO) == 10**18
    a, z = fan2, stranger
    attacker.execute(tipjar, 0, tipjar.setSplit.encode_input([attacker, a], [9_999, 1]), sender=owner)
    attacker.arm(tipjar, tipjar.setSplit.encode_input([a, z], [1, 9_999]), 0, sender=owner)
    before = {who: who.balance for who in (attacker, a, z)}

    tx = attacker.execute(
        tipjar, 10**18, tipjar.tip.encode_input(attacker, POST, ""), value=10**18, sender=owner
    )

    tried = attempts(attacker, tx)
    assert [call[0] for call in tried] == [selector(tipjar.setSplit)]  # the attack was made
    # The tip was paid exactly as the split stood when it was sent; Z got nothing.
    assert attacker.balance - before[attacker] == 10**18 * 9_999 // 10_000
    assert a.balance - before[a] == 10**18 // 10_000
    assert z.balance == before[z]
    assert tipjar.splitOf(attacker) == ([attacker.address, a.address], [9_999, 1])
    # The attacker's side got back at most what it tipped; the jar still holds the victim's credit.
    assert (attacker.balance - before[attacker]) + (z.balance - before[z]) <= 10**18
    assert tipjar.balance == tipjar.pendingWithdrawal(victim, ZERO) == 10**18
    assert tipjar.pendingWithdrawal(attacker, ZERO) == 0
    victim.setRejectEth(False, sender=owner)
    before_victim = victim.balance
    victim.execute(tipjar, 0, tipjar.withdraw.encode_input(ZERO, victim), sender=owner)
    assert victim.balance - before_victim == 10**18
    assert tipjar.balance == 0
    assert tried[0][1:] == (False, GUARD)  # and the guard is what refused the rewrite


def test_split_account_rewriting_splits_mid_tip_changes_nothing(tipjar, attacker, owner, creator, fan):
    # A co-creator that tries to change a split (its own: it can touch no other) while paid.
    tipjar.setSplit([attacker, creator], [5_000, 5_000], sender=creator)
    attacker.arm(tipjar, tipjar.setSplit.encode_input([owner], [10_000]), 0, sender=owner)
    before_attacker, before_creator = attacker.balance, creator.balance
    tx = tipjar.tip(creator, POST, "", value=1_000, sender=fan)
    blocked_by_guard(attacker, tx, tipjar.setSplit)
    assert attacker.balance - before_attacker == 500
    assert creator.balance - before_creator == 500
    assert tipjar.splitOf(attacker) == ([], [])
    assert tipjar.balance == 0


def test_reentrant_tip_recipient_cannot_take_its_credit_twice(tipjar, attacker, owner, fan, fan2):
    # The attacker earns a credit (it refused a tip), then tries to withdraw it from inside the
    # push of the next tip: the guard refuses; it gets the new tip once, the credit stays.
    attacker.setRejectEth(True, sender=owner)
    tipjar.tip(attacker, POST, "", value=10**15, sender=fan)
    attacker.setRejectEth(False, sender=owner)
    attacker.arm(tipjar, tipjar.withdraw.encode_input(ZERO, attacker), 0, sender=owner)
    before = attacker.balance
    tx = tipjar.tip(attacker, POST, "", value=2 * 10**15, sender=fan2)
    blocked_by_guard(attacker, tx, tipjar.withdraw)
    assert attacker.balance - before == 2 * 10**15
    assert tipjar.pendingWithdrawal(attacker, ZERO) == 10**15
    assert tipjar.balance == 10**15


def test_reentrant_tip_from_a_push_is_refused(tipjar, attacker, owner, creator, fan):
    # A recipient that tips again from inside its push (with its own ether) is refused by the
    # guard before any payment; the jar's credits stay whole.
    attacker.setRejectEth(True, sender=owner)
    tipjar.tip(attacker, POST, "", value=10**15, sender=fan)  # the jar now holds a credit
    attacker.setRejectEth(False, sender=owner)
    fan.transfer(attacker, 10**16)
    attacker.arm(tipjar, tipjar.tip.encode_input(creator, POST, "again"), 10**15, sender=owner)
    before = creator.balance
    tx = tipjar.tip(attacker, POST, "", value=1_000, sender=fan)
    blocked_by_guard(attacker, tx, tipjar.tip)
    assert creator.balance == before
    assert tipjar.balance == tipjar.pendingWithdrawal(attacker, ZERO) == 10**15


def test_reentrant_withdraw_is_blocked(tipjar, attacker, owner, fan):
    attacker.setRejectEth(True, sender=owner)
    tipjar.tip(attacker, POST, "", value=10**15, sender=fan)
    tipjar.tip(attacker, POST, "", value=10**15, sender=fan)
    attacker.setRejectEth(False, sender=owner)
    attacker.arm(tipjar, tipjar.withdraw.encode_input(ZERO, attacker), 0, sender=owner)
    before = attacker.balance
    tx = attacker.execute(tipjar, 0, tipjar.withdraw.encode_input(ZERO, attacker), sender=owner)
    blocked_by_guard(attacker, tx, tipjar.withdraw)
    assert attacker.balance - before == 2 * 10**15
    assert tipjar.balance == 0
    with ape.reverts(tipjar.TipJarNothingToWithdraw):
        attacker.execute(tipjar, 0, tipjar.withdraw.encode_input(ZERO, attacker), sender=owner)


def test_forced_ether_changes_no_credit(project, tipjar, attacker, owner, creator, fan):
    attacker.setRejectEth(True, sender=owner)
    tipjar.tip(attacker, POST, "", value=10**15, sender=fan)
    owner.deploy(project.MockForceSend, tipjar, value=10**18)
    assert tipjar.balance == 10**18 + 10**15
    assert tipjar.pendingWithdrawal(attacker, ZERO) == 10**15
    for account in (owner, creator, fan):
        with ape.reverts(tipjar.TipJarNothingToWithdraw):
            tipjar.withdraw(ZERO, account, sender=account)
    before = creator.balance
    tipjar.tip(creator, POST, "", value=1_000, sender=fan)  # tips still pay exactly what they bring
    assert creator.balance - before == 1_000
    attacker.execute(tipjar, 0, tipjar.withdraw.encode_input(ZERO, creator), sender=owner)
    assert tipjar.balance == 10**18  # only the forced ether, which is nobody's credit
