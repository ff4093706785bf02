"""Discovery over a real store file and a real chain (anvil, the deployed contracts, the indexer):
the facts it gathers from both, and the adversarial case: fresh keys' likes against real tips."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from benchmarks._devnet import WAD
from node.api import ApiContext, create_app
from node.config import DiscoverSettings
from node.discover import DAY, Scope, SignalKind, discover_creators
from node.identity import Key, import_key
from node.messages import keccak
from node.messages.community import community_id
from node.store import Store

CHAIN_ID = 31337
NOW = int(time.time())


def _fresh(name: str) -> Key:
    return import_key(keccak(f"discover test {name}".encode()))


def _sign(key: Key, type_: str, age: int = 60, **fields: object):
    return key.sign(type_, {"timestamp": NOW - age, **fields}, chain_id=CHAIN_ID)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "store.sqlite", CHAIN_ID)
    yield s
    s.close()


@pytest.fixture
def network(store, client, keys, make_indexer):
    """A sybil creator whose two posts 200 fresh keys like, and a real creator with three fans
    who follow, tip (0.001 ETH) and buy and hold 2 tokens, plus one fan who tipped dust."""
    sybil, real, fans, duster = _fresh("sybil"), keys[2], keys[3:6], keys[6]
    posts = [_sign(sybil, "Post", text=f"like this {i}") for i in range(2)]
    likes = [
        _sign(_fresh(f"bot {i}"), "Reaction", 30, post=p.id, kind="like") for i in range(200) for p in posts
    ]
    real_post = _sign(real, "Post", text="my new song")
    follows = [_sign(fan, "Follow", target=real.address) for fan in fans]
    report = store.ingest([*posts, *likes, real_post, *follows])
    assert report.counts["accepted"] == 2 + 400 + 1 + 3
    token = client.launch_token(real, "Real Token", "REAL").token
    for fan in fans:
        client.tip(fan, real.address, 10**15, post_id=real_post.id)
        client.buy(fan, token, 2 * WAD)
    client.tip(duster, real.address, 10**13)  # below the minimum: dust
    indexer = make_indexer()
    indexer.poll_once()
    return sybil, real, fans, indexer


def test_two_hundred_fresh_likes_do_not_outrank_three_real_tippers(store, network):
    """The numbers: the sybil creator has 200 fresh likers, no followers: 0.5 * log2(1 + 200 *
    0.5) / (0 + 10) = 0.33; the real creator has 3 fans who tip, buy and hold, and follow it:
    3 * 5 / (3 + 10) = 1.15 (decay over a minute is negligible)."""
    sybil, real, _, indexer = network
    found = discover_creators(store, indexer, now=NOW, window_seconds=30 * DAY)
    assert [s.creator for s in found.results] == [real.address, sybil.address]
    top, bottom = found.results
    assert (top.followers, top.engagers) == (3, 3)  # the dust tipper is no engager
    assert set(top.by_kind) == {SignalKind.TIP} and top.by_kind[SignalKind.TIP].engagers == 3
    assert top.score == pytest.approx(15 / 13, rel=1e-3)
    assert (bottom.followers, bottom.engagers, bottom.fresh_engagers) == (0, 200, 200)
    assert bottom.by_kind == {}
    assert bottom.score == pytest.approx(0.333, abs=1e-3)
    assert found.chain_head == indexer.indexed_block


def test_a_liker_followed_by_accounts_with_chain_history_counts_more(store, network):
    _, _, fans, indexer = network
    liker, creator = _fresh("vouched liker"), _fresh("small creator")
    post = _sign(creator, "Post", text="hello")
    store.ingest([post, _sign(liker, "Reaction", post=post.id, kind="like")])
    alone = discover_creators(store, indexer, now=NOW, window_seconds=DAY, scope=Scope.of([creator.address]))
    assert alone.results[0].by_kind == {} and alone.results[0].fresh_engagers == 1
    store.ingest([_sign(fan, "Follow", target=liker.address) for fan in fans])  # fans have tipped: on chain
    vouched = discover_creators(
        store, indexer, now=NOW, window_seconds=DAY, scope=Scope.of([creator.address])
    )
    (score,) = vouched.results
    assert score.by_kind[SignalKind.REACTION].points == pytest.approx(0.5 * 0.5, rel=1e-3)
    assert score.score > alone.results[0].score


def test_without_a_chain_replies_and_reactions_rank_alone(store):
    a, b, c = _fresh("a"), _fresh("b"), _fresh("c")
    post = _sign(a, "Post", text="a question")
    gone = _sign(b, "Post", text="deleted later")
    store.ingest(
        [
            post,
            gone,
            _sign(b, "Post", replyTo=post.id, text="an answer"),
            _sign(c, "Reaction", post=gone.id, kind="like"),
            _sign(a, "Reaction", post=post.id, kind="like"),  # the creator's own: never counts
        ]
    )
    store.ingest([_sign(b, "PostDelete", 10, post=gone.id)])
    found = discover_creators(store, None, now=NOW, window_seconds=DAY)
    assert [(s.creator, s.engagers) for s in found.results] == [(a.address, 1)]
    assert found.chain_head is None
    old = discover_creators(store, None, now=NOW + 2 * DAY, window_seconds=DAY)
    assert old.results == []  # the window moved past every signal


def test_the_api_explains_each_score(store, network):
    _, real, _, indexer = network
    app = create_app(
        ApiContext(store, CHAIN_ID, chain=indexer, discover=DiscoverSettings(max_window_days=60))
    )
    with TestClient(app, backend="trio") as http:
        r = http.get("/v1/discover/creators", params={"window_days": 7})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["window_days"] == 7 and body["chain_head"] == indexer.indexed_block
        top = body["creators"][0]
        assert (top["creator"], top["band"], top["followers"]) == (real.address, "nano", 3)
        explained = top["explanation"]
        assert explained["audience"] == 13 and explained["by_kind"]["tip"]["engagers"] == 3
        assert top["score"] == pytest.approx(explained["engagement"] / explained["audience"])
        assert http.get("/v1/discover/creators", params={"band": "micro"}).json()["creators"] == []
        assert len(http.get("/v1/discover/creators", params={"limit": 1}).json()["creators"]) == 1
        too_long = http.get("/v1/discover/creators", params={"window_days": 61})
        assert too_long.status_code == 400 and "window_days" in too_long.json()["detail"]
        assert http.get("/v1/discover/creators", params={"limit": 150}).status_code == 400
        assert http.get("/v1/discover/creators", params={"band": "giga"}).status_code == 422


def test_a_community_or_topic_counts_only_engagement_with_its_posts(store):
    founder, a, b = _fresh("founder"), _fresh("synth maker"), _fresh("folk singer")
    fans = [_fresh(f"fan {i}") for i in range(3)]
    synth, folk = community_id(founder.address, "synth"), community_id(founder.address, "folk")
    a_post = _sign(a, "CommunityPost", community=synth, text="new patch")
    b_post = _sign(b, "CommunityPost", community=folk, text="new ballad")
    b_plain = _sign(b, "Post", text="outside any community")
    store.ingest(
        [
            _sign(founder, "Charter", handle="synth", field="topics", value="electronic,music"),
            _sign(founder, "Charter", handle="folk", field="topics", value="acoustic,music"),
            a_post,
            b_post,
            b_plain,
            *(_sign(f, "CommunityReaction", community=synth, post=a_post.id, kind="like") for f in fans[:1]),
            *(_sign(f, "Reaction", post=b_plain.id, kind="like") for f in fans),
            _sign(fans[1], "CommunityPost", community=folk, replyTo=b_post.id, text="lovely"),
        ]
    )
    everything = discover_creators(store, None, now=NOW, window_seconds=DAY)
    assert {(s.creator, s.engagers) for s in everything.results} == {(a.address, 1), (b.address, 3)}
    in_folk = discover_creators(
        store, None, now=NOW, window_seconds=DAY, scope=Scope(communities=frozenset([folk]))
    )
    assert [(s.creator, s.engagers, set(s.by_kind)) for s in in_folk.results] == [(b.address, 1, set())]
    assert in_folk.results[0].fresh_engagers == 1  # the reply, not the three likes outside folk
    app = create_app(ApiContext(store, CHAIN_ID))
    with TestClient(app, backend="trio") as http:

        def ranked(**params):
            r = http.get("/v1/discover/creators", params=params)
            assert r.status_code == 200, r.text
            return [c["creator"] for c in r.json()["creators"]]

        assert ranked(community="0x" + synth.hex()) == [a.address]
        assert ranked(topic="acoustic") == [b.address]
        assert sorted(ranked(topic="music")) == sorted([a.address, b.address])
        assert ranked(topic="jazz") == []
