"""Inbound connections against a real node on loopback: raw TCP clients that stall in the
handshake or fall silent after it are closed, one IP cannot take every slot, a banned peer's
IP cools down, and honest hosts still connect and sync throughout.

All honest test hosts dial from 127.0.0.1; hostile clients bind their sockets to other
loopback addresses (127.0.0.2, ...), so per-IP limits can hit them and not the honest ones.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trio
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.io.trio import TrioTCPStream
from libp2p.network.connection.raw_connection import RawConnection
from libp2p.peer.peerinfo import PeerInfo
from libp2p.transport.tcp.tcp import TCP
from multiaddr import Multiaddr

from node.config import P2PSettings
from node.messages import encode_message, sign_message
from node.p2p import SYNC_PROTOCOL, P2PNode
from node.p2p.framing import encode_batch, read_frame, write_frame
from node.p2p.host import make_host, parse_listen_addr, parse_peer_addr
from node.p2p.inbound import InboundGuard, inbound_cap
from node.p2p.logs import LibraryNoise, Throttle, quiet_library_logs

from .conftest import CHAIN, Nodes, make_messages, open_sync, wait_for

ROOT = Path(__file__).resolve().parents[2]


def multistream(*protocols: str) -> bytes:
    """multistream-select lines (varint length, protocol, newline; all short here)."""
    return b"".join(bytes([len(p) + 1]) + p.encode() + b"\n" for p in protocols)


HELLO_NOISE = multistream("/multistream/1.0.0", "/noise")


def tcp_port(node: P2PNode) -> int:
    return int(parse_peer_addr(node.addrs[0]).addrs[0].value_for_protocol("tcp"))


async def raw_client(node: P2PNode, source: str, payload: bytes = b"") -> trio.SocketStream:
    stream = await trio.open_tcp_stream("127.0.0.1", tcp_port(node), local_address=source)
    if payload:
        await stream.send_all(payload)
    return stream


async def closed_by_node(stream: trio.SocketStream, timeout: float) -> bool:
    """Whether the node closes ``stream`` within ``timeout`` s (whatever it sent is read)."""
    with trio.move_on_after(timeout):
        try:
            while await stream.receive_some(4096):
                pass
        except trio.BrokenResourceError:
            pass
        return True
    return False


class SourceBoundTCP(TCP):
    """TCP that dials from a chosen loopback address: a test host with an IP of its own."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    async def dial(self, maddr: Multiaddr) -> RawConnection:
        ip, port = maddr.value_for_protocol("ip4"), int(maddr.value_for_protocol("tcp"))
        stream = await trio.open_tcp_stream(ip, port, local_address=self.source)
        return RawConnection(TrioTCPStream(stream), True)


def host_from(source: str):  # -> IHost
    host = make_host(create_new_key_pair())
    host.get_network().transport = SourceBoundTCP(source)
    return host


def forge(wire: bytes) -> bytes:
    obj = json.loads(wire)
    obj["message"]["text"] += " (forged)"
    return json.dumps(obj, separators=(",", ":")).encode()


async def try_connect(host, node: P2PNode) -> bool:
    info = parse_peer_addr(node.addrs[0])
    with trio.move_on_after(15):
        try:
            await host.connect(PeerInfo(info.peer_id, info.addrs))
        except Exception:
            return False
        return True
    return False


# -- item 6: handshake deadline, idle timeout, caps ----------------------------------------


