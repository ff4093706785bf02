"""A collective end to end: launched by CollectiveFactory (shares, governor, timelock as clones),
paid through the TipJar, governed by proposals that pass a vote and wait out the timelock.

The factory (the `collective_factory` fixture) has short governance settings so the tests can
drive every stage by mining blocks and moving time: voting delay 1 block, voting period 10 blocks,
proposal threshold 1 share, quorum 20 % of the shares, timelock delay 1 hour. Founders hold 1, 4
and 5 shares (10 in all), so a founder alone with 1 share (10 %) is short of the quorum, and the
other two pass anything.
"""

from dataclasses import dataclass

import ape
import pytest
from chain_io import error_names, transact
from contract_helpers import (
    ACTIVE,
    CHARTER,
    COMMUNITY,
    DEFEATED,
    ETH,
    EXECUTED,
    FOR,
    PENDING,
    POST_ID,
    PROPOSAL_THRESHOLD,
    QUEUED,
    QUORUM_PERCENT,
    SUCCEEDED,
    TIMELOCK_DELAY,
    TREASURY_BPS,
    VOTING_DELAY,
    VOTING_PERIOD,
    Proposal,
    call,
)
from eth_utils import keccak

FOUNDER_SHARES = [1, 4, 5]


@pytest.fixture(scope="module")
def founders(accounts):
    return [accounts[6], accounts[7], accounts[1]]


@pytest.fixture(scope="module")
def moderators(accounts):
    return [accounts[2]]


@dataclass(frozen=True)
class Collective:
    shares: object
    governor: object
    timelock: object
    receipt: object


@pytest.fixture(scope="module")
def collective(project, collective_factory, owner, founders, moderators):
    receipt = collective_factory.launch(
        COMMUNITY, founders, FOUNDER_SHARES, TREASURY_BPS, moderators, CHARTER, sender=owner
    )
    launched = receipt.events.filter(collective_factory.CollectiveLaunched)[0]
    return Collective(
        project.CollectiveShares.at(launched.shares),
        project.CollectiveGovernor.at(launched.governor),
        project.CollectiveTimelock.at(launched.timelock),
        receipt,
    )


@pytest.fixture(scope="module")
def names(project):
    return error_names(project)


def vote(c: Collective, proposal: Proposal, proposer, ballots: dict) -> int:
    """Proposes, lets the vote open, casts `ballots` (account -> support), lets it close."""
    c.governor.propose(*proposal.args, sender=proposer)
    proposal_id = proposal.id(c.governor)
    assert c.governor.state(proposal_id) == PENDING
    ape.chain.mine(VOTING_DELAY + 1)
    assert c.governor.state(proposal_id) == ACTIVE
    for voter, support in ballots.items():
        c.governor.castVote(proposal_id, support, sender=voter)
    ape.chain.mine(VOTING_PERIOD + 1)
    return proposal_id


def pass_and_queue(c: Collective, proposal: Proposal, founders) -> int:
    proposal_id = vote(c, proposal, founders[1], {founders[1]: FOR, founders[2]: FOR})
    assert c.governor.state(proposal_id) == SUCCEEDED
    c.governor.queue(*proposal.hashed, sender=founders[1])
    assert c.governor.state(proposal_id) == QUEUED
    return proposal_id


def wait_out_timelock(c: Collective, proposal_id: int) -> None:
    eta = c.governor.proposalEta(proposal_id)
    ape.chain.mine(timestamp=eta)


def execute(c: Collective, proposal: Proposal, proposal_id: int, sender):
    wait_out_timelock(c, proposal_id)
    receipt = c.governor.execute(*proposal.hashed, sender=sender)
    assert c.governor.state(proposal_id) == EXECUTED
    return receipt


def eth_claim(shares, member) -> int:
    """Claims `member`'s ETH and returns what it received (its balance change plus the gas fee)."""
    before = member.balance
    receipt = shares.claim(ETH, sender=member)
    return member.balance - before + receipt.total_fees_paid


# ── Launch ─────────────────────────────────────────────────────────────────────────────────────


