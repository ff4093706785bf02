"""Collectives through ChainClient against anvil: launch, propose, vote, queue, execute, claim.

The devnet's governance (``COLLECTIVE_GOVERNANCE``): a vote opens 1 block after its proposal
and lasts 10 blocks, a quorum of 20 % of the shares, an hour of timelock delay. Blocks are mined
and time is moved with anvil's ``evm_mine`` and ``evm_increaseTime``; every decision is checked
on chain, by the contracts' own reads.
"""

from __future__ import annotations

import pytest
from eth_utils import keccak

from benchmarks._devnet import COLLECTIVE_GOVERNANCE
from node.chain import ChainClient, CollectiveLaunch, Deployment, actions
from node.errors import ConfigError, ContractReverted, InvalidInput, NotFound

from .conftest import WAD, send

COMMUNITY = keccak(b"synth-makers")
CHARTER = keccak(b"the charter as the founders approved it")
DELAY = COLLECTIVE_GOVERNANCE["timelockDelay"]


def mine(w3, blocks: int = 1) -> None:
    for _ in range(blocks):
        w3.provider.make_request("evm_mine", [])


def wait(w3, seconds: int) -> None:
    """Move chain time on by ``seconds`` and mine a block there."""
    w3.provider.make_request("evm_increaseTime", [seconds])
    mine(w3)


@pytest.fixture
def founders(keys):
    """Three founders with 5, 3 and 2 of the 10 shares."""
    return keys[2], keys[3], keys[4]


@pytest.fixture
def collective(client, founders, keys, w3) -> CollectiveLaunch:
    a, b, c = founders
    launched = client.launch_collective(
        a, COMMUNITY, {a.address: 5, b.address: 3, c.address: 2}, 1_000, [keys[5].address], CHARTER
    )
    # Proposing counts the proposer's votes of the block before: shares minted in the launch
    # block count from the next one.
    mine(w3)
    return launched


def passed(client, w3, founders, governor, proposed, description) -> int:
    """Propose ``proposed``; the founders vote it through and it is queued. Returns its id."""
    a, b, c = founders
    pid = client.propose(a, governor, proposed, description)
    mine(w3, COLLECTIVE_GOVERNANCE["votingDelay"] + 1)
    assert client.vote(a, governor, pid, "for") == 5
    assert client.vote(b, governor, pid, "for", "fine by me") == 3
    mine(w3, COLLECTIVE_GOVERNANCE["votingPeriod"])
    assert client.proposal_status(governor, pid).state == "succeeded"
    client.queue(c, governor, proposed, description)
    return pid


def test_a_launch_with_three_founders(client, founders, collective, keys, w3):
    a, b, _ = founders
    assert collective.launcher == a.address and collective.community == COMMUNITY
    assert [client.balance_of(collective.shares, f.address) for f in founders] == [5, 3, 2]
    assert client.moderators_of(collective.shares) == [keys[5].address]
    assert client.charter_hash_of(collective.shares) == CHARTER
    assert client.community_of(collective.shares) == "0x" + COMMUNITY.hex()
    # The shares name the other two: found again from the shares' address alone.
    assert client.collective(collective.shares) == collective
    shares = w3.eth.contract(address=collective.shares, abi=client.artifacts.abi("CollectiveShares"))
    assert shares.functions.owner().call() == collective.timelock
    assert shares.functions.treasuryBps().call() == 1_000

    with pytest.raises(InvalidInput, match=f"already launched the collective of 0x{COMMUNITY.hex()}"):
        client.launch_collective(a, COMMUNITY, {a.address: 1}, 0, [], CHARTER)
    # Another launcher may launch one for the same community id: its own, elsewhere.
    other = client.launch_collective(b, COMMUNITY, {b.address: 1}, 0, [], CHARTER)
    assert other.shares != collective.shares
    with pytest.raises(NotFound, match="is not a collective's shares"):
        client.collective(keys[9].address)


