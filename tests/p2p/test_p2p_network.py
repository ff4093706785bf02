"""Real hosts on 127.0.0.1: gossip along a line, catch-up after a partition, concurrent writers."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
import trio

from node.messages import checksum_address, private_key_to_address, sign_message

from .conftest import CHAIN, Nodes, make_messages, wait_for, wait_mesh

pytestmark = pytest.mark.trio


async def test_gossip_crosses_a_line_of_three(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            a = await nodes.start("a")
            b = await nodes.start("b", bootstrap=(a.addrs[0],))
            c = await nodes.start("c", bootstrap=(b.addrs[0],))
            await wait_for(lambda: len(b.connected_peers()) == 2, 10, "B connected to A and C")
            assert a.peer_id not in c.connected_peers()  # a line, not a triangle
            await wait_mesh(a, b, c)
            # let the on-connect syncs finish, so only gossip can carry what comes next
            await wait_for(
                lambda: b.peers.get(a.peer_id).last_sync_ok and c.peers.get(b.peer_id).last_sync_ok,
                10,
                "the on-connect syncs",
            )

            m = sign_message("Post", {"text": "hello from A"}, os.urandom(32), CHAIN)
            report = await trio.to_thread.run_sync(nodes.store("a").ingest, [m])  # as the API does
            assert report.counts["accepted"] == 1
            await wait_for(lambda: nodes.store("c").get(m.id) is not None, 10, "the post on C")
            assert nodes.store("b").get(m.id) is not None
            assert c.status()["gossip"]["accepted_messages"] == 1
        finally:
            nodes.close()


async def test_partitioned_node_converges_after_restart(tmp_path: Path, shared_messages: list[bytes]) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            for name in "abc":
                nodes.store(name).ingest(shared_messages[:1000])
            a = await nodes.start("a", sync_interval_seconds=2.0)
            b = await nodes.start("b", bootstrap=(a.addrs[0],), sync_interval_seconds=2.0)
            c = await nodes.start("c", bootstrap=(b.addrs[0],))
            c_peer = c.peer_id
            await wait_for(lambda: len(b.connected_peers()) == 2, 10, "line A-B-C")
            await wait_mesh(a, b)

            nodes.stop("c")
            await wait_for(lambda: len(b.connected_peers()) == 1, 10, "C gone")
            # A and B take 5,000 new messages, written on both sides while C is away
            new = shared_messages[1000:6000]
            for i in range(0, 5000, 500):
                target = "a" if (i // 500) % 2 == 0 else "b"
                await trio.to_thread.run_sync(nodes.store(target).ingest, new[i : i + 500])
            sa, sb, sc = nodes.store("a"), nodes.store("b"), nodes.store("c")
            await wait_for(
                lambda: a.gossip.published_messages + b.gossip.published_messages == 5000, 30, "gossip out"
            )
            assert a.gossip.published_batches + b.gossip.published_batches <= 100  # many to a frame
            # gossip carries them; the periodic sync settles whatever gossip dropped
            await wait_for(lambda: sa.fingerprint() == sb.fingerprint(), 30, "A and B to agree")
            assert len(sa) == 6000
            assert len(sc) == 1000

            c = await nodes.start("c", bootstrap=(b.addrs[0],))  # same data dir and store
            assert c.peer_id == c_peer  # persistent identity
            await wait_for(lambda: sc.fingerprint() == sb.fingerprint(), 60, "C to converge")
            assert len(sc) == 6000

            # C missed the gossip, so a sync session with B brought the 5,000; which side
            # opened it (C on connect, or B on its 2 s interval) is a race and does not matter
            await wait_for(lambda: c.peers.get(b.peer_id).last_sync_ok > 0, 10, "a finished session with B")
        finally:
            nodes.close()


async def test_concurrent_writers_end_identical(tmp_path: Path) -> None:
    rnd = random.Random(4)
    keys = [os.urandom(32) for _ in range(6)]
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            a = await nodes.start("a", sync_interval_seconds=1.0)
            b = await nodes.start("b", bootstrap=(a.addrs[0],), sync_interval_seconds=1.0)
            c = await nodes.start("c", bootstrap=(b.addrs[0],), sync_interval_seconds=1.0)
            await wait_for(lambda: len(b.connected_peers()) == 2, 10, "line A-B-C")
            await wait_mesh(a, b, c)

            addresses = [checksum_address(private_key_to_address(k)) for k in keys]

            def random_message(r: random.Random, name: str, n: int):
                ts = 1_700_000_000 + r.randrange(1000)  # few timestamps: many ties to break
                kind = r.choice(["Post", "Post", "Follow", "Profile"])
                if kind == "Post":
                    fields = {"text": f"{name}-{n}-{r.random()}"}
                elif kind == "Follow":
                    fields = {"target": r.choice(addresses), "active": r.random() < 0.7}
                else:
                    fields = {"field": r.choice(["name", "bio"]), "value": f"{name} {r.randrange(5)}"}
                key = r.choice(keys)
                if fields.get("target") == checksum_address(private_key_to_address(key)):
                    fields = {"text": "not following myself"}
                    kind = "Post"
                return sign_message(kind, {**fields, "timestamp": ts}, key, CHAIN)

            async def writer(name: str, seed: int) -> None:
                r = random.Random(seed)
                store = nodes.store(name)
                for round_ in range(15):
                    batch = [random_message(r, name, round_ * 100 + j) for j in range(r.randrange(1, 40))]
                    await trio.to_thread.run_sync(store.ingest, batch)  # as the API does
                    await trio.sleep(r.random() * 0.05)

            async with trio.open_nursery() as writers:
                for i, name in enumerate("abc"):
                    writers.start_soon(writer, name, rnd.randrange(2**32) + i)

            stores = [nodes.store(n) for n in "abc"]
            await wait_for(lambda: len({s.fingerprint() for s in stores}) == 1, 60, "identical fingerprints")
            assert len({len(s) for s in stores}) == 1 and len(stores[0]) > 0
            assert stores[0].state() == stores[1].state() == stores[2].state()
        finally:
            nodes.close()


async def test_bootstrap_peer_is_redialled_when_it_comes_back(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            b = await nodes.start("b", listen=f"/ip4/127.0.0.1/tcp/{port}")
            b_addr, b_peer = b.addrs[0], b.peer_id
            a = await nodes.start("a", bootstrap=(b_addr,))
            await wait_for(lambda: b_peer in a.connected_peers(), 10, "A to dial B")
            nodes.stop("b")
            await wait_for(lambda: a.connected_peers() == [], 10, "B gone")
            # B comes back (same identity, same port) with messages A has not seen
            nodes.store("b").ingest(make_messages(40, tag="while-away-"))
            b = await nodes.start("b", listen=f"/ip4/127.0.0.1/tcp/{port}")
            assert b.peer_id == b_peer
            await wait_for(lambda: b_peer in a.connected_peers(), 30, "A to redial B")
            await wait_for(lambda: len(nodes.store("a")) == 40, 10, "A to sync on reconnect")
        finally:
            nodes.close()


async def test_delegated_messages_and_revocations_sync(tmp_path: Path) -> None:
    author, app = os.urandom(32), os.urandom(32)
    author_addr = checksum_address(private_key_to_address(author))
    app_addr = checksum_address(private_key_to_address(app))
    t = 1_700_000_000
    msgs = [sign_message("SignerAdd", {"signer": app_addr, "label": "app", "timestamp": t}, author, CHAIN)]
    msgs += [
        sign_message(
            "Post", {"author": author_addr, "text": f"via app {i}", "timestamp": t + 1 + i}, app, CHAIN
        )
        for i in range(20)
    ]
    msgs += [
        sign_message("Post", {"text": f"own {i}", "timestamp": t + 1 + i}, author, CHAIN) for i in range(5)
    ]
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            sa, sb = nodes.store("a"), nodes.store("b")
            assert sa.ingest(msgs).counts["accepted"] == 26
            a = await nodes.start("a")
            b = await nodes.start("b", bootstrap=(a.addrs[0],))
            await wait_for(lambda: sb.fingerprint() == sa.fingerprint(), 10, "B to sync")
            # the author revokes the app on B: B drops its 20 posts; A learns it by sync
            revoke = sign_message("SignerRemove", {"signer": app_addr, "timestamp": t + 100}, author, CHAIN)
            assert sb.ingest([revoke]).counts["accepted"] == 1
            assert len(sb) == 7
            await a.sync_with(b.peer_id)
            assert len(sa) == 7 and sa.fingerprint() == sb.fingerprint()
            assert sa.state() == sb.state()
        finally:
            nodes.close()
