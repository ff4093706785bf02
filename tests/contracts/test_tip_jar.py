"""TipJar: ETH, ERC-20 and permit tips, splits, failed deliveries credited for withdrawal, events."""

import ape
from contract_helpers import FAR, WAD, permit_signature

POST = bytes.fromhex("ab" * 32)
ZERO = "0x0000000000000000000000000000000000000000"


# ── ETH tips ───────────────────────────────────────────────────────────────────────────────────


def test_eth_tip_forwards_to_creator_and_emits(tipjar, creator, fan):
    before = creator.balance
    tx = tipjar.tip(creator, POST, "great post", value=10**15, sender=fan)
    assert creator.balance - before == 10**15
    assert tipjar.balance == 0
    assert tx.events == [
        tipjar.Tipped(creator=creator, tipper=fan, postId=POST, amount=10**15, memo="great post")
    ]


def test_eth_tip_without_post_or_memo(tipjar, creator, fan):
    tx = tipjar.tip(creator, b"\x00" * 32, "", value=1, sender=fan)
    assert tx.events == [tipjar.Tipped(creator=creator, tipper=fan, postId=b"\x00" * 32, amount=1, memo="")]


def test_memo_is_bounded(tipjar, erc20, creator, fan):
    limit = tipjar.MAX_MEMO_BYTES()
    assert limit == 280
    tipjar.tip(creator, POST, "x" * limit, value=1, sender=fan)
    with ape.reverts(tipjar.TipJarMemoTooLong, length=limit + 1, max=limit):
        tipjar.tip(creator, POST, "x" * (limit + 1), value=1, sender=fan)
    # Bytes, not characters: 94 three-byte characters are 282 bytes.
    with ape.reverts(tipjar.TipJarMemoTooLong, length=282, max=limit):
        tipjar.tip(creator, POST, "€" * 94, value=1, sender=fan)
    erc20.approve(tipjar, 10, sender=fan)
    with ape.reverts(tipjar.TipJarMemoTooLong):
        tipjar.tipToken(erc20, creator, 1, POST, "x" * (limit + 1), sender=fan)


def test_zero_tips_and_zero_creator_revert(tipjar, erc20, creator, fan):
    with ape.reverts(tipjar.TipJarZeroAmount):
        tipjar.tip(creator, POST, "", value=0, sender=fan)
    with ape.reverts(tipjar.TipJarInvalidCreator):
        tipjar.tip(ZERO, POST, "", value=1, sender=fan)
    with ape.reverts(tipjar.TipJarZeroAmount):
        tipjar.tipToken(erc20, creator, 0, POST, "", sender=fan)


def test_reverting_recipient_is_credited_not_blocking(tipjar, attacker, owner, fan, stranger):
    attacker.setRejectEth(True, sender=owner)
    tx = tipjar.tip(attacker, POST, "hi", value=5 * 10**15, sender=fan)
    assert tx.events == [
        tipjar.Tipped(creator=attacker, tipper=fan, postId=POST, amount=5 * 10**15, memo="hi"),
        tipjar.PaymentDeferred(account=attacker, token=ZERO, amount=5 * 10**15),
    ]
    assert tipjar.pendingWithdrawal(attacker, ZERO) == 5 * 10**15
    assert tipjar.balance == 5 * 10**15
    # Nobody else can take it; the recipient pulls it to an address of its choice.
    with ape.reverts(tipjar.TipJarNothingToWithdraw, account=stranger, token=ZERO):
        tipjar.withdraw(ZERO, stranger, sender=stranger)
    before = stranger.balance
    tx = attacker.execute(tipjar, 0, tipjar.withdraw.encode_input(ZERO, stranger), sender=owner)
    assert stranger.balance - before == 5 * 10**15
    assert tipjar.Withdrawn(account=attacker, token=ZERO, to=stranger, amount=5 * 10**15) in tx.events
    assert tipjar.pendingWithdrawal(attacker, ZERO) == 0
    assert tipjar.balance == 0


def test_gas_burning_recipient_is_credited_with_bounded_gas(project, tipjar, owner, fan):
    burner = owner.deploy(project.MockGasBurner)
    tx = tipjar.tip(burner, POST, "", value=10**15, sender=fan)
    assert tipjar.pendingWithdrawal(burner, ZERO) == 10**15
    # The recipient gets 30,000 gas, not all of it: the tipper pays a bounded price for its failure.
    assert tx.gas_used < 100_000


def test_withdraw_to_zero_address_reverts(tipjar, fan):
    with ape.reverts(tipjar.TipJarInvalidRecipient):
        tipjar.withdraw(ZERO, ZERO, sender=fan)


# ── splits ─────────────────────────────────────────────────────────────────────────────────────


