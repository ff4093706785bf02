"""``/mecenate/peers/1.0.0``: records round-trip; a malformed, oversized or lying peer list is a
protocol fault of its sender and teaches the node nothing, over real libp2p hosts on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trio
from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo

from node.errors import PeerMisbehaved
from node.messages.community import community_id
from node.messages.scope import EVERYTHING, Scopes
from node.p2p import SYNC_PROTOCOL, P2PNode
from node.p2p.framing import read_frame, write_frame
from node.p2p.host import make_host, parse_listen_addr, parse_peer_addr
from node.p2p.peerlist import (
    MAX_RECORD_SCOPES,
    MAX_RECORDS,
    PEERS_PROTOCOL,
    decode_record,
    decode_reply,
    encode_record,
    encode_reply,
)
from node.p2p.peers import FAULT_PROTOCOL, PeerBook, PeerRecord
from node.varint import encode_varint_be

from .conftest import Nodes, open_sync, wait_for

C1 = community_id("0x" + "11" * 20, "one")
C2 = community_id("0x" + "11" * 20, "two")


def a_peer_id() -> str:
    return str(ID.from_pubkey(create_new_key_pair().public_key).to_base58())


def record(scopes: Scopes = EVERYTHING, port: int = 4001) -> PeerRecord:
    return PeerRecord(a_peer_id(), scopes, (f"/ip4/127.0.0.1/tcp/{port}",))


def test_a_record_round_trips_and_leaves_out_what_a_record_cannot_say() -> None:
    r = record(Scopes.of([C1, C2]))
    assert decode_record(encode_record(r)) == (r, len(encode_record(r)))
    noisy = PeerRecord(
        r.peer_id, r.scopes, (*r.addrs, "/ip4/10.0.0.1/udp/9", f"/ip4/1.2.3.4/tcp/5/p2p/{r.peer_id}")
    )
    assert decode_record(encode_record(noisy))[0] == r  # not host/tcp: left out
    many = Scopes.of(bytes([i]) * 32 for i in range(MAX_RECORD_SCOPES + 10))
    said = decode_record(encode_record(PeerRecord(r.peer_id, many, r.addrs)))[0].scopes
    assert said.communities is not None and said.communities < many.communities  # type: ignore[operator]
    assert len(said.communities) == MAX_RECORD_SCOPES


def test_a_reply_holds_at_most_max_records() -> None:
    records = [record(port=4000 + i) for i in range(MAX_RECORDS + 5)]
    assert decode_reply(encode_reply(records)) == records[:MAX_RECORDS]


def _reply_of(records: list[PeerRecord], count: int | None = None) -> bytes:
    body = encode_reply(records)
    return encode_varint_be(len(records) if count is None else count) + body[1:]


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(lambda good: _reply_of(good, MAX_RECORDS + 1), id="too many records"),
        pytest.param(lambda good: encode_reply(good) + b"\x00", id="trailing bytes"),
        pytest.param(lambda good: encode_reply(good)[:-3], id="cut short"),
        pytest.param(lambda good: _reply_of(good, len(good) + 1), id="count past the records"),
        pytest.param(lambda good: b"\x01\x05hello" + encode_record(good[0])[7:], id="id not a multihash"),
    ],
)
def test_a_malformed_reply_is_refused_whole(reply: Callable[[list[PeerRecord]], bytes]) -> None:
    with pytest.raises(PeerMisbehaved):
        decode_reply(reply([record(), record(Scopes.of([C1]))]))


def test_a_record_with_a_bad_address_is_refused() -> None:
    no_address = encode_record(PeerRecord(a_peer_id(), EVERYTHING, ()))
    assert no_address.endswith(b"\x00")  # no address
    with pytest.raises(PeerMisbehaved):
        decode_record(no_address[:-1] + b"\x01\x04\x00\x01\x02\x03")  # one, of 4 garbage bytes


# ------------------------------------------------------------------------------ real hosts


@asynccontextmanager
async def bare_host(node: P2PNode) -> AsyncIterator[tuple[Any, ID]]:
    """A bare libp2p host on 127.0.0.1 connected to ``node`` (it dialled): the host and the
    node's peer id."""
    host = make_host(create_new_key_pair())
    async with host.run([parse_listen_addr("/ip4/127.0.0.1/tcp/0")]):
        info = parse_peer_addr(node.addrs[0])
        await host.connect(PeerInfo(info.peer_id, info.addrs))
        yield host, info.peer_id


