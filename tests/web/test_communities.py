"""Communities and user-owned moderation in a real browser against a real node: founding a
community field by field, joining it, posting into it, a moderator hiding a post with a reason
that "show hidden" then lists; a creator hiding a hater's reply (and undoing it); muting; a
paid-partnership disclosure shown wherever the post is. Every message is signed by the app key
(no wallet prompt after the one that adds it) and checked by the node."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from eth_account import Account
from playwright.sync_api import Page, expect

from node.messages.community import community_id
from tests.web.conftest import App
from tests.web.test_social import SIGN, add_app_key, post

PHONE = 360


def fits(app: App, width: int) -> None:
    """Nothing on the page is wider than the screen, and axe-core finds nothing serious."""
    assert app.page.evaluate("document.documentElement.scrollWidth") <= width
    assert app.axe() == []


def reopen(app: App, route: str) -> Page:
    """Open ``route`` afresh, even when the page is on it already (a hash change loads it)."""
    app.goto("/compose")
    return app.goto(route)


def found(app: App, handle: str, **fields: str) -> str:
    """Found a community in the browser; returns its id (from the page it lands on)."""
    page = app.goto("/communities")
    page.get_by_label("Handle").fill(handle)
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Found the community").click()
    page.wait_for_url("**/#/c/0x*")
    return page.url.rsplit("/", 1)[-1]


def test_found_join_post_and_hide_a_post_as_moderator_with_a_reason(open_app: Callable[..., App]) -> None:
    alice, bob = open_app(width=PHONE), open_app()
    add_app_key(alice)
    cid = found(
        alice,
        "jazz-cellar",
        Name="Jazz Cellar",
        About="Records, gigs and the people who play them.",
        Rules="Be kind. No spam.",
        Topics="Vinyl, jazz",
        **{"Moderators besides you": f"{bob.wallet.address.lower()}, {alice.wallet.address}"},
    )
    assert cid == "0x" + community_id(alice.wallet.address, "jazz-cellar").hex()
    page = alice.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Jazz Cellar")
    expect(page.locator("#rules")).to_have_text("Be kind. No spam.")
    expect(page.locator("#moderators")).to_contain_text("founder")
    charter = httpx.get(f"{alice.node.url}/v1/communities/{cid}").json()
    assert charter["topics"] == ["jazz", "vinyl"]  # one Charter message per field, canonical
    assert charter["charter"]["name"] == "Jazz Cellar"
    assert charter["charter"]["moderators"] == bob.wallet.address  # EIP-55, the founder left out
    assert sorted(charter["moderators"]) == sorted([alice.wallet.address, bob.wallet.address])

    add_app_key(bob)
    page = bob.goto("/communities")
    page.get_by_label("Topic", exact=True).fill("jazz")
    page.get_by_role("button", name="Find").click()
    page.locator("#discovered").get_by_role("link", name="Jazz Cellar").click()
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("button", name="Leave")).to_be_visible()
    expect(page.locator("#members")).to_contain_text(bob.wallet.address[:6])
    form = page.get_by_label("Your post")
    for text in ("Anyone into hard bop?", "Cheap watches, click here"):
        form.fill(text)
        page.get_by_role("button", name="Post", exact=True).click()
        expect(page.locator("#community-posts")).to_contain_text(text)
    expect(page.locator("#activity")).to_contain_text("1 member")
    bob.shot("communities-community")
    assert bob.axe() == []

    page = reopen(alice, f"/c/{cid}")
    posts = page.locator("#community-posts")
    posts.locator("article.post", has_text="hard bop").get_by_role("button", name="Like").click()
    expect(posts.get_by_role("button", name="Liked")).to_be_visible()  # a CommunityReaction
    spam = posts.locator("article.post", has_text="Cheap watches")
    spam.get_by_role("button", name="Hide with reason…").focus()  # keyboard only from here
    page.keyboard.press("Enter")
    expect(spam.get_by_label("Why hide this post from the community?")).to_be_focused()
    page.keyboard.type("spam, see rule 2")
    page.keyboard.press("Enter")
    expect(posts).not_to_contain_text("Cheap watches")
    expect(posts).to_contain_text("Anyone into hard bop?")
    expect(page.locator(".hidden-bar")).to_contain_text("1 hidden post here.")
    page.get_by_role("button", name="Show hidden (1)").click()
    note = posts.locator("article.post", has_text="Cheap watches").locator(".hidden-note")
    expect(note).to_contain_text("Hidden by a moderator")
    expect(note).to_contain_text("“spam, see rule 2”")
    expect(note.locator("a[title]")).to_have_attribute("title", alice.wallet.address)
    fits(alice, PHONE)
    alice.shot("communities-hidden-360px")
    page.emulate_media(color_scheme="dark")
    assert alice.axe() == []  # the hidden post's colours hold in the dark scheme too
    alice.shot("communities-hidden-dark-360px")
    page.emulate_media(color_scheme="light")
    assert alice.wallet.prompts == ["eth_requestAccounts", SIGN]  # founding, hiding: the app key

    view = httpx.get(f"{alice.node.url}/v1/communities/{cid}/posts", params={"show_hidden": "true"}).json()
    assert [h for hs in view["hidden"].values() for h in hs] == [
        {"reason": "hidden_by_moderator", "by": alice.wallet.address, "detail": "spam, see rule 2"}
    ]
    page = reopen(bob, f"/c/{cid}")  # hidden from the community's view for everyone, said so
    expect(page.locator(".hidden-bar")).to_contain_text("1 hidden post here.")
    expect(page.locator("#community-posts")).not_to_contain_text("Cheap watches")
    page = bob.goto("/")  # the feeds he chooses: his communities', then ranked with why
    page.get_by_label("Your communities", exact=True).check()
    feed = page.locator("#feed")
    expect(feed).to_contain_text("Anyone into hard bop?")
    expect(page.locator(".hidden-bar")).to_contain_text("1 hidden post here.")
    expect(feed).not_to_contain_text("Cheap watches")
    page.get_by_label("Most engaging in your communities").check()
    expect(feed.locator("article.post", has_text="hard bop").locator(".ranking")).to_contain_text("1 reacted")

    page = alice.goto("/communities/vinyl")
    expect(page.locator("#discovered")).to_contain_text("2 posts this week")
    fits(alice, PHONE)
    alice.shot("communities-discover-360px")


def test_a_creator_hides_a_hater_reply_and_mutes_him(open_app: Callable[..., App]) -> None:
    alice, bob = open_app(), open_app()
    add_app_key(alice)
    add_app_key(bob)
    root = post(alice, "My new track is out")
    page = bob.goto(f"/p/{root}")
    page.get_by_label("Your reply").fill("This is garbage")
    page.get_by_role("button", name="Reply", exact=True).click()
    expect(page.locator("#replies")).to_contain_text("This is garbage")
    expect(page.get_by_role("button", name="Hide reply")).to_have_count(0)  # not bob's post

    page = reopen(alice, f"/p/{root}")
    replies = page.locator("#replies")
    replies.get_by_role("button", name="Hide reply").click()
    expect(replies).not_to_contain_text("This is garbage")
    page.get_by_role("button", name="Show hidden (1)").click()
    expect(replies.locator(".hidden-note")).to_contain_text("Hidden by the author of the post it replies to")
    alice.shot("communities-hidden-reply")
    thread = f"{alice.node.url}/v1/posts/{root}/thread"
    assert [m["message"]["text"] for m in httpx.get(thread).json()["items"]] == ["My new track is out"]
    replies.get_by_role("button", name="Unhide reply").click()
    expect(replies.locator(".hidden-note")).to_have_count(0)
    expect(replies).to_contain_text("This is garbage")
    assert len(httpx.get(thread).json()["items"]) == 2  # back for every viewer

    page = alice.goto(f"/u/{bob.wallet.address}")
    expect(page.locator("#posts")).to_contain_text("This is garbage")
    page.get_by_role("button", name="Mute", exact=True).click()
    expect(page.get_by_role("button", name="Unmute")).to_be_visible()
    expect(page.locator("#mute-controls")).to_contain_text("You mute this user")
    expect(page.locator("#posts")).not_to_contain_text("This is garbage")
    expect(page.locator(".hidden-bar")).to_contain_text("1 hidden post here.")
    mutes = httpx.get(f"{alice.node.url}/v1/users/{alice.wallet.address}/mutes").json()
    assert mutes == [{"target": bob.wallet.address, "kind": "mute"}]
    page = bob.goto(f"/u/{bob.wallet.address}")  # muting is alice's view only
    expect(page.locator("#posts")).to_contain_text("This is garbage")

    page = reopen(alice, f"/u/{bob.wallet.address}")
    page.get_by_role("button", name="Unmute").click()
    expect(page.get_by_role("button", name="Mute", exact=True)).to_be_visible()
    expect(page.locator("#posts")).to_contain_text("This is garbage")
    assert httpx.get(f"{alice.node.url}/v1/users/{alice.wallet.address}/mutes").json() == []
    page.get_by_role("button", name="Block", exact=True).click()
    expect(page.locator("#mute-controls")).to_contain_text("You block this user")
    expect(page.get_by_role("button", name="Mute", exact=True)).to_have_count(0)
    expect(page.locator("#posts")).not_to_contain_text("This is garbage")
    replies = reopen(alice, f"/p/{root}").locator("#replies")
    expect(replies).not_to_contain_text("This is garbage")  # blocked under her post, for everyone
    assert len(httpx.get(thread).json()["items"]) == 1
    page = reopen(alice, f"/u/{bob.wallet.address}")
    page.get_by_role("button", name="Unblock").click()
    expect(page.get_by_role("button", name="Block", exact=True)).to_be_visible()
    expect(page.locator("#posts")).to_contain_text("This is garbage")
    assert alice.wallet.prompts == ["eth_requestAccounts", SIGN]


def test_a_paid_partnership_is_disclosed_in_the_followers_feed(open_app: Callable[..., App]) -> None:
    alice, bob = open_app(), open_app(width=PHONE)
    sponsor = Account.create().address
    add_app_key(alice)
    add_app_key(bob)
    page = bob.goto(f"/u/{alice.wallet.address}")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()

    page = alice.goto("/compose")
    page.get_by_label("What do you want to say?").fill("Trying the new Acme strings")
    paid = page.get_by_label("Paid partnership with (optional)")
    paid.fill("0x1234")
    expect(page.get_by_text('"0x1234" is not an address')).to_be_visible()
    expect(page.get_by_role("button", name="Post", exact=True)).to_be_disabled()
    paid.fill(sponsor.lower())
    page.get_by_role("button", name="Post", exact=True).click()
    page.wait_for_url("**/#/p/0x*")
    focus = page.locator("article.post.focus")
    expect(focus.locator(".paid-by")).to_contain_text("Paid partnership with")
    expect(focus.locator(".paid-by a[title]")).to_have_attribute("title", sponsor)
    pid = page.url.rsplit("/", 1)[-1]
    assert httpx.get(f"{alice.node.url}/v1/posts/{pid}").json()["paid_by"] == [sponsor]

    page = bob.goto("/")
    shown = page.locator(f'#feed article[data-id="{pid}"]')
    expect(shown).to_contain_text("Trying the new Acme strings")
    expect(shown.locator(".paid-by")).to_contain_text("Paid partnership with")
    expect(shown.locator(".paid-by a[title]")).to_have_attribute("title", sponsor)
    fits(bob, PHONE)
    bob.shot("communities-paid-partnership-360px")
    page = bob.goto(f"/u/{alice.wallet.address}")
    expect(page.locator(f'#posts article[data-id="{pid}"] .paid-by')).to_contain_text("Paid partnership")
