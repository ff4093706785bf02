"""CreatorTokenFactory and CreatorToken: launch, bonding-curve trades, fees, permit, access control."""

import ape
import pytest
from contract_helpers import (
    CREATOR_FEE_BPS,
    FAR,
    PROTOCOL_FEE_BPS,
    WAD,
    buy_quote,
    permit_signature,
    reserve_at,
    sell_quote,
)
from eth_account import Account

# ── launch ─────────────────────────────────────────────────────────────────────────────────────


def test_launch_creates_clone_with_metadata(project, factory, token, creator):
    assert token.name() == "Alice Token"
    assert token.symbol() == "ALICE"
    assert token.decimals() == 18
    assert token.totalSupply() == 0
    assert token.creator() == creator
    assert token.creatorFeeBps() == CREATOR_FEE_BPS
    assert token.factory() == factory
    assert factory.tokenOf(creator) == token.address
    assert factory.predictToken(creator) == token.address
    # An EIP-1167 minimal proxy: 45 bytes of code pointing at the implementation.
    code = bytes(ape.chain.provider.get_code(token.address))
    assert len(code) == 45
    assert factory.implementation().lower()[2:] in code.hex()


def test_launch_emits_event(factory, fan):
    tx = factory.launch("Fan Token", "FAN", sender=fan)
    token_address = factory.tokenOf(fan)
    assert factory.TokenLaunched.from_receipt(tx) == [
        factory.TokenLaunched(creator=fan, token=token_address, name="Fan Token", symbol="FAN")
    ]


def test_one_launch_per_creator(factory, token, creator):
    with ape.reverts(factory.FactoryAlreadyLaunched, creator=creator, token=token.address):
        factory.launch("Again", "AGN", sender=creator)


def test_tokens_of_different_creators_are_independent(project, factory, token, fan, fan2):
    factory.launch("Fan Token", "FAN", sender=fan)
    other = project.CreatorToken.at(factory.tokenOf(fan))
    assert other.address != token.address
    other.buy(WAD, other.quoteBuy(WAD), FAR, value=other.quoteBuy(WAD), sender=fan2)
    assert other.balanceOf(fan2) == WAD
    assert token.totalSupply() == 0
    assert factory.tokenOf(fan2) == "0x0000000000000000000000000000000000000000"


@pytest.mark.parametrize(
    "name,symbol,error",
    [
        ("", "X", "FactoryInvalidName"),
        ("x" * 32, "X", "FactoryInvalidName"),
        ("Name", "", "FactoryInvalidSymbol"),
        ("Name", "S" * 12, "FactoryInvalidSymbol"),
    ],
)
def test_launch_validates_name_and_symbol(factory, fan, name, symbol, error):
    with ape.reverts(getattr(factory, error)):
        factory.launch(name, symbol, sender=fan)


def test_clone_and_implementation_cannot_be_reinitialised(project, factory, token, creator, stranger):
    with ape.reverts(token.InvalidInitialization):
        token.initialize("X", "X", stranger, 0, sender=stranger)
    implementation = project.CreatorToken.at(factory.implementation())
    with ape.reverts(implementation.InvalidInitialization):
        implementation.initialize("X", "X", stranger, 0, sender=stranger)


# ── buying and selling ─────────────────────────────────────────────────────────────────────────


def test_buy_charges_quote_and_mints(token, creator, fan):
    amount = 10 * WAD
    cost, curve, creator_fee, protocol_fee = buy_quote(0, amount)
    assert token.quoteBuy(amount) == cost
    creator_before = creator.balance
    tx = token.buy(amount, cost, FAR, value=cost, sender=fan)
    assert token.balanceOf(fan) == amount
    assert token.totalSupply() == amount
    assert token.reserve() == curve == reserve_at(amount)
    assert creator.balance - creator_before == creator_fee
    assert token.protocolFeesAccrued() == protocol_fee
    assert token.balance == curve + protocol_fee
    bought = [e for e in tx.events if e.event_name == "Bought"]
    assert bought == [
        token.Bought(
            buyer=fan,
            amount=amount,
            cost=cost,
            creatorFee=creator_fee,
            protocolFee=protocol_fee,
            supply=amount,
        )
    ]


