"""Stateful property test of a collective's governance: random sequences of proposals (admit a
member, change the revenue policy, replace the moderators, pay out of the treasury), votes,
queueing and execution attempts, blocks mined and time passing, interleaved with tips through the
TipJar, claims, treasury withdrawals and members leaving, on a collective launched by the real
factory (test_collective.py's settings: vote 1 block after a proposal for 10 blocks, quorum 20 %,
timelock 1 hour).

The governor is not modelled; its answers are checked against the rules it must keep. After
every step:
- an execution succeeded only for a queued proposal, in a block at or after its ETA, which is at
  least the timelock's delay after the block that queued it; an execution refused says why, and
  the reason holds (not queued: `GovernorUnexpectedProposalState`; too early:
  `TimelockUnexpectedOperationState`; a payout beyond the treasury: `FailedCall`, the
  timelock's value transfer having failed without a reason);
- what proposals decide (moderators, revenue policy, members' shares, payouts) changed exactly
  when one of them executed, and to what it said, never otherwise; no proposal is executed on
  chain that this test did not execute;
- money: the collective holds exactly `sum of claimable + treasuryBalance + dust`, and what was
  tipped equals what it holds plus what was claimed and withdrawn to the timelock; the timelock
  holds exactly what was withdrawn to it less what proposals paid out.

15 sequences of up to 30 steps ($MECENATE_STATEFUL_EXAMPLES and $MECENATE_STATEFUL_STEPS run
more); each starts from one chain snapshot and restores it.
"""

from collections import Counter
from dataclasses import dataclass, field

import ape
import pytest
from chain_io import Reader, addresses, error_names, run_machine, transact
from contract_helpers import (
    ABSTAIN,
    AGAINST,
    CHARTER,
    COMMUNITY,
    ETH,
    EXECUTED,
    FOR,
    POST_ID,
    QUEUED,
    TIMELOCK_DELAY,
    TREASURY_BPS,
    VOTING_PERIOD,
    Proposal,
    call,
)
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

FOUNDER_SHARES = [1, 2, 3]
EXAMPLES = 15
STEPS = 30  # a proposal needs about six steps from proposal to execution
KINDS = ("admit", "policy", "moderators", "payout")


@dataclass
class Tracked:
    """A proposal this test made, and what the chain told about it."""

    proposal: Proposal
    id: int  # the governor's proposal id
    kind: str
    argument: object
    queued_at: int | None = None  # the timestamp of the block that queued it
    executed: bool = False


@dataclass
class World:
    shares: object
    governor: object
    timelock: object
    members: list  # the founders, then an outsider the collective may admit
    tipjar: object
    fan: object
    payee: object
    sender: object  # queues and executes (anyone may)
    reader: Reader
    errors: dict[bytes, str]
    coverage: Counter = field(default_factory=Counter)


