"""User-owned moderation and communities through the API: every rule is a signed message, each
view applies it, and nothing disappears silently (``show_hidden`` says who hid what and why)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from node.identity import Key, create_key
from node.messages import message_to_json
from node.messages.community import community_id

from .conftest import CHAIN_ID

NOW = int(time.time())


def hexid(m) -> str:
    return "0x" + m.id.hex()


class Net:
    """Signs as a user and submits through the API; every message must be accepted."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def post(self, key: Key, type_: str, at: int = 0, **fields):
        m = key.sign(type_, {"timestamp": NOW - 1000 + at, **fields}, chain_id=CHAIN_ID)
        r = self.client.post("/v1/messages", json=message_to_json(m))
        assert r.status_code == 201, r.text
        return m

    def get(self, path: str, **params):
        r = self.client.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def net(client: TestClient) -> Net:
    return Net(client)


def ids(page) -> list[str]:
    return [item["id"] for item in page["items"]]


def test_a_creator_hides_a_reply_under_her_post_for_every_viewer_and_can_undo_it(net, alice, bob):
    carol = create_key()
    root = net.post(alice, "Post", 1, text="new track out")
    hater = net.post(bob, "Post", 2, text="this is bad", replyTo=root.id)
    fan = net.post(carol, "Post", 3, text="love it", replyTo=root.id)
    thread = f"/v1/posts/{hexid(root)}/thread"
    assert ids(net.get(thread)) == [hexid(root), hexid(hater), hexid(fan)]

    net.post(carol, "ReplyHide", 4, post=hater.id)  # not the parent's author: no effect
    assert ids(net.get(thread)) == [hexid(root), hexid(hater), hexid(fan)]

    net.post(alice, "ReplyHide", 5, post=hater.id)
    page = net.get(thread)
    assert ids(page) == [hexid(root), hexid(fan)] and page["hidden_count"] == 1
    for viewer in (None, carol.address):
        params = {"show_hidden": "true", **({"viewer": viewer} if viewer else {})}
        shown = net.get(thread, **params)
        assert ids(shown) == [hexid(root), hexid(hater), hexid(fan)]
        assert shown["hidden"] == {
            hexid(hater): [{"reason": "hidden_by_post_author", "by": alice.address, "detail": ""}]
        }
    # the reply still exists for its author and the network
    assert net.get(f"/v1/messages/{hexid(hater)}")["id"] == hexid(hater)

    net.post(alice, "ReplyHide", 6, post=hater.id, active=False)
    assert ids(net.get(thread)) == [hexid(root), hexid(hater), hexid(fan)]


def test_a_block_keeps_the_blocked_out_of_the_blockers_threads_and_a_mute_out_of_the_muters_feed(
    net, alice, bob
):
    carol = create_key()
    root = net.post(alice, "Post", 1, text="hello")
    reply = net.post(bob, "Post", 2, text="again me", replyTo=root.id)
    net.post(alice, "Block", 3, target=bob.address)
    thread = net.get(f"/v1/posts/{hexid(root)}/thread", show_hidden="true")
    assert thread["hidden"][hexid(reply)] == [
        {"reason": "blocked_by_post_author", "by": alice.address, "detail": ""}
    ]

    net.post(carol, "Follow", 1, target=alice.address)
    net.post(carol, "Follow", 1, target=bob.address)
    bobs = net.post(bob, "Post", 4, text="top level")
    feed = f"/v1/users/{carol.address}/feed"
    assert hexid(bobs) in ids(net.get(feed))
    net.post(carol, "Mute", 5, target=bob.address)
    assert hexid(bobs) not in ids(net.get(feed))
    assert hexid(bobs) in ids(net.get(f"/v1/users/{bob.address}/posts"))  # muting is carol's view only
    muted = net.get(f"/v1/users/{bob.address}/posts", viewer=carol.address, show_hidden="true")
    assert muted["hidden"][hexid(bobs)] == [{"reason": "muted", "by": carol.address, "detail": ""}]
    net.post(carol, "Mute", 6, target=bob.address, active=False)
    assert hexid(bobs) in ids(net.get(feed))


def test_a_paid_partnership_is_shown_wherever_the_post_is(net, alice, bob):
    carol = create_key()
    post = net.post(alice, "Post", 1, text="my favourite synth")
    net.post(alice, "Disclosure", 2, post=post.id, paidBy=bob.address)
    net.post(
        carol, "Disclosure", 2, post=post.id, paidBy=carol.address[:2] + "1" * 40
    )  # not the author's: inert
    assert net.get(f"/v1/posts/{hexid(post)}")["paid_by"] == [bob.address]
    assert net.get(f"/v1/users/{alice.address}/posts")["paid_by"] == {hexid(post): [bob.address]}
    net.post(carol, "Follow", 1, target=alice.address)
    assert net.get(f"/v1/users/{carol.address}/feed")["paid_by"] == {hexid(post): [bob.address]}