@asynccontextmanager
async def evil_peer(node: P2PNode, handler: Callable[[Any], Awaitable[None]]) -> AsyncIterator[str]:
    """A bare host answering the peer-list protocol with ``handler``, connected to ``node``
    (the node does not ask it by itself). Its peer id."""
    async with bare_host(node) as (evil, _):
        evil.set_stream_handler(TProtocol(PEERS_PROTOCOL), handler)
        yield evil.get_id().to_string()


async def ask_for_peers(host: Any, node_id: ID, own: PeerRecord) -> bytes:
    """``host`` asks the node ``node_id`` for peers, giving its ``own`` record: the reply."""
    stream = await host.new_stream(node_id, [TProtocol(PEERS_PROTOCOL)])
    await write_frame(stream, encode_record(own), timeout=5)
    return await read_frame(stream, max_size=1 << 20, timeout=5)


def known(node: P2PNode) -> set[str]:
    return {p.peer_id for p in node.peers.all() if p.addrs}


HOSTILE = {
    "oversized": b"\x00" * 70_000,
    "too many": _reply_of([record(Scopes.of([C1]))] * 2, MAX_RECORDS + 1),
    "good then garbage": encode_reply([record(Scopes.of([C1]))]) + b"\xff\xff",
}


@pytest.mark.trio
@pytest.mark.parametrize("kind", list(HOSTILE))
async def test_a_hostile_reply_changes_nothing_and_counts_a_fault(tmp_path: Path, kind: str) -> None:
    async def hostile(stream: Any) -> None:
        await read_frame(stream, max_size=1 << 20, timeout=5)
        length = len(HOSTILE[kind])
        await stream.write(length.to_bytes(4, "big") + HOSTILE[kind][:60_000])
        await trio.sleep(1)

    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            node = await nodes.start("a", scopes=f"0x{C1.hex()}")
            before = known(node)
            async with evil_peer(node, hostile) as evil_id:
                await node.discovery.exchange(ID.from_base58(evil_id))
                assert node.peers.get(evil_id).faults_total == FAULT_PROTOCOL
                assert known(node) == before  # not even the good record before the garbage
        finally:
            nodes.close()