@pytest.mark.trio
async def test_stalled_handshakes_are_closed_and_the_node_still_works(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            nodes.store("b").ingest(make_messages(100, tag="b-"))
            b = await nodes.start("b", handshake_timeout_seconds=1.0)
            # 10 say nothing at all, 10 negotiate /noise and then stall (the attack)
            silent = [await raw_client(b, "127.0.0.2") for _ in range(10)]
            stalled = [await raw_client(b, "127.0.0.3", HELLO_NOISE) for _ in range(10)]
            for stream in silent + stalled:
                assert await closed_by_node(stream, 10), "a stalled connection was kept"
            assert b.guard.closed["handshake"] == 20
            await wait_for(lambda: b.guard.inbound == 0, 5, "the slots to be freed")

            # the node still works: an honest host connects and syncs on connect
            a = await nodes.start("a", bootstrap=(b.addrs[0],))
            await wait_for(lambda: len(nodes.store("a")) == 100, 15, "A to sync from B")
            assert a.peer_id in b.connected_peers()
        finally:
            nodes.close()


@pytest.mark.trio
async def test_a_silent_connection_is_closed_and_a_useful_one_kept(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            b = await nodes.start("b", idle_timeout_seconds=1.0)
            a = await nodes.start("a", bootstrap=(b.addrs[0],))
            await wait_for(lambda: a.peer_id in b.connected_peers(), 10, "A to connect")
            # a real libp2p host that completes the handshake and then opens nothing
            lurker = make_host(create_new_key_pair())
            async with lurker.run([parse_listen_addr("/ip4/127.0.0.1/tcp/0")]):
                assert await try_connect(lurker, b)
                lurker_id = lurker.get_id().to_string()
                assert lurker_id in b.connected_peers()
                await wait_for(lambda: lurker_id not in b.connected_peers(), 10, "the lurker to be dropped")
                assert b.guard.closed["idle"] == 1
                # A is as quiet (nothing to gossip), but it is in our topic: kept past the timeout
                await trio.sleep(2.0)
                assert a.peer_id in b.connected_peers()
                assert b.guard.closed["idle"] == 1
        finally:
            nodes.close()


@pytest.mark.trio
async def test_one_ip_cannot_take_every_slot(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            nodes.store("b").ingest(make_messages(50, tag="b-"))
            nodes.store("a").ingest(make_messages(30, tag="a-"))
            b = await nodes.start("b", max_connections_per_ip=4, handshake_timeout_seconds=60.0)
            flood = [await raw_client(b, "127.0.0.2", HELLO_NOISE) for _ in range(10)]
            await wait_for(lambda: b.guard.refused["per_ip"] == 6, 10, "6 of 10 refused")
            assert b.guard.inbound == 4
            async with trio.open_nursery() as checks:
                closed: list[bool] = []

                async def check(stream: trio.SocketStream) -> None:
                    closed.append(await closed_by_node(stream, 3))

                for stream in flood:
                    checks.start_soon(check, stream)
            assert sorted(closed) == [False] * 4 + [True] * 6  # the first 4 still held

            # an honest host (another IP) still connects, and both sides sync
            a = await nodes.start("a", bootstrap=(b.addrs[0],))
            await wait_for(lambda: len(nodes.store("b")) == 80, 15, "B to receive A's messages")
            await wait_for(lambda: len(nodes.store("a")) == 80, 15, "A to receive B's messages")
            assert a.peer_id in b.connected_peers()
            for stream in flood:
                await stream.aclose()
        finally:
            nodes.close()


@pytest.mark.trio
async def test_the_total_cap_holds_and_follows_the_descriptor_limit(tmp_path: Path) -> None:
    assert inbound_cap(512, 256) == 64  # a quarter of the soft limit
    assert inbound_cap(512, 1_000_000) == 512
    assert inbound_cap(512, -1) == 512  # RLIM_INFINITY
    assert inbound_cap(512, 2) == 1
    assert InboundGuard(P2PSettings(max_inbound_connections=100), soft_nofile=256).max_inbound == 64

    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            b = await nodes.start("b", max_inbound_connections=5, handshake_timeout_seconds=60.0)
            held = [await raw_client(b, f"127.0.0.{2 + i}", HELLO_NOISE) for i in range(5)]
            await wait_for(lambda: b.guard.inbound == 5, 10, "5 held")
            extra = await raw_client(b, "127.0.0.9", HELLO_NOISE)
            assert await closed_by_node(extra, 10)
            assert b.guard.refused["total"] == 1 and b.guard.inbound == 5
            for stream in held:
                await stream.aclose()
            await wait_for(lambda: b.guard.inbound == 0, 10, "the slots to be freed")
            assert b.status()["connections"]["max_inbound"] == 5
        finally:
            nodes.close()


CHILD = r"""
import logging, os, resource, sys, trio
from pathlib import Path
from node.config import P2PSettings
from node.p2p import serve
from node.store import Store

logging.basicConfig(level=logging.INFO, stream=sys.stderr, force=True)
resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

async def main() -> None:
    tmp = Path(sys.argv[1])
    with Store(tmp / "s.sqlite", 31337) as store:
        async with trio.open_nursery() as nursery:
            settings = P2PSettings(listen="/ip4/127.0.0.1/tcp/0", max_connections_per_ip=1000)
            node = await nursery.start(serve, settings, tmp, 31337, store)
            print(node.addrs[0], flush=True)
            held = []
            try:
                while True:
                    held.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                pass
            print("full", flush=True)
            await trio.sleep(3.0)  # accept(2) fails with EMFILE all this time
            for fd in held:
                os.close(fd)
            print("freed", flush=True)
            await trio.sleep(60)

trio.run(main)
"""


@pytest.mark.trio
async def test_emfile_is_one_warning_and_the_listener_goes_on(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        readline = proc.stdout.readline  # type: ignore[union-attr]
        with trio.fail_after(30):
            addr = (await trio.to_thread.run_sync(readline)).strip()
            port = int(addr.split("/")[4])
            assert (await trio.to_thread.run_sync(readline)).strip() == "full"
            waiting = [await trio.open_tcp_stream("127.0.0.1", port) for _ in range(5)]
            assert (await trio.to_thread.run_sync(readline)).strip() == "freed"
            # the listener kept going: a new client is served (multistream answers)
            client = await trio.open_tcp_stream("127.0.0.1", port)
            await client.send_all(multistream("/multistream/1.0.0"))
            reply = b""
            while multistream("/multistream/1.0.0") not in reply:
                reply += await client.receive_some(100)
        for stream in [*waiting, client]:
            await stream.aclose()
    finally:
        proc.kill()
        _, err = await trio.to_thread.run_sync(proc.communicate)
    emfile = [line for line in err.splitlines() if "EMFILE" in line]
    assert "Traceback" not in err
    assert len(emfile) == 1 and emfile[0].startswith("WARNING"), emfile


# -- minor: future timestamps, IP cool-down, quiet logs ------------------------------------


@pytest.mark.trio
async def test_future_timestamps_count_as_faults_until_a_ban(tmp_path: Path) -> None:
    future = int(time.time()) + 3600
    key = os.urandom(32)
    ahead = [
        encode_message(
            sign_message("Post", {"text": f"from the future {i}", "timestamp": future + i}, key, CHAIN)
        )
        for i in range(25)
    ]
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            b = await nodes.start("b")
            evil = make_host(create_new_key_pair())
            async with evil.run([parse_listen_addr("/ip4/127.0.0.1/tcp/0")]):
                assert await try_connect(evil, b)
                evil_id = evil.get_id().to_string()
                stream = await evil.new_stream(parse_peer_addr(b.addrs[0]).peer_id, [SYNC_PROTOCOL])
                await open_sync(stream)
                await write_frame(stream, b"\x04" + encode_batch(ahead[:5]), timeout=5)
                assert await read_frame(stream, max_size=1 << 20, timeout=5) == b"\x05\x00"  # ACK 0
                assert b.peers.get(evil_id).faults_total == 5
                await write_frame(stream, b"\x04" + encode_batch(ahead[5:]), timeout=5)
                await wait_for(lambda: b.peers.is_banned(evil_id), 10, "the ban")
                await wait_for(lambda: evil_id not in b.connected_peers(), 10, "disconnect")
            assert len(nodes.store("b")) == 0
        finally:
            nodes.close()


@pytest.mark.trio
async def test_a_banned_peers_ip_cools_down(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            nodes.store("a").ingest(make_messages(20, tag="a-"))
            b = await nodes.start("b", ip_cooldown_seconds=30.0)
            forged = [forge(m) for m in make_messages(25, tag="evil-")]
            evil = host_from("127.0.0.2")
            async with evil.run([parse_listen_addr("/ip4/127.0.0.1/tcp/0")]):
                assert await try_connect(evil, b)
                evil_id = evil.get_id().to_string()
                stream = await evil.new_stream(parse_peer_addr(b.addrs[0]).peer_id, [SYNC_PROTOCOL])
                await open_sync(stream)
                await write_frame(stream, b"\x04" + encode_batch(forged), timeout=5)
                await wait_for(lambda: b.peers.is_banned(evil_id), 10, "the ban")
                await wait_for(lambda: evil_id not in b.connected_peers(), 10, "disconnect")

            # a fresh identity from the same IP is refused at once ...
            again = host_from("127.0.0.2")
            async with again.run([parse_listen_addr("/ip4/127.0.0.1/tcp/0")]):
                assert not await try_connect(again, b)
                assert again.get_id().to_string() not in b.connected_peers()
            assert b.guard.refused["cooling"] >= 1
            assert b.status()["connections"]["cooling_ips"] == 1

            # ... while an honest host on another IP connects and syncs
            a = await nodes.start("a", bootstrap=(b.addrs[0],))
            await wait_for(lambda: len(nodes.store("b")) == 20, 15, "B to sync from A")
            assert a.peer_id in b.connected_peers()
        finally:
            nodes.close()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture):
    """Every record at INFO and above that reaches the root handlers, as a node's log file."""
    caplog.set_level(logging.INFO, logger="libp2p")
    caplog.set_level(logging.INFO, logger="async_service")
    caplog.set_level(logging.INFO, logger="node")
    handler = Records()
    logging.getLogger().addHandler(handler)
    yield handler.records
    logging.getLogger().removeHandler(handler)


@pytest.mark.trio
async def test_peer_events_log_one_line_each_without_tracebacks(tmp_path: Path, records) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            b = await nodes.start("b")
            # 30 clients that speak a wrong protocol: 30 failed upgrades, each logged by libp2p
            for _ in range(30):
                stream = await raw_client(b, "127.0.0.2", multistream("/multistream/0.0.0"))
                assert await closed_by_node(stream, 10)
            # 15 pushes with one forgery each: 15 fault events from one peer (not yet a ban)
            evil = make_host(create_new_key_pair())
            async with evil.run([parse_listen_addr("/ip4/127.0.0.1/tcp/0")]):
                assert await try_connect(evil, b)
                stream = await evil.new_stream(parse_peer_addr(b.addrs[0]).peer_id, [SYNC_PROTOCOL])
                await open_sync(stream)
                for m in make_messages(15, tag="forged-"):
                    await write_frame(stream, b"\x04" + encode_batch([forge(m)]), timeout=5)
                    await read_frame(stream, max_size=1 << 20, timeout=5)
                assert b.peers.get(evil.get_id().to_string()).faults_total == 15
        finally:
            nodes.close()

    assert [r.getMessage() for r in records if r.exc_info] == []
    upgrades = [r for r in records if "upgrade security" in r.getMessage()]
    assert 1 <= len(upgrades) <= 2 and all(r.levelno <= logging.WARNING for r in upgrades)
    faults = [r for r in records if "fault points" in r.getMessage()]
    assert 1 <= len(faults) <= 2


def test_library_tracebacks_become_one_throttled_line() -> None:
    quiet_library_logs()
    handler = Records()
    logger = logging.getLogger("async_service.Manager")
    logger.addHandler(handler)
    old_level, logger.level = logger.level, logging.INFO
    try:
        for _ in range(5):
            try:
                raise ConnectionResetError("peer went away")
            except ConnectionResetError:
                logger.error("task exited with error", exc_info=True)
    finally:
        logger.removeHandler(handler)
        logger.level = old_level
    [record] = handler.records
    assert record.exc_info is None and record.levelname == "WARNING"
    assert record.getMessage() == "task exited with error: ConnectionResetError: peer went away"

    throttle = Throttle(10.0)
    assert throttle.allow("k", now=0.0) == 0
    assert [throttle.allow("k", now=t) for t in (1.0, 2.0, 9.9)] == [None] * 3
    assert throttle.allow("k", now=10.0) == 3  # the next line says how many were held back
    assert isinstance(logger.filters[0], LibraryNoise)
