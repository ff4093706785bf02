"""The social flows in a real browser against a real node: one wallet prompt adds an app key,
after which posts, follows, likes and replies need none; the feed fills live; profiles,
revoking app keys, the node's refusals in words, the export of every message; axe-core on every page."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import expect

from node.identity import import_key
from node.messages import message_to_json
from tests.web.conftest import App

CHAIN_ID = 31337
SIGN = "eth_signTypedData_v4"


def add_app_key(app: App) -> str:
    """Connect, add an app key in settings (one wallet prompt); returns the key's address."""
    page = app.goto("/settings")
    app.connect()
    page.get_by_role("button", name="Add an app key for this browser").click()
    status = page.locator("#app-key-status")
    expect(status).to_contain_text("This browser holds app key")
    expect(status).to_contain_text("Mecenate web, Chrome on Linux")
    return status.locator("code").get_attribute("title") or ""


def post(app: App, text: str) -> str:
    """Compose and submit a public post; returns its id (from the thread it lands on)."""
    page = app.goto("/compose")
    page.get_by_label("What do you want to say?").fill(text)
    page.get_by_role("button", name="Post", exact=True).click()
    page.wait_for_url("**/#/p/0x*")
    expect(page.locator("article.post.focus")).to_contain_text(text)
    return page.url.rsplit("/", 1)[-1]


def test_one_prompt_for_the_app_key_then_none_to_post_follow_like_and_reply(
    open_app: Callable[..., App],
) -> None:
    alice, bob = open_app(), open_app()
    alice_key = add_app_key(alice)
    assert alice.wallet.prompts == ["eth_requestAccounts", SIGN]
    signers = httpx.get(f"{alice.node.url}/v1/users/{alice.wallet.address}/signers").json()
    assert signers == [alice_key]
    expect(alice.page.locator("#signers li")).to_contain_text("(this browser)")
    alice.shot("settings")
    assert alice.axe() == []

    first = post(alice, "Hello from Alice, signed by her app key")
    assert alice.wallet.prompts == ["eth_requestAccounts", SIGN]  # no prompt for the post
    assert alice.axe() == []

    add_app_key(bob)
    page = bob.goto(f"/u/{alice.wallet.address}")
    expect(page.get_by_text("Hello from Alice")).to_be_visible()
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
    expect(page.locator("#followers")).to_have_text("1 followers")
    bob.shot("user")
    assert bob.axe() == []
    page.get_by_role("button", name="Unfollow").click()  # and back: the node agrees each time
    expect(page.locator("#followers")).to_have_text("0 followers")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.locator("#followers")).to_have_text("1 followers")

    page = bob.goto("/")
    feed = page.locator("#feed")
    expect(feed).to_contain_text("Hello from Alice")
    page.evaluate("window.__sameDocument = true")
    live_post = post(alice, "A second post, while Bob watches his feed")
    expect(feed.locator(f'article[data-id="{live_post}"]')).to_be_visible()  # live: no reload
    assert page.evaluate("window.__sameDocument") is True
    bob.shot("feed")
    assert bob.axe() == []

    page = bob.goto(f"/p/{first}")
    page.locator("article.post.focus").get_by_role("button", name="Like").click()
    expect(page.locator("#reactions")).to_have_text("1 like")
    page.get_by_label("Your reply").fill("Welcome, Alice!")
    page.get_by_role("button", name="Reply", exact=True).click()
    replies = page.locator("article.post:not(.focus)")
    expect(replies).to_contain_text("Welcome, Alice!")
    assert bob.wallet.prompts == ["eth_requestAccounts", SIGN]  # follow, like, reply: no prompt
    bob.shot("thread")
    thread = httpx.get(f"{bob.node.url}/v1/posts/{first}/thread").json()["items"]
    assert [m["message"]["text"] for m in thread] == [
        "Hello from Alice, signed by her app key",
        "Welcome, Alice!",
    ]
    assert thread[1]["signer"].lower() != bob.wallet.address.lower()  # the app key signed it

    page = bob.goto("/compose")
    assert bob.axe() == []
    bob.shot("compose")