def test_launch_wires_the_three_clones_so_only_the_members_decide(
    collective, collective_factory, owner, founders, moderators
):
    c = collective
    [launched] = c.receipt.events.filter(collective_factory.CollectiveLaunched)
    assert (launched.communityId, launched.launcher) == (COMMUNITY, owner)
    assert collective_factory.predict(owner, COMMUNITY) == (c.shares, c.governor, c.timelock)
    # Shares: the founders' votes, the community's first moderators and charter, owned by the
    # timelock, which also receives the treasury's part.
    assert c.shares.communityId() == COMMUNITY
    assert [c.shares.getVotes(f) for f in founders] == FOUNDER_SHARES
    assert c.shares.moderators() == [m.address for m in moderators]
    assert c.shares.charterHash() == CHARTER
    assert c.shares.owner() == c.shares.treasury() == c.timelock.address
    assert c.shares.treasuryBps() == TREASURY_BPS
    # Governor: votes from the shares, decisions through the timelock, the factory's settings.
    assert c.governor.token() == c.shares.address
    assert c.governor.timelock() == c.timelock.address
    assert c.governor.name() == "Mecenate collective"
    assert (c.governor.votingDelay(), c.governor.votingPeriod()) == (VOTING_DELAY, VOTING_PERIOD)
    assert c.governor.proposalThreshold() == PROPOSAL_THRESHOLD
    assert c.governor.quorumNumerator() == QUORUM_PERCENT
    assert c.timelock.getMinDelay() == TIMELOCK_DELAY
    # Timelock: the governor alone proposes, cancels and executes; it administers itself; the
    # launcher and the factory keep nothing.
    roles = [c.timelock.PROPOSER_ROLE(), c.timelock.CANCELLER_ROLE(), c.timelock.EXECUTOR_ROLE()]
    admin = c.timelock.DEFAULT_ADMIN_ROLE()
    assert all(c.timelock.hasRole(role, c.governor) for role in roles)
    assert c.timelock.hasRole(admin, c.timelock)
    for outsider in (owner, collective_factory, ETH, *founders):
        assert not any(c.timelock.hasRole(role, outsider) for role in (*roles, admin))


def test_the_clones_cannot_be_initialised_again(collective, owner, founders):
    c = collective
    with ape.reverts(c.shares.InvalidInitialization):
        c.shares.initialize(owner, [owner], [100], owner, 0, [], CHARTER, sender=owner)
    with ape.reverts(c.governor.InvalidInitialization):
        c.governor.initialize(owner, sender=owner)
    # The timelock has no initialiser of its own: OpenZeppelin's always reverts.
    with ape.reverts(c.timelock.InvalidInitialization):
        c.timelock.initialize(0, [owner], [owner], owner, sender=owner)


def test_a_vote_cannot_leave_the_governor_without_a_timelock(collective, founders, names, stranger):
    """Without a timelock a governor counts as not initialised: anyone could set it up again.
    A passed proposal to set the zero address fails when executed, and nothing changes."""
    c = collective
    proposal = call(c.governor, "updateTimelock", "0x" + "00" * 20, description="No timelock")
    proposal_id = pass_and_queue(c, proposal, founders)
    wait_out_timelock(c, proposal_id)
    outcome = transact(lambda: c.governor.execute(*proposal.hashed, sender=stranger), names)
    assert outcome.error == "CollectiveGovernorInvalidTimelock"
    assert c.governor.timelock() == c.timelock.address and c.governor.state(proposal_id) == QUEUED
    with ape.reverts(c.governor.InvalidInitialization):
        c.governor.initialize(stranger, sender=stranger)


def test_a_launcher_launches_once_per_community_and_cannot_take_another_launchers(
    collective_factory, collective, owner, stranger, founders
):
    with ape.reverts(collective_factory.FailedDeployment):
        collective_factory.launch(COMMUNITY, founders, [1, 1, 1], 0, [], CHARTER, sender=owner)
    # Someone else launching for the same community id gets other clones, not these.
    receipt = collective_factory.launch(COMMUNITY, [stranger], [1], 0, [], CHARTER, sender=stranger)
    [launched] = receipt.events.filter(collective_factory.CollectiveLaunched)
    assert launched.shares != collective.shares.address
    assert collective.shares.balanceOf(stranger) == 0


def test_a_launch_with_bad_input_reverts(collective_factory, stranger, founders):
    with ape.reverts(collective_factory.CollectiveFactoryNoFounders):
        collective_factory.launch(COMMUNITY, [], [], 0, [], CHARTER, sender=stranger)
    # The shares' own checks revert the whole launch: nothing is left behind.
    with ape.reverts():
        collective_factory.launch(COMMUNITY, founders, [1, 2], 0, [], CHARTER, sender=stranger)
    with ape.reverts():
        collective_factory.launch(COMMUNITY, founders, [1, 2, 3], 0, [ETH], CHARTER, sender=stranger)
    shares, governor, timelock = collective_factory.predict(stranger, COMMUNITY)
    assert not any(ape.chain.provider.get_code(a) for a in (shares, governor, timelock))