def test_buy_refunds_excess_payment(token, fan):
    cost = token.quoteBuy(WAD)
    before = fan.balance
    tx = token.buy(WAD, cost, FAR, value=cost + 12345, sender=fan)
    assert before - fan.balance == cost + tx.total_fees_paid


def test_sell_pays_quote_and_burns(token, creator, fan):
    token.buy(10 * WAD, 10**30, FAR, value=token.quoteBuy(10 * WAD), sender=fan)
    protocol_before = token.protocolFeesAccrued()
    amount = 4 * WAD
    proceeds, _curve, creator_fee, protocol_fee = sell_quote(10 * WAD, amount)
    assert token.quoteSell(amount) == proceeds
    fan_before, creator_before = fan.balance, creator.balance
    tx = token.sell(amount, proceeds, FAR, sender=fan)
    assert fan.balance - fan_before == proceeds - tx.total_fees_paid
    assert creator.balance - creator_before == creator_fee
    assert token.protocolFeesAccrued() - protocol_before == protocol_fee
    assert token.balanceOf(fan) == 6 * WAD
    assert token.reserve() == reserve_at(6 * WAD)
    sold = [e for e in tx.events if e.event_name == "Sold"]
    assert sold == [
        token.Sold(
            seller=fan,
            amount=amount,
            proceeds=proceeds,
            creatorFee=creator_fee,
            protocolFee=protocol_fee,
            supply=6 * WAD,
        )
    ]


def test_price_rises_with_supply(token, fan):
    first = token.quoteBuy(WAD)
    price0 = token.spotPrice()
    token.buy(100 * WAD, 10**30, FAR, value=token.quoteBuy(100 * WAD), sender=fan)
    assert token.spotPrice() > price0
    assert token.quoteBuy(WAD) > first


def test_buy_slippage_reverts(token, fan):
    cost = token.quoteBuy(WAD)
    with ape.reverts(token.CreatorTokenMaxCostExceeded, cost=cost, maxCost=cost - 1):
        token.buy(WAD, cost - 1, FAR, value=cost, sender=fan)


def test_buy_underpayment_reverts(token, fan):
    cost = token.quoteBuy(WAD)
    with ape.reverts(token.CreatorTokenInsufficientPayment, value=cost - 1, cost=cost):
        token.buy(WAD, cost, FAR, value=cost - 1, sender=fan)


def test_sell_slippage_reverts(token, fan):
    token.buy(WAD, 10**30, FAR, value=token.quoteBuy(WAD), sender=fan)
    proceeds = token.quoteSell(WAD)
    with ape.reverts(token.CreatorTokenMinProceedsNotMet, proceeds=proceeds, minProceeds=proceeds + 1):
        token.sell(WAD, proceeds + 1, FAR, sender=fan)


def test_slippage_protects_against_front_running(token, fan, fan2):
    quoted = token.quoteBuy(WAD)
    token.buy(50 * WAD, 10**30, FAR, value=token.quoteBuy(50 * WAD), sender=fan2)  # front-runner
    with ape.reverts(token.CreatorTokenMaxCostExceeded):
        token.buy(WAD, quoted, FAR, value=quoted, sender=fan)


def test_trades_after_their_deadline_revert(token, fan):
    token.buy(2 * WAD, 10**30, FAR, value=token.quoteBuy(2 * WAD), sender=fan)
    # A trade is valid up to and including its deadline's second, and refused after it.
    now = ape.chain.blocks.head.timestamp
    ape.chain.pending_timestamp = now + 10
    token.buy(WAD, 10**30, now + 10, value=token.quoteBuy(WAD), sender=fan)
    ape.chain.pending_timestamp = now + 20
    token.sell(WAD, 0, now + 20, sender=fan)
    supply = token.totalSupply()
    ape.chain.pending_timestamp = now + 31
    with ape.reverts(token.CreatorTokenDeadlinePassed, deadline=now + 30, timestamp=now + 31):
        token.buy(WAD, 10**30, now + 30, value=token.quoteBuy(WAD), sender=fan)
    ape.chain.pending_timestamp = now + 32
    with ape.reverts(token.CreatorTokenDeadlinePassed, deadline=now + 30, timestamp=now + 32):
        token.sell(WAD, 0, now + 30, sender=fan)
    assert token.totalSupply() == supply