def test_split_divides_eth_tip_with_dust_to_creator(tipjar, creator, fan, fan2, stranger):
    tx = tipjar.setSplit([fan2, stranger], [3_333, 6_667], sender=creator)
    assert tx.events == [tipjar.SplitUpdated(creator=creator, accounts=[fan2, stranger], bps=[3_333, 6_667])]
    assert tipjar.splitOf(creator) == ([fan2.address, stranger.address], [3_333, 6_667])
    amount = 10**15 + 7
    balances = {a: a.balance for a in (creator, fan2, stranger)}
    tipjar.tip(creator, POST, "", value=amount, sender=fan)
    part_fan2, part_stranger = amount * 3_333 // 10_000, amount * 6_667 // 10_000
    assert fan2.balance - balances[fan2] == part_fan2
    assert stranger.balance - balances[stranger] == part_stranger
    assert creator.balance - balances[creator] == amount - part_fan2 - part_stranger  # the dust
    assert tipjar.balance == 0


def test_split_including_creator(tipjar, creator, fan, fan2):
    tipjar.setSplit([creator, fan2], [7_000, 3_000], sender=creator)
    before_creator, before_fan2 = creator.balance, fan2.balance
    tipjar.tip(creator, POST, "", value=1_001, sender=fan)
    assert fan2.balance - before_fan2 == 300
    assert creator.balance - before_creator == 701


def test_split_divides_erc20_tip(tipjar, erc20, creator, fan, fan2, stranger):
    tipjar.setSplit([fan2, stranger], [5_000, 5_000], sender=creator)
    erc20.approve(tipjar, 1_001, sender=fan)
    before = {a: erc20.balanceOf(a) for a in (creator, fan2, stranger)}
    tx = tipjar.tipToken(erc20, creator, 1_001, POST, "split", sender=fan)
    assert erc20.balanceOf(fan2) - before[fan2] == 500
    assert erc20.balanceOf(stranger) - before[stranger] == 500
    assert erc20.balanceOf(creator) - before[creator] == 1
    assert (
        tipjar.TokenTipped(creator=creator, tipper=fan, token=erc20, postId=POST, amount=1_001, memo="split")
        in tx.events
    )


def test_split_with_reverting_account_credits_it(tipjar, attacker, creator, owner, fan, fan2):
    attacker.setRejectEth(True, sender=owner)
    tipjar.setSplit([attacker, fan2], [5_000, 5_000], sender=creator)
    before = fan2.balance
    tipjar.tip(creator, POST, "", value=1_000, sender=fan)
    assert fan2.balance - before == 500
    assert tipjar.pendingWithdrawal(attacker, ZERO) == 500


def test_split_validation(tipjar, creator, fan, fan2):
    with ape.reverts(tipjar.TipJarSharesNotWhole, total=9_999):
        tipjar.setSplit([fan, fan2], [5_000, 4_999], sender=creator)
    with ape.reverts(tipjar.TipJarSplitLengthMismatch):
        tipjar.setSplit([fan, fan2], [10_000], sender=creator)
    with ape.reverts(tipjar.TipJarInvalidShare, index=1):
        tipjar.setSplit([fan, ZERO], [5_000, 5_000], sender=creator)
    with ape.reverts(tipjar.TipJarInvalidShare, index=0):
        tipjar.setSplit([fan, fan2], [0, 10_000], sender=creator)
    with ape.reverts(tipjar.TipJarTooManyAccounts):
        tipjar.setSplit([fan] * 11, [1_000] * 10 + [0], sender=creator)
    tipjar.setSplit([fan] * 10, [1_000] * 10, sender=creator)


def test_split_is_the_creators_own_and_can_be_cleared(tipjar, creator, fan, fan2):
    # Each account sets only its own split: fan's call does not touch creator's.
    tipjar.setSplit([fan2], [10_000], sender=creator)
    tipjar.setSplit([fan], [10_000], sender=fan)
    assert tipjar.splitOf(creator) == ([fan2.address], [10_000])
    tipjar.setSplit([], [], sender=creator)
    assert tipjar.splitOf(creator) == ([], [])
    before = creator.balance
    tipjar.tip(creator, POST, "", value=1_000, sender=fan2)
    assert creator.balance - before == 1_000


def test_split_replaced_not_appended(tipjar, creator, fan, fan2, stranger):
    tipjar.setSplit([fan, fan2], [5_000, 5_000], sender=creator)
    tipjar.setSplit([stranger], [10_000], sender=creator)
    assert tipjar.splitOf(creator) == ([stranger.address], [10_000])


# ── ERC-20 and permit tips ─────────────────────────────────────────────────────────────────────