def test_the_factory_refuses_settings_no_collective_could_use(project, accounts):
    deployer = accounts[8]
    implementations = [ETH, ETH, ETH]
    with ape.reverts(project.CollectiveFactory.CollectiveFactoryInvalidVotingPeriod):
        deployer.deploy(project.CollectiveFactory, *implementations, 1, 0, 1, 20, 3600)
    with ape.reverts(project.CollectiveFactory.CollectiveFactoryInvalidQuorum, quorumPercent=101):
        deployer.deploy(project.CollectiveFactory, *implementations, 1, 10, 1, 101, 3600)


def test_the_implementations_have_no_powers(project, collective_factory, owner, founders):
    governor = project.CollectiveGovernor.at(collective_factory.governorImplementation())
    implementation = project.CollectiveTimelock.at(collective_factory.timelockImplementation())
    with ape.reverts(governor.InvalidInitialization):
        governor.initialize(owner, sender=owner)
    # Nor has a timelock cloned without the factory's arguments (anyone can make one).
    cloner = owner.deploy(project.MockCloner)
    bare = project.CollectiveTimelock.at(cloner.clone(implementation, b"", sender=owner).events[0].clone)
    for timelock in (implementation, bare):
        # No clone arguments, hence no launch roles: nobody proposes, executes or administers;
        # nor is execution open to anyone (the EXECUTOR_ROLE of the zero address).
        assert (timelock.factory(), timelock.governor()) == (ETH, ETH)
        roles = [timelock.PROPOSER_ROLE(), timelock.CANCELLER_ROLE(), timelock.EXECUTOR_ROLE()]
        for account in (ETH, owner, timelock, collective_factory):
            assert not any(
                timelock.hasRole(role, account) for role in (*roles, timelock.DEFAULT_ADMIN_ROLE())
            )
    # An outsider's execute on the bare clone is refused by the role check itself (with execution
    # open to anyone it would get past it, to the operation's state).
    with ape.reverts(bare.AccessControlUnauthorizedAccount, account=founders[0], neededRole=roles[2]):
        bare.execute(founders[0], 0, b"", b"\x00" * 32, b"\x00" * 32, sender=founders[0])


# ── Settings: the factory's until the members change them ──────────────────────────────────────


