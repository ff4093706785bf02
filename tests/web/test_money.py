"""Money in a real browser, with the test wallet signing and sending to anvil: a creator launches
a token and sees it on their page; a fan buys with a slippage bound and a deadline, tips a post
in ETH and in the creator's token with a permit, and sees both tips on the post once the node
has indexed them; a rejected wallet prompt on a buy reads as a plain message.

Every test uses fresh accounts funded with ``anvil_setBalance``, so the tests share the session's
chain without sharing a creator (a creator launches one token, ever).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from playwright.sync_api import expect
from web3 import HTTPProvider, Web3

from benchmarks._devnet import MANIFEST, WAD, send
from benchmarks._processes import wait_for
from node.chain import Artifacts, Deployment, max_cost
from node.messages import message_to_json, sign_message
from tests.web.conftest import App, Devnet

artifacts = Artifacts.load(MANIFEST)


class Chain:
    """Plain web3 on the test's devnet: what the page did, checked on chain."""

    def __init__(self, devnet: Devnet) -> None:
        self.w3 = Web3(HTTPProvider(devnet.rpc_url))
        self.chain_id = self.w3.eth.chain_id
        deployment = Deployment.load(devnet.deployments, self.chain_id)
        self.factory = self.w3.eth.contract(deployment.factory, abi=artifacts.abi("CreatorTokenFactory"))
        self.tip_jar = deployment.tip_jar

    def funded(self) -> LocalAccount:
        account = Account.create()
        self.w3.provider.make_request("anvil_setBalance", [account.address, hex(100 * WAD)])  # type: ignore[arg-type]
        return account

    def token(self, creator: str):  # type: ignore[no-untyped-def]
        return self.w3.eth.contract(
            self.factory.functions.tokenOf(creator).call(), abi=artifacts.abi("CreatorToken")
        )

    def launch(self, creator: LocalAccount, name: str, symbol: str):  # type: ignore[no-untyped-def]
        send(self.w3, creator, self.factory.functions.launch(name, symbol))
        return self.token(creator.address)


def post(node_url: str, author: LocalAccount, text: str, chain_id: int) -> str:
    message = sign_message("Post", {"text": text}, bytes(author.key), chain_id)
    answer = httpx.post(f"{node_url}/v1/messages", json=message_to_json(message)).json()
    assert answer["outcome"] == "accepted", answer
    return answer["id"]


def ether(wei: int) -> str:
    """As the app's Amount titles say it: exact, no trailing zeros."""
    return format(Decimal(wei).scaleb(-18).normalize(), "f")


def test_a_creator_launches_a_token_and_sees_it_on_their_page(app: App, devnet: Devnet) -> None:
    chain = Chain(devnet)
    creator = app.wallet.account = chain.funded()
    page = app.goto("/launch")
    app.connect()
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Symbol").fill("ada")
    page.get_by_role("button", name="Launch").click()
    expect(page.locator("#launched")).to_contain_text("Your token is live")
    token = chain.token(creator.address)
    assert token.functions.symbol().call() == "ADA"
    expect(page.locator("#launched code")).to_have_attribute("title", token.address)
    assert app.wallet.prompts == ["eth_requestAccounts", "eth_sendTransaction"]
    app.shot("launch-done")
    assert app.axe() == []

    wait_for(
        lambda: httpx.get(f"{app.node.url}/v1/creators/{creator.address}").json()["token"],
        "the launch indexed",
    )
    page.locator("#launched").get_by_role("link", name="your page").click()
    expect(page.get_by_role("heading", name="Token: Ada Lovelace (ADA)")).to_be_visible()
    expect(page.locator("#token-supply")).to_contain_text("0 ADA")
    expect(page.locator("#curve svg")).to_be_visible()
    expect(page.locator("#split")).to_be_visible()  # the creator's own page: the revenue split
    app.shot("creator-page")
    assert app.axe() == []


