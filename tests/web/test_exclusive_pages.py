"""Exclusive posts in a real browser: anvil, the contracts, two node processes, Chromium.

The creator composes an exclusive post in the browser against their own node C (encrypted in
the page, the content key handed to C's admin route, the grant signer delegated with one wallet
signature). A holder, who bought the creator's token on anvil, creates and publishes the
encryption key derived from a wallet signature through the plain peer P; C grants to it. A
non-holder is refused by C with the gate in words. Then C is stopped, and the holder, in a fresh
browser context, re-derives the same key and reads the post from the grant on P.

The components are mounted on a bare page (tests/web/exclusive/page.tsx) served at the node's
own origin by Playwright; the wallet is eth-account behind ``expose_function``.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from playwright.sync_api import BrowserContext, Page, Route, expect, sync_playwright

from benchmarks._devnet import mecenate_devnet
from benchmarks._processes import node_env, running_node, wait_for
from node.chain import ChainClient, Deployment
from node.gating import Balance, encode_gate
from node.identity import Key
from node.messages import message_to_json
from tests.web.exclusive.bundle import ESBUILD, ROOT

CHAIN = 31337
ADMIN = "creator-node-admin"
WHOLE = 10**18
PAGE_DIR = ROOT / "tests" / "web" / "exclusive"
#: Bound on each wait for something the page shows (a chain read and a grant round trip at most).
UI_TIMEOUT_MS = 30_000
expect.set_options(timeout=UI_TIMEOUT_MS)


def build_page(out: Path) -> Path:
    subprocess.run(
        [
            str(ESBUILD),
            str(PAGE_DIR / "page.tsx"),
            "--bundle",
            "--format=esm",
            "--jsx=automatic",
            "--jsx-import-source=preact",
            f"--outfile={out / 'page.js'}",
            "--log-level=warning",
        ],
        check=True,
        timeout=60,
        cwd=ROOT,
    )
    (out / "page.html").write_text((PAGE_DIR / "page.html").read_text())
    return out


class Wallet:
    """A test wallet for one account: signs what the page asks and counts the prompts."""

    def __init__(self, key: Key) -> None:
        self.key = key
        self.texts: list[str] = []

    def personal_sign(self, address: str, text: str) -> str:
        assert address == self.key.address
        self.texts.append(text)
        return (
            "0x"
            + bytes(Account.sign_message(encode_defunct(text=text), self.key.private_key).signature).hex()
        )

    def sign_message(
        self, address: str, type: str, body: dict[str, Any], with_wallet: bool
    ) -> dict[str, Any]:
        assert address == self.key.address
        return message_to_json(self.key.sign(type, body, chain_id=CHAIN))


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on what the page shows now."""
    page.add_script_tag(path=str(ROOT / "node_modules" / "axe-core" / "axe.min.js"))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    bad = [(v["id"], v["impact"]) for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], bad


@contextlib.contextmanager
def opened(browser: Any, node: str, wallet: Wallet, pages: Path, route: str) -> Iterator[Page]:
    """A fresh browser context on ``node``'s origin with ``wallet``, showing the test page at ``route``."""
    context: BrowserContext = browser.new_context()
    try:

        def serve(r: Route) -> None:
            name = r.request.url.split("/__exclusive__/")[1].split("#")[0]
            kind = "text/html" if name.endswith(".html") else "text/javascript"
            r.fulfill(status=200, content_type=kind, body=(pages / name).read_text())

        context.route(f"{node}/__exclusive__/**", serve)
        context.expose_function("walletAddress", lambda: wallet.key.address)
        context.expose_function("walletPersonalSign", wallet.personal_sign)
        context.expose_function("walletSignMessage", wallet.sign_message)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(f"{node}/__exclusive__/page.html#{route}")
        yield page
    finally:
        context.close()