def test_every_setting_changes_by_vote_and_only_by_vote(
    project, collective, collective_factory, founders, stranger, owner, names
):
    c = collective
    # Nobody changes a setting directly, the launcher included.
    for sender in (owner, founders[2]):
        for setter, arg in (("setVotingDelay", 2), ("setVotingPeriod", 20), ("setProposalThreshold", 2)):
            outcome = transact(lambda: getattr(c.governor, setter)(arg, sender=sender), names)
            assert outcome.error == "GovernorOnlyExecutor"
        outcome = transact(lambda: c.governor.updateQuorumNumerator(50, sender=sender), names)
        assert outcome.error == "GovernorOnlyExecutor"
        outcome = transact(lambda: c.timelock.updateDelay(7200, sender=sender), names)
        assert outcome.error == "TimelockUnauthorizedCaller"
    # A proposal made under the defaults, for the quorum's history below.
    earlier = call(c.shares, "setCharterHash", keccak(text="charter:v2"), description="Charter v2")
    c.governor.propose(*earlier.args, sender=founders[1])
    earlier_snapshot = c.governor.proposalSnapshot(earlier.id(c.governor))
    # One proposal changes them all.
    setters = [
        (c.governor, c.governor.setVotingDelay.encode_input(2)),
        (c.governor, c.governor.setVotingPeriod.encode_input(20)),
        (c.governor, c.governor.setProposalThreshold.encode_input(4)),
        (c.governor, c.governor.updateQuorumNumerator.encode_input(50)),
        (c.timelock, c.timelock.updateDelay.encode_input(7200)),
    ]
    proposal = Proposal([t.address for t, _ in setters], [0] * 5, [d for _, d in setters], "New settings")
    proposal_id = pass_and_queue(c, proposal, founders)
    receipt = execute(c, proposal, proposal_id, sender=stranger)
    assert (c.governor.votingDelay(), c.governor.votingPeriod(), c.governor.proposalThreshold()) == (2, 20, 4)
    assert (c.governor.quorumNumerator(), c.timelock.getMinDelay()) == (50, 7200)
    # Each event's old value is the default that was in force (never stored).
    old_new = lambda event, old, new: [(e[old], e[new]) for e in receipt.events.filter(event)]  # noqa: E731
    assert old_new(c.governor.VotingDelaySet, "oldVotingDelay", "newVotingDelay") == [(VOTING_DELAY, 2)]
    assert old_new(c.governor.VotingPeriodSet, "oldVotingPeriod", "newVotingPeriod") == [(VOTING_PERIOD, 20)]
    assert old_new(c.governor.ProposalThresholdSet, "oldProposalThreshold", "newProposalThreshold") == [
        (PROPOSAL_THRESHOLD, 4)
    ]
    assert old_new(c.governor.QuorumNumeratorUpdated, "oldQuorumNumerator", "newQuorumNumerator") == [
        (QUORUM_PERCENT, 50)
    ]
    assert old_new(c.timelock.MinDelayChange, "oldDuration", "newDuration") == [(TIMELOCK_DELAY, 7200)]
    # The quorum keeps its history: the earlier proposal's snapshot still reads the default.
    assert c.governor.quorumNumerator(earlier_snapshot) == QUORUM_PERCENT
    assert c.governor.quorum(earlier_snapshot) == 10 * QUORUM_PERCENT // 100
    # A second change replaces the first (stored values, no default any more); the new
    # threshold (4 shares) applies: the 1-share founder can no longer propose.
    ape.chain.mine(1)
    outcome = transact(lambda: c.governor.propose(*earlier.args, sender=founders[0]), names)
    assert outcome.error == "GovernorInsufficientProposerVotes"
    second = Proposal([c.governor.address], [0], [c.governor.setVotingDelay.encode_input(0)], "No delay")
    c.governor.propose(*second.args, sender=founders[1])
    second_id = second.id(c.governor)
    ape.chain.mine(2 + 1)
    for voter in founders[1:]:
        c.governor.castVote(second_id, FOR, sender=voter)
    ape.chain.mine(20 + 1)
    c.governor.queue(*second.hashed, sender=founders[1])
    ape.chain.mine(timestamp=c.governor.proposalEta(second_id))
    receipt = c.governor.execute(*second.hashed, sender=stranger)
    assert c.governor.votingDelay() == 0
    assert old_new(c.governor.VotingDelaySet, "oldVotingDelay", "newVotingDelay") == [(2, 0)]
    # Another collective of the same factory keeps the factory's settings.
    launched = collective_factory.launch(COMMUNITY, [stranger], [1], 0, [], CHARTER, sender=stranger)
    [event] = launched.events.filter(collective_factory.CollectiveLaunched)
    other = project.CollectiveGovernor.at(event.governor)
    assert (other.votingDelay(), other.votingPeriod(), other.proposalThreshold()) == (
        VOTING_DELAY,
        VOTING_PERIOD,
        PROPOSAL_THRESHOLD,
    )
    assert other.quorumNumerator() == QUORUM_PERCENT
    assert project.CollectiveTimelock.at(event.timelock).getMinDelay() == TIMELOCK_DELAY


