"""Scoped replication between real nodes on 127.0.0.1.

Gossip: one topic per scope, each node on the topics of the scopes it serves. A serves
communities 1 and 2, B only 1, C only 2 (B and C know A alone): a post in community 1 reaches B
and never C, base messages reach all, per-scope fingerprints agree where scopes overlap; a node
serving everything relays for the others; a message on a topic of another scope is refused and
counted against the peer that sent it.

Sync (``/mecenate/sync/2.0.0``): only the scopes both peers serve are reconciled; a node that
adds a scope catches up on it; a peer pushing outside the negotiated scopes is counted and
changes nothing; a peer opening the old version is told which one to speak."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trio
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.peer.peerinfo import PeerInfo
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11, GossipSub
from libp2p.pubsub.pubsub import Pubsub
from libp2p.tools.async_service.trio_service import background_trio_service

from node.identity import Key, create_key
from node.messages import SignedMessage, encode_message
from node.messages.community import community_id
from node.messages.scope import scope_name
from node.p2p import SYNC_PROTOCOL, P2PNode, topic_for
from node.p2p.framing import encode_batch, read_frame, write_frame
from node.p2p.host import make_host, parse_listen_addr, parse_peer_addr
from node.p2p.negentropy import Negentropy, SortedKeys
from node.p2p.sync import OLD_SYNC_PROTOCOLS
from node.store import Store

from .conftest import CHAIN, Nodes, wait_for

pytestmark = pytest.mark.trio

FOUNDER = create_key()
C1 = community_id(FOUNDER.address, "one")
C2 = community_id(FOUNDER.address, "two")


def sign(key: Key, type_: str, **fields: object) -> SignedMessage:
    return key.sign(type_, {"timestamp": int(time.time()), **fields}, chain_id=CHAIN)


def posts_in_both(key: Key, n: int) -> tuple[list[SignedMessage], list[SignedMessage]]:
    """``n`` posts by ``key`` in community 1, and ``n`` in community 2."""
    return tuple(  # type: ignore[return-value]
        [sign(key, "CommunityPost", community=c, text=f"{c.hex()[:4]} {i}") for i in range(n)]
        for c in (C1, C2)
    )


@asynccontextmanager
async def lone_node(tmp_path: Path, **settings: object) -> AsyncIterator[tuple[P2PNode, Store]]:
    """One node (``settings`` for its p2p settings) and its store, stopped when done."""
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            yield await nodes.start("b", **settings), nodes.store("b")
        finally:
            nodes.close()


@asynccontextmanager
async def raw_peer(node: P2PNode, protocol: str) -> AsyncIterator[tuple[str, Any]]:
    """A bare libp2p host connected to ``node``: its peer id, and a stream of ``protocol``."""
    evil = make_host(create_new_key_pair())
    async with evil.run([parse_listen_addr("/ip4/127.0.0.1/tcp/0")]):
        info = parse_peer_addr(node.addrs[0])
        await evil.connect(PeerInfo(info.peer_id, info.addrs))
        yield evil.get_id().to_string(), await evil.new_stream(info.peer_id, [protocol])


async def wait_topic(node: P2PNode, scope: bytes, *peers: P2PNode) -> None:
    """Wait until ``node`` has each of ``peers`` in its mesh of ``scope``'s topic."""
    topic = topic_for(CHAIN, scope)
    ids = {p.host.get_id() for p in peers}
    await wait_for(lambda: ids <= node.pubsub.router.mesh.get(topic, set()), 10, f"mesh of {topic}")


async def start_star(nodes: Nodes, a_scopes: str) -> tuple[P2PNode, P2PNode, P2PNode]:
    """A (serving ``a_scopes``) with B (community 1) and C (community 2) connected to it."""
    a = await nodes.start("a", scopes=a_scopes)
    b = await nodes.start("b", bootstrap=(a.addrs[0],), scopes=scope_name(C1))
    c = await nodes.start("c", bootstrap=(a.addrs[0],), scopes=scope_name(C2))
    await wait_topic(b, b"", a)
    await wait_topic(c, b"", a)
    await wait_topic(b, C1, a)
    await wait_topic(c, C2, a)
    await wait_topic(a, C1, b)
    await wait_topic(a, C2, c)
    return a, b, c