def test_zero_and_oversized_amounts_revert(token, fan):
    with ape.reverts(token.CreatorTokenZeroAmount):
        token.buy(0, 0, FAR, sender=fan)
    with ape.reverts(token.CreatorTokenZeroAmount):
        token.sell(0, 0, FAR, sender=fan)
    with ape.reverts(token.CreatorTokenSupplyCapExceeded):
        token.quoteBuy(token.MAX_SUPPLY() + 1)
    with ape.reverts(token.CreatorTokenAmountExceedsSupply):
        token.quoteSell(1)


def test_sell_more_than_balance_reverts(token, fan, fan2):
    token.buy(WAD, 10**30, FAR, value=token.quoteBuy(WAD), sender=fan)
    token.buy(WAD, 10**30, FAR, value=token.quoteBuy(WAD), sender=fan2)
    with ape.reverts(token.ERC20InsufficientBalance):
        token.sell(WAD + 1, 0, FAR, sender=fan)


def test_round_trip_loses_exactly_the_fees(token, fan):
    amount = 7 * WAD + 3
    cost, curve, cfee, pfee = buy_quote(0, amount)
    token.buy(amount, cost, FAR, value=cost, sender=fan)
    proceeds, curve_back, cfee2, pfee2 = sell_quote(amount, amount)
    assert curve_back == curve
    assert token.quoteSell(amount) == proceeds
    token.sell(amount, proceeds, FAR, sender=fan)
    assert cost - proceeds == cfee + pfee + cfee2 + pfee2
    assert token.totalSupply() == 0
    assert token.reserve() == 0
    assert token.balance == token.protocolFeesAccrued()


def test_tiny_trades_never_take_fees_out_of_the_reserve(token, fan):
    token.buy(3, 10**30, FAR, value=token.quoteBuy(3), sender=fan)
    for _ in range(3):
        token.sell(1, 0, FAR, sender=fan)
    assert token.totalSupply() == 0
    assert token.balance == token.protocolFeesAccrued()


# ── tokens are plain ERC-20s with permit ───────────────────────────────────────────────────────


def test_transfer_and_approve(token, fan, fan2):
    token.buy(5 * WAD, 10**30, FAR, value=token.quoteBuy(5 * WAD), sender=fan)
    tx = token.transfer(fan2, 2 * WAD, sender=fan)
    assert tx.events == [token.Transfer(fan, fan2, 2 * WAD)]
    token.approve(fan2, WAD, sender=fan)
    token.transferFrom(fan, fan2, WAD, sender=fan2)
    assert token.balanceOf(fan2) == 3 * WAD
    # The new holder can sell what it was sent.
    token.sell(3 * WAD, 0, FAR, sender=fan2)
    assert token.balanceOf(fan2) == 0


def test_permit_uses_token_name_as_domain(token, fan, fan2):
    token.buy(WAD, 10**30, FAR, value=token.quoteBuy(WAD), sender=fan)
    domain = token.eip712Domain()
    assert domain.name == "Alice Token" and domain.version == "1"
    key = Account.create()
    token.transfer(key.address, WAD, sender=fan)
    deadline = ape.chain.pending_timestamp + 3600
    v, r, s = permit_signature(
        token, key.key, key.address, fan2.address, WAD, 0, deadline, ape.chain.chain_id
    )
    token.permit(key.address, fan2, WAD, deadline, v, r, s, sender=fan2)
    assert token.allowance(key.address, fan2) == WAD
    assert token.nonces(key.address) == 1


# ── fees and access control ────────────────────────────────────────────────────────────────────