def test_the_node_refusal_is_shown_in_words(app: App) -> None:
    key = add_app_key(app)
    first = post(app, "Before the key is revoked elsewhere")
    # Another device of the same user revokes this browser's key, straight at the node.
    owner = import_key(bytes(app.wallet.account.key))
    revoke = owner.sign("SignerRemove", {"signer": key}, chain_id=CHAIN_ID)
    assert httpx.post(f"{app.node.url}/v1/messages", json=message_to_json(revoke)).status_code == 201
    page = app.goto(f"/p/{first}")
    page.locator("article.post.focus").get_by_role("button", name="Like").click()
    note = page.locator(".error-note")
    expect(note).to_contain_text("That app key was removed; add a new one in Settings.")
    expect(note).to_have_attribute("data-reason", "revoked_signer")


def test_a_rejected_signature_adds_no_app_key(app: App) -> None:
    page = app.goto("/settings")
    app.connect()
    app.wallet.reject_next = True
    page.get_by_role("button", name="Add an app key for this browser").click()
    expect(page.locator(".error-note")).to_have_text("You rejected the request in your wallet.")
    expect(page.get_by_role("button", name="Add an app key for this browser")).to_be_enabled()
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('mecenate.appkey'))") == []
    assert httpx.get(f"{app.node.url}/v1/users/{app.wallet.address}/signers").json() == []


def export(page: object) -> list[dict]:
    """Press Export in settings; the downloaded file's lines."""
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Export my messages (JSON Lines)").click()  # type: ignore[attr-defined]
    return [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]


def test_settings_export_every_message_then_revoke_the_app_key(app: App) -> None:
    add_app_key(app)
    post(app, "A post to export")
    # Signed elsewhere (another device of the same user), straight to the node; a minute ahead
    # (the node allows ten), so it is the newest of the user's messages whatever the clock.
    owner = import_key(bytes(app.wallet.account.key))
    follow = {"target": "0x" + "11" * 20, "timestamp": int(time.time()) + 60}
    elsewhere = message_to_json(owner.sign("Follow", follow, chain_id=CHAIN_ID))
    assert httpx.post(f"{app.node.url}/v1/messages", json=elsewhere).status_code == 201

    page = app.goto("/settings")
    lines = export(page)
    assert [m["type"] for m in lines] == ["SignerAdd", "Post", "Follow"]  # signer messages first
    assert elsewhere in lines and lines[1]["message"]["text"] == "A post to export"
    assert all(m["message"]["author"] == app.wallet.address for m in lines)

    page.get_by_role("button", name="Revoke app key").click()
    page.get_by_role("button", name="Revoke for good").click()
    expect(page.get_by_text("No app keys.")).to_be_visible()
    assert app.wallet.prompts == ["eth_requestAccounts", SIGN, SIGN]  # add, then remove: the wallet
    expect(page.get_by_role("button", name="Add an app key for this browser")).to_be_visible()
    # The node dropped the post the revoked key signed: the export holds what every node accepts.
    assert httpx.get(f"{app.node.url}/v1/users/{app.wallet.address}/posts").json()["items"] == []
    after = export(page)
    assert sorted(m["type"] for m in after[:2]) == ["SignerAdd", "SignerRemove"]
    assert lines[0] in after[:2] and after[2:] == [elsewhere]


def test_profile_editing_on_a_phone_sized_screen(open_app: Callable[..., App]) -> None:
    app = open_app(width=360)
    page = app.goto("/")
    app.connect()
    page = app.goto(f"/u/{app.wallet.address}")
    page.get_by_label("Name").fill("Carol the Creator")
    page.get_by_label("Bio").fill("I make things.")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("heading", name="Carol the Creator")).to_be_visible()
    assert app.wallet.prompts == ["eth_requestAccounts", SIGN, SIGN]  # no app key: each field asks
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    app.shot("profile-360px")
    assert app.axe() == []