async def _star_delivers_by_scope(tmp_path: Path, a_scopes: str) -> None:
    alice, bob = create_key(), create_key()
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            a, b, c = await start_star(nodes, a_scopes)
            sa, sb, sc = (nodes.store(n) for n in "abc")
            assert b.status()["scopes"] == ["base", scope_name(C1)]
            assert b.status()["topics"] == sorted([topic_for(CHAIN), topic_for(CHAIN, C1)])

            in_one = sign(alice, "CommunityPost", community=C1, text="in one")
            in_two = sign(alice, "CommunityPost", community=C2, text="in two")
            base = sign(alice, "Post", text="for everyone")
            report = await trio.to_thread.run_sync(sa.ingest, [in_one, in_two, base])  # as the API does
            assert report.counts["accepted"] == 3
            await wait_for(lambda: sb.get(in_one.id) is not None and sb.get(base.id) is not None, 10, "B")
            await wait_for(lambda: sc.get(in_two.id) is not None and sc.get(base.id) is not None, 10, "C")

            from_b = sign(bob, "CommunityPost", community=C1, text="from B")
            await trio.to_thread.run_sync(sb.ingest, [from_b])
            await wait_for(lambda: sa.get(from_b.id) is not None, 10, "B's post at A")

            # Per-scope fingerprints agree where the nodes' scopes overlap.
            one, two = scope_name(C1), scope_name(C2)

            def agree() -> bool:
                sa_, sb_, sc_ = (n.status()["by_scope"] for n in (a, b, c))
                return (
                    sa_["base"] == sb_["base"] == sc_["base"]
                    and sa_[one] == sb_[one]
                    and sa_[two] == sc_[two]
                    and sa_[one]["messages"] == 2
                )

            await wait_for(agree, 10, "per-scope fingerprints to agree")
            assert two not in b.status()["by_scope"] and one not in c.status()["by_scope"]

            # Gossip put nothing of a community on a node that does not serve it.
            assert sc.get(in_one.id) is None and sc.get(from_b.id) is None
            assert sb.get(in_two.id) is None
            assert {b.gossip.rejected_batches, c.gossip.rejected_batches, a.gossip.rejected_batches} == {0}
        finally:
            nodes.close()


async def test_a_community_post_reaches_its_servers_only_and_base_messages_reach_all(tmp_path: Path) -> None:
    await _star_delivers_by_scope(tmp_path, f"{scope_name(C1)},{scope_name(C2)}")


async def test_a_node_serving_everything_relays_for_nodes_serving_some(tmp_path: Path) -> None:
    await _star_delivers_by_scope(tmp_path, "all")


