"""The app's frame in a real browser: connecting the wallet, a rejected prompt, the wrong chain,
and the node going away and coming back."""

from __future__ import annotations

from eth_account import Account
from playwright.sync_api import expect

from tests.web.conftest import OTHER_CHAIN, App


def test_the_app_connects_the_wallet_it_finds(app: App) -> None:
    page = app.goto("/")
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    expect(page.get_by_text("Connect your wallet to see the posts")).to_be_visible()
    app.connect()
    expect(page.locator("header .address code")).to_have_attribute("title", app.wallet.address)
    expect(page.get_by_text("No posts yet from people you follow")).to_be_visible()
    assert app.wallet.prompts == ["eth_requestAccounts"]
    app.shot("feed-empty")
    assert app.axe() == []


def test_switching_accounts_in_the_wallet_switches_the_user(app: App) -> None:
    page = app.goto("/settings")
    app.connect()
    expect(page.locator("header .address code")).to_have_attribute("title", app.wallet.address)
    other = Account.create()
    app.wallet.account = other
    page.evaluate("a => window.__testWallet.emit('accountsChanged', [a])", other.address)
    expect(page.locator("header .address code")).to_have_attribute("title", other.address)
    page.evaluate("window.__testWallet.emit('accountsChanged', [])")  # the wallet disconnected the site
    expect(page.get_by_role("button", name="Connect wallet")).to_be_visible()


def test_a_rejected_prompt_says_so_and_leaves_nothing_spinning(app: App) -> None:
    page = app.goto("/")
    app.wallet.reject_next = True
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.locator("#wallet-error")).to_contain_text("You rejected the request in your wallet.")
    expect(page.get_by_role("button", name="Connect wallet")).to_be_enabled()
    app.shot("rejected-prompt")
    app.connect()  # trying again works
    expect(page.locator("#wallet-error")).to_have_count(0)


def test_the_wrong_chain_shows_a_banner_and_switching_fixes_it(app: App) -> None:
    node_chain = app.wallet.chain_id
    app.wallet.chain_id = OTHER_CHAIN
    app.wallet.known_chains = {OTHER_CHAIN}  # the wallet has never heard of the devnet
    page = app.goto("/settings")
    app.connect()
    banner = page.locator("#wrong-chain")
    expect(banner).to_contain_text(f"this node works on chain {node_chain}")
    expect(page.get_by_text("Connect your wallet to manage app keys")).to_be_visible()
    app.shot("wrong-chain")
    assert app.axe() == []
    banner.get_by_role("button", name="Switch network").click()
    expect(banner).to_have_count(0)
    expect(page.get_by_role("heading", name="App keys", exact=True)).to_be_visible()
    assert app.wallet.prompts[-2:] == ["wallet_switchEthereumChain", "wallet_addEthereumChain"]
    assert app.wallet.chain_id == node_chain

    app.goto("/")  # the wallet moves away on its own: the banner comes back
    app.wallet.chain_id = OTHER_CHAIN
    page.evaluate("chain => window.__testWallet.emit('chainChanged', chain)", hex(OTHER_CHAIN))
    expect(banner).to_be_visible()


def test_the_node_going_away_shows_a_banner_until_it_is_back(app: App) -> None:
    page = app.goto("/")
    app.connect()
    expect(page.locator("#node-down")).to_have_count(0)
    app.node.stop()
    expect(page.locator("#node-down")).to_contain_text("The node cannot be reached")
    app.shot("node-down")
    app.node.start()
    expect(page.locator("#node-down")).to_have_count(0)


def test_the_keyboard_alone_reaches_and_connects_the_wallet(app: App) -> None:
    page = app.goto("/")
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    for _ in range(10):  # brand, three links, then the wallet's button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Connect wallet":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Disconnect")).to_be_visible()


def test_the_dark_theme_follows_the_system_and_stays_readable(app: App) -> None:
    page = app.goto("/settings")
    app.connect()
    background = "getComputedStyle(document.body).backgroundColor"
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(background) == "rgb(18, 18, 22)"
    app.shot("settings-dark")
    assert app.axe() == []  # contrast included


def test_the_chain_going_away_shows_a_banner_until_it_is_back(app: App) -> None:
    """The browser loses the chain (its requests to the RPC URL fail: Playwright aborts them) while
    the node still answers: a banner says so, and clears once the chain answers again."""
    rpc = app.wallet.rpc_url
    page = app.goto("/")
    expect(page.get_by_role("heading", name="Feed")).to_be_visible()
    expect(page.locator("#chain-down")).to_have_count(0)

    def to_the_chain(url: str) -> bool:
        return url.startswith(rpc)

    page.route(to_the_chain, lambda route: route.abort())
    expect(page.locator("#chain-down")).to_contain_text("The chain cannot be reached", timeout=20_000)
    expect(page.locator("#node-down")).to_have_count(0)
    app.shot("chain-down")
    page.unroute(to_the_chain)
    expect(page.locator("#chain-down")).to_have_count(0, timeout=20_000)