class GovernanceMachine(RuleBasedStateMachine):
    world: World

    def __init__(self):
        super().__init__()
        w = self.world
        self.snapshot = ape.chain.snapshot()
        w.coverage["sequences"] += 1
        self.proposals: list[Tracked] = []
        self.tipped = self.claimed = self.withdrawn = self.paid_out = 0
        # What only an executed proposal may change, as it should be now.
        self.moderators = list(w.shares.moderators())
        self.policy = TREASURY_BPS
        self.balances = {m.address: w.shares.balanceOf(m) for m in w.members}

    def teardown(self):
        ape.chain.restore(self.snapshot)

    # ── Money ──────────────────────────────────────────────────────────────────────────────────

    @rule(data=st.data(), action=st.sampled_from(["tip", "claim", "withdraw", "leave"]))
    def money(self, data, action):
        """A tip through the TipJar, a member's claim, a withdrawal to the treasury, or a member
        leaving (one rule, so that governance steps are drawn as often as these together)."""
        if action == "tip":
            self._tip(data.draw(st.integers(1, 10**18)))
        elif action == "claim":
            self._claim(data.draw(st.integers(0, 3)))
        elif action == "withdraw":
            self._withdraw_treasury()
        else:
            self._leave(data.draw(st.integers(0, 3)))

    def _tip(self, amount):
        w = self.world
        w.tipjar.tip(w.shares, POST_ID, "", value=amount, sender=w.fan)
        self.tipped += amount
        self._check()

    def _claim(self, member):
        w = self.world
        m = w.members[member]
        owed = w.shares.claimable(m, ETH)
        outcome = transact(lambda: w.shares.claim(ETH, sender=m), w.errors)
        assert outcome.error == (None if owed else "CollectiveSharesNothingToClaim")
        if owed:
            [claimed] = outcome.receipt.events.filter(w.shares.Claimed)
            assert claimed.amount == owed
            self.claimed += owed
            w.coverage["claim"] += 1
        self._check()

    def _withdraw_treasury(self):
        w = self.world
        amount = w.shares.treasuryBalance(ETH)
        outcome = transact(lambda: w.shares.withdrawTreasury(ETH, sender=w.sender), w.errors)
        assert outcome.error == (None if amount else "CollectiveSharesNothingToClaim")
        self.withdrawn += amount
        self._check()

    def _leave(self, member):
        w = self.world
        m = w.members[member]
        if self.balances[m.address] == 0:
            return
        w.shares.leave(1, sender=m)
        self.balances[m.address] -= 1
        w.coverage["leave"] += 1
        self._check()

    # ── Governance ─────────────────────────────────────────────────────────────────────────────

    @rule(data=st.data(), kind=st.sampled_from(KINDS), proposer=st.integers(0, 2))
    def propose(self, data, kind, proposer):
        w = self.world
        n = len(self.proposals)
        if kind == "admit":
            argument = (data.draw(st.integers(0, 3)), data.draw(st.integers(1, 3)))
            proposal = call(w.shares, "mint", w.members[argument[0]], argument[1], description=f"{n}")
        elif kind == "policy":
            argument = data.draw(st.integers(0, 10_000))
            proposal = call(w.shares, "setRevenuePolicy", argument, description=f"{n}")
        elif kind == "moderators":
            argument = [w.members[data.draw(st.integers(0, 3))].address]
            proposal = call(w.shares, "setModerators", argument, description=f"{n}")
        else:
            argument = data.draw(st.one_of(st.integers(1, 10**17), st.integers(1, 10**18)))
            proposal = Proposal([w.payee.address], [argument], [b""], f"{n}")
        p = w.members[proposer]
        enough = w.shares.getVotes(p) >= w.governor.proposalThreshold()
        outcome = transact(lambda: w.governor.propose(*proposal.args, sender=p), w.errors)
        assert outcome.error == (None if enough else "GovernorInsufficientProposerVotes")
        if enough:
            self.proposals.append(Tracked(proposal, proposal.id(w.governor), kind, argument))
            w.coverage["propose"] += 1
        self._check()

    @precondition(lambda self: self.proposals)
    @rule(data=st.data(), voter=st.integers(0, 3), support=st.sampled_from([FOR, FOR, AGAINST, ABSTAIN]))
    def vote(self, data, voter, support):
        self._vote(data.draw(st.sampled_from(self.proposals)), voter, support)

    @precondition(lambda self: self.proposals)
    @rule(data=st.data())
    def campaign(self, data):
        """The two larger founders vote For a proposal (the latest, half the time), the vote
        closes and it is queued: the common path to a queued proposal, in one step."""
        t = self.proposals[-1] if data.draw(st.booleans()) else data.draw(st.sampled_from(self.proposals))
        ape.chain.mine(1)
        for voter in (1, 2):
            self._vote(t, voter, FOR)
        ape.chain.mine(VOTING_PERIOD + 1)
        self._queue(t)

    def _vote(self, t: Tracked, voter: int, support: int) -> None:
        w = self.world
        proposal_id, v = t.id, w.members[voter]
        # The vote is mined in the next block: open from the block after the snapshot to the
        # deadline.
        at = ape.chain.blocks.head.number + 1
        active = w.governor.proposalSnapshot(proposal_id) < at <= w.governor.proposalDeadline(proposal_id)
        voted = w.governor.hasVoted(proposal_id, v)
        outcome = transact(lambda: w.governor.castVote(proposal_id, support, sender=v), w.errors)
        if not active:
            assert outcome.error == "GovernorUnexpectedProposalState"
        else:
            assert outcome.error == ("GovernorAlreadyCastVote" if voted else None)
        w.coverage["vote" if outcome.error is None else "vote refused"] += 1
        self._check()

    @rule(
        blocks=st.sampled_from([0, 1, 3, VOTING_PERIOD + 1]),
        seconds=st.sampled_from([0, TIMELOCK_DELAY // 2, TIMELOCK_DELAY]),
    )
    def time_passes(self, blocks, seconds):
        """Blocks are mined, or time passes (one block, `seconds` later), or both."""
        if blocks:
            ape.chain.mine(blocks)
        if seconds:
            ape.chain.mine(timestamp=self.world.reader.head_timestamp() + seconds)
        self._check()

    @precondition(lambda self: self.proposals)
    @rule(data=st.data())
    def queue(self, data):
        self._queue(data.draw(st.sampled_from(self.proposals)))

    def _queue(self, t: Tracked) -> None:
        w = self.world
        succeeded = self._succeeded_next_block(t)
        outcome = transact(lambda: w.governor.queue(*t.proposal.hashed, sender=w.sender), w.errors)
        assert outcome.error == (None if succeeded else "GovernorUnexpectedProposalState")
        if succeeded:
            t.queued_at = self._timestamp(outcome.receipt)
            w.coverage["queue"] += 1
        self._check()

    @precondition(lambda self: self.proposals)
    @rule(data=st.data())
    def execute(self, data):
        """Executes a proposal: half the time a queued one, when there is one, and then half the
        time once it is due (time passes to its ETA first)."""
        w = self.world
        waiting = [t for t in self.proposals if t.queued_at is not None and not t.executed]
        t = data.draw(st.sampled_from(waiting if waiting and data.draw(st.booleans()) else self.proposals))
        proposal_id = t.id
        queued = t.queued_at is not None and not t.executed
        assert queued == (w.governor.state(proposal_id) == QUEUED)
        eta = w.governor.proposalEta(proposal_id)
        if queued and data.draw(st.booleans()) and w.reader.head_timestamp() < eta:
            ape.chain.mine(timestamp=eta)
        treasury = w.timelock.balance
        outcome = transact(lambda: w.governor.execute(*t.proposal.hashed, sender=w.sender), w.errors)
        at = self._timestamp(outcome.receipt)
        if not queued:  # a proposal that passed but was not queued included
            assert outcome.error == "GovernorUnexpectedProposalState"
        elif at < eta:
            assert outcome.error == "TimelockUnexpectedOperationState"
            w.coverage["refused before the timelock"] += 1
        elif t.kind == "payout" and t.argument > treasury:
            assert outcome.error == "FailedCall"
            w.coverage["payout beyond the treasury"] += 1
        else:
            assert outcome.error is None, outcome.error
        if outcome.error is None:
            # Never before its timelock: queued, then at least the delay later.
            assert t.queued_at is not None and at >= eta >= t.queued_at + TIMELOCK_DELAY
            t.executed = True
            self._apply(t)
            w.coverage["executed " + t.kind] += 1
        self._check()

    def _succeeded_next_block(self, t: Tracked) -> bool:
        """Whether `t` is `Succeeded` in the next block: its vote closed by then, with more For
        than Against and For and Abstain at least the quorum, and not queued yet."""
        g = self.world.governor
        if t.queued_at is not None or ape.chain.blocks.head.number + 1 <= g.proposalDeadline(t.id):
            return False
        against, in_favour, abstain = g.proposalVotes(t.id)
        quorum = g.quorum(g.proposalSnapshot(t.id))  # a past block by now
        return in_favour > against and in_favour + abstain >= quorum

    # ── Checks ─────────────────────────────────────────────────────────────────────────────────

    def _apply(self, t: Tracked) -> None:
        """What `t`, just executed, changed: the state `_check` expects from now on."""
        if t.kind == "admit":
            member, amount = t.argument
            self.balances[self.world.members[member].address] += amount
        elif t.kind == "policy":
            self.policy = t.argument
        elif t.kind == "moderators":
            self.moderators = t.argument
        else:
            self.paid_out += t.argument

    def _check(self) -> None:
        """After every step (raw reads: through Ape's contract layer this is most of the test's
        time)."""
        w, r = self.world, self.world.reader
        g, s = w.governor.address, w.shares.address
        for t in self.proposals:
            assert (r.uint(g, "state(uint256)", t.id) == EXECUTED) == t.executed
        assert addresses(r.call(s, "moderators()", returns=("address[]",))) == self.moderators
        assert r.uint(s, "treasuryBps()") == self.policy
        assert {m.address: r.token_balance(s, m.address) for m in w.members} == self.balances
        held = r.balance(s)
        owed = sum(r.uint(s, "claimable(address,address)", m.address, ETH) for m in w.members)
        assert held == owed + r.uint(s, "treasuryBalance(address)", ETH) + r.uint(s, "dust(address)", ETH)
        assert self.tipped == held + self.claimed + self.withdrawn
        assert r.balance(w.timelock.address) == self.withdrawn - self.paid_out

    @staticmethod
    def _timestamp(receipt) -> int:
        return ape.chain.blocks[receipt.block_number].timestamp


@pytest.fixture(scope="module")
def world(project, collective_factory, owner, accounts, tipjar):
    founders = [accounts[6], accounts[7], accounts[1]]
    receipt = collective_factory.launch(
        COMMUNITY, founders, FOUNDER_SHARES, TREASURY_BPS, [founders[0]], CHARTER, sender=owner
    )
    launched = receipt.events.filter(collective_factory.CollectiveLaunched)[0]
    return World(
        shares=project.CollectiveShares.at(launched.shares),
        governor=project.CollectiveGovernor.at(launched.governor),
        timelock=project.CollectiveTimelock.at(launched.timelock),
        members=[*founders, accounts[4]],
        tipjar=tipjar,
        fan=accounts[3],
        payee=accounts[5],
        sender=owner,
        reader=Reader(owner.address),
        errors=error_names(project),
    )


def test_collective_governance_state_machine(world):
    GovernanceMachine.world = world
    run_machine(
        GovernanceMachine,
        world.coverage,
        ("propose", "vote", "queue", "refused before the timelock", "claim"),
        examples=EXAMPLES,
        steps=STEPS,
    )
    assert any(what.startswith("executed ") for what in world.coverage), world.coverage
