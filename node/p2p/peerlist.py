"""``/mecenate/peers/1.0.0``: two connected nodes tell each other which nodes they know, what
those serve and where they listen, so that nodes serving a community find each other
(peering by scope, :mod:`node.p2p.discovery`).

Spec
====

One exchange is one libp2p stream, opened by the *client*; two frames
(``node.p2p.framing``: 4-byte big-endian length, then the payload), then both sides close::

    Request  := <Record>                               client -> server: the client itself
    Reply    := <count: Varint> <Record>{count}          server -> client, count <= MAX_RECORDS
    Record   := <id length: Varint> <peer id: Byte{id length}>
                <Scopes>
                <addr count: Varint> (<length: Varint> <multiaddr: Byte{length}>){addr count}
    Scopes   := <all: Byte 0|1> <count: Varint> <community: Byte{32}>{count}   (sync's SCOPES body)
                count <= MAX_RECORD_SCOPES

The request's record is the client's own: its peer id (the one its connection authenticated:
any other is a fault), the scopes it serves and its listen addresses. The reply's first record
is the server's own; then up to ``MAX_RECORDS - 1`` records of other peers that serve a
community the client serves (those the server knows first hand first, then the most recently
heard of), never the client itself, while the frame stays within ``MAX_FRAME`` bytes. A peer
id is a libp2p peer id (a multihash, at most ``MAX_PEER_ID`` bytes); a multiaddr is the
binary form of ``/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>``, at most ``MAX_ADDR`` bytes and
``MAX_ADDRS`` of them per record, with no ``/p2p`` part (the record names the peer). A record
lists at most ``MAX_RECORD_SCOPES`` communities: a node serving more names the first ones in
ascending id order (its SCOPES frame in a sync says them all to its connected peers).

A record a peer gives of itself is first hand; the others are second hand and never
overwrite what a node learned first hand (:class:`~node.p2p.peers.PeerBook`). A frame that
does not parse whole, breaks a limit, or a request naming another peer, is a protocol fault of
its sender, and nothing of it is kept; every read times out after ``READ_TIMEOUT`` seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import multiaddr
import multihash  # type: ignore[import-untyped]  # py-multihash ships no type information
from libp2p.peer.id import ID

from node.errors import PeerMisbehaved
from node.p2p.framing import read_frame, write_frame
from node.p2p.negentropy import NegentropyError, decode_varint_be, encode_varint_be
from node.p2p.peers import PeerRecord
from node.p2p.sync import encode_scopes, read_scopes

log = logging.getLogger(__name__)

__all__ = [
    "MAX_RECORDS",
    "MAX_RECORD_SCOPES",
    "PEERS_PROTOCOL",
    "answer",
    "ask",
    "decode_record",
    "decode_reply",
    "encode_record",
    "encode_reply",
]

PEERS_PROTOCOL = "/mecenate/peers/1.0.0"

#: Most records in one reply (the server's own included).
MAX_RECORDS = 32
#: Most addresses in one record, and bytes of one (binary) multiaddr.
MAX_ADDRS = 4
MAX_ADDR = 64
#: Most communities one record lists (bounds what the records a node keeps can hold).
MAX_RECORD_SCOPES = 64
#: Bytes of a peer id (an Ed25519 identity multihash is 38).
MAX_PEER_ID = 64
#: Bytes of either frame's payload.
MAX_FRAME = 64 * 1024
READ_TIMEOUT = 10.0
WRITE_TIMEOUT = 10.0
#: Transport protocols a record's address may start with.
HOSTS = frozenset({"ip4", "ip6", "dns", "dns4", "dns6"})


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    try:
        return decode_varint_be(data, pos)
    except NegentropyError as exc:
        raise PeerMisbehaved(f"bad peer record: {exc}") from exc


def _bytes(data: bytes, pos: int, limit: int, what: str) -> tuple[bytes, int]:
    length, pos = _varint(data, pos)
    if not 0 < length <= limit or pos + length > len(data):
        raise PeerMisbehaved(f"{what} of {length} bytes (limit {limit}) in a peer record")
    return data[pos : pos + length], pos + length


def _peer_id(raw: bytes) -> str:
    try:
        multihash.decode(raw)
    except Exception as exc:  # py-multihash raises several kinds
        raise PeerMisbehaved("a peer record's id is not a multihash") from exc
    return str(ID(raw).to_base58())


def _addr(raw: bytes) -> str:
    try:
        ma = multiaddr.Multiaddr(raw)
        names = [p.name for p in ma.protocols()]
        text = str(ma)
    except Exception as exc:  # py-multiaddr raises several kinds, some only when read
        raise PeerMisbehaved("a peer record's address is not a multiaddr") from exc
    if len(names) != 2 or names[0] not in HOSTS or names[1] != "tcp":
        raise PeerMisbehaved(f"a peer record's address is not host/tcp: {text}")
    return text


def _wire_addr(text: str) -> bytes | None:
    """The binary form of a host/tcp multiaddr of at most ``MAX_ADDR`` bytes; else ``None``."""
    try:
        raw = multiaddr.Multiaddr(text).to_bytes()
        _addr(raw)
    except Exception:  # not a multiaddr, or not host/tcp
        return None
    return raw if len(raw) <= MAX_ADDR else None


def encode_record(record: PeerRecord) -> bytes:
    """A :data:`Record`; addresses past ``MAX_ADDRS``, or not of the host/tcp form, are left out."""
    peer_id = ID.from_base58(record.peer_id).to_bytes()
    addrs = [a for a in map(_wire_addr, record.addrs) if a is not None][:MAX_ADDRS]
    parts = [
        encode_varint_be(len(peer_id)),
        peer_id,
        encode_scopes(record.scopes, MAX_RECORD_SCOPES),
        encode_varint_be(len(addrs)),
    ]
    for a in addrs:
        parts += [encode_varint_be(len(a)), a]
    return b"".join(parts)


def decode_record(data: bytes, pos: int = 0) -> tuple[PeerRecord, int]:
    """The :data:`Record` at ``data[pos]``, and where it ends. Raises PeerMisbehaved."""
    raw, pos = _bytes(data, pos, MAX_PEER_ID, "a peer id")
    peer_id = _peer_id(raw)
    scopes, pos = read_scopes(data, pos, MAX_RECORD_SCOPES)
    count, pos = _varint(data, pos)
    if count > MAX_ADDRS:
        raise PeerMisbehaved(f"a peer record with {count} addresses (limit {MAX_ADDRS})")
    addrs = []
    for _ in range(count):
        raw, pos = _bytes(data, pos, MAX_ADDR, "an address")
        addrs.append(_addr(raw))
    return PeerRecord(peer_id, scopes, tuple(addrs)), pos


def encode_reply(records: list[PeerRecord]) -> bytes:
    """A :data:`Reply` of the first records that fit ``MAX_RECORDS`` and ``MAX_FRAME``."""
    encoded: list[bytes] = []
    size = 2  # the count varint (at most 2 bytes for MAX_RECORDS)
    for record in records[:MAX_RECORDS]:
        body = encode_record(record)
        if size + len(body) > MAX_FRAME:
            break
        encoded.append(body)
        size += len(body)
    return encode_varint_be(len(encoded)) + b"".join(encoded)


def decode_reply(data: bytes) -> list[PeerRecord]:
    """The records of a :data:`Reply`. Raises PeerMisbehaved unless it parses whole."""
    count, pos = _varint(data, 0)
    if count > MAX_RECORDS:
        raise PeerMisbehaved(f"a peer list of {count} records (limit {MAX_RECORDS})")
    records = []
    for _ in range(count):
        record, pos = decode_record(data, pos)
        records.append(record)
    if pos != len(data):
        raise PeerMisbehaved("trailing bytes after a peer list")
    return records


async def ask(stream: Any, own: PeerRecord) -> list[PeerRecord]:
    """The client's side: send ``own`` record, read the server's list. Raises PeerMisbehaved
    for a malformed reply, StreamBroken when the stream fails or times out."""
    await write_frame(stream, encode_record(own), timeout=WRITE_TIMEOUT)
    return decode_reply(await read_frame(stream, max_size=MAX_FRAME, timeout=READ_TIMEOUT))


async def answer(
    stream: Any, peer_id: str, reply_for: Callable[[PeerRecord], list[PeerRecord]]
) -> PeerRecord:
    """The server's side with ``peer_id`` (the connection's): read its record, send
    ``reply_for(record)``; returns the record. Raises PeerMisbehaved for a malformed request or
    one naming another peer, StreamBroken when the stream fails or times out."""
    frame = await read_frame(stream, max_size=MAX_FRAME, timeout=READ_TIMEOUT)
    record, end = decode_record(frame)
    if end != len(frame):
        raise PeerMisbehaved("trailing bytes after a peer-list request")
    if record.peer_id != peer_id:
        raise PeerMisbehaved("a peer-list request names another peer")
    await write_frame(stream, encode_reply(reply_for(record)), timeout=WRITE_TIMEOUT)
    return record