def test_a_communitys_view_shows_its_members_posts_and_its_moderators_hides_with_their_reasons(
    net, client, alice, bob
):
    mod, joiner, outsider, leaver = create_key(), create_key(), create_key(), create_key()
    synth = community_id(alice.address, "synth")
    cid = "0x" + synth.hex()
    net.post(alice, "Charter", 0, handle="synth", field="name", value="Synth makers")
    net.post(alice, "Charter", 0, handle="synth", field="topics", value="modular,music")
    net.post(alice, "Charter", 0, handle="synth", field="moderators", value=mod.address)
    net.post(bob, "Membership", 1, community=synth)
    member_post = net.post(bob, "CommunityPost", 2, community=synth, text="my patch")
    early = net.post(joiner, "CommunityPost", 2, community=synth, text="before joining")
    net.post(joiner, "Membership", 3, community=synth)
    outside = net.post(outsider, "CommunityPost", 4, community=synth, text="never joined")
    net.post(leaver, "Membership", 1, community=synth)
    net.post(leaver, "Membership", 2, community=synth, active=False)
    gone = net.post(leaver, "CommunityPost", 4, community=synth, text="after leaving")
    founders = net.post(alice, "CommunityPost", 5, community=synth, text="welcome")
    net.post(bob, "Membership", 6, community=synth, active=False)  # leaving later keeps what he posted

    posts = f"/v1/communities/{cid}/posts"
    assert ids(net.get(posts)) == [hexid(founders), hexid(member_post)]
    every = net.get(posts, show_hidden="true")
    assert every["hidden_count"] == 3
    for post in (early, outside, gone):
        assert [h["reason"] for h in every["hidden"][hexid(post)]] == ["not_a_member"]

    net.post(outsider, "ModHide", 7, community=synth, post=member_post.id, reason="spam")  # not a moderator
    assert ids(net.get(posts)) == [hexid(founders), hexid(member_post)]
    net.post(mod, "ModHide", 8, community=synth, post=member_post.id, reason="off topic")
    assert ids(net.get(posts)) == [hexid(founders)]
    hidden = net.get(posts, show_hidden="true")["hidden"][hexid(member_post)]
    assert hidden == [{"reason": "hidden_by_moderator", "by": mod.address, "detail": "off topic"}]
    # the post still exists for its author and the wider network
    assert hexid(member_post) in ids(net.get(f"/v1/users/{bob.address}/posts"))
    # a moderator taken off the charter: their hides stop counting
    net.post(alice, "Charter", 9, handle="synth", field="moderators", value="")
    assert ids(net.get(posts)) == [hexid(founders), hexid(member_post)]

    community = net.get(f"/v1/communities/{cid}")
    assert (community["founder"], community["handle"], community["topics"]) == (
        alice.address,
        "synth",
        ["modular", "music"],
    )
    assert community["charter"]["name"] == "Synth makers" and community["moderators"] == [alice.address]
    assert community["activity"] == {"members": 1, "posts_week": 5, "authors_week": 5, "tips_week": None}
    assert [m["address"] for m in net.get(f"/v1/communities/{cid}/members")["items"]] == [joiner.address]
    assert net.get(f"/v1/users/{joiner.address}/communities") == [{"community": cid, "since": NOW - 1000 + 3}]

    found = net.get("/v1/discover/communities", topic="music")
    assert [c["id"] for c in found] == [cid]
    assert net.get("/v1/discover/communities", topic="knitting") == []
    missing = client.get("/v1/communities/0x" + "ab" * 32)
    assert missing.status_code == 404 and missing.json()["reason"] == "no_community"


def test_the_user_chooses_the_feed_following_communities_or_ranked_by_engagement(net, client, alice, bob):
    carol, dave = create_key(), create_key()
    synth, knit = community_id(alice.address, "synth"), community_id(bob.address, "knit")
    net.post(alice, "Charter", 0, handle="synth", field="name", value="Synth")
    net.post(bob, "Charter", 0, handle="knit", field="name", value="Knit")
    for community in (synth, knit):
        net.post(carol, "Membership", 1, community=community)
    quiet = net.post(alice, "CommunityPost", 50, community=synth, text="newest, no one cares")
    loved = net.post(bob, "CommunityPost", 10, community=knit, text="older, loved")
    stranger = net.post(dave, "CommunityPost", 20, community=knit, text="dave never joined")
    for fan in (dave, create_key(), create_key()):
        net.post(fan, "Reaction", 30, post=loved.id, kind="like")
    net.post(dave, "Post", 31, text="so good", replyTo=loved.id)
    feed = f"/v1/users/{carol.address}/feed"

    assert ids(net.get(feed)) == []  # carol follows nobody
    communities = net.get(feed, algorithm="communities")
    assert ids(communities) == [hexid(quiet), hexid(loved)] and communities["hidden_count"] == 1
    ranked = net.get(feed, algorithm="engagement")
    assert ids(ranked) == [hexid(loved), hexid(quiet)]
    why = ranked["ranking"][hexid(loved)]
    assert (why["reactors"], why["repliers"], why["tips"]) == (3, 1, 0) and why["score"] > 0
    assert ranked["ranking"][hexid(quiet)]["score"] == 0
    assert hexid(stranger) not in ranked["ranking"]
    first = net.get(feed, algorithm="engagement", limit=1)
    assert ids(first) == [hexid(loved)] and first["next_cursor"] == "1." + loved.id.hex()
    second = net.get(feed, algorithm="engagement", limit=1, cursor=first["next_cursor"])
    assert ids(second) == [hexid(quiet)] and second["next_cursor"] == "2." + quiet.id.hex()
    last = net.get(feed, algorithm="engagement", limit=1, cursor=second["next_cursor"])
    assert (ids(last), last["hidden_count"], last["next_cursor"]) == ([], 1, None)  # dave's, not a member
    refused = client.get(feed, params={"algorithm": "engagement", "cursor": "500." + "ab" * 32})
    assert refused.status_code == 400
    assert client.get(feed, params={"algorithm": "loudest"}).status_code == 422