def test_creator_fee_decrease_applies_at_once(token, creator, fan):
    tx = token.setCreatorFee(0, sender=creator)
    assert tx.events == [
        token.CreatorFeeUpdated(oldBps=CREATOR_FEE_BPS, newBps=0, effectiveAt=ape.chain.blocks.head.timestamp)
    ]
    assert token.creatorFeeBps() == 0
    # The next trade, in the next block, charges no creator fee: the creator's balance stays.
    cost = buy_quote(0, WAD, creator_bps=0)[0]
    assert token.quoteBuy(WAD) == cost
    before = creator.balance
    tx = token.buy(WAD, cost, FAR, value=cost, sender=fan)
    assert token.Bought.from_receipt(tx)[0].creatorFee == 0
    assert creator.balance == before
    with ape.reverts(token.CreatorTokenFeeTooHigh, bps=1001, max=1000):
        token.setCreatorFee(1001, sender=creator)


def test_creator_fee_increase_waits_for_the_delay(token, creator, fan):
    # A trade signed at today's fee (sent with a deadline under the delay) pays today's fee even
    # if the creator raises it before the trade is mined.
    delay = 3600
    quoted = token.quoteBuy(WAD)
    tx = token.setCreatorFee(1_000, sender=creator)
    announced = ape.chain.blocks.head.timestamp
    assert tx.events == [
        token.CreatorFeeUpdated(oldBps=CREATOR_FEE_BPS, newBps=1_000, effectiveAt=announced + delay)
    ]
    assert token.creatorFeeBps() == CREATOR_FEE_BPS
    assert token.nextCreatorFee() == (1_000, announced + delay)
    tx = token.buy(WAD, quoted, FAR, value=quoted, sender=fan)  # the in-flight trade
    assert token.Bought.from_receipt(tx)[0].creatorFee == buy_quote(0, WAD)[2]
    # One second before the change, still the old fee; from its second on, the new one.
    ape.chain.pending_timestamp = announced + delay - 1
    tx = token.buy(WAD, 10**30, FAR, value=token.quoteBuy(WAD), sender=fan)
    assert token.Bought.from_receipt(tx)[0].creatorFee == buy_quote(WAD, WAD)[2]
    ape.chain.pending_timestamp = announced + delay
    tx = token.buy(WAD, 10**30, FAR, value=10**18, sender=fan)
    assert token.Bought.from_receipt(tx)[0].creatorFee == buy_quote(2 * WAD, WAD, creator_bps=1_000)[2]
    assert token.creatorFeeBps() == 1_000


def test_creator_fee_decrease_cancels_a_pending_increase(token, creator):
    token.setCreatorFee(1_000, sender=creator)
    token.setCreatorFee(200, sender=creator)
    assert token.creatorFeeBps() == 200
    assert token.nextCreatorFee() == (200, 0)
    # A second increase during a pending one starts its own delay from the fee in force.
    token.setCreatorFee(800, sender=creator)
    ape.chain.mine(deltatime=1800)
    token.setCreatorFee(900, sender=creator)
    assert token.creatorFeeBps() == 200
    assert token.nextCreatorFee()[1] == ape.chain.blocks.head.timestamp + 3600


def test_only_creator_sets_fee_and_withdraws(token, stranger, owner):
    for account in (stranger, owner):
        with ape.reverts(token.CreatorTokenUnauthorized, account=account):
            token.setCreatorFee(0, sender=account)
        with ape.reverts(token.CreatorTokenUnauthorized, account=account):
            token.withdrawCreatorFees(account, sender=account)


def test_only_owner_sets_protocol_fee_and_recipient(factory, stranger, creator):
    for account in (stranger, creator):
        with ape.reverts(factory.OwnableUnauthorizedAccount, account=account):
            factory.setProtocolFee(0, sender=account)
        with ape.reverts(factory.OwnableUnauthorizedAccount, account=account):
            factory.setFeeRecipient(account, sender=account)
        with ape.reverts(factory.OwnableUnauthorizedAccount, account=account):
            factory.transferOwnership(account, sender=account)


