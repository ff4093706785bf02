"""Exclusive posts in the web app: anvil, the contracts, two node processes serving the app, Chromium.

The creator composes an exclusive post on their own node C (encrypted in the page, the content
key handed to C's admin route, C's grant signer delegated with one wallet signature). A holder,
who bought the creator's token on anvil, creates the encryption key derived from a wallet
signature in Settings and publishes it through the plain peer P; C grants to it. A non-holder
rejects the wallet prompt, then is refused by C with the gate in words. Then C is stopped, and
the holder, in a fresh browser context, derives the same key again and reads the post from the
grant on P: one signature, of the key message, and no online unlock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from web3 import HTTPProvider, Web3

from benchmarks._devnet import MANIFEST
from benchmarks._processes import node_env, wait_for
from node.chain import Artifacts, ChainClient, Deployment
from node.gating import Balance, encode_gate
from node.identity import import_key
from tests.web.conftest import App, Devnet, NodeProcess, TestWallet

ADMIN = "creator-node-admin"
WHOLE = 10**18
#: Bound on the grant's trip: C sees the holder's key and balance, grants, P syncs it.
GRANT_TIMEOUT_S = 60


@contextlib.contextmanager
def two_nodes(devnet: Devnet, web_dist: Path, tmp: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    """The creator's node C (with an admin token) and a plain peer P bootstrapped to it."""
    chain = {
        "MECENATE_CHAIN__RPC_URL": devnet.rpc_url,
        "MECENATE_CHAIN__DEPLOYMENTS_DIR": str(devnet.deployments),
        "MECENATE_CHAIN__CONFIRMATIONS": "0",
        "MECENATE_WEB__DIST_DIR": str(web_dist),
        "MECENATE_P2P__SYNC_INTERVAL_SECONDS": "1",
    }
    c = NodeProcess(node_env(tmp / "c", **chain, MECENATE_API__ADMIN_TOKEN=ADMIN))
    c.start()
    try:
        bootstrap = httpx.get(c.url + "/v1/status").json()["p2p"]["addrs"][0]
        p = NodeProcess(node_env(tmp / "p", **chain, MECENATE_P2P__BOOTSTRAP=f'["{bootstrap}"]'))
        p.start()
        try:
            yield c, p
        finally:
            p.stop()
    finally:
        c.stop()