def test_the_members_can_change_the_timelocks_roles_by_vote(collective, founders, accounts, stranger):
    """The governor's launch roles live in the timelock's code, not its storage: a vote still
    revokes them (and grants roles to others) as with OpenZeppelin's stored roles."""
    c = collective
    proposer, canceller, executor = (
        c.timelock.PROPOSER_ROLE(),
        c.timelock.CANCELLER_ROLE(),
        c.timelock.EXECUTOR_ROLE(),
    )
    admin = c.timelock.DEFAULT_ADMIN_ROLE()
    new_proposer = accounts[4]
    calls = [
        c.timelock.grantRole.encode_input(proposer, new_proposer),
        c.timelock.revokeRole.encode_input(canceller, c.governor),
        # Revoked, then granted again: the role is then OpenZeppelin's stored grant.
        c.timelock.revokeRole.encode_input(executor, c.governor),
        c.timelock.grantRole.encode_input(executor, c.governor),
    ]
    proposal = Proposal([c.timelock.address] * 4, [0] * 4, calls, "Roles")
    proposal_id = pass_and_queue(c, proposal, founders)
    receipt = execute(c, proposal, proposal_id, sender=stranger)
    revoked = [(e.role, e.account) for e in receipt.events.filter(c.timelock.RoleRevoked)]
    assert revoked == [(canceller, c.governor.address), (executor, c.governor.address)]
    granted = [(e.role, e.account) for e in receipt.events.filter(c.timelock.RoleGranted)]
    assert granted == [(proposer, new_proposer.address), (executor, c.governor.address)]
    assert c.timelock.hasRole(proposer, new_proposer)
    assert not c.timelock.hasRole(canceller, c.governor)
    assert c.timelock.hasRole(executor, c.governor)
    assert c.timelock.hasRole(proposer, c.governor) and c.timelock.hasRole(admin, c.timelock)
    # The new proposer may schedule on the timelock.
    c.timelock.schedule(stranger, 0, b"", bytes(32), bytes(32), TIMELOCK_DELAY, sender=new_proposer)
    # A second vote revokes the executor role again, now a stored grant, and the admin role.
    calls = [
        c.timelock.revokeRole.encode_input(executor, c.governor),
        c.timelock.renounceRole.encode_input(admin, c.timelock),
    ]
    proposal = Proposal([c.timelock.address] * 2, [0] * 2, calls, "Fewer roles")
    proposal_id = pass_and_queue(c, proposal, founders)
    wait_out_timelock(c, proposal_id)
    # Executed by the timelock's executor role itself (which the governor still has until then).
    c.governor.execute(*proposal.hashed, sender=stranger)
    assert not c.timelock.hasRole(executor, c.governor)
    assert not c.timelock.hasRole(admin, c.timelock)


# ── Income ─────────────────────────────────────────────────────────────────────────────────────


def test_tips_through_the_tipjar_are_claimed_pro_rata(collective, tipjar, fan, founders, stranger):
    c = collective
    tipjar.tip(c.shares, POST_ID, "for the gardeners", value=6 * 10**17, sender=fan)
    tipjar.tip(c.shares, POST_ID, "", value=4 * 10**17, sender=fan)
    # 1e18 in: 20 % (2e17) to the treasury, 8e17 to 10 shares, 8e16 each.
    assert [eth_claim(c.shares, f) for f in founders] == [8 * 10**16, 32 * 10**16, 40 * 10**16]
    assert c.shares.treasuryBalance(ETH) == 2 * 10**17
    c.shares.withdrawTreasury(ETH, sender=stranger)
    assert c.timelock.balance == 2 * 10**17
    assert c.shares.balance == 0


# ── Proposals ──────────────────────────────────────────────────────────────────────────────────


def test_a_moderator_is_replaced_by_vote_after_the_timelock(
    collective, founders, moderators, accounts, names, stranger
):
    c = collective
    new_moderator = accounts[4]
    proposal = call(c.shares, "setModerators", [new_moderator], description="Moderator: swap")
    proposal_id = pass_and_queue(c, proposal, founders)
    assert c.governor.proposalVotes(proposal_id) == (0, 9, 0)  # against, for, abstain
    # Before the timelock's delay the timelock refuses to execute: nothing changes.
    outcome = transact(lambda: c.governor.execute(*proposal.hashed, sender=stranger), names)
    assert outcome.error == "TimelockUnexpectedOperationState"
    assert c.governor.state(proposal_id) == QUEUED
    assert c.shares.moderators() == [m.address for m in moderators]
    # Nobody but the timelock can make the change directly.
    with ape.reverts(c.shares.OwnableUnauthorizedAccount, account=founders[2]):
        c.shares.setModerators([new_moderator], sender=founders[2])
    receipt = execute(c, proposal, proposal_id, sender=stranger)
    assert c.shares.moderators() == [new_moderator.address]
    assert [log.moderators for log in receipt.events.filter(c.shares.ModeratorsSet)] == [
        [new_moderator.address]
    ]


def test_a_proposal_short_of_the_quorum_changes_nothing(collective, founders, names):
    c = collective
    proposal = call(c.shares, "setCharterHash", keccak(text="charter:v2"), description="Charter v2")
    # Only the 1-share founder votes (1 of 10 shares, under the 20 % quorum).
    proposal_id = vote(c, proposal, founders[0], {founders[0]: FOR})
    assert c.governor.quorum(c.governor.proposalSnapshot(proposal_id)) == 2
    assert c.governor.state(proposal_id) == DEFEATED
    outcome = transact(lambda: c.governor.queue(*proposal.hashed, sender=founders[0]), names)
    assert outcome.error == "GovernorUnexpectedProposalState"
    ape.chain.mine(timestamp=ape.chain.pending_timestamp + 2 * TIMELOCK_DELAY)
    outcome = transact(lambda: c.governor.execute(*proposal.hashed, sender=founders[0]), names)
    assert outcome.error == "GovernorUnexpectedProposalState"
    assert c.shares.charterHash() == CHARTER


