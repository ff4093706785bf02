"""Peering by scope over real libp2p hosts on 127.0.0.1: in a line A - B - C where A and C
serve community 1 and B only the base scope, A and C learn of each other through B and
connect, so a community-1 post made at A reaches C and never lands on B, while base messages
reach all three. And the pure choice of whom to dial."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import trio

from node.identity import create_key
from node.messages import SignedMessage
from node.messages.community import community_id
from node.messages.scope import EVERYTHING, Scopes, scope_name
from node.p2p.discovery import plan_dials

from .conftest import CHAIN, Nodes, wait_for

C1 = community_id("0x" + "22" * 20, "one")
C2 = community_id("0x" + "22" * 20, "two")
C3 = community_id("0x" + "22" * 20, "three")
#: Peer lists every half second: the test does not wait ten seconds for a round.
FAST = {"peer_exchange_seconds": 0.5, "sync_interval_seconds": 2.0}


def test_plan_dials_takes_the_peers_serving_most_of_what_is_short_first() -> None:
    candidates = [("one", Scopes.of([C1])), ("two-three", Scopes.of([C2, C3])), ("none", Scopes.of([]))]
    assert plan_dials({C2: 1, C3: 1}, candidates, 4) == ["two-three"]
    assert plan_dials({C1: 1, C2: 1, C3: 1}, candidates, 4) == ["two-three", "one"]
    assert plan_dials({C1: 2}, [*candidates, ("all", EVERYTHING)], 4) == ["one", "all"]
    assert plan_dials({C1: 1, C2: 1, C3: 1}, candidates, 1) == ["two-three"]  # the budget
    assert plan_dials({C1: 1}, [("none", Scopes.of([]))], 4) == []  # nobody serves it
    assert plan_dials({}, candidates, 4) == []


def _post(text: str, community: bytes | None = None) -> SignedMessage:
    fields: dict[str, object] = {"timestamp": int(time.time()), "text": text}
    if community is None:
        return create_key().sign("Post", fields, chain_id=CHAIN)
    return create_key().sign("CommunityPost", {**fields, "community": community}, chain_id=CHAIN)


@pytest.mark.trio
async def test_nodes_serving_a_community_find_each_other_through_a_node_that_does_not(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            a = await nodes.start("a", scopes=scope_name(C1), **FAST)
            b = await nodes.start("b", bootstrap=(a.addrs[0],), scopes="base", **FAST)
            c = await nodes.start("c", bootstrap=(b.addrs[0],), scopes=scope_name(C1), **FAST)
            sa, sb, sc = (nodes.store(n) for n in "abc")
            await wait_for(lambda: c.peer_id in a.connected_peers(), 20, "A and C to connect")
            assert set(b.connected_peers()) == {a.peer_id, c.peer_id}  # B dials nobody for a scope

            post = _post("in one, made at A", C1)
            base = _post("for everyone, made at A")
            assert sa.ingest([post, base]).counts["accepted"] == 2  # as the API does
            await wait_for(lambda: sc.get(post.id) is not None, 20, "A's community post at C")
            await wait_for(lambda: sb.get(base.id) is not None and sc.get(base.id) is not None, 20, "base")
            assert sb.get(post.id) is None
            from_c = _post("in one, made at C", C1)
            sc.ingest([from_c])
            await wait_for(lambda: sa.get(from_c.id) is not None, 20, "C's community post at A")
            assert sb.get(from_c.id) is None and len(sb) == 1
            for node in (a, b, c):
                assert not any(p.faults_total for p in node.peers.all())
        finally:
            nodes.close()


@pytest.mark.trio
async def test_a_node_keeps_scope_peers_up_to_its_bound(tmp_path: Path) -> None:
    """Hub H serves nothing but the base scope; five nodes serving community 1 hang off it.
    With ``scope_peers`` 2, each dials peers until it holds two serving community 1; with
    ``max_scope_connections`` 1, one dials a single one."""
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            hub = await nodes.start("hub", scopes="base", **FAST)
            spokes = [
                await nodes.start(f"s{i}", bootstrap=(hub.addrs[0],), scopes=scope_name(C1), **FAST)
                for i in range(4)
            ]
            bounded = await nodes.start(
                "bounded", bootstrap=(hub.addrs[0],), scopes=scope_name(C1), max_scope_connections=1, **FAST
            )
            ids = {s.peer_id for s in spokes} | {bounded.peer_id}

            def scope_peers(node: object) -> int:
                return len(ids & set(node.connected_peers()))  # type: ignore[attr-defined]

            await wait_for(lambda: all(scope_peers(s) >= 2 for s in spokes), 20, "two scope peers each")
            await trio.sleep(2)  # a few more rounds: the bounded node would have dialled more by now
            assert len(bounded.discovery.dialled) == 1
        finally:
            nodes.close()