def test_a_fan_buys_with_slippage_then_tips_in_eth_and_in_token_and_sees_the_tips(
    app: App, devnet: Devnet
) -> None:
    chain = Chain(devnet)
    creator, fan = chain.funded(), chain.funded()
    token = chain.launch(creator, "Grace Hopper", "GRACE")
    post_id = post(app.node.url, creator, "On compilers", chain.chain_id)
    app.wallet.account = fan

    # Buy 2 GRACE with 0.5% slippage and a 5-minute deadline.
    page = app.goto(f"/trade/{creator.address}")
    app.connect()
    page.get_by_label("Amount (GRACE)").fill("2")
    page.get_by_text("Slippage and deadline").click()
    page.get_by_label("Slippage tolerance (%)").fill("0.5")
    page.get_by_label("Deadline (minutes)").fill("5")
    quote = token.functions.quoteBuy(2 * WAD).call()
    expect(page.locator("#quote-total .amount")).to_have_attribute("title", f"{ether(quote)} ETH")
    expect(page.locator("#quote-bound .amount")).to_have_attribute(
        "title", f"{ether(max_cost(quote, 50))} ETH"
    )
    app.shot("trade-quote")
    assert app.axe() == []
    page.get_by_role("button", name="Buy GRACE").click()
    status = page.locator(".tx-status")
    expect(status).to_have_attribute("data-phase", "confirmed")
    assert token.functions.balanceOf(fan.address).call() == 2 * WAD
    expect(page.locator("#balance")).to_contain_text("2 GRACE")
    sent = chain.w3.eth.get_transaction(status.locator("code").get_attribute("title"))
    _, args = token.decode_function_input(sent["input"])
    mined_at = chain.w3.eth.get_block(sent["blockNumber"])["timestamp"]
    assert (args["amount"], args["maxCost"], sent["value"]) == (
        2 * WAD,
        max_cost(quote, 50),
        max_cost(quote, 50),
    )
    assert 0 < args["deadline"] - mined_at <= 300
    app.shot("trade-bought")

    # Tip the post 0.01 ETH: pending until the node has indexed it, then on the post.
    page = app.goto(f"/p/{post_id}")
    expect(page.get_by_text("No tips on this post yet.")).to_be_visible()
    page.get_by_label("Amount (ETH)").fill("0.01")
    page.get_by_label("Note (optional)").fill("thanks")
    page.get_by_role("button", name="Tip", exact=True).click()
    indexing = page.locator(".tip-indexing")
    expect(indexing).to_have_attribute("data-indexing", "indexed")
    expect(page.locator("#tips li")).to_have_count(1)
    expect(page.locator("#tips li").first).to_contain_text("thanks")

    # Tip 0.5 GRACE with a permit: the wallet signs typed data, then sends one transaction.
    page.get_by_label("the creator's token (one transaction, with a permit)").check()
    page.get_by_label("Amount (tokens)").fill("0.5")
    page.get_by_label("Note (optional)").fill("in GRACE")
    page.get_by_role("button", name="Tip", exact=True).click()
    expect(page.locator("#tips li")).to_have_count(2)
    expect(indexing).to_have_attribute("data-indexing", "indexed")
    assert token.functions.balanceOf(creator.address).call() == WAD // 2
    assert token.functions.allowance(fan.address, chain.tip_jar).call() == 0
    assert app.wallet.prompts[-3:] == ["eth_sendTransaction", "eth_signTypedData_v4", "eth_sendTransaction"]
    tips = httpx.get(f"{app.node.url}/v1/posts/{post_id}/tips").json()
    assert [(t["token"], t["amount"], t["memo"]) for t in tips] == [
        (None, str(WAD // 100), "thanks"),
        (token.address, str(WAD // 2), "in GRACE"),
    ]
    app.shot("post-tips")
    assert app.axe() == []


def test_a_rejected_wallet_prompt_on_a_buy_says_so_and_buys_nothing(
    open_app: Callable[..., App], devnet: Devnet
) -> None:
    """On a phone-sized screen in the dark theme, which the trade page must also fit."""
    chain = Chain(devnet)
    creator = chain.funded()
    token = chain.launch(creator, "Alan Turing", "TURING")
    fan = chain.funded()
    app = open_app(fan, width=360)
    app.page.emulate_media(color_scheme="dark")
    page = app.goto(f"/trade/{creator.address}")
    app.connect()
    page.get_by_label("Amount (TURING)").fill("1")
    app.wallet.reject_next = True
    page.get_by_role("button", name="Buy TURING").click()
    status = page.locator(".tx-status")
    expect(status).to_have_attribute("data-phase", "failed")
    expect(status).to_have_text("You rejected the request in your wallet.")
    expect(page.get_by_role("button", name="Buy TURING")).to_be_enabled()
    assert app.wallet.prompts[-1] == "eth_sendTransaction"
    assert token.functions.balanceOf(fan.address).call() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    app.shot("trade-rejected-360px-dark")
    assert app.axe() == []