async def test_a_message_on_a_topic_of_another_scope_is_refused_and_counted(tmp_path: Path) -> None:
    alice = create_key()
    async with lone_node(tmp_path, scopes=scope_name(C1)) as (b, sb):
        evil = make_host(create_new_key_pair())
        router = GossipSub([PROTOCOL_ID_V11], 6, 4, 12, heartbeat_interval=1)  # type: ignore[arg-type]
        pubsub = Pubsub(evil, router)
        base_topic, one_topic = topic_for(CHAIN), topic_for(CHAIN, C1)
        async with (
            evil.run([parse_listen_addr("/ip4/127.0.0.1/tcp/0")]),
            background_trio_service(pubsub),
            background_trio_service(router),
        ):
            await pubsub.wait_until_ready()
            await pubsub.subscribe(base_topic)
            await pubsub.subscribe(one_topic)
            info = parse_peer_addr(b.addrs[0])
            await evil.connect(PeerInfo(info.peer_id, info.addrs))
            evil_id = evil.get_id().to_string()
            await wait_for(
                lambda: bool(router.mesh.get(base_topic)) and bool(router.mesh.get(one_topic)),
                10,
                "evil in the meshes",
            )

            def faults() -> float:
                return b.peers.get(evil_id).faults_total

            # a post of community 1 on the base topic, then one of community 2 on community 1's
            wrong = [
                (base_topic, sign(alice, "CommunityPost", community=C1, text="wrong topic")),
                (one_topic, sign(alice, "CommunityPost", community=C2, text="other community")),
                (one_topic, sign(alice, "Post", text="a base post")),
            ]
            for points, (topic, message) in enumerate(wrong, start=1):
                await pubsub.publish(topic, encode_batch([encode_message(message)]))
                await wait_for(lambda p=points: faults() >= p, 10, f"wrong topic {points} counted")  # type: ignore[misc]
            right = sign(alice, "CommunityPost", community=C1, text="right topic")
            await pubsub.publish(one_topic, encode_batch([encode_message(right)]))
            await wait_for(lambda: sb.get(right.id) is not None, 10, "the right topic's message")
            assert all(sb.get(m.id) is None for _, m in wrong)
            assert faults() == len(wrong)


async def test_sync_reconciles_the_shared_scopes_alone(tmp_path: Path) -> None:
    alice = create_key()
    in_one, in_two = posts_in_both(alice, 5)
    base = [sign(alice, "Post", text=f"base {i}") for i in range(5)]
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            sa, sc = nodes.store("a"), nodes.store("c")
            assert sa.ingest([*in_one, *in_two, *base]).counts["accepted"] == 15
            a = await nodes.start("a")  # everything
            c = await nodes.start("c", scopes=scope_name(C2))
            await c.connect(a.addrs[0])
            fetched = await c.sync_with(a.peer_id)
            assert fetched.state == "ok" and fetched.need == 10  # the shared scopes alone: base and 2
            assert fetched.scopes == ["base", scope_name(C2)]
            assert a.status()["peers"][0]["sync"]["scopes"] == ["base", scope_name(C2)]
            pushed = await a.sync_with(c.peer_id)
            assert pushed.state == "ok" and pushed.have == 0
            assert sorted(m.id for m in sc.get_many([m.id for m in [*in_one, *in_two, *base]])) == sorted(
                m.id for m in [*in_two, *base]
            )
            assert len(sc) == 10
            assert c.peers.get(a.peer_id).faults_total == 0 and a.peers.get(c.peer_id).faults_total == 0
        finally:
            nodes.close()


async def test_a_node_that_adds_a_scope_catches_up_on_it_from_a_peer(tmp_path: Path) -> None:
    in_one, in_two = posts_in_both(create_key(), 20)
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            sa, sc = nodes.store("a"), nodes.store("c")
            sa.ingest([*in_one, *in_two])
            a = await nodes.start("a")
            await nodes.start("c", bootstrap=(a.addrs[0],), scopes=scope_name(C2))
            await wait_for(lambda: len(sc) == 20, 10, "C's first scope")
            nodes.stop("c")
            await nodes.start("c", bootstrap=(a.addrs[0],), scopes=f"{scope_name(C1)},{scope_name(C2)}")
            await wait_for(lambda: len(sc) == 40, 10, "C's added scope")
            assert sc.fingerprint() == sa.fingerprint()
        finally:
            nodes.close()


async def _evil_session(node: P2PNode, scopes_body: bytes, push: list[SignedMessage]) -> tuple[bytes, float]:
    """A raw peer opens a sync session announcing ``scopes_body`` and pushes ``push``: the
    node's SCOPES answer, and the fault points the peer earned."""
    async with raw_peer(node, SYNC_PROTOCOL) as (evil_id, stream):
        await write_frame(stream, b"\x08" + scopes_body, timeout=5)
        answer = await read_frame(stream, max_size=1 << 20, timeout=5)
        await write_frame(stream, b"\x04" + encode_batch([encode_message(m) for m in push]), timeout=5)
        assert await read_frame(stream, max_size=1 << 20, timeout=5) == b"\x05\x01"  # ACK: 1 accepted
        return answer, node.peers.get(evil_id).faults_total