def test_compose_grant_refuse_and_read_with_the_creators_node_stopped(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    pages = build_page(tmp_path_factory.mktemp("exclusive-page"))
    shots = tmp_path_factory.mktemp("screenshots")
    with contextlib.ExitStack() as stack:
        url, artifacts, keys = stack.enter_context(mecenate_devnet(tmp_path / "deployments"))
        creator, holder, stranger = keys[2], keys[3], keys[4]
        chain = ChainClient(url, artifacts, Deployment.load(tmp_path / "deployments", CHAIN))
        token = chain.launch_token(creator, "Creator", "CRE").token
        chain.buy(holder, token, 10 * WHOLE)

        chain_env = {
            "MECENATE_CHAIN__RPC_URL": url,
            "MECENATE_CHAIN__DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
            "MECENATE_CHAIN__CONFIRMATIONS": "0",
            "MECENATE_CHAIN__POLL_INTERVAL_SECONDS": "0.2",
            "MECENATE_P2P__SYNC_INTERVAL_SECONDS": "1",
        }
        env_c = node_env(tmp_path / "c", **chain_env, MECENATE_API__ADMIN_TOKEN=ADMIN)
        c_process = stack.enter_context(running_node(env_c))
        c = env_c["MECENATE_NODE_URL"]
        bootstrap = httpx.get(c + "/v1/status").json()["p2p"]["addrs"][0]
        env_p = node_env(tmp_path / "p", **chain_env, MECENATE_P2P__BOOTSTRAP=f'["{bootstrap}"]')
        stack.enter_context(running_node(env_p))
        p = env_p["MECENATE_NODE_URL"]

        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        stack.callback(browser.close)

        # The holder creates the encryption key (two signatures) and publishes it through P.
        with opened(browser, p, Wallet(holder), pages, "key") as page:
            page.get_by_role("button", name="Create and publish my encryption key").click()
            published = page.get_by_test_id("encryption-key").inner_text()
            page.screenshot(path=shots / "exclusive-key.png")
            assert_accessible(page)
        profile = httpx.get(f"{p}/v1/users/{holder.address}/profile").json()
        assert profile["fields"]["encryptionKey"] == published

        # The creator composes on C: at least 5 CRE, the gate named by the creator's own address.
        creator_wallet = Wallet(creator)
        with opened(browser, c, creator_wallet, pages, "compose") as page:
            page.get_by_label("Public teaser").fill("new track for holders")
            page.get_by_label("Exclusive text").fill("the secret track")
            page.get_by_label("Token or creator address").fill(creator.address.lower())
            page.get_by_label("At least (tokens)").fill("5")
            expect(page.locator(".gate-preview")).to_have_text("Readers need at least 5 CRE.")
            page.get_by_label("Your node's admin token").fill("not the token")
            page.get_by_role("button", name="Publish exclusive post").click()
            expect(page.get_by_role("alert")).to_contain_text("Your node refused the admin token")
            expect(page.get_by_role("alert")).to_have_attribute("data-reason", "wrong_admin_token")
            page.get_by_label("Your node's admin token").fill(ADMIN)
            page.get_by_role("button", name="Publish exclusive post").click()
            post_id = page.get_by_test_id("exclusive-post-id").inner_text()
            page.screenshot(path=shots / "exclusive-compose.png")
            assert_accessible(page)
        assert creator_wallet.texts == []  # messages are typed data; nothing personal-signed
        stored = httpx.get(f"{c}/v1/posts/{post_id}").json()["post"]["message"]
        assert stored["text"] == "new track for holders" and "the secret track" not in str(stored)
        assert stored["gate"] == encode_gate(Balance(CHAIN, token, 5 * WHOLE)).decode()
        grant_signer = httpx.get(c + "/v1/gating").json()["signer"]
        assert grant_signer in httpx.get(f"{c}/v1/users/{creator.address}/signers").json()

        def granted_on_p() -> bool:
            return httpx.get(f"{p}/v1/posts/{post_id}/grants/{holder.address}").status_code == 200

        wait_for(granted_on_p, "the holder's grant to reach P", timeout=60)

        # A non-holder asks C to unlock: refused, in words.
        with opened(browser, c, Wallet(stranger), pages, f"post/{post_id}") as page:
            expect(page.locator(".exclusive.locked")).to_contain_text(
                "Exclusive: for holders of at least 5 CRE."
            )
            page.get_by_role("button", name="Unlock").click()
            refusal = page.get_by_role("alert")
            expect(refusal).to_contain_text("You don't meet this post's gate")
            expect(refusal).to_have_attribute("data-reason", "gate_not_met")
            page.screenshot(path=shots / "exclusive-refused.png")
            assert_accessible(page)

        # C goes away; the holder, in a fresh context, reads from the grant on P.
        c_process.kill()
        c_process.wait()
        with pytest.raises(httpx.TransportError):
            httpx.get(c + "/health")
        holder_wallet = Wallet(holder)
        with opened(browser, p, holder_wallet, pages, f"post/{post_id}") as page:
            page.get_by_role("button", name="Unlock").click()
            assert page.get_by_test_id("exclusive-text").inner_text() == "the secret track"
            page.screenshot(path=shots / "exclusive-read.png")
        # one signature, of the key message: the key came back on a fresh context, no online unlock
        assert len(holder_wallet.texts) == 1 and holder_wallet.texts[0].startswith(
            "Mecenate: create my encryption key"
        )