def test_erc20_tip_moves_tokens_directly(tipjar, erc20, creator, fan):
    erc20.approve(tipjar, 10**18, sender=fan)
    before = erc20.balanceOf(creator)
    tx = tipjar.tipToken(erc20, creator, 10**18, POST, "usd", sender=fan)
    assert erc20.balanceOf(creator) - before == 10**18
    assert erc20.balanceOf(tipjar) == 0
    # The tip event comes first: it is emitted before the transfer (checks-effects-interactions).
    assert tx.events == [
        tipjar.TokenTipped(creator=creator, tipper=fan, token=erc20, postId=POST, amount=10**18, memo="usd"),
        erc20.Transfer(fan, creator, 10**18),
    ]


def test_erc20_tip_needs_allowance(tipjar, erc20, creator, fan):
    with ape.reverts(erc20.ERC20InsufficientAllowance):
        tipjar.tipToken(erc20, creator, 1, POST, "", sender=fan)


def test_creator_token_tip(tipjar, token, creator, fan):
    token.buy(3 * WAD, 10**30, FAR, value=token.quoteBuy(3 * WAD), sender=fan)
    token.approve(tipjar, WAD, sender=fan)
    tx = tipjar.tipToken(token, creator, WAD, POST, "holder tip", sender=fan)
    assert token.balanceOf(creator) == WAD
    assert (
        tipjar.TokenTipped(
            creator=creator, tipper=fan, token=token, postId=POST, amount=WAD, memo="holder tip"
        )
        in tx.events
    )


def test_permit_tip_needs_no_prior_approve(accounts, tipjar, erc20, creator, fan):
    # A holder that never approved the jar signs a permit and tips in one transaction.
    signer = accounts[7]
    erc20.transfer(signer, 10**18, sender=fan)
    assert erc20.allowance(signer, tipjar) == 0
    deadline = ape.chain.pending_timestamp + 3600
    v, r, s = permit_signature(
        erc20, signer.private_key, signer.address, tipjar.address, 10**18, 0, deadline, ape.chain.chain_id
    )
    before = erc20.balanceOf(creator)
    tx = tipjar.tipTokenWithPermit(erc20, creator, 10**18, POST, "permit", deadline, v, r, s, sender=signer)
    assert erc20.balanceOf(creator) - before == 10**18
    assert erc20.allowance(signer, tipjar) == 0
    assert erc20.nonces(signer) == 1
    assert (
        tipjar.TokenTipped(
            creator=creator, tipper=signer, token=erc20, postId=POST, amount=10**18, memo="permit"
        )
        in tx.events
    )


def test_permit_tip_survives_front_run_permit(accounts, tipjar, erc20, creator, fan, fan2):
    signer = accounts[7]
    erc20.transfer(signer, 10**18, sender=fan)
    deadline = ape.chain.pending_timestamp + 3600
    v, r, s = permit_signature(
        erc20, signer.private_key, signer.address, tipjar.address, 10**18, 0, deadline, ape.chain.chain_id
    )
    # Someone submits the permit first: the tip still goes through on the allowance it set.
    erc20.permit(signer, tipjar, 10**18, deadline, v, r, s, sender=fan2)
    tipjar.tipTokenWithPermit(erc20, creator, 10**18, POST, "", deadline, v, r, s, sender=signer)
    assert erc20.allowance(signer, tipjar) == 0


def test_permit_tip_with_bad_signature_reverts(accounts, tipjar, erc20, creator, fan):
    signer = accounts[7]
    erc20.transfer(signer, 10**18, sender=fan)
    deadline = ape.chain.pending_timestamp + 3600
    v, r, s = permit_signature(
        erc20, signer.private_key, signer.address, tipjar.address, 10**18, 0, deadline, ape.chain.chain_id
    )
    with ape.reverts(erc20.ERC20InsufficientAllowance):
        tipjar.tipTokenWithPermit(erc20, creator, 2 * 10**18, POST, "", deadline, v, r, s, sender=signer)


def test_permit_tip_with_creator_token(accounts, tipjar, token, creator, fan):
    signer = accounts[7]
    token.buy(2 * WAD, 10**30, FAR, value=token.quoteBuy(2 * WAD), sender=fan)
    token.transfer(signer, WAD, sender=fan)
    deadline = ape.chain.pending_timestamp + 3600
    v, r, s = permit_signature(
        token, signer.private_key, signer.address, tipjar.address, WAD, 0, deadline, ape.chain.chain_id
    )
    tipjar.tipTokenWithPermit(token, creator, WAD, POST, "", deadline, v, r, s, sender=signer)
    assert token.balanceOf(creator) == WAD