def test_a_member_can_leave_before_a_decision_takes_effect(collective, tipjar, fan, founders, stranger):
    c = collective
    tipjar.tip(c.shares, POST_ID, "", value=6 * 10**17, sender=fan)
    # The two larger founders vote to send all future income to the treasury.
    proposal = call(c.shares, "setRevenuePolicy", 10_000, description="All income to the treasury")
    proposal_id = pass_and_queue(c, proposal, founders)
    # The 1-share founder, who opposes it, leaves during the timelock's delay...
    c.shares.leave(1, sender=founders[0])
    assert c.shares.balanceOf(founders[0]) == 0
    execute(c, proposal, proposal_id, sender=stranger)
    tipjar.tip(c.shares, POST_ID, "", value=10**17, sender=fan)
    # ...and keeps what it earned before leaving: 80 % of 6e17 over 10 shares, for its 1 share.
    assert eth_claim(c.shares, founders[0]) == 48 * 10**15
    assert c.shares.claimable(founders[1], ETH) == 4 * 48 * 10**15
    assert c.shares.treasuryBalance(ETH) == 12 * 10**16 + 10**17


def test_a_member_is_admitted_by_vote(collective, founders, accounts, stranger):
    c = collective
    newcomer = accounts[4]
    proposal = call(c.shares, "mint", newcomer, 2, description="Admit a newcomer with 2 shares")
    proposal_id = pass_and_queue(c, proposal, founders)
    execute(c, proposal, proposal_id, sender=stranger)
    assert c.shares.balanceOf(newcomer) == 2
    assert c.shares.getVotes(newcomer) == 2
    assert c.shares.totalSupply() == 12


def test_the_treasury_pays_out_by_vote(collective, tipjar, fan, founders, accounts, erc20, stranger):
    c = collective
    payee = accounts[4]
    tipjar.tip(c.shares, POST_ID, "", value=10**18, sender=fan)
    erc20.transfer(c.shares, 1_000, sender=fan)
    c.shares.notifyIncome(erc20, sender=founders[0])
    c.shares.withdrawTreasury(ETH, sender=stranger)
    c.shares.withdrawTreasury(erc20, sender=stranger)
    assert (c.timelock.balance, erc20.balanceOf(c.timelock)) == (2 * 10**17, 200)
    proposal = Proposal(
        [payee.address, erc20.address],
        [15 * 10**16, 0],
        [b"", erc20.transfer.encode_input(payee, 150)],
        "Pay the illustrator",
    )
    proposal_id = pass_and_queue(c, proposal, founders)
    before = (payee.balance, erc20.balanceOf(payee))
    execute(c, proposal, proposal_id, sender=stranger)
    assert (payee.balance, erc20.balanceOf(payee)) == (before[0] + 15 * 10**16, before[1] + 150)
    assert (c.timelock.balance, erc20.balanceOf(c.timelock)) == (5 * 10**16, 50)


def test_a_payee_that_re_enters_gains_nothing(
    collective, tipjar, fan, founders, attacker, owner, stranger, names
):
    """The payout calls the payee, which calls back into `execute` of the same proposal (to be
    paid twice): the re-entry is attempted (its event says so) and refused, and the payee gets
    the payout once."""
    c = collective
    tipjar.tip(c.shares, POST_ID, "", value=10**18, sender=fan)
    c.shares.withdrawTreasury(ETH, sender=stranger)
    proposal = Proposal([attacker.address], [10**17], [b""], "Pay the attacker")
    proposal_id = pass_and_queue(c, proposal, founders)
    attacker.arm(c.governor, c.governor.execute.encode_input(*proposal.hashed), 0, sender=owner)
    before = (attacker.balance, c.timelock.balance, c.shares.balance)
    receipt = execute(c, proposal, proposal_id, sender=stranger)
    attempts = [
        (e.succeeded, names.get(bytes(e.revertSelector)))
        for e in attacker.ReentryAttempted.from_receipt(receipt)
    ]
    assert attempts == [(False, "GovernorUnexpectedProposalState")]
    assert (attacker.balance, c.timelock.balance, c.shares.balance) == (
        before[0] + 10**17,
        before[1] - 10**17,
        before[2],
    )