def test_launch_arguments_are_checked_before_anything_is_sent(client, founders):
    a = founders[0]
    with pytest.raises(InvalidInput, match="founders: at least one founder"):
        client.launch_collective(a, COMMUNITY, {}, 0, [], CHARTER)
    with pytest.raises(InvalidInput, match="whole number of shares"):
        client.launch_collective(a, COMMUNITY, {a.address: 0}, 0, [], CHARTER)
    with pytest.raises(InvalidInput, match="treasury_bps: must be an integer from 0 to 10000"):
        client.launch_collective(a, COMMUNITY, {a.address: 1}, 10_001, [], CHARTER)
    with pytest.raises(InvalidInput, match="is listed twice"):
        client.launch_collective(a, COMMUNITY, {a.address: 1}, 0, [a.address, a.address.lower()], CHARTER)
    with pytest.raises(InvalidInput, match="community_id: must be 32 bytes"):
        client.launch_collective(a, b"short", {a.address: 1}, 0, [], CHARTER)


def test_a_moderator_change_proposed_voted_queued_and_executed(client, founders, collective, keys, w3):
    a, b, c = founders
    governor = collective.governor
    change = [actions.set_moderators(collective.shares, [keys[6].address, keys[7].address])]
    description = "Moderators: Fay and Gus take over"
    pid = client.propose(a, governor, change, description)
    gov = w3.eth.contract(address=governor, abi=client.artifacts.abi("CollectiveGovernor"))
    targets, values, calldatas = actions.columns(change)
    assert pid == gov.functions.hashProposal(targets, values, calldatas, keccak(description.encode())).call()
    status = client.proposal_status(governor, pid)
    assert status.state == "pending" and status.eta is None
    with pytest.raises(
        ContractReverted, match=f"proposal {pid}: its state is pending, this needs active"
    ) as caught:
        client.vote(b, governor, pid, "for")
    assert caught.value.error == "GovernorUnexpectedProposalState"

    mine(w3, 2)
    assert client.vote(a, governor, pid, "for") == 5
    assert client.vote(c, governor, pid, "against", "I like the moderators we have") == 2
    with pytest.raises(ContractReverted, match=f"vote: {c.address} has already voted on this proposal"):
        client.vote(c, governor, pid, "for")
    with pytest.raises(ContractReverted, match=f"proposal {pid}: its state is active, this needs succeeded"):
        client.queue(b, governor, change, description)

    mine(w3, COLLECTIVE_GOVERNANCE["votingPeriod"])
    status = client.proposal_status(governor, pid)
    assert (status.state, status.votes_for, status.votes_against, status.votes_abstain) == (
        "succeeded",
        5,
        2,
        0,
    )
    with pytest.raises(ContractReverted, match=f"proposal {pid} succeeded but is not queued: queue it first"):
        client.execute(b, governor, change, description)

    eta = client.queue(b, governor, change, description)
    assert client.proposal_status(governor, pid) == status.__class__(
        "queued", status.vote_start, status.vote_end, eta, 5, 2, 0
    )
    assert client.moderators_of(collective.shares) == [keys[5].address]  # nothing happened yet

    wait(w3, DELAY)
    client.execute(c, governor, change, description)  # any account may execute what passed
    assert client.moderators_of(collective.shares) == [keys[6].address, keys[7].address]
    assert client.proposal_status(governor, pid).state == "executed"


def test_an_execute_before_the_timelock_delay_says_when(client, founders, collective, w3):
    governor, shares = collective.governor, collective.shares
    change = [actions.set_revenue_policy(shares, 2_500)]
    pid = passed(client, w3, founders, governor, change, "More for the treasury")
    eta = client.proposal_status(governor, pid).eta
    assert eta is not None

    wait(w3, DELAY - 120)
    with pytest.raises(ContractReverted) as caught:
        client.execute(founders[0], governor, change, "More for the treasury")
    assert caught.value.error == "TimelockUnexpectedOperationState"
    said = str(caught.value)
    assert said.startswith(f"execute: proposal {pid} is queued; the timelock's delay ends at ")
    assert said.endswith(" s after the latest block)") and " UTC (" in said
    wait(w3, 120)
    client.execute(founders[0], governor, change, "More for the treasury")
    shares_contract = w3.eth.contract(address=shares, abi=client.artifacts.abi("CollectiveShares"))
    assert shares_contract.functions.treasuryBps().call() == 2_500


