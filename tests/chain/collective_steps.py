"""A collective's life on anvil in plain web3 (no node.chain transactions): launch, and a
proposal taken through vote, queue and execution, as any other client would."""

from __future__ import annotations

from eth_utils import keccak
from web3.logs import DISCARD

from benchmarks._devnet import COLLECTIVE_GOVERNANCE

from .conftest import send

FOR, AGAINST, ABSTAIN = 1, 0, 2


def rpc(w3, method, *params):
    response = w3.provider.make_request(method, list(params))
    assert "error" not in response, response
    return response["result"]


def mine(w3, blocks=1, seconds=0):
    if seconds:
        rpc(w3, "evm_increaseTime", seconds)
    rpc(w3, "anvil_mine", hex(blocks))


def contract(w3, artifacts, name, address):
    return w3.eth.contract(address=address, abi=artifacts.abi(name))


def launch(
    w3, artifacts, deployment, launcher, community, founders, *, moderators=(), charter=b"\0" * 32, bps=1000
):
    """Launch the collective of ``community`` with ``founders`` ({account: shares}); returns
    (shares, governor, timelock) contracts."""
    factory = contract(w3, artifacts, "CollectiveFactory", deployment.collectives)
    call = factory.functions.launch(
        community,
        [a.address for a in founders],
        list(founders.values()),
        bps,
        list(moderators),
        charter,
    )
    receipt = send(w3, launcher, call)
    [event] = factory.events.CollectiveLaunched().process_receipt(receipt, errors=DISCARD)
    return (
        contract(w3, artifacts, "CollectiveShares", event.args.shares),
        contract(w3, artifacts, "CollectiveGovernor", event.args.governor),
        contract(w3, artifacts, "CollectiveTimelock", event.args.timelock),
    )


def decide(w3, governor, proposer, voters, target, calldata, description, *, support=FOR, execute=True):
    """Propose one call, have ``voters`` vote ``support``, and (when it passes and ``execute``)
    queue it and execute it after the timelock. Returns the proposal id."""
    args = ([target.address], [0], [calldata])
    mine(w3)  # votes count as of the block before a proposal: not the launch block itself
    receipt = send(w3, proposer, governor.functions.propose(*args, description))
    [created] = governor.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
    proposal = created.args.proposalId
    mine(w3, COLLECTIVE_GOVERNANCE["votingDelay"] + 1)
    for voter in voters:
        send(w3, voter, governor.functions.castVote(proposal, support))
    mine(w3, COLLECTIVE_GOVERNANCE["votingPeriod"] + 1)
    if execute and governor.functions.state(proposal).call() == 4:  # Succeeded
        description_hash = keccak(text=description)
        send(w3, proposer, governor.functions.queue(*args, description_hash))
        mine(w3, 1, COLLECTIVE_GOVERNANCE["timelockDelay"] + 1)
        send(w3, proposer, governor.functions.execute(*args, description_hash))
    return proposal
