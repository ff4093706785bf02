"""Search and discovery in a real browser against a real node and chain: searching by a word's
start finds a post (shown as text, never as HTML, with more results a page at a time) and a
community; the Discover page ranks a creator a fan tipped on chain, with the numbers that made
the score in words, by follower band and by community topic; keyboard only, at 360 px."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from playwright.sync_api import expect

from benchmarks._devnet import send
from benchmarks._processes import wait_for
from node.messages import message_to_json, sign_message
from node.messages.community import community_id
from tests.web.conftest import App, Devnet
from tests.web.test_communities import PHONE, fits
from tests.web.test_money import Chain, artifacts

WORD = "zyxophone"  # in no other test's text
PAGE = 20  # the search page's page size (web/src/pages/search.tsx)


def submit(node_url: str, author: LocalAccount, chain_id: int, type_: str, **fields: Any) -> str:
    """Sign a message as ``author`` and hand it to the node; returns its id."""
    message = sign_message(type_, fields, bytes(author.key), chain_id)
    answer = httpx.post(f"{node_url}/v1/messages", json=message_to_json(message)).json()
    assert answer["outcome"] == "accepted", answer
    return str(answer["id"])


def test_search_finds_posts_and_a_community_and_discover_explains_a_tipped_creator(
    open_app: Callable[..., App], devnet: Devnet
) -> None:
    app = open_app(width=PHONE)
    url, chain = app.node.url, Chain(devnet)
    alice, fan = Account.create(), chain.funded()
    cid = community_id(alice.address, "zyx-circle")
    submit(url, alice, chain.chain_id, "Profile", field="name", value=f"Ada {WORD.title()}")
    submit(url, alice, chain.chain_id, "Charter", handle="zyx-circle", field="name", value="Zyxophone Circle")
    submit(url, alice, chain.chain_id, "Charter", handle="zyx-circle", field="topics", value=WORD)
    first = submit(url, alice, chain.chain_id, "CommunityPost", community=cid, text=f"<b>{WORD}</b> tonight")
    for n in range(PAGE):
        submit(url, alice, chain.chain_id, "Post", text=f"{WORD} take {n}")
    jar = chain.w3.eth.contract(chain.tip_jar, abi=artifacts.abi("TipJar"))
    send(chain.w3, fan, jar.functions.tip(alice.address, bytes.fromhex(first[2:]), "bravo"), value=10**15)
    submit(
        url,
        fan,
        chain.chain_id,
        "CommunityPost",
        community=cid,
        text="so good",
        replyTo=bytes.fromhex(first[2:]),
    )
    wait_for(lambda: httpx.get(f"{url}/v1/posts/{first}/tips").json(), "the tip indexed", timeout=20)

    page = app.goto("/search")
    page.get_by_label("Words").fill(WORD[:5])  # the start of a word finds it
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/#/search/posts/{WORD[:5]}")
    results = page.locator("#results")
    expect(results.locator("article.post")).to_have_count(PAGE)
    page.get_by_role("button", name="More results").click()
    expect(results.locator("article.post")).to_have_count(PAGE + 1)
    expect(page.get_by_role("button", name="More results")).to_have_count(0)
    shown = results.locator(f'article.post[data-id="{first}"]')
    expect(shown.locator("p.text")).to_have_text(f"<b>{WORD}</b> tonight")  # others' text is text
    expect(shown.locator("b")).to_have_count(0)
    app.shot("search-posts-360px")
    page.get_by_role("navigation", name="Search in").get_by_role("link", name="Communities").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/#/search/communities/{WORD[:5]}")
    community = results.get_by_role("link", name="Zyxophone Circle")
    expect(community).to_have_attribute("href", f"#/c/0x{cid.hex()}")
    page.get_by_role("navigation", name="Search in").get_by_role("link", name="People").click()
    person = results.locator(f'li[data-address="{alice.address}"]')
    expect(person.get_by_role("link", name=f"Ada {WORD.title()}")).to_have_attribute(
        "href", f"#/u/{alice.address}"
    )
    fits(app, PHONE)
    app.shot("search-people-360px")
    page.get_by_label("Words").fill("***")  # no word in it: the node refuses, the page says so
    page.keyboard.press("Enter")
    expect(page.locator(".error-note")).to_contain_text("The node refused that input.")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Discover").click()
    creator = page.locator(f'#creators li[data-address="{alice.address}"]')
    expect(creator.locator(".score")).to_have_text("score 0.5")  # 5 points of one tip / (0 + 10)
    why = creator.locator("ul.why")
    expect(why).to_contain_text(
        "Score 0.5 = engagement 5 ÷ audience 10 (0 followers + 10 added to every audience)."
    )
    expect(why).to_contain_text("1 account tipped: 5 points.")
    expect(creator.get_by_role("link").first).to_have_attribute("href", f"#/u/{alice.address}")
    page.get_by_label("Any size").focus()
    page.keyboard.press("ArrowRight")  # the next band: nano
    expect(page.get_by_label("Nano (under 1k)")).to_be_checked()
    expect(creator).to_be_visible()
    page.get_by_label("Micro").check()
    expect(page.locator(".empty")).to_contain_text("No creator drew engagement")
    page.get_by_label("Any size").check()
    page.get_by_label("Topic").fill(WORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2)).to_contain_text(f"Engaging in #{WORD}")
    expect(page.locator("#creators li.creator-line")).to_have_count(1)  # only the fan's reply there
    expect(creator.locator("ul.why")).to_contain_text("1 account tipped: 5 points.")
    fits(app, PHONE)
    app.shot("discover-360px")
    page.emulate_media(color_scheme="dark")
    assert app.axe() == []