def test_a_claim_after_an_ether_tip_to_the_shares(client, founders, collective, keys):
    b = founders[1]
    shares = collective.shares
    client.tip(keys[8], shares, WAD)  # the community's tips go to its collective's shares
    # 10 % to the treasury, the rest by shares: 5, 3 and 2 of 10.
    assert [client.claimable(shares, f.address) for f in founders] == [
        45 * WAD // 100,
        27 * WAD // 100,
        18 * WAD // 100,
    ]
    assert client.treasury_balance(shares) == WAD // 10

    before = client.eth_balance(b.address)
    assert client.claim(b, shares) == 27 * WAD // 100
    assert 0 < client.eth_balance(b.address) - before < 27 * WAD // 100  # the claim less its gas
    assert client.claimable(shares, b.address) == 0
    with pytest.raises(ContractReverted, match=f"claim: nothing of ether for {b.address} to claim"):
        client.claim(b, shares)
    # Income is accounted once: the claim accounted the tip, so there is nothing new to notify.
    assert client.notify_income(keys[8], shares) == 0
    client.tip(keys[8], shares, WAD)
    assert client.notify_income(keys[8], shares) == WAD


def test_a_payment_out_of_the_treasury_in_ether_and_a_token(
    client, founders, collective, keys, accounts, erc20, w3
):
    a = founders[0]
    shares, governor, payee = collective.shares, collective.governor, keys[9].address
    client.tip(keys[8], shares, WAD)  # 0.1 ETH of it to the treasury
    send(w3, accounts[3], erc20.functions.transfer(shares, 50 * WAD))
    assert client.notify_income(a, shares, erc20.address) == 50 * WAD  # a member shares the token
    assert client.treasury_balance(shares, erc20.address) == 5 * WAD

    pay = [actions.pay(None, payee, WAD // 20), actions.pay(erc20.address, payee, 4 * WAD)]
    assert actions.payouts(pay) == {None: WAD // 20, erc20.address: 4 * WAD}
    passed(client, w3, founders, governor, pay, "Pay the poster designer")
    wait(w3, DELAY)
    eth_before, token_before = client.eth_balance(payee), client.balance_of(erc20.address, payee)
    # The treasury's part still sits in the shares: execute withdraws it to the timelock first.
    client.execute(a, governor, pay, "Pay the poster designer")
    assert client.eth_balance(payee) - eth_before == WAD // 20
    assert client.balance_of(erc20.address, payee) - token_before == 4 * WAD
    assert client.eth_balance(collective.timelock) == WAD // 10 - WAD // 20
    assert client.treasury_balance(shares) == 0

    # More than the treasury holds: refused before anything is sent, in words.
    greedy = [actions.pay(None, payee, WAD)]
    passed(client, w3, founders, governor, greedy, "Pay it all")
    wait(w3, DELAY)
    with pytest.raises(
        ContractReverted, match=r"execute: the treasury holds 0\.05 ETH, the proposal pays 1 ETH"
    ):
        client.execute(a, governor, greedy, "Pay it all")


def test_membership_by_vote_and_a_proposal_without_enough_votes(client, founders, collective, keys, w3):
    newcomer = keys[6]
    governor, shares = collective.governor, collective.shares
    with pytest.raises(ContractReverted, match=f"propose: {newcomer.address} has 0 votes, proposing takes 1"):
        client.propose(newcomer, governor, [actions.admit(shares, newcomer.address, 1)], "Let me in")
    changes = [actions.admit(shares, newcomer.address, 4), actions.remove(shares, founders[2].address, 2)]
    passed(client, w3, founders, governor, changes, "Welcome Fay; Carl leaves")
    wait(w3, DELAY)
    client.execute(founders[0], governor, changes, "Welcome Fay; Carl leaves")
    assert client.balance_of(shares, newcomer.address) == 4
    assert client.balance_of(shares, founders[2].address) == 0
    # Only by vote: the shares refuse their owner's calls from anyone else.
    with pytest.raises(ContractReverted, match="is not the owner"):
        client._transact(
            founders[0], client.shares_contract(shares).functions.mint(founders[0].address, 1), "mint"
        )


def test_a_deployment_without_a_collective_factory_says_so(anvil_url, artifacts, deployed, keys):
    d = deployed[0]
    bare = ChainClient(anvil_url, artifacts, Deployment(d.chain_id, d.factory, d.tip_jar, d.start_block))
    with pytest.raises(ConfigError, match="has no collective factory"):
        bare.launch_collective(keys[2], COMMUNITY, {keys[2].address: 1}, 0, [], CHARTER)
