"""A community owned by its members on chain, in a real browser against a real node and anvil:
the community's page shows its collective (the charter's standing, moderators chosen on chain,
shareholders, proposals with their votes and ETA, the treasury); a member claims their income
with the wallet (the claimable goes to zero, their ether rises on chain) and votes on an open
proposal (the vote shows in the proposal's totals once the node indexes it); a charter the
founder changes without a vote shows as drifted, with both hashes.

The collective is launched, proposed and decided with plain web3 (tests/chain/collective_steps).
While the test runs anvil mines one block per transaction (automine) instead of one a second,
so an open vote stays open until the test moves the chain on: the outcomes do not depend on how
fast the browser is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_utils import keccak
from playwright.sync_api import expect
from web3 import Web3
from web3.logs import DISCARD

from benchmarks._devnet import COLLECTIVE_GOVERNANCE, WAD, send
from benchmarks._processes import wait_for
from node.chain import Deployment, charter_hash
from node.messages.community import community_id
from tests.chain.collective_steps import FOR, launch, mine, rpc
from tests.web.conftest import App, Devnet, NodeProcess
from tests.web.test_communities import PHONE, fits
from tests.web.test_discover import submit
from tests.web.test_money import Chain, artifacts, ether

ETH = "0x" + "00" * 20
HANDLE = "cello-commons"
NAME = "Cello Commons"


@pytest.fixture
def automine(devnet: Devnet) -> Iterator[Web3]:
    """Anvil mines a block per transaction (and when told) during the test, then one a second
    again as the other browser tests expect."""
    w3 = Chain(devnet).w3
    rpc(w3, "evm_setAutomine", True)
    try:
        yield w3
    finally:
        rpc(w3, "evm_setIntervalMining", 1)


def propose(
    w3: Web3, governor: Any, proposer: Any, target: Any, calldata: str, description: str
) -> tuple[int, tuple]:
    """One call proposed to the governor; its id and the (targets, values, calldatas) it names."""
    args = ([target.address], [0], [calldata])
    receipt = send(w3, proposer, governor.functions.propose(*args, description))
    [created] = governor.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
    return created.args.proposalId, args


def test_members_see_their_collective_claim_income_and_vote(
    open_app: Callable[..., App], devnet: Devnet, node: NodeProcess, automine: Web3
) -> None:
    w3, chain = automine, Chain(devnet)
    deployment = Deployment.load(devnet.deployments, chain.chain_id)
    alice, bob, fan, carol = chain.funded(), chain.funded(), chain.funded(), Account.create()
    url = node.url
    cid = community_id(alice.address, HANDLE)
    submit(url, alice, chain.chain_id, "Charter", handle=HANDLE, field="name", value=NAME)
    approved = charter_hash(cid, {"name": NAME})
    shares, governor, _timelock = launch(
        w3, artifacts, deployment, alice, cid, {alice: 6, bob: 4}, moderators=[bob.address], charter=approved
    )
    submit(url, alice, chain.chain_id, "Charter", handle=HANDLE, field="collective", value=shares.address)
    send(w3, fan, to=shares.address, value=WAD)  # income: a plain transfer to the collective
    # and 2 of a creator token, which a member adds to the tokens the collective shares
    token = chain.launch(chain.funded(), "Carol token", "CAROL")
    cost = token.functions.quoteBuy(2 * WAD).call()
    send(w3, fan, token.functions.buy(2 * WAD, cost, 2**64), value=cost)
    send(w3, fan, token.functions.transfer(shares.address, 2 * WAD))
    send(w3, bob, shares.functions.notifyIncome(token.address))

    # A decision taken and queued (waiting out the timelock), and one open for votes.
    mine(w3)  # votes count as of the block before a proposal
    policy, args = propose(
        w3,
        governor,
        alice,
        shares,
        shares.encode_abi("setRevenuePolicy", args=[2000]),
        "Raise the treasury's part to 20%",
    )
    mine(w3, COLLECTIVE_GOVERNANCE["votingDelay"] + 1)
    for voter in (alice, bob):
        send(w3, voter, governor.functions.castVote(policy, FOR))
    mine(w3, COLLECTIVE_GOVERNANCE["votingPeriod"] + 1)
    send(w3, alice, governor.functions.queue(*args, keccak(text="Raise the treasury's part to 20%")))
    eta = governor.functions.proposalEta(policy).call()
    open_vote, _ = propose(
        w3,
        governor,
        alice,
        shares,
        shares.encode_abi("setModerators", args=[[carol.address]]),
        "Make carol a moderator",
    )
    mine(w3, COLLECTIVE_GOVERNANCE["votingDelay"] + 2)  # open, and the node's confirmed view says so

    def proposal(pid: int) -> dict:
        return httpx.get(f"{url}/v1/collectives/{shares.address}/proposals/{pid}").json()

    wait_for(
        lambda: proposal(open_vote).get("state") == "active" and proposal(policy).get("state") == "queued",
        "the node to index both proposals",
    )
    community = httpx.get(f"{url}/v1/communities/0x{cid.hex()}").json()
    assert community["collective"]["status"] == "approved"
    assert community["moderators"] == [bob.address]
    assert proposal(policy)["eta"] == eta

    member = open_app(bob, width=PHONE)
    page = member.goto(f"/c/0x{cid.hex()}")
    member.connect()
    standing = page.locator("#collective-standing")
    expect(standing).to_contain_text("The charter is the one the members approved on chain.")
    expect(standing.locator("code[title]")).to_have_attribute("title", shares.address)
    since = community["collective"]["moderatorsSince"]
    expect(page.locator("#moderators-chosen")).to_have_text(
        f"Chosen by the members on chain since block {since}."
    )
    expect(page.locator("#moderators a[title]")).to_have_attribute("title", bob.address)
    holders = page.locator("#shareholders li")
    expect(holders).to_have_count(2)
    expect(holders.nth(0)).to_contain_text("6 shares")
    expect(holders.nth(0).locator("a[title]")).to_have_attribute("title", alice.address)
    expect(holders.nth(1)).to_contain_text("4 shares")
    queued = page.locator(f'#proposals li[data-id="{policy}"]')
    expect(queued).to_contain_text("Raise the treasury's part to 20%")
    expect(queued).to_contain_text("Passed and queued")
    expect(queued.locator(".votes")).to_have_text("For 10Against 0Abstain 0")
    expect(queued.locator(".eta")).to_contain_text("Can be executed from")
    expect(queued.get_by_role("button", name="For")).to_have_count(0)  # its vote is over
    treasury = page.locator('#treasury li[data-asset="ETH"]')
    expect(treasury).to_contain_text("0.1 ETH")  # 10% of the 1 ETH of income
    expect(treasury.locator(".amount").first).to_have_attribute("title", "0.1 ETH")
    # the token in its own symbol and decimals: 10% of 2 CAROL
    expect(page.locator(f'#treasury li[data-asset="{token.address}"]')).to_contain_text("0.2 CAROL")
    fits(member, PHONE)
    member.shot("collective-360px")

    # The member claims their part of the income: 90% of 1 ETH, by 4 of 10 shares.
    due = shares.functions.claimable(bob.address, ETH).call()
    assert due == 9 * WAD // 10 * 4 // 10
    claimable = page.locator('#claimable li[data-asset="ETH"]')
    expect(claimable.locator(".amount")).to_have_attribute("title", f"{ether(due)} ETH")
    tokens_due = page.locator(f'#claimable li[data-asset="{token.address}"]')
    expect(tokens_due).to_contain_text("0.72 CAROL")  # 90% of 2 CAROL, by 4 of 10 shares
    expect(tokens_due.get_by_role("button", name="Claim CAROL")).to_be_visible()
    before = w3.eth.get_balance(bob.address)
    claimable.get_by_role("button", name="Claim ETH").click()
    expect(claimable).to_contain_text("Waiting for the node to index the claim")
    mine(w3)  # bury the claim under a block: the node indexes it
    expect(page.locator("#claimable li")).to_have_count(1)  # the tokens are still there to claim
    expect(tokens_due).to_contain_text("0.72 CAROL")
    assert shares.functions.claimable(bob.address, ETH).call() == 0
    gas_bound = 10**16  # the claim's gas, at anvil's fees, is far below this
    assert before + due - gas_bound < w3.eth.get_balance(bob.address) <= before + due
    expect(page.locator('#treasury li[data-asset="ETH"]')).to_contain_text("0.36 ETH")  # claimed by members

    # The member votes against the open proposal; the node counts their 4 shares.
    open_item = page.locator(f'#proposals li[data-id="{open_vote}"]')
    expect(open_item).to_contain_text("Open for votes")
    expect(open_item.locator(".votes")).to_have_text("For 0Against 0Abstain 0")
    open_item.get_by_role("button", name="Against").click()
    expect(open_item).to_contain_text("waiting for the node to count it")
    mine(w3)
    expect(open_item.locator(".votes")).to_have_text("For 0Against 4Abstain 0")
    expect(open_item).to_contain_text("You voted on this proposal.")
    assert proposal(open_vote)["votes"] == {"for": "0", "against": "4", "abstain": "0"}
    assert governor.functions.hasVoted(open_vote, bob.address).call()
    assert member.wallet.prompts == ["eth_requestAccounts", "eth_sendTransaction", "eth_sendTransaction"]
    fits(member, PHONE)
    member.shot("collective-voted-360px")

    # The founder's key changes the charter without a vote: the page says it drifted, with both hashes.
    submit(
        url, alice, chain.chain_id, "Charter", handle=HANDLE, field="about", value="Cellos, and nothing else."
    )
    page = member.goto("/compose")
    page = member.goto(f"/c/0x{cid.hex()}")
    standing = page.locator("#collective-standing")
    expect(standing).to_contain_text("The charter has changed since the members approved it")
    held = charter_hash(cid, {"name": NAME, "about": "Cellos, and nothing else."})
    expect(standing.locator("dd code").nth(0)).to_have_text("0x" + approved.hex())
    expect(standing.locator("dd code").nth(1)).to_have_text("0x" + held.hex())
    fits(member, PHONE)
    member.shot("collective-drifted-360px")


def test_a_collective_this_node_cannot_verify_is_said_so(
    open_app: Callable[..., App], devnet: Devnet
) -> None:
    app = open_app(width=PHONE)
    chain = Chain(devnet)
    founder, nowhere = Account.create(), Account.create().address
    cid = community_id(founder.address, "unsure")
    submit(app.node.url, founder, chain.chain_id, "Charter", handle="unsure", field="name", value="Unsure")
    submit(
        app.node.url, founder, chain.chain_id, "Charter", handle="unsure", field="collective", value=nowhere
    )
    page = app.goto(f"/c/0x{cid.hex()}")
    standing = page.locator("#collective-standing")
    expect(standing).to_contain_text("This node cannot verify the collective")
    expect(standing).to_contain_text("knows no collective at this address")
    expect(page.locator("#moderators li")).to_have_count(0)  # nobody's hides count
    expect(page.get_by_text("Nobody moderates this community now.")).to_be_visible()
    expect(page.locator("#collective")).to_have_count(0)
    fits(app, PHONE)
    app.shot("collective-unverifiable-360px")
