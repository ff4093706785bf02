"""``mecenate demo``: the walkthrough's stories against a running node and devnet, with dev
accounts, printed as they happen.

The tip story (the default): a creator launches a token, sets a profile and posts; two fans
follow, buy tokens and tip the post (one in ether, one in the creator's own token with a
permit); then the feed, the creator's supporters and the balances are printed, as the node
indexed them from chain logs. The community story (``--communities``, ``_community_demo``):
a gated community, its members, a paid post, a hidden reply, a moderator's hide, a mute, then
discover and search. Both use anvil's well-known funded dev accounts, so they only run against
a development chain.
"""

from __future__ import annotations

import time
from decimal import Decimal

import typer
from rich.console import Console
from rich.table import Table

from ..chain import format_wei
from ._app import app
from ._community_demo import community_story
from ._dev import DevChain, dev_keys
from ._posts import print_page
from ._session import NodeOption, submit_all
from .money import UNIT

out = Console()


@app.command("demo")
def demo(
    node: str | None = NodeOption,
    timeout: float = typer.Option(60.0, "--timeout"),
    communities: bool = typer.Option(
        False,
        "--communities",
        help="Play the community story instead (gated community, moderation, discover).",
    ),
) -> None:
    """Play the creator-and-fans story against a running node on a development chain."""
    dev = DevChain.connect(node, timeout)
    if communities:
        community_story(dev)
    else:
        tip_story(dev)


def tip_story(dev: DevChain) -> None:
    """A creator, two fans, their tips, and what the node shows of them."""
    api, client, cid = dev.api, dev.chain, dev.settings.chain_id
    creator, fan_a, fan_b = dev_keys(5)[2:5]

    out.rule("creator")
    token = dev.creator_token(creator)
    post = creator.sign(
        "Post", {"text": f"Notes on the Analytical Engine, part {int(time.time()) % 1000}"}, chain_id=cid
    )
    submit_all(api, [creator.sign("Profile", {"field": "name", "value": "Ada"}, chain_id=cid), post])
    post_id = "0x" + post.id.hex()
    out.print(f"posted {post_id}")

    out.rule("fans")
    for fan, name in ((fan_a, "Babbage"), (fan_b, "Mary")):
        submit_all(
            api,
            [
                fan.sign("Profile", {"field": "name", "value": name}, chain_id=cid),
                fan.sign("Follow", {"target": creator.address}, chain_id=cid),
            ],
        )
        trade = client.buy(fan, token, 10 * UNIT)
        out.print(f"{name} follows Ada and bought 10 ADA for {format_wei(trade.value)}")
    client.tip(fan_a, creator.address, UNIT // 100, post_id=post_id, memo="for the notes")
    out.print("Babbage tipped 0.01 ETH on the post")
    client.tip(
        fan_b, creator.address, 2 * UNIT, token=token, post_id=post_id, memo="ADA back to Ada", permit=True
    )
    out.print("Mary tipped 2 ADA on the post (EIP-2612 permit, one transaction)")

    out.rule("what the node shows")
    # A node without a chain index answers NotServed (no_chain), which ends the demo with its reason.
    dev.wait_until(lambda: len(api.get(f"/v1/posts/{post_id}/tips")) >= 2, "the node to index both tips")
    print_page(api.get(f"/v1/users/{fan_a.address}/feed", limit=3))
    detail = api.get(f"/v1/creators/{creator.address}")
    listing = detail["token"]
    out.print(
        f"ADA: supply {Decimal(listing['supply']) / UNIT}, price {format_wei(int(listing['price']))}, "
        f"{listing['holders']} holders"
    )
    names = {fan_a.address: "Babbage", fan_b.address: "Mary"}
    table = Table("supporter", "address", "asset", "total", "tips")
    for sup in detail["top_supporters"]:
        asset = "ETH" if sup["token"] is None else "ADA"
        table.add_row(
            names.get(sup["tipper"], "?"),
            sup["tipper"],
            asset,
            str(Decimal(sup["total"]) / UNIT),
            str(sup["count"]),
        )
    out.print(table)
    for fan in (fan_a, fan_b):
        eth = Decimal(client.eth_balance(fan.address)) / UNIT
        out.print(
            f"{names[fan.address]}: {Decimal(client.balance_of(token, fan.address)) / UNIT} ADA, {eth:.4f} ETH"
        )
