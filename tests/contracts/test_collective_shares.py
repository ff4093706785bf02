"""CollectiveShares: membership shares with votes, and revenue sharing among the members.

Each collective is an EIP-1167 clone of one implementation, its community's id as its immutable
argument (made here by `MockCloner`, so that
an account stands in for the timelock: test_collective.py launches real ones through the
factory), owned by `owner` (the timelock's stand-in), with `treasury` receiving
the treasury's part of every income. Amounts are chosen so that the pro-rata parts are exact,
except in the dust tests, which are about the remainder.
"""

import ape
import pytest
from contract_helpers import CHARTER, COMMUNITY, ETH, TREASURY_BPS
from eth_utils import keccak, to_checksum_address

GUARD = keccak(text="ReentrancyGuardReentrantCall()")[:4]


@pytest.fixture(scope="module")
def treasury(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def founders(accounts):
    return [accounts[6], accounts[7], accounts[8]]


@pytest.fixture(scope="module")
def deployer(accounts):
    """Deploys this module's contracts. No other test deploys from it: Ape remembers the type of
    the contract at each address across chain snapshots, so a collective cloned where another
    module later finds a creator token (same deployer, same nonce) would confuse it."""
    return accounts[9]


@pytest.fixture(scope="module")
def implementation(project, deployer):
    return deployer.deploy(project.CollectiveShares)


@pytest.fixture(scope="module")
def new_collective(project, owner, deployer, implementation, treasury):
    """Clones and initialises a collective: `new_collective(founders, shares, bps)`."""
    cloner = deployer.deploy(project.MockCloner)

    def make(members, shares, bps=TREASURY_BPS, initialize=True):
        tx = cloner.clone(implementation, COMMUNITY, sender=owner)
        collective = project.CollectiveShares.at(tx.events[0].clone)
        if initialize:
            collective.initialize(*init_args(owner, members, shares, treasury, bps), sender=owner)
        return collective

    return make


def init_args(owner, members, shares, treasury, bps, moderators=(), charter=CHARTER):
    return (owner, members, shares, treasury, bps, list(moderators), charter)


@pytest.fixture(scope="module")
def collective(new_collective, founders):
    """Three founders with 1, 2 and 3 shares."""
    return new_collective(founders, [1, 2, 3])


def eth_claim(collective, member):
    """Claims `member`'s ETH and returns what it received (its balance change plus the gas fee)."""
    before = member.balance
    tx = collective.claim(ETH, sender=member)
    return member.balance - before + tx.total_fees_paid


# ── Membership and votes ───────────────────────────────────────────────────────────────────────


def test_founders_hold_their_shares_as_votes(collective, founders, owner, treasury):
    assert collective.decimals() == 0
    assert (collective.name(), collective.symbol()) == ("Mecenate collective share", "SHARE")
    assert collective.charterHash() == CHARTER
    assert collective.moderators() == []
    assert collective.totalSupply() == 6
    assert collective.communityId() == COMMUNITY
    assert collective.owner() == owner
    assert collective.treasury() == treasury
    assert collective.treasuryBps() == TREASURY_BPS
    for founder, shares in zip(founders, [1, 2, 3], strict=True):
        assert collective.balanceOf(founder) == shares
        # No delegate chosen: a member votes with its own shares, without a `delegate` call.
        assert collective.delegates(founder) == founder
        assert collective.getVotes(founder) == shares


def test_votes_count_from_the_mint_and_follow_a_chosen_delegate(collective, founders, owner, stranger):
    collective.mint(stranger, 4, sender=owner)
    assert collective.getVotes(stranger) == 4
    # A member may delegate elsewhere; a later mint keeps that choice.
    # (`delegate` is also a name of Ape's contract object: call the contract's by name.)
    collective.invoke_transaction("delegate", founders[0], sender=stranger)
    collective.mint(stranger, 1, sender=owner)
    assert collective.delegates(stranger) == founders[0]
    assert collective.getVotes(founders[0]) == 1 + 5
    assert collective.getVotes(stranger) == 0
    assert collective.getPastTotalSupply(ape.chain.blocks.head.number - 1) == 10
    # Delegating to the zero address is voting oneself again.
    collective.invoke_transaction("delegate", ETH, sender=stranger)
    assert collective.delegates(stranger) == stranger
    assert collective.getVotes(stranger) == 5
    assert collective.getVotes(founders[0]) == 1


def test_clone_and_implementation_cannot_be_initialised_again(
    collective, implementation, founders, owner, treasury
):
    args = init_args(owner, founders, [1, 1, 1], treasury, 0)
    with ape.reverts(collective.InvalidInitialization):
        collective.initialize(*args, sender=owner)
    with ape.reverts(implementation.InvalidInitialization):
        implementation.initialize(*args, sender=owner)


def test_initialize_validates(new_collective, founders, owner, treasury):
    collective = new_collective([], [], initialize=False)
    with ape.reverts(collective.CollectiveSharesLengthMismatch, founders=3, shares=2):
        collective.initialize(*init_args(owner, founders, [1, 2], treasury, 0), sender=owner)
    with ape.reverts(collective.CollectiveSharesInvalidBps, bps=10_001):
        collective.initialize(*init_args(owner, founders, [1, 1, 1], treasury, 10_001), sender=owner)
    with ape.reverts(collective.CollectiveSharesInvalidTreasury):
        collective.initialize(*init_args(owner, founders, [1, 1, 1], ETH, 0), sender=owner)
    # Nobody could ever mint (admit a member) nor change what the owner changes.
    with ape.reverts(collective.OwnableInvalidOwner, owner=ETH):
        collective.initialize(*init_args(ETH, founders, [1, 1, 1], treasury, 0), sender=owner)


def test_shares_are_not_transferable(collective, founders, stranger):
    a, b, _ = founders
    with ape.reverts(collective.CollectiveSharesNonTransferable):
        collective.transfer(b, 1, sender=a)
    collective.approve(stranger, 1, sender=a)
    with ape.reverts(collective.CollectiveSharesNonTransferable):
        collective.transferFrom(a, stranger, 1, sender=stranger)
    assert collective.balanceOf(a) == 1


def test_only_the_owner_mints_and_burns(collective, founders, stranger):
    with ape.reverts(collective.OwnableUnauthorizedAccount, account=stranger):
        collective.mint(stranger, 1, sender=stranger)
    with ape.reverts(collective.OwnableUnauthorizedAccount, account=founders[2]):
        collective.burn(founders[0], 1, sender=founders[2])
    with ape.reverts(collective.OwnableUnauthorizedAccount, account=stranger):
        collective.setRevenuePolicy(0, sender=stranger)


def test_the_owner_sets_moderators_and_charter_hash(collective, owner, founders, stranger):
    a, b, _ = founders
    tx = collective.setModerators([a, b], sender=owner)
    assert collective.moderators() == [a, b]
    assert [log.moderators for log in tx.events] == [[a, b]]
    new_charter = keccak(text="charter:gardeners:v2")
    tx = collective.setCharterHash(new_charter, sender=owner)
    assert collective.charterHash() == new_charter
    assert [log.charterHash for log in tx.events] == [new_charter]
    collective.setModerators([], sender=owner)
    assert collective.moderators() == []
    with ape.reverts(collective.OwnableUnauthorizedAccount, account=a):
        collective.setModerators([a], sender=a)
    with ape.reverts(collective.OwnableUnauthorizedAccount, account=stranger):
        collective.setCharterHash(bytes(32), sender=stranger)


def test_a_bad_moderator_list_changes_nothing(collective, owner, founders, accounts):
    a, b, _ = founders
    collective.setModerators([a], sender=owner)
    with ape.reverts(collective.CollectiveSharesInvalidModerator, moderator=ETH):
        collective.setModerators([b, ETH], sender=owner)
    with ape.reverts(collective.CollectiveSharesInvalidModerator, moderator=b):
        collective.setModerators([b, a, b], sender=owner)
    too_many = [f"0x{i:040x}" for i in range(1, 34)]
    with ape.reverts(collective.CollectiveSharesTooManyModerators, count=33, max=32):
        collective.setModerators(too_many, sender=owner)
    assert collective.moderators() == [a]
    collective.setModerators(too_many[:32], sender=owner)
    assert collective.moderators() == [to_checksum_address(m) for m in too_many[:32]]
    # A shorter list replaces a longer one whole (the list's slots past its length are stale).
    collective.setModerators([b, a], sender=owner)
    assert collective.moderators() == [b, a]


def test_ownership_moves_away_from_the_treasury_and_can_be_renounced(
    new_collective, founders, owner, treasury, stranger
):
    # Owned by the treasury, as a launch makes it (the owner is then not stored).
    collective = new_collective([], [], initialize=False)
    tx = collective.initialize(treasury, founders, [1, 1, 1], treasury, 0, [], CHARTER, sender=owner)
    assert collective.owner() == treasury
    assert [(e.previousOwner, e.newOwner) for e in tx.events.filter(collective.OwnershipTransferred)] == [
        (ETH, treasury)
    ]
    tx = collective.transferOwnership(stranger, sender=treasury)
    assert [(e.previousOwner, e.newOwner) for e in tx.events] == [(treasury, stranger)]
    assert (collective.owner(), collective.treasury()) == (stranger, treasury)
    with ape.reverts(collective.OwnableUnauthorizedAccount, account=treasury):
        collective.mint(treasury, 1, sender=treasury)
    collective.renounceOwnership(sender=stranger)
    assert collective.owner() == ETH  # renounced: nobody, not the treasury again
    with ape.reverts(collective.OwnableUnauthorizedAccount, account=treasury):
        collective.setCharterHash(bytes(32), sender=treasury)


def test_a_member_can_leave(collective, founders):
    collective.leave(2, sender=founders[2])
    assert collective.balanceOf(founders[2]) == 1
    assert collective.getVotes(founders[2]) == 1
    assert collective.totalSupply() == 4


# ── Income ─────────────────────────────────────────────────────────────────────────────────────


def test_eth_income_is_split_by_the_policy_and_claimed_exactly(collective, founders, stranger, treasury):
    stranger.transfer(collective, 10**18)  # a plain transfer: accounted on the next claim
    assert collective.treasuryBalance(ETH) == 2 * 10**17
    members = 8 * 10**17  # 80 %, pro rata 1:2:3 over 6 shares, the remainder kept as dust
    per_share = members // 6
    assert collective.incomePerShare(ETH) == per_share
    assert collective.dust(ETH) == members - 6 * per_share
    for founder, shares in zip(founders, [1, 2, 3], strict=True):
        assert collective.claimable(founder, ETH) == shares * per_share
    tx = collective.claim(ETH, sender=founders[1])
    assert tx.events.filter(collective.IncomeAccounted) == [
        collective.IncomeAccounted(ETH, 10**18, 2 * 10**17, per_share)
    ]
    assert tx.events.filter(collective.Claimed) == [collective.Claimed(founders[1], ETH, 2 * per_share)]
    assert eth_claim(collective, founders[2]) == 3 * per_share
    assert collective.claimable(founders[1], ETH) == 0
    with ape.reverts(collective.CollectiveSharesNothingToClaim, account=founders[1], asset=ETH):
        collective.claim(ETH, sender=founders[1])
    before = treasury.balance
    collective.withdrawTreasury(ETH, sender=stranger)
    assert treasury.balance - before == 2 * 10**17
    # What is left is exactly the unclaimed part and the dust.
    assert collective.balance == per_share + collective.dust(ETH)


def test_erc20_income_is_counted_once(collective, erc20, founders, fan, treasury):
    erc20.transfer(collective, 6_000, sender=fan)
    tx = collective.notifyIncome(erc20, sender=founders[0])  # a member adds the token
    assert tx.events.filter(collective.IncomeAccounted) == [
        collective.IncomeAccounted(erc20, 6_000, 1_200, 800)
    ]
    assert collective.incomeTokens() == [erc20.address]
    tx = collective.notifyIncome(erc20, sender=fan)  # nothing new: nothing accounted
    assert not tx.events.filter(collective.IncomeAccounted)
    erc20.transfer(collective, 600, sender=fan)
    for founder, shares in zip(founders, [1, 2, 3], strict=True):
        assert collective.claimable(founder, erc20) == shares * (800 + 80)
        collective.claim(erc20, sender=founder)
        assert erc20.balanceOf(founder) == shares * 880
    collective.withdrawTreasury(erc20, sender=fan)
    assert erc20.balanceOf(treasury) == 1_320
    assert erc20.balanceOf(collective) == 0


def test_a_stranger_cannot_add_a_token(collective, erc20, fan):
    erc20.transfer(collective, 6_000, sender=fan)
    with ape.reverts(collective.CollectiveSharesUnknownToken, account=fan, token=erc20.address):
        collective.notifyIncome(erc20, sender=fan)


def test_shares_minted_after_income_do_not_claim_it(collective, founders, owner, stranger, fan):
    fan.transfer(collective, 6_000)  # before the admission, not yet accounted
    collective.mint(stranger, 4, sender=owner)  # accounts it first
    assert collective.claimable(stranger, ETH) == 0
    assert collective.claimable(founders[2], ETH) == 3 * 800
    fan.transfer(collective, 10_000)  # after: 8,000 to 10 shares
    assert collective.claimable(stranger, ETH) == 4 * 800
    assert collective.claimable(founders[2], ETH) == 3 * 800 + 3 * 800


def test_burned_shares_keep_what_they_earned(collective, founders, owner, fan):
    fan.transfer(collective, 6_000)
    collective.burn(founders[2], 3, sender=owner)
    assert collective.balanceOf(founders[2]) == 0
    assert collective.getVotes(founders[2]) == 0
    assert collective.claimable(founders[2], ETH) == 3 * 800
    fan.transfer(collective, 3_000)  # 2,400 to the 3 remaining shares
    assert collective.claimable(founders[2], ETH) == 3 * 800
    assert collective.claimable(founders[1], ETH) == 2 * 800 + 2 * 800
    assert eth_claim(collective, founders[2]) == 3 * 800


def test_income_with_no_members_goes_to_the_treasury(new_collective, owner, fan, stranger):
    collective = new_collective([], [])
    fan.transfer(collective, 1_000)
    assert collective.treasuryBalance(ETH) == 1_000
    collective.mint(stranger, 1, sender=owner)  # the income before the first member is not theirs
    assert collective.claimable(stranger, ETH) == 0
    assert collective.treasuryBalance(ETH) == 1_000


def test_rounding_dust_is_kept_for_the_next_income(new_collective, founders, fan):
    collective = new_collective(founders, [1, 1, 1], bps=0)
    fan.transfer(collective, 10)  # 3 per share, 1 wei of dust
    assert (collective.incomePerShare(ETH), collective.dust(ETH)) == (3, 1)
    collective.notifyIncome(ETH, sender=fan)
    fan.transfer(collective, 2)  # with the dust: 3 wei, 1 per share
    assert (collective.incomePerShare(ETH), collective.dust(ETH)) == (4, 0)
    assert [collective.claimable(f, ETH) for f in founders] == [4, 4, 4]
    assert collective.balance == 12


def test_a_policy_change_applies_to_later_income_only(collective, owner, fan):
    fan.transfer(collective, 10_000)
    collective.setRevenuePolicy(5_000, sender=owner)
    fan.transfer(collective, 10_000)
    assert collective.treasuryBalance(ETH) == 2_000 + 5_000


# ── Attacks ────────────────────────────────────────────────────────────────────────────────────


def test_reentrant_claim_gains_nothing(collective, attacker, founders, owner, fan):
    """A member contract that calls `claim` again from its `receive` while its ETH arrives."""
    collective.mint(attacker, 3, sender=owner)  # 9 shares in all
    fan.transfer(collective, 9_000)  # 800 per share for the members, 1,800 for the treasury
    owed = collective.claimable(attacker, ETH)
    assert owed == 2_400
    claim = collective.claim.encode_input(ETH)
    attacker.arm(collective, claim, 0, sender=owner)
    before = attacker.balance
    tx = attacker.execute(collective, 0, claim, sender=owner)
    # First: the attacker really called back into `claim`, and the guard refused it.
    attempts = [
        (bytes(e.selector), e.succeeded, bytes(e.revertSelector))
        for e in attacker.ReentryAttempted.from_receipt(tx)
    ]
    assert attempts == [(claim[:4], False, GUARD)]
    # Then: it got what it was owed, once, and everyone else's income is intact.
    assert attacker.balance - before == owed
    assert collective.claimable(attacker, ETH) == 0
    assert [collective.claimable(f, ETH) for f in founders] == [800, 1_600, 2_400]
    assert collective.treasuryBalance(ETH) == 1_800
    assert collective.balance == 800 + 1_600 + 2_400 + 1_800


def test_a_member_that_refuses_eth_blocks_only_itself(collective, attacker, founders, owner, fan):
    collective.mint(attacker, 3, sender=owner)
    fan.transfer(collective, 9_000)
    attacker.setRejectEth(True, sender=owner)
    with ape.reverts():
        attacker.execute(collective, 0, collective.claim.encode_input(ETH), sender=owner)
    assert collective.claimable(attacker, ETH) == 2_400
    assert eth_claim(collective, founders[0]) == 800
    attacker.setRejectEth(False, sender=owner)
    attacker.execute(collective, 0, collective.claim.encode_input(ETH), sender=owner)
    assert collective.claimable(attacker, ETH) == 0


def test_a_broken_token_does_not_block_membership(project, collective, founders, owner, deployer, fan):
    """A shared token whose `balanceOf` starts to burn all the gas it is given stops its own
    income, not the mints, burns and claims that account every shared token."""
    token = deployer.deploy(project.MockBrokenERC20)
    token.mint(collective, 6_000, sender=owner)
    collective.notifyIncome(token, sender=founders[0])
    assert collective.incomeTokens() == [token.address]
    token.setBroken(True, sender=owner)
    fan.transfer(collective, 6_000)
    collective.mint(founders[0], 1, sender=owner)
    collective.leave(1, sender=founders[1])
    assert eth_claim(collective, founders[2]) == 3 * 800
    token.setBroken(False, sender=owner)
    collective.claim(token, sender=founders[2])
    assert token.balanceOf(founders[2]) == 3 * 800
