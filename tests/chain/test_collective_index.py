"""The indexer follows collectives on anvil: launches, members' shares, settings decided by
vote (from the block they executed in), proposals with their votes and states, income and
claims, and a reorg rolls all of it back."""

from __future__ import annotations

from eth_utils import keccak
from web3.logs import DISCARD

from node.chain import TokenUnits, charter_hash

from .collective_steps import AGAINST, FOR, decide, launch, mine, rpc
from .conftest import dump, send

COMMUNITY = keccak(text="community:test")


def test_a_collective_and_its_decisions_are_indexed(w3, accounts, artifacts, deployed, erc20, make_indexer):
    deployment = deployed[0]
    alice, bob, carol, mod, new_mod, fan = accounts[2:8]
    shares, governor, timelock = launch(
        w3, artifacts, deployment, alice, COMMUNITY, {alice: 5, bob: 3, carol: 2}, moderators=[mod.address]
    )
    indexer = make_indexer()
    indexer.poll_once()

    c = indexer.collective(shares.address)
    assert (c.community, c.launcher, c.governor, c.timelock) == (
        COMMUNITY,
        alice.address,
        governor.address,
        timelock.address,
    )
    assert c.moderators == (mod.address,) and c.treasury_bps == 1000
    assert (c.total_shares, c.members) == (10, 3)
    assert [(m.holder, m.balance) for m in indexer.collective_members(shares.address)] == [
        (alice.address, 5),
        (bob.address, 3),
        (carol.address, 2),
    ]
    assert indexer.collective(fan.address) is None

    # Members replace the moderator: the index takes the new list from the block it executed in.
    calldata = shares.encode_abi("setModerators", args=[[new_mod.address]])
    proposal = decide(w3, governor, alice, [alice, bob], shares, calldata, "Replace the moderator")
    executed_block = w3.eth.block_number
    indexer.poll_once()
    c = indexer.collective(shares.address)
    assert c.moderators == (new_mod.address,) and c.moderators_since == executed_block
    assert shares.functions.moderators().call() == [new_mod.address]
    [status] = indexer.proposals(c)
    assert status.proposal.proposal_id == proposal and status.proposal.proposer == alice.address
    assert status.state == "executed" and status.eta is not None
    assert status.votes == {"for": 8, "against": 0, "abstain": 0}
    assert [(a.target, a.calldata) for a in status.proposal.actions] == [
        (shares.address, bytes.fromhex(calldata[2:]))
    ]
    assert indexer.proposal(c, proposal) == status and indexer.proposal(c, proposal + 1) is None

    # A vote that fails (against wins) changes nothing; the governor says defeated.
    charter = charter_hash(COMMUNITY, {"name": "Test"})
    calldata = shares.encode_abi("setCharterHash", args=[charter])
    lost = decide(w3, governor, bob, [alice, bob], shares, calldata, "New charter", support=AGAINST)
    indexer.poll_once()
    assert indexer.proposal(c, lost).state == "defeated"
    assert indexer.collective(shares.address).charter_hash == b"\0" * 32

    # Income: a tip in ether to the collective, accounted by a claim; the rest is claimable.
    send(w3, fan, to=shares.address, value=10**18)
    send(w3, alice, shares.functions.claim("0x" + "00" * 20))
    indexer.poll_once()
    [eth] = indexer.collective_assets(c)
    assert (eth.asset, eth.income, eth.to_treasury, eth.claimed) == (None, 10**18, 10**17, 9 * 10**17 // 2)
    assert eth.treasury == 10**17
    claimable = indexer.claimable(c, bob.address)
    assert (
        claimable
        == {None: 9 * 10**17 * 3 // 10}
        == {None: shares.functions.claimable(bob.address, "0x" + "00" * 20).call()}
    )

    # Income in a token, in the token's own units: its symbol and decimals as its contract says.
    send(w3, fan, erc20.functions.transfer(shares.address, 5 * 10**18))
    send(w3, bob, shares.functions.notifyIncome(erc20.address))  # a member adds the token
    indexer.poll_once()
    [_, token] = indexer.collective_assets(c)
    assert (token.asset, token.income, token.treasury) == (erc20.address, 5 * 10**18, 5 * 10**17)
    assert indexer.claimable(c, bob.address)[erc20.address] == 45 * 10**17 * 3 // 10
    assert indexer.token_units(erc20.address) == TokenUnits("MUSD", 18)
    assert indexer.token_units(None) == TokenUnits("ETH", 18)


def test_a_pending_and_an_active_proposal(w3, accounts, artifacts, deployed, make_indexer):
    alice, bob = accounts[2:4]
    shares, governor, _ = launch(w3, artifacts, deployed[0], alice, COMMUNITY, {alice: 1, bob: 1})
    calldata = shares.encode_abi("setRevenuePolicy", args=[500])
    mine(w3)
    receipt = send(
        w3, alice, governor.functions.propose([shares.address], [0], [calldata], "Half the treasury")
    )
    proposal = governor.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)[0].args.proposalId
    indexer = make_indexer()
    indexer.poll_once()
    c = indexer.collective(shares.address)
    assert indexer.proposal(c, proposal).state == "pending"
    mine(w3, 2)
    send(w3, bob, governor.functions.castVote(proposal, FOR))
    indexer.poll_once()
    status = indexer.proposal(c, proposal)
    assert status.state == "active" and status.votes["for"] == 1


def test_a_reorg_rolls_a_decision_back(w3, accounts, artifacts, deployed, make_indexer):
    alice, bob, mod, new_mod = accounts[2:6]
    shares, governor, _ = launch(
        w3, artifacts, deployed[0], alice, COMMUNITY, {alice: 1, bob: 1}, moderators=[mod.address]
    )
    indexer = make_indexer()
    indexer.poll_once()
    fork = rpc(w3, "evm_snapshot")
    calldata = shares.encode_abi("setModerators", args=[[new_mod.address]])
    decide(w3, governor, alice, [alice, bob], shares, calldata, "Replace the moderator")
    indexer.poll_once()
    assert indexer.collective(shares.address).moderators == (new_mod.address,)

    assert rpc(w3, "evm_revert", fork) is True
    mine(w3, 30)  # another, longer branch without the decision
    report = indexer.poll_once()
    assert report.rolled_back_to is not None
    c = indexer.collective(shares.address)
    assert c.moderators == (mod.address,) and indexer.proposals(c) == []
    fresh = make_indexer("fresh.sqlite")
    fresh.poll_once()
    assert dump(indexer) == dump(fresh)
