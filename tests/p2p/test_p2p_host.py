"""The host: persistent identity, noise only, frames over real streams, clean shutdown."""

from __future__ import annotations

from pathlib import Path

import libp2p.pubsub.gossipsub
import libp2p.pubsub.pubsub
import multiaddr
import pytest
import trio
from libp2p import new_host
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.peer.envelope import consume_envelope
from libp2p.peer.peer_record import PEER_RECORD_ENVELOPE_DOMAIN
from libp2p.peer.peerinfo import PeerInfo
from libp2p.peer.peerstore import env_to_send_in_RPC
from libp2p.security.insecure.transport import PLAINTEXT_PROTOCOL_ID, InsecureTransport
from pydantic import ValidationError

import node.p2p
from node.errors import ConfigError, PeerMisbehaved
from node.p2p.framing import WRITE_CHUNK, StreamBroken, decode_batch, encode_batch, read_frame, write_frame
from node.p2p.gossip import reuse_peer_records
from node.p2p.host import IDENTITY_FILE, load_identity, make_host, parse_listen_addr, parse_peer_addr

from .conftest import Nodes, wait_for

LOOPBACK = "/ip4/127.0.0.1/tcp/0"


def test_public_api_is_pinned() -> None:
    assert sorted(node.p2p.__all__) == [
        "P2PNode",
        "SYNC_PROTOCOL",
        "SyncState",
        "serve",
        "topic_for",
    ]
    assert node.p2p.SYNC_PROTOCOL == "/mecenate/sync/2.0.0"
    assert node.p2p.topic_for(31337) == "mecenate/31337/messages"


def test_identity_is_created_once_and_reused(tmp_path: Path) -> None:
    first = load_identity(tmp_path)
    again = load_identity(tmp_path)
    assert first.public_key.to_bytes() == again.public_key.to_bytes()
    assert (tmp_path / IDENTITY_FILE).stat().st_mode & 0o777 == 0o600
    (tmp_path / IDENTITY_FILE).write_bytes(b"short")
    with pytest.raises(ConfigError):
        load_identity(tmp_path)


def test_settings_are_validated() -> None:
    from node.config import P2PSettings

    for field in ("sync_interval_seconds", "max_connections_per_ip", "fault_threshold", "gossip_queue"):
        with pytest.raises(ValidationError, match=field):
            P2PSettings.model_validate({field: 0})


def test_addresses_are_validated() -> None:
    with pytest.raises(ConfigError):
        parse_listen_addr("127.0.0.1:4001")
    with pytest.raises(ConfigError):
        parse_peer_addr("/ip4/127.0.0.1/tcp/4001")  # no /p2p/<id>


def test_batches_roundtrip_and_refuse_garbage() -> None:
    msgs = [b"a", b"b" * 300, b"{}"]
    assert decode_batch(encode_batch(msgs), max_count=10) == msgs
    assert decode_batch(encode_batch([]), max_count=10) == []
    for bad in [b"", b"\x02\x00", encode_batch(msgs)[:-1], encode_batch(msgs) + b"x", b"\x01\x05\x01a"]:
        with pytest.raises(PeerMisbehaved):
            decode_batch(bad, max_count=10)
    with pytest.raises(PeerMisbehaved):
        decode_batch(encode_batch(msgs), max_count=2)


@pytest.mark.trio
async def test_large_frames_cross_noise_and_limits_hold() -> None:
    got: list[bytes] = []
    done = trio.Event()

    async def handler(stream) -> None:
        try:
            got.append(await read_frame(stream, max_size=1 << 20, timeout=5))
            with pytest.raises(PeerMisbehaved):
                await read_frame(stream, max_size=1000, timeout=5)  # refused before its payload
        finally:
            done.set()

    async def idle(stream) -> None:
        try:
            with pytest.raises(StreamBroken):
                await read_frame(stream, max_size=1000, timeout=0.3)  # nothing comes
            got.append(b"timed out")
        finally:
            idle_done.set()

    idle_done = trio.Event()

    server, client = make_host(create_new_key_pair()), make_host(create_new_key_pair())
    async with server.run([parse_listen_addr(LOOPBACK)]), client.run([parse_listen_addr(LOOPBACK)]):
        server.set_stream_handler("/test/frames", handler)
        server.set_stream_handler("/test/idle", idle)
        await client.connect(PeerInfo(server.get_id(), server.get_addrs()))
        stream = await client.new_stream(server.get_id(), ["/test/frames"])
        payload = bytes(range(256)) * 2000  # 512 KB: several noise-sized chunks
        assert len(payload) > 8 * WRITE_CHUNK
        await write_frame(stream, payload, timeout=10)
        await write_frame(stream, b"x" * 5000, timeout=10)
        with trio.fail_after(10):
            await done.wait()
        await client.new_stream(server.get_id(), ["/test/idle"])
        with trio.fail_after(10):
            await idle_done.wait()
        assert got == [payload, b"timed out"]
        for peer in list(client.get_connected_peers()):
            await client.disconnect(peer)


@pytest.mark.trio
async def test_a_taken_port_is_a_config_error(tmp_path: Path) -> None:
    import socket

    from node.config import P2PSettings
    from node.p2p import serve
    from node.store import Store

    with socket.socket() as taken, Store(tmp_path / "s.sqlite", 31337) as store:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = P2PSettings(listen=f"/ip4/127.0.0.1/tcp/{port}")
        with pytest.RaisesGroup(pytest.RaisesExc(ConfigError, match="cannot listen"), flatten_subgroups=True):
            async with trio.open_nursery() as nursery:
                await nursery.start(serve, settings, tmp_path, 31337, store)


@pytest.mark.trio
async def test_plaintext_dialer_is_refused_and_shutdown_disconnects(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            a = await nodes.start("a")
            kp = create_new_key_pair()
            plain = new_host(key_pair=kp, sec_opt={PLAINTEXT_PROTOCOL_ID: InsecureTransport(kp)})
            async with plain.run([parse_listen_addr(LOOPBACK)]):
                info = parse_peer_addr(a.addrs[0])
                with pytest.raises(Exception):
                    with trio.fail_after(10):
                        await plain.connect(PeerInfo(info.peer_id, info.addrs))
                assert a.connected_peers() == []

            b = await nodes.start("b", bootstrap=(a.addrs[0],))
            await wait_for(lambda: b.peer_id in a.connected_peers(), 10, "B to dial A")
            nodes.stop("b")  # B dialled out; stopping it must close that connection too
            await wait_for(lambda: a.connected_peers() == [], 10, "A to see B leave")
        finally:
            nodes.close()


async def test_the_peer_record_sent_with_each_pubsub_rpc_is_built_once_and_stays_valid() -> None:
    """py-libp2p lists the host's addresses for every pubsub RPC; the node reuses one record."""
    host = make_host(create_new_key_pair())
    async with host.run([multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]):
        reuse_peer_records()
        first, _ = libp2p.pubsub.gossipsub.env_to_send_in_RPC(host)
        again, created = libp2p.pubsub.pubsub.env_to_send_in_RPC(host)
        assert again is first and not created, "rebuilt for the second RPC"
        assert env_to_send_in_RPC(host)[0] is not first  # py-libp2p's own builds new bytes each call
        record = consume_envelope(first, PEER_RECORD_ENVELOPE_DOMAIN)[1]
        assert {str(a) for a in record.addrs} == {str(a) for a in host.get_addrs()}
