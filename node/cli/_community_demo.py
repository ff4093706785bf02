"""``mecenate demo --communities``: the README's community story, played with dev accounts.

Ada founds ``synth``, gated on holding 10 of her token, with Babbage as moderator. Mary buys
10 and joins; Nils joins without buying, so the community's view hides his post once the
node's chain index has seen Mary's buy. Ada posts a paid partnership; Hal replies under it and
Ada hides the reply for every viewer; Babbage hides an off-topic post with a reason; Mary mutes
Babbage, for her own feed only. Then discover, the communities of a topic and search.

Every message is signed here with the dev keys and submitted to the node; everything shown is
read back from the node by the very commands a user would type (``community members``,
``community posts --show-hidden``, ``thread``, ``feed``, ``discover``, ``community list``,
``search``), run in this process, so the demo prints what the CLI prints.
"""

from __future__ import annotations

from rich.console import Console

from ..chain import format_wei
from ..messages.community import community_id
from ._dev import DevChain, dev_keys
from ._session import submit_all
from .community import charter_value, list_communities, members, posts
from .discover import discover, search
from .money import UNIT
from .social import Algorithm, disclosures, feed, thread

out = Console()
HANDLE = "synth"
SHOWN = 8  # posts per view printed


def community_story(dev: DevChain) -> None:
    """The story, each step's outcome printed as the node shows it."""
    ada, babbage, mary, nils, hal, sponsor = dev_keys(8)[2:8]
    api, node = dev.api, dev.node
    people = {"Ada": ada, "Babbage": babbage, "Mary": mary, "Nils": nils, "Hal": hal}
    for name, key in people.items():
        out.print(f"{name}: {key.address}")
    out.print(f"sponsor: {sponsor.address}")
    submit_all(api, [dev.sign(k, "Profile", {"field": "name", "value": n}) for n, k in people.items()])

    out.rule("Ada founds synth, gated on 10 ADA, Babbage moderating")
    token = dev.creator_token(ada)
    given = {
        "name": "Synth makers",
        "topics": "music,modular",
        "gate": f"{ada.address}:10",  # TOKEN:MIN, the token named by its creator, as the CLI takes it
        "moderators": babbage.address,
    }
    charter = {f: charter_value(dev.settings, f, v, f) for f, v in given.items()}
    submit_all(
        api,
        [dev.sign(ada, "Charter", {"handle": HANDLE, "field": f, "value": v}) for f, v in charter.items()],
    )
    cid = "0x" + community_id(ada.address, HANDLE).hex()
    out.print(f"{HANDLE}@{ada.address} is {cid}", soft_wrap=True)

    out.rule("Mary buys 10 ADA and joins; Nils joins without buying")
    bought = dev.chain.buy(mary, token, 10 * UNIT)
    out.print(f"Mary bought 10 ADA for {format_wei(bought.value)}")
    for key, text in ((mary, "My first patch: a drone in D"), (nils, "Is a Moog worth it?")):
        join = dev.sign(key, "Membership", {"community": cid})
        submit_all(api, [join, dev.sign(key, "CommunityPost", {"community": cid, "text": text})])
    dev.wait_until(
        lambda: any(
            m["address"] == mary.address and m["counts"]
            for m in api.get(f"/v1/communities/{cid}/members")["items"]
        ),
        "the node's chain index to see Mary's buy",
    )
    members(cid, limit=20, node=node)
    out.print("[dim]the view: Nils does not hold 10 ADA, so his post is hidden (gate_not_met)[/dim]")
    posts(cid, limit=SHOWN, viewer=None, show_hidden=True, node=node)

    out.rule("Ada posts a paid partnership; Hal replies, Ada hides the reply")
    notes = dev.sign(ada, "CommunityPost", {"community": cid, "text": "Sequencer patch notes"})
    submit_all(api, [notes, *disclosures(ada, dev.settings.chain_id, notes.id, [sponsor.address])])
    hate = dev.sign(hal, "Post", {"text": "Overrated noise", "replyTo": notes.id})
    api.submit(hate)
    api.submit(dev.sign(ada, "ReplyHide", {"post": hate.id}))
    thread("0x" + notes.id.hex(), limit=SHOWN, viewer=None, show_hidden=True, node=node)

    out.rule("Babbage, a moderator, hides an off-topic post")
    car = dev.sign(mary, "CommunityPost", {"community": cid, "text": "Selling my car, DM me"})
    api.submit(car)
    api.submit(dev.sign(babbage, "ModHide", {"community": cid, "post": car.id, "reason": "off topic"}))
    posts(cid, limit=SHOWN, viewer=None, show_hidden=True, node=node)

    out.rule("Mary mutes Babbage: gone from her feed only")
    api.submit(dev.sign(babbage, "CommunityPost", {"community": cid, "text": "Patch cable sale this week"}))
    api.submit(dev.sign(mary, "Mute", {"target": babbage.address}))
    feed(mary.address, Algorithm.COMMUNITIES, limit=SHOWN, show_hidden=True, sender=None, node=node)
    out.print("[dim]everyone else's view of synth still shows Babbage's posts:[/dim]")
    posts(cid, limit=SHOWN, viewer=None, show_hidden=False, node=node)

    out.rule("discover, communities by topic, search")
    discover(band=["nano"], window_days=None, community=None, topic=None, limit=5, node=node)
    list_communities(topic="music", limit=5, node=node)
    search("sequencer patch", kind="posts", limit=3, cursor=None, node=node)