def test_blocked_erc20_recipient_is_credited(project, tipjar, owner, creator, fan, fan2):
    blocking = owner.deploy(project.MockBlockingERC20)
    blocking.mint(fan, 1_000, sender=owner)
    blocking.setBlocked(fan2, sender=owner)
    tipjar.setSplit([fan2, creator], [5_000, 5_000], sender=creator)
    blocking.approve(tipjar, 1_000, sender=fan)
    tx = tipjar.tipToken(blocking, creator, 1_000, POST, "", sender=fan)
    assert blocking.balanceOf(creator) == 500
    assert blocking.balanceOf(tipjar) == 500
    assert tipjar.PaymentDeferred(account=fan2, token=blocking, amount=500) in tx.events
    assert tipjar.pendingWithdrawal(fan2, blocking) == 500
    # fan2 cannot receive this token, so it withdraws to another address.
    tipjar.withdraw(blocking, creator, sender=fan2)
    assert blocking.balanceOf(creator) == 1_000
    assert tipjar.pendingWithdrawal(fan2, blocking) == 0


def test_token_returning_false_to_a_recipient_is_credited(project, tipjar, owner, creator, fan, stranger):
    # A token that answers `false` (instead of reverting) for a transfer to the creator: the jar
    # notices, takes the tokens itself and credits the creator, who withdraws elsewhere.
    falsy = owner.deploy(project.MockFalseERC20)
    falsy.mint(fan, 1_000, sender=owner)
    falsy.setRefused(creator, True, sender=owner)
    falsy.approve(tipjar, 1_000, sender=fan)
    tx = tipjar.tipToken(falsy, creator, 1_000, POST, "", sender=fan)
    assert falsy.balanceOf(creator) == 0
    assert falsy.balanceOf(tipjar) == 1_000
    assert tipjar.PaymentDeferred(account=creator, token=falsy, amount=1_000) in tx.events
    tipjar.withdraw(falsy, stranger, sender=creator)
    assert falsy.balanceOf(stranger) == 1_000
    assert falsy.balanceOf(tipjar) == 0


def test_token_returning_false_everywhere_reverts_the_tip(project, tipjar, owner, creator, fan):
    falsy = owner.deploy(project.MockFalseERC20)
    falsy.mint(fan, 1_000, sender=owner)
    falsy.setRefused(creator, True, sender=owner)
    falsy.setRefused(tipjar, True, sender=owner)
    falsy.approve(tipjar, 1_000, sender=fan)
    with ape.reverts(tipjar.SafeERC20FailedOperation, token=falsy):
        tipjar.tipToken(falsy, creator, 1_000, POST, "", sender=fan)
    assert falsy.balanceOf(fan) == 1_000
    assert tipjar.pendingWithdrawal(creator, falsy) == 0


def test_fee_on_transfer_token_is_refused(project, tipjar, owner, creator, fan, fan2):
    # The jar never claims (in TokenTipped) or credits more than arrived: such tokens are refused,
    # whether paid directly, through a split, or into the jar for a credit.
    taxed = owner.deploy(project.MockFeeERC20)
    taxed.mint(fan, 10_000, sender=owner)
    taxed.approve(tipjar, 10_000, sender=fan)
    with ape.reverts(tipjar.TipJarDeliveryMismatch, token=taxed, to=creator, sent=1_000, received=990):
        tipjar.tipToken(taxed, creator, 1_000, POST, "", sender=fan)
    tipjar.setSplit([fan2, creator], [5_000, 5_000], sender=creator)
    with ape.reverts(tipjar.TipJarDeliveryMismatch, token=taxed, to=fan2, sent=500, received=495):
        tipjar.tipToken(taxed, creator, 1_000, POST, "", sender=fan)
    assert taxed.balanceOf(fan) == 10_000
    assert taxed.balanceOf(tipjar) == 0


def test_jar_cannot_be_tipped_or_listed_in_a_split(tipjar, erc20, creator, fan):
    # What the jar received would be nobody's credit, and stuck.
    with ape.reverts(tipjar.TipJarInvalidCreator, creator=tipjar):
        tipjar.tip(tipjar, POST, "", value=1, sender=fan)
    erc20.approve(tipjar, 1, sender=fan)
    with ape.reverts(tipjar.TipJarInvalidCreator, creator=tipjar):
        tipjar.tipToken(erc20, tipjar, 1, POST, "", sender=fan)
    with ape.reverts(tipjar.TipJarInvalidShare, index=1):
        tipjar.setSplit([fan, tipjar], [5_000, 5_000], sender=creator)


def test_self_tip_in_tokens_moves_nothing_and_claims_its_amount(tipjar, erc20, fan):
    # Tipping yourself is allowed and changes no balance; the event says what was "sent".
    erc20.approve(tipjar, 5, sender=fan)
    before = erc20.balanceOf(fan)
    tx = tipjar.tipToken(erc20, fan, 5, POST, "", sender=fan)
    assert erc20.balanceOf(fan) == before
    assert (
        tipjar.TokenTipped(creator=fan, tipper=fan, token=erc20, postId=POST, amount=5, memo="") in tx.events
    )