@pytest.mark.trio
async def test_a_request_naming_another_peer_is_a_fault(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            node = await nodes.start("a")
            async with bare_host(node) as (evil, node_id):
                evil_id = evil.get_id().to_string()
                stream = await evil.new_stream(node_id, [TProtocol(PEERS_PROTOCOL)])
                someone = record(Scopes.of([C1]))
                await write_frame(stream, encode_record(someone), timeout=5)
                await wait_for(lambda: node.peers.get(evil_id).faults_total > 0, 10, "the fault")
                assert node.peers.get(evil_id).faults_total == FAULT_PROTOCOL
                assert someone.peer_id not in known(node)
        finally:
            nodes.close()


@pytest.mark.trio
async def test_an_honest_exchange_teaches_both_sides_first_hand(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            a = await nodes.start("a", scopes=f"0x{C1.hex()}", scope_peers=0)
            b = await nodes.start("b", scopes="base", scope_peers=0)
            await b.connect(a.addrs[0])
            await b.discovery.exchange(ID.from_base58(a.peer_id))
            on_b, on_a = b.peers.get(a.peer_id), a.peers.get(b.peer_id)
            assert on_b.first_hand and on_b.scopes == Scopes.of([C1]) and on_b.addrs
            assert on_a.first_hand and on_a.scopes == Scopes.of([]) and on_a.addrs
            assert f"{on_a.addrs[0]}/p2p/{b.peer_id}" == b.addrs[0]
            assert a.peers.get(b.peer_id).faults_total == b.peers.get(a.peer_id).faults_total == 0
        finally:
            nodes.close()


@pytest.mark.trio
async def test_a_made_up_record_is_never_passed_on_and_is_forgotten_after_a_failed_dial(
    tmp_path: Path,
) -> None:
    made_up = record(Scopes.of([C1]), port=1)  # nobody listens there

    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            a = await nodes.start("a", scopes=f"0x{C1.hex()}", scope_peers=0)

            async def lying(stream: Any) -> None:
                await read_frame(stream, max_size=1 << 20, timeout=5)
                await write_frame(stream, encode_reply([made_up]), timeout=5)

            async with evil_peer(a, lying) as evil_id:
                await a.discovery.exchange(ID.from_base58(evil_id))
                assert a.peers.peek(made_up.peer_id).scopes == Scopes.of([C1])  # heard of, second hand
                asker = record(Scopes.of([C1]))
                assert made_up not in a.discovery._reply_for(asker)  # never passed on
                await a.discovery._dial(made_up.peer_id)
                assert made_up.peer_id not in known(a)  # unreachable: forgotten
                assert a.peers.get(evil_id).faults_total == 0
        finally:
            nodes.close()


@pytest.mark.trio
async def test_a_peer_asking_again_too_soon_gets_no_reply(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            node = await nodes.start("a", scopes=f"0x{C1.hex()}")
            async with bare_host(node) as (evil, node_id):
                own = PeerRecord(evil.get_id().to_string(), Scopes.of([C1]), ("/ip4/127.0.0.1/tcp/4001",))
                assert decode_reply(await ask_for_peers(evil, node_id, own))[0].peer_id == node.peer_id
                with pytest.raises(Exception):  # reset: no reply within half the exchange interval
                    await ask_for_peers(evil, node_id, own)
                assert node.peers.get(own.peer_id).faults_total == 0
        finally:
            nodes.close()


# ------------------------------------------------------------------------------ the book


def test_what_others_say_of_a_peer_never_overwrites_what_it_said_itself() -> None:
    book = PeerBook(fault_threshold=20, ban_seconds=300)
    honest = record(Scopes.of([C1]))
    assert book.heard(honest.peer_id, scopes=honest.scopes, addrs=honest.addrs, first_hand=True)
    lie = ("/ip4/10.9.9.9/tcp/1",)
    assert not book.heard(honest.peer_id, scopes=Scopes.of([C2]), addrs=lie, first_hand=False)
    assert book.get(honest.peer_id).record() == honest
    assert book.heard(honest.peer_id, scopes=EVERYTHING, first_hand=True)  # its SCOPES frame
    assert book.get(honest.peer_id).addrs == honest.addrs  # kept: the frame names no address


def test_the_book_is_bounded_and_forgets_second_hand_records_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("node.p2p.peers.MAX_KNOWN_PEERS", 4)
    book = PeerBook(fault_threshold=20, ban_seconds=300)
    mine = record(Scopes.of([C1]))
    book.heard(mine.peer_id, scopes=mine.scopes, addrs=mine.addrs, first_hand=True)
    faulty = a_peer_id()
    book.add_fault(faulty, 1)
    heard = [record(Scopes.of([C1])) for _ in range(5)]
    for r in heard:
        book.heard(r.peer_id, scopes=r.scopes, addrs=r.addrs, first_hand=False)
    kept = {p.peer_id for p in book.all()}
    assert len(kept) == 4 and {mine.peer_id, faulty} <= kept  # the oldest second-hand ones went
    assert kept - {mine.peer_id, faulty} == {heard[-2].peer_id, heard[-1].peer_id}
    assert book.records(Scopes.of([C1]), leave_out=(), limit=2)[0] == mine  # first hand first
    assert book.records(Scopes.of([C2]), leave_out=(), limit=10) == []  # nobody else serves 2


@pytest.mark.trio
async def test_a_peer_that_leaves_without_a_record_leaves_the_book(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            node = await nodes.start("a", scopes=f"0x{C1.hex()}")
            for has_record in (False, True):
                async with bare_host(node) as (peer, node_id):
                    pid = peer.get_id().to_string()
                    if has_record:  # it asks for peers, giving its own record: first hand
                        told = PeerRecord(pid, Scopes.of([C1]), ("/ip4/127.0.0.1/tcp/4001",))
                        await ask_for_peers(peer, node_id, told)
                    else:  # a sync session, and nothing said of itself
                        stream = await peer.new_stream(node_id, [TProtocol(SYNC_PROTOCOL)])
                        await open_sync(stream)
                        await stream.close()
                    await wait_for(lambda: pid in {p.peer_id for p in node.peers.all()}, 10, "the book")
                    await wait_for(lambda: not node.peers.peek(pid).active_sessions, 10, "the session's end")
                    await peer.disconnect(node_id)
                await wait_for(lambda: pid not in node.connected_peers(), 10, "the disconnection")
                if has_record:
                    assert node.peers.peek(pid).record() == told  # kept, to pass on
                else:
                    await wait_for(lambda: pid not in {p.peer_id for p in node.peers.all()}, 10, "forgotten")
        finally:
            nodes.close()
