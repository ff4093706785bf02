"""A hostile peer (a real libp2p host speaking our protocols badly) changes nothing in an
honest store, gets disconnected and banned, and honest sync keeps working."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest
import trio
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.peer.peerinfo import PeerInfo
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11, GossipSub
from libp2p.pubsub.pubsub import Pubsub
from libp2p.tools.async_service.trio_service import background_trio_service
from libp2p.utils import encode_varint_prefixed
from libp2p.utils.varint import encode_uvarint

from node.p2p import SYNC_PROTOCOL
from node.p2p.framing import encode_batch, read_frame, write_frame
from node.p2p.host import make_host, parse_listen_addr, parse_peer_addr
from node.p2p.negentropy import Negentropy, SortedKeys, encode_varint_be

from .conftest import Nodes, make_messages, open_sync, wait_for, wait_mesh

pytestmark = pytest.mark.trio


def forge(wire: bytes) -> bytes:
    """Same message with its text changed: the signature no longer matches the author."""
    obj = json.loads(wire)
    obj["message"]["text"] = obj["message"]["text"] + " (forged)"
    return json.dumps(obj, separators=(",", ":")).encode()


async def test_hostile_peer_is_contained(tmp_path: Path, shared_messages: list[bytes]) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            nodes.store("a").ingest(shared_messages[:300])
            nodes.store("b").ingest(shared_messages[:300])
            a = await nodes.start("a")
            b = await nodes.start("b", bootstrap=(a.addrs[0],), fault_threshold=38.0, ban_seconds=600.0)
            await wait_for(lambda: a.peer_id in b.connected_peers(), 10, "A-B")
            sb = nodes.store("b")
            before = (sb.fingerprint(), len(sb))

            evil = make_host(create_new_key_pair())
            router = GossipSub([PROTOCOL_ID_V11], 6, 4, 12, heartbeat_interval=1)  # type: ignore[arg-type]
            pubsub = Pubsub(evil, router)
            async with (
                evil.run([parse_listen_addr("/ip4/127.0.0.1/tcp/0")]),
                background_trio_service(pubsub),
                background_trio_service(router),
            ):
                await pubsub.wait_until_ready()
                await pubsub.subscribe(b.topic)
                info = parse_peer_addr(b.addrs[0])
                await evil.connect(PeerInfo(info.peer_id, info.addrs))
                evil_id = evil.get_id().to_string()
                await wait_for(lambda: bool(router.mesh.get(b.topic)), 10, "evil in the mesh")

                def faults() -> float:
                    return b.peers.get(evil_id).faults_total

                # 1. forged signatures over gossip: 10 points, nothing stored, nothing relayed
                forged = [forge(m) for m in make_messages(10, tag="evil-")]
                await pubsub.publish(b.topic, encode_batch(forged))
                await wait_for(lambda: faults() >= 10, 10, "forgeries counted")
                # 2. a gossip payload that is not a batch at all: 5 points
                await pubsub.publish(b.topic, os.urandom(300))
                await wait_for(lambda: faults() >= 15, 10, "garbage gossip counted")
                # 3. a pubsub RPC that is not protobuf, and one announcing 10 MB: 5 each
                stream = await evil.new_stream(info.peer_id, [PROTOCOL_ID_V11])
                await stream.write(encode_varint_prefixed(b"\x0a\xff\xff\xff\xff\x0f"))
                await wait_for(lambda: faults() >= 20, 10, "garbage RPC counted")
                stream = await evil.new_stream(info.peer_id, [PROTOCOL_ID_V11])
                await stream.write(encode_uvarint(10_000_000) + os.urandom(100))
                await wait_for(lambda: faults() >= 25, 10, "oversize RPC counted")
                # 4. a garbage frame on the sync protocol: 5 points, stream reset
                stream = await evil.new_stream(info.peer_id, [SYNC_PROTOCOL])
                await stream.write(b"\x00\x00\x00\x05hello")
                await wait_for(lambda: faults() >= 30, 10, "garbage frame counted")
                # 5. an oversize frame (announces 4 GiB): refused before reading it
                stream = await evil.new_stream(info.peer_id, [SYNC_PROTOCOL])
                await stream.write(b"\xff\xff\xff\xff" + os.urandom(1000))
                await wait_for(lambda: faults() >= 35, 10, "oversize frame counted")
                assert b.peers.is_banned(evil_id) is False
                # 6. endless range requests: the session is cut at MAX_ROUNDS
                stream = await evil.new_stream(info.peer_id, [SYNC_PROTOCOL])
                await open_sync(stream)
                query = b"\x01\x00" + Negentropy(SortedKeys(), 4096).initiate()  # scope 0: all
                rounds = 0
                with pytest.raises(Exception):
                    while True:
                        await write_frame(stream, query, timeout=5)
                        await read_frame(stream, max_size=1 << 20, timeout=5)
                        rounds += 1
                assert 100 <= rounds <= 201
                await wait_for(lambda: b.peers.is_banned(evil_id), 10, "ban")
                await wait_for(lambda: evil_id not in b.connected_peers(), 10, "disconnect")

                # banned: a redial is refused (the connection is dropped right away)
                with contextlib.suppress(Exception):
                    await evil.connect(PeerInfo(info.peer_id, info.addrs))
                await trio.sleep(0.5)
                assert evil_id not in b.connected_peers()
                assert evil_id in b.status()["banned"]

            # the honest store did not change, and honest sync and gossip still work
            assert (sb.fingerprint(), len(sb)) == before
            fresh = make_messages(50, tag="honest-")
            nodes.store("a").ingest(fresh[:25])
            state = await b.sync_with(a.peer_id)  # (gossip may have brought some first)
            assert state.state == "ok" and len(sb) == 325
            await wait_mesh(a, b)
            await trio.to_thread.run_sync(nodes.store("a").ingest, fresh[25:])
            await wait_for(lambda: len(sb) == 350, 10, "gossip after the attack")
            assert sb.fingerprint() == nodes.store("a").fingerprint()
        finally:
            nodes.close()


async def test_want_flood_and_forged_push_are_refused(tmp_path: Path, shared_messages: list[bytes]) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            nodes.store("b").ingest(shared_messages[:100])
            b = await nodes.start("b")
            sb = nodes.store("b")
            before = sb.fingerprint()
            evil = make_host(create_new_key_pair())
            async with evil.run([parse_listen_addr("/ip4/127.0.0.1/tcp/0")]):
                info = parse_peer_addr(b.addrs[0])
                await evil.connect(PeerInfo(info.peer_id, info.addrs))
                evil_id = evil.get_id().to_string()

                # forged messages pushed in a sync session: refused, 1 point each, ACK 0
                stream = await evil.new_stream(info.peer_id, [SYNC_PROTOCOL])
                await open_sync(stream)
                forged = [forge(m) for m in make_messages(3, tag="pushed-")]
                await write_frame(stream, b"\x04" + encode_batch(forged), timeout=5)
                ack = await read_frame(stream, max_size=1 << 20, timeout=5)
                assert ack == b"\x05\x00"
                assert b.peers.get(evil_id).faults_total == 3

                # asking for ids b never offered, 4096 at a time: cut off after 10,000
                asked = 0
                with pytest.raises(Exception):
                    while True:
                        ids = [os.urandom(32) for _ in range(4096)]
                        await write_frame(stream, b"\x02" + encode_varint_be(4096) + b"".join(ids), timeout=5)
                        reply = await read_frame(stream, max_size=1 << 20, timeout=5)
                        assert reply[:1] == b"\x03"
                        asked += 4096
                assert asked <= 12_288
                assert b.peers.get(evil_id).faults_total == 8
            assert sb.fingerprint() == before
        finally:
            nodes.close()


async def test_hostile_sync_server_cannot_plant_forgeries(
    tmp_path: Path, shared_messages: list[bytes]
) -> None:
    forged = [forge(m) for m in make_messages(25, tag="served-")]
    fake_ids = [os.urandom(32) for _ in forged]

    async def evil_sync(stream) -> None:
        try:
            while True:
                frame = await read_frame(stream, max_size=1 << 20, timeout=5)
                if frame[0] == 0x08:  # "I serve everything"
                    await write_frame(stream, b"\x08\x01\x00", timeout=5)
                elif frame[0] == 0x01:  # "I hold exactly these ids"
                    reply = b"\x61\x00\x00\x02" + encode_varint_be(len(fake_ids)) + b"".join(fake_ids)
                    await write_frame(stream, b"\x01" + reply, timeout=5)
                elif frame[0] == 0x02:  # serve forgeries for whatever is asked
                    asked = (len(frame) - 1 - 1) // 32
                    await write_frame(
                        stream, b"\x03" + encode_varint_be(asked) + encode_batch(forged), timeout=5
                    )
                elif frame[0] == 0x04:
                    await write_frame(stream, b"\x05\x00", timeout=5)
                else:
                    return
        except Exception:
            pass

    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            nodes.store("b").ingest(shared_messages[:100])
            b = await nodes.start("b")
            sb = nodes.store("b")
            before = sb.fingerprint()
            evil = make_host(create_new_key_pair())
            evil.set_stream_handler(SYNC_PROTOCOL, evil_sync)
            async with evil.run([parse_listen_addr("/ip4/127.0.0.1/tcp/0")]):
                evil_id = evil.get_id().to_string()
                await b.connect(f"{evil.get_addrs()[0]}")  # b dials, so b syncs as the client
                await wait_for(lambda: b.peers.is_banned(evil_id), 10, "the server to be banned")
                await wait_for(lambda: evil_id not in b.connected_peers(), 10, "disconnect")
                assert b.peers.get(evil_id).faults_total >= 20
            assert sb.fingerprint() == before and len(sb) == 100
        finally:
            nodes.close()