def test_compose_refuse_and_read_from_a_grant_with_the_creators_node_stopped(
    devnet: Devnet, web_dist: Path, browser: Any, screenshots: Path, tmp_path: Path
) -> None:
    creator, holder, stranger = devnet.accounts[5], devnet.accounts[6], devnet.accounts[7]
    w3 = Web3(HTTPProvider(devnet.rpc_url))
    chain = ChainClient(
        devnet.rpc_url, Artifacts.load(MANIFEST), Deployment.load(devnet.deployments, w3.eth.chain_id)
    )

    with contextlib.ExitStack() as stack, two_nodes(devnet, web_dist, tmp_path) as (c, p):

        def user(node: NodeProcess, account: Any, width: int = 1024) -> App:
            """A fresh browser context with ``account``'s wallet, connected, on ``node``'s app."""
            wallet = TestWallet(account, devnet.rpc_url, w3.eth.chain_id, known_chains={w3.eth.chain_id})
            context = browser.new_context(viewport={"width": width, "height": 800})
            stack.callback(context.close)
            app = App(context, node, wallet, screenshots)
            app.goto("/")
            app.connect()
            return app

        # The holder creates the encryption key (two signatures) in Settings and publishes it on P.
        fan = user(p, holder)
        fan.goto("/settings").get_by_role("button", name="Create and publish my encryption key").click()
        published = fan.page.get_by_test_id("encryption-key").inner_text()
        assert fan.wallet.prompts.count("personal_sign") == 2
        fan.shot("exclusive-key")
        assert fan.axe() == []
        profile = httpx.get(f"{p.url}/v1/users/{holder.address}/profile").json()
        assert profile["fields"]["encryptionKey"] == published

        # The creator opens Compose on C, then launches a token, and the holder buys 10 of it.
        author = user(c, creator, width=360)  # a phone
        page = author.goto("/compose")
        token = chain.launch_token(import_key(bytes(creator.key)), "Creator", "CRE").token
        chain.buy(import_key(bytes(holder.key)), token, 10 * WHOLE)

        def launched_on_c() -> bool:
            return any(t["creator"] == creator.address for t in httpx.get(c.url + "/v1/creators").json())

        wait_for(launched_on_c, "C to index the launch", timeout=GRANT_TIMEOUT_S)

        # The creator composes: at least 5 CRE, the gate named by the creator's own address (which
        # the page must resolve with the node's creators as they are now, not as the page loaded).
        page.get_by_label("Public teaser").fill("new track for holders")
        page.get_by_label("Exclusive text").fill("the secret track")
        page.get_by_label("Token or creator address").fill(creator.address.lower())
        page.get_by_label("At least (tokens)").fill("5")
        expect(page.locator(".gate-preview")).to_have_text("Readers need at least 5 CRE.")
        page.get_by_label("Your node's admin token").fill("not the token")
        page.get_by_role("button", name="Publish exclusive post").click()
        refusal = page.locator(".compose-exclusive [role=alert]")
        expect(refusal).to_contain_text("Your node refused the admin token")
        expect(refusal).to_have_attribute("data-reason", "wrong_admin_token")
        page.get_by_label("Your node's admin token").fill(ADMIN)
        page.get_by_role("button", name="Publish exclusive post").click()
        post_id = page.get_by_test_id("exclusive-post-id").inner_text()
        author.shot("exclusive-compose")
        assert author.axe() == []
        assert "personal_sign" not in author.wallet.prompts  # the post and SignerAdd are typed data
        stored = httpx.get(f"{c.url}/v1/posts/{post_id}").json()["post"]["message"]
        assert stored["text"] == "new track for holders" and "the secret track" not in str(stored)
        assert stored["gate"] == encode_gate(Balance(w3.eth.chain_id, token, 5 * WHOLE)).decode()
        grant_signer = httpx.get(c.url + "/v1/gating").json()["signer"]
        assert grant_signer in httpx.get(f"{c.url}/v1/users/{creator.address}/signers").json()

        def granted_on_p() -> bool:
            return httpx.get(f"{p.url}/v1/posts/{post_id}/grants/{holder.address}").status_code == 200

        wait_for(granted_on_p, "the holder's grant to reach P", timeout=GRANT_TIMEOUT_S)

        # A non-holder asks C to unlock: a rejected wallet prompt, then the refusal, in words.
        other = user(c, stranger)
        page = other.goto(f"/p/{post_id}")
        locked = page.locator(".exclusive.locked")
        expect(locked).to_contain_text("Exclusive: for holders of at least 5 CRE.")
        other.wallet.reject_next = True
        locked.get_by_role("button", name="Unlock").click()
        refusal = locked.get_by_role("alert")
        expect(refusal).to_have_text("You rejected the request in your wallet.")
        locked.get_by_role("button", name="Unlock").click()
        expect(refusal).to_contain_text(
            "You don't meet this post's gate: it is for holders of at least 5 CRE"
        )
        expect(refusal).to_have_attribute("data-reason", "gate_not_met")
        other.shot("exclusive-refused")
        assert other.axe() == []

        # C goes away; the holder, in a fresh context, reads from the grant on P.
        c.stop()
        with pytest.raises(httpx.TransportError):
            httpx.get(c.url + "/health")
        reader = user(p, holder)
        page = reader.goto(f"/p/{post_id}")
        page.locator(".exclusive.locked").get_by_role("button", name="Unlock").click()
        expect(page.get_by_test_id("exclusive-text")).to_have_text("the secret track")
        reader.shot("exclusive-read")
        # one signature, of the key message: the same key came back, and no online unlock was asked
        assert reader.wallet.prompts == ["eth_requestAccounts", "personal_sign"]