def test_owner_sets_protocol_fee_capped(factory, token, owner, fee_recipient, stranger, fan):
    tx = factory.setProtocolFee(500, sender=owner)
    announced = ape.chain.blocks.head.timestamp
    assert tx.events == [
        factory.ProtocolFeeUpdated(oldBps=PROTOCOL_FEE_BPS, newBps=500, effectiveAt=announced + 3600)
    ]
    # An increase waits for the delay, for every token at once.
    assert factory.protocolFeeBps() == PROTOCOL_FEE_BPS
    assert token.quoteBuy(WAD) == buy_quote(0, WAD)[0]
    ape.chain.mine(deltatime=3600)
    assert factory.protocolFeeBps() == 500
    assert token.quoteBuy(WAD) == buy_quote(0, WAD, protocol_bps=500)[0]
    with ape.reverts(factory.FactoryFeeTooHigh, bps=501, max=500):
        factory.setProtocolFee(501, sender=owner)
    # A decrease applies at once.
    factory.setProtocolFee(50, sender=owner)
    assert token.quoteBuy(WAD) == buy_quote(0, WAD, protocol_bps=50)[0]
    with ape.reverts(factory.FactoryInvalidFeeRecipient):
        factory.setFeeRecipient("0x0000000000000000000000000000000000000000", sender=owner)
    tx = factory.setFeeRecipient(stranger, sender=owner)
    assert tx.events == [factory.FeeRecipientUpdated(oldRecipient=fee_recipient, newRecipient=stranger)]
    assert factory.feeRecipient() == stranger
    # The new recipient gets the sweep.
    token.buy(WAD, 10**30, FAR, value=token.quoteBuy(WAD), sender=fan)
    accrued = token.protocolFeesAccrued()
    assert accrued == buy_quote(0, WAD, protocol_bps=50)[3]
    before = stranger.balance
    tx = token.withdrawProtocolFees(sender=fan)
    assert stranger.balance - before == accrued
    assert tx.events == [token.ProtocolFeesWithdrawn(recipient=stranger, amount=accrued)]
    with ape.reverts(token.CreatorTokenNothingToWithdraw):
        token.withdrawProtocolFees(sender=fan)


def test_ownership_transfer_is_two_step(factory, owner, stranger):
    factory.transferOwnership(stranger, sender=owner)
    assert factory.owner() == owner
    factory.acceptOwnership(sender=stranger)
    assert factory.owner() == stranger
    factory.setProtocolFee(0, sender=stranger)


def test_zero_protocol_fee_accrues_nothing(factory, token, owner, fan):
    factory.setProtocolFee(0, sender=owner)
    token.buy(WAD, 10**30, FAR, value=token.quoteBuy(WAD), sender=fan)
    assert token.protocolFeesAccrued() == 0
    assert token.balance == token.reserve()


def test_creator_fee_falls_back_to_credit(project, factory, attacker, fan, owner):
    # The attacker contract is the creator and refuses ETH: trades go on, the fee is credited.
    attacker.execute(factory, 0, factory.launch.encode_input("Evil", "EVL"), sender=owner)
    token = project.CreatorToken.at(factory.tokenOf(attacker))
    attacker.setRejectEth(True, sender=owner)
    cost, _curve, creator_fee, _ = buy_quote(0, WAD)
    tx = token.buy(WAD, cost, FAR, value=cost, sender=fan)
    assert token.CreatorFeeDeferred(creator=attacker, amount=creator_fee) in tx.events
    assert token.creatorFeesOwed() == creator_fee
    # Only the creator withdraws, to an address of its choice.
    with ape.reverts(token.CreatorTokenUnauthorized):
        token.withdrawCreatorFees(fan, sender=fan)
    before = fan.balance
    tx = attacker.execute(token, 0, token.withdrawCreatorFees.encode_input(fan), sender=owner)
    assert token.CreatorFeesWithdrawn.from_receipt(tx) == [
        token.CreatorFeesWithdrawn(to=fan, amount=creator_fee)
    ]
    assert fan.balance - before == creator_fee
    assert token.creatorFeesOwed() == 0