async def test_a_peer_pushing_outside_the_negotiated_scopes_is_counted_and_changes_nothing(
    tmp_path: Path,
) -> None:
    alice = create_key()
    async with lone_node(tmp_path, scopes=scope_name(C1)) as (b, sb):
        # it says it serves community 2 only, then pushes a post of community 1 and a base post
        lying = [
            sign(alice, "CommunityPost", community=C1, text="not negotiated"),
            sign(alice, "Post", text="ok"),
        ]
        answer, faults = await _evil_session(b, b"\x00\x01" + C2, lying)
        assert answer == b"\x08\x00\x01" + C1  # B's own scopes
        assert faults == 1 and sb.get(lying[0].id) is None and sb.get(lying[1].id) is not None
        # it says it serves everything, and pushes a post of community 2, which B does not serve
        other = [
            sign(alice, "CommunityPost", community=C2, text="not served"),
            sign(alice, "Post", text="ok 2"),
        ]
        _, faults = await _evil_session(b, b"\x01\x00", other)
        assert faults == 1 and sb.get(other[0].id) is None and len(sb) == 2


async def test_a_message_of_a_scope_removed_during_a_session_costs_the_peer_nothing(tmp_path: Path) -> None:
    late = sign(create_key(), "CommunityPost", community=C1, text="on its way")
    async with (
        lone_node(tmp_path, scopes=f"{scope_name(C1)},{scope_name(C2)}") as (b, sb),
        raw_peer(b, SYNC_PROTOCOL) as (peer_id, stream),
    ):
        await write_frame(stream, b"\x08\x01\x00", timeout=5)  # SCOPES: it serves everything
        await read_frame(stream, max_size=1 << 20, timeout=5)
        assert await b.remove_scope(C1) == (True, 0)  # the session carries community 1 still
        await write_frame(stream, b"\x04" + encode_batch([encode_message(late)]), timeout=5)
        assert await read_frame(stream, max_size=1 << 20, timeout=5) == b"\x05\x00"  # ACK: none taken
        assert sb.get(late.id) is None and b.peers.get(peer_id).faults_total == 0


async def test_a_peer_speaking_the_old_sync_version_is_told_which_one_to_speak(tmp_path: Path) -> None:
    async with lone_node(tmp_path) as (b, _), raw_peer(b, OLD_SYNC_PROTOCOLS[0]) as (evil_id, stream):
        await write_frame(stream, b"\x01" + Negentropy(SortedKeys(), 4096).initiate(), timeout=5)
        frame = await read_frame(stream, max_size=1 << 20, timeout=5)
        assert frame[:1] == b"\x7f" and SYNC_PROTOCOL.encode() in frame
        assert b.peers.get(evil_id).faults_total == 0


async def test_a_node_serving_everything_joins_at_most_max_topics_community_topics(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            a = await nodes.start("a", max_topics=1)
            for name, community in (("b", C1), ("c", C2)):
                await nodes.start(name, bootstrap=(a.addrs[0],), scopes=scope_name(community))
            announced = {topic_for(CHAIN, C1), topic_for(CHAIN, C2)}
            await wait_for(lambda: announced <= set(a.pubsub.peer_topics), 10, "both topics announced")
            await wait_for(lambda: len(a.status()["topics"]) == 2, 10, "one community topic joined")
            await trio.sleep(0.5)  # the other join, had it not been refused, would have run by now
            joined = a.status()["topics"]
            assert topic_for(CHAIN) in joined and len(joined) == 2 and len(announced & set(joined)) == 1
        finally:
            nodes.close()
