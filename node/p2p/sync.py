"""``/mecenate/sync/2.0.0``: scopes exchanged, catch-up by set reconciliation per shared
scope, then fetch and push in batches.

Spec
====

One session is one libp2p stream, opened by the *client* (the side that wants to sync; on a
new connection, the dialer). Every unit on the stream is a frame (``node.p2p.framing``:
4-byte big-endian length, then the payload), and every payload is one message::

    Message   := <type: Byte> <body>

    0x01 RECONCILE  body = one negentropy v1 message (node.p2p.negentropy)   both ways
    0x02 WANT       body = <count: Varint> <id: Byte{32}>{count}              client -> server
    0x03 MESSAGES   body = <answered: Varint> <Batch>                         server -> client
    0x04 PUSH       body = <Batch>                                            client -> server
    0x05 ACK        body = <accepted: Varint>                                 server -> client
    0x06 DONE       body = empty                                              client -> server
    0x08 SCOPES     body = <all: Byte 0|1> <count: Varint> <community: Byte{32}>{count}  both ways
    0x7F ERROR      body = UTF-8 text (why the server gives up), then it resets the stream

RECONCILE from the client is ``<scope: Varint> <negentropy v1 message>`` (``scope`` indexes
the shared scopes, below); from the server, the negentropy message alone.

Strictly request/response, client first. The session runs in four phases:

0. Scopes: the client sends SCOPES (the scopes it serves: ``all`` = 1 and no ids, or 0 and the
   ids of its communities, at most ``MAX_SCOPES``; the base scope is always served), the
   server answers with its own. The shared scopes (:func:`shared_scopes`): every scope when
   both serve all, else the base scope then the communities both serve (``all`` serves any),
   in ascending id order. Only messages of the shared scopes are reconciled, fetched and
   pushed; one outside them is a fault of its sender (``out_of_scope``).
1. Reconcile, one shared scope after the other (every scope at once when both serve all): the
   client sends RECONCILE(scope, initiate) over that scope's keys, the server answers each
   RECONCILE with RECONCILE over the same scope's keys, until the client's negentropy state
   says it is done. The client now knows ``need`` (ids only the server has) and ``have`` (ids
   only the client has). Keys are ``(timestamp, message id)``; negentropy frames are limited to
   ``RECONCILE_FRAME`` bytes.
2. Fetch: WANT up to ``MAX_WANT`` ids; the server answers MESSAGES with the wire forms of the
   ones it holds, in the order asked, while the framed reply stays within ``MESSAGES_BUDGET``
   bytes (``node.p2p.framing.BatchPacker`` counts exactly). ``answered``
   says how many of the asked ids it dealt with (sent, or unknown: deleted meanwhile); the
   client asks for the rest again. A client may keep several WANTs in flight (this one keeps
   two, sized to what one MESSAGES frame answered) while it ingests the previous batch.
3. Push: PUSH batches of the messages only the client has, each frame within ``PUSH_BUDGET``
   bytes and ``MAX_BATCH`` messages; the server verifies and merges them and answers ACK with
   how many it accepted.

Then DONE, and both sides close. ``Batch`` is ``node.p2p.framing``'s batch encoding.

A peer opening an earlier version (``OLD_SYNC_PROTOCOLS``) gets one ERROR frame saying which
version this node speaks, and the stream is reset; that is no fault.

Limits (a server enforces them; breaking one ends the session, resets the stream and counts
a fault): frames up to ``MAX_FRAME`` bytes; every read times out after ``READ_TIMEOUT``
seconds; a session opens with SCOPES; at most ``MAX_ROUNDS`` RECONCILE rounds (plus one per
shared scope), ``MAX_REQUESTS`` frames,
``MAX_UNKNOWN_WANTS`` asked-for ids it does not hold, and ``SESSION_SECONDS`` seconds per
session; at most ``MAX_SESSIONS_PER_PEER`` concurrent
sessions per peer. Every message received is verified before it is merged; a forged one
counts against the sender.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import trio

from node.errors import PeerMisbehaved
from node.messages import Reason, RetryAtEnd
from node.messages.scope import EVERYTHING, Scopes, scope_name, shared_scopes
from node.p2p.config import GOODBYE_TIMEOUT
from node.p2p.framing import FRAME_HEADER, BatchPacker, StreamBroken, decode_batch, read_frame, write_frame
from node.p2p.index import SyncIndex
from node.p2p.negentropy import (
    ID_SIZE,
    Negentropy,
    NegentropyError,
    decode_varint_be,
    encode_varint_be,
)
from node.p2p.peers import FAULT_MESSAGE, SyncState
from node.varint import varint_size

log = logging.getLogger(__name__)

SYNC_PROTOCOL = "/mecenate/sync/2.0.0"
#: Versions this node no longer speaks: a peer opening one is told so (ERROR), not ignored.
OLD_SYNC_PROTOCOLS = ("/mecenate/sync/1.0.0",)

RECONCILE, WANT, MESSAGES, PUSH, ACK, DONE, SCOPES, ERROR = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08, 0x7F

#: Most community ids one SCOPES frame may list.
MAX_SCOPES = 1024

MAX_FRAME = 1 << 20
RECONCILE_FRAME = 512 * 1024
MAX_WANT = 4096
MESSAGES_BUDGET = 768 * 1024  # bytes of one MESSAGES frame, header included
MAX_BATCH = 4096
LOAD_CHUNK = 256  # ids a server loads from the store at a time while it fills a MESSAGES frame
PIPELINE = 2  # WANTs a client keeps in flight
FIRST_WANT = 1024  # ids in a client's first WANT; later ones follow what a MESSAGES frame held
MIN_WANT = 64  # fewest ids a client asks for at once (but for the last few)
PUSH_BUDGET = 512 * 1024  # bytes of one PUSH frame, header included
PUSH_LOAD = 1024  # messages a client loads from the store at a time while it pushes
READ_TIMEOUT = 20.0
WRITE_TIMEOUT = 20.0
MAX_ROUNDS = 200
MAX_REQUESTS = 20_000
MAX_RETRY = 5_000  # bad_signature messages a client keeps for one retry at the end
MAX_UNKNOWN_WANTS = 10_000  # ids a client may ask for that we do not hold (deleted meanwhile)
SESSION_SECONDS = 600.0
ERROR_TEXT = 200  # bytes of an ERROR frame's text that are sent, and shown
MAX_SESSIONS_PER_PEER = 2
# negentropy split policy (wire-compatible local choice; see benchmarks/sync.py)
BUCKETS = 8
ID_LIST_THRESHOLD = 6

#: Rejection reasons that say the sender forged, mangled or should not have relayed a
#: message. ``future_timestamp`` counts: an honest node refuses a message more than 10 minutes
#: ahead of its clock and never relays it, so a peer that keeps sending them (7,360 in 20 s
#: earned nothing before) is flooding; a skewed clock costs a point a message, which decays.
#: ``revoked_signer`` (the peer may not have seen the removal yet) is not a fault.
#: ``out_of_scope`` is: a message outside the scopes the session (or the gossip topic) carries.
FAULT_REASONS = frozenset(
    {
        Reason.OUT_OF_SCOPE,
        Reason.FUTURE_TIMESTAMP,
        Reason.MALFORMED,
        Reason.UNKNOWN_TYPE,
        Reason.MISSING_FIELD,
        Reason.UNKNOWN_FIELD,
        Reason.BAD_FIELD,
        Reason.FIELD_OUT_OF_BOUNDS,
        Reason.BAD_SIGNATURE,
        Reason.WRONG_CHAIN,
        Reason.NOT_AUTHORIZED,
    }
)


class SyncHost(Protocol):
    """What a session needs from the running node (implemented by the service)."""

    @property
    def scopes(self) -> Scopes:
        """The scopes this node serves now."""

    def sync_storages(self, shared: list[bytes] | None) -> list[SyncIndex]:
        """The keys of each shared scope, in order (``None``: one index of every key)."""

    def peer_serves(self, peer_id: str, scopes: Scopes) -> None:
        """Note what a peer said it serves, in its SCOPES frame."""

    async def ingest(self, origin: str, items: list[bytes], scopes: Scopes | None = None) -> Any: ...

    async def get_encoded(self, ids: list[bytes]) -> list[tuple[bytes, bytes]]:
        """``(id, wire form)`` of the held messages among ``ids``, in the order asked."""

    async def refresh_index(self) -> None: ...

    async def penalize(self, peer_id: str, points: float, why: str) -> None: ...


@dataclass
class _Counted:
    """Wraps a stream to count bytes for the status and the benchmark."""

    stream: Any
    state: SyncState

    async def read(self, n: int | None = -1) -> bytes:
        data = await self.stream.read(n)
        self.state.bytes_in += len(data)
        return data

    async def write(self, data: bytes) -> None:
        await self.stream.write(data)
        self.state.bytes_out += len(data)


def _faults(report: Any) -> int:
    return sum(1 for _, r in report.rejections() if r.reason in FAULT_REASONS)


def _encode_ids(ids: list[bytes]) -> bytes:
    return encode_varint_be(len(ids)) + b"".join(ids)


def _decode_ids(body: bytes, limit: int) -> list[bytes]:
    try:
        count, pos = decode_varint_be(body, 0)
    except NegentropyError as exc:
        raise PeerMisbehaved(f"bad id list: {exc}") from exc
    if count > limit or len(body) - pos != count * ID_SIZE:
        raise PeerMisbehaved(f"id list of {count} ids in {len(body) - pos} bytes (limit {limit})")
    return [body[p : p + ID_SIZE] for p in range(pos, len(body), ID_SIZE)]


def encode_scopes(scopes: Scopes, limit: int = MAX_SCOPES) -> bytes:
    """A SCOPES body: ``all``, or the communities served (the base scope goes without saying),
    the first ``limit`` of them in ascending order."""
    if scopes.everything:
        return b"\x01" + _encode_ids([])
    return b"\x00" + _encode_ids(sorted(scopes.communities or ())[:limit])


def decode_scopes(body: bytes) -> Scopes:
    """The scopes a SCOPES body names. Raises PeerMisbehaved for a malformed one."""
    scopes, end = read_scopes(body, 0)
    if end != len(body):
        raise PeerMisbehaved("trailing bytes after SCOPES")
    return scopes


def read_scopes(data: bytes, pos: int, limit: int = MAX_SCOPES) -> tuple[Scopes, int]:
    """The scopes a SCOPES body starting at ``data[pos]`` names (at most ``limit`` community
    ids), and where it ends (a peer list's records carry one each). Raises PeerMisbehaved for a
    malformed one."""
    if pos >= len(data) or data[pos] not in (0, 1):
        raise PeerMisbehaved("bad SCOPES body")
    try:
        count, start = decode_varint_be(data, pos + 1)
    except NegentropyError as exc:
        raise PeerMisbehaved(f"bad SCOPES body: {exc}") from exc
    end = start + count * ID_SIZE
    if count > limit or end > len(data):
        raise PeerMisbehaved(f"SCOPES of {count} communities (limit {limit}) runs past its frame")
    if data[pos] == 1:
        if count:
            raise PeerMisbehaved("SCOPES says all and lists communities")
        return EVERYTHING, end
    return Scopes.of(data[p : p + ID_SIZE] for p in range(start, end, ID_SIZE)), end


async def _agree_scopes(
    node: SyncHost, peer_id: str, theirs: Scopes, state: SyncState
) -> tuple[list[SyncIndex], Scopes]:
    """The shared scopes' keys, one index per scope in order, and those scopes as a set
    (written down in ``state`` for the status)."""
    node.peer_serves(peer_id, theirs)
    shared = shared_scopes(node.scopes, theirs)
    state.theirs = theirs.names()
    state.scopes = ["all"] if shared is None else [scope_name(scope) for scope in shared]
    await node.refresh_index()
    carried = EVERYTHING if shared is None else Scopes.of(shared[1:])
    return node.sync_storages(shared), carried


async def _send(stream: Any, kind: int, body: bytes = b"") -> None:
    await write_frame(stream, bytes([kind]) + body, timeout=WRITE_TIMEOUT)


async def _recv(stream: Any, expect: int | None = None) -> tuple[int, bytes]:
    frame = await read_frame(stream, max_size=MAX_FRAME, timeout=READ_TIMEOUT)
    kind = frame[0]
    if kind == ERROR:
        raise StreamBroken(f"peer gave up: {frame[1 : 1 + ERROR_TEXT].decode('utf-8', 'replace')}")
    if expect is not None and kind != expect:
        raise PeerMisbehaved(f"expected frame type {expect:#x}, got {kind:#x}")
    return kind, frame[1:]


# ---------------------------------------------------------------------------------------------
# client


async def run_client(node: SyncHost, stream: Any, peer_id: str, state: SyncState) -> None:
    """Run one full session as the client. Raises PeerMisbehaved or StreamBroken on failure."""
    s = _Counted(stream, state)
    with trio.fail_after(SESSION_SECONDS):
        await _send(s, SCOPES, encode_scopes(node.scopes))
        _, body = await _recv(s, SCOPES)
        storages, carried = await _agree_scopes(node, peer_id, decode_scopes(body), state)
        need: list[bytes] = []
        have: list[bytes] = []
        for scope, storage in enumerate(storages):
            neg = Negentropy(storage, RECONCILE_FRAME, buckets=BUCKETS, id_list_threshold=ID_LIST_THRESHOLD)
            msg: bytes | None = neg.initiate()
            while msg is not None:
                if state.rounds >= MAX_ROUNDS + len(storages):
                    raise PeerMisbehaved("reconciliation does not converge")
                state.rounds += 1
                await _send(s, RECONCILE, encode_varint_be(scope) + msg)
                _, reply = await _recv(s, RECONCILE)
                try:
                    msg, h, n = neg.reconcile_client(reply)
                except NegentropyError as exc:
                    raise PeerMisbehaved(f"bad reconcile reply: {exc}") from exc
                need += n
                have += h
        state.need, state.have = len(need), len(have)

        await _fetch(node, s, peer_id, need, state, carried)
        await _push(node, s, have)
        await _send(s, DONE)


async def _fetch(
    node: SyncHost, s: Any, peer_id: str, need: list[bytes], state: SyncState, carried: Scopes
) -> None:
    pending = list(reversed(need))  # pop() from the end
    inflight: list[list[bytes]] = []  # asked, not yet answered, oldest first
    retry = RetryAtEnd[bytes](MAX_RETRY)  # refused for a signer we may learn later in this session
    ask_size = FIRST_WANT  # adapts to how many ids one MESSAGES frame answers

    wants = 0

    async def fill() -> None:
        nonlocal wants
        while pending and len(inflight) < PIPELINE:
            wants += 1
            if wants > MAX_REQUESTS:
                raise PeerMisbehaved("the peer keeps advertising ids it does not deliver")
            n = min(ask_size, MAX_WANT, len(pending))
            ids = [pending.pop() for _ in range(n)]
            inflight.append(ids)
            await _send(s, WANT, _encode_ids(ids))

    await fill()
    while inflight:
        _, body = await _recv(s, MESSAGES)
        asked = inflight.pop(0)
        try:
            answered, pos = decode_varint_be(body, 0)
        except NegentropyError as exc:
            raise PeerMisbehaved(f"bad MESSAGES frame: {exc}") from exc
        if answered == 0 or answered > len(asked):
            raise PeerMisbehaved(f"MESSAGES answered {answered} of {len(asked)}")
        batch = decode_batch(body[pos:], max_count=answered)
        pending.extend(reversed(asked[answered:]))
        ask_size = max(MIN_WANT, answered + answered // 4)
        await fill()  # keep the peer busy while we verify and merge
        if batch:
            report = await node.ingest("sync", batch, carried)
            state.received += len(report.accepted)
            faults = sum(
                1
                for i, r in report.rejections()
                if not retry.keep(batch[i], r.reason) and r.reason in FAULT_REASONS
            )
            if faults:
                await node.penalize(peer_id, faults * FAULT_MESSAGE, f"{faults} invalid messages in sync")
    again = retry.take()
    if again:
        report = await node.ingest("sync", again, carried)
        state.received += len(report.accepted)
        faults = _faults(report)
        if faults:
            await node.penalize(peer_id, faults * FAULT_MESSAGE, f"{faults} invalid messages in sync")


def _push_packer() -> BatchPacker:
    """A PUSH frame: header, type byte, batch."""
    return BatchPacker(PUSH_BUDGET, overhead=FRAME_HEADER + 1, max_count=MAX_BATCH)


async def _push(node: SyncHost, s: Any, have: list[bytes]) -> None:
    packer = _push_packer()
    for start in range(0, len(have), PUSH_LOAD):
        for _, m in await node.get_encoded(have[start : start + PUSH_LOAD]):
            if not packer.add(m):
                await _send(s, PUSH, packer.encode())
                await _recv(s, ACK)
                packer = _push_packer()
                packer.add(m)
    if packer.messages:
        await _send(s, PUSH, packer.encode())
        await _recv(s, ACK)


# ---------------------------------------------------------------------------------------------
# server


async def run_server(node: SyncHost, stream: Any, peer_id: str, state: SyncState) -> None:
    """Serve one session. Raises PeerMisbehaved or StreamBroken when it ends badly."""
    s = _Counted(stream, state)
    negs: dict[int, Negentropy] = {}  # one per shared scope reconciled so far
    requests = 0
    unknown = 0  # ids asked for that we do not hold
    with trio.fail_after(SESSION_SECONDS):
        kind, body = await _recv(s)
        if kind != SCOPES:
            raise PeerMisbehaved(f"a session opens with SCOPES, not frame type {kind:#x}")
        theirs = decode_scopes(body)
        await _send(s, SCOPES, encode_scopes(node.scopes))
        storages, carried = await _agree_scopes(node, peer_id, theirs, state)
        while True:
            kind, body = await _recv(s)
            requests += 1
            if requests > MAX_REQUESTS:
                raise PeerMisbehaved("too many requests in one session")
            if kind == RECONCILE:
                state.rounds += 1
                if state.rounds > MAX_ROUNDS + len(storages):
                    raise PeerMisbehaved(f"more than {MAX_ROUNDS} reconcile rounds")
                try:
                    scope, pos = decode_varint_be(body, 0)
                except NegentropyError as exc:
                    raise PeerMisbehaved(f"bad reconcile message: {exc}") from exc
                if scope >= len(storages):
                    raise PeerMisbehaved(f"reconcile of scope {scope} of {len(storages)} shared")
                if scope not in negs:
                    await node.refresh_index()
                    negs[scope] = Negentropy(
                        storages[scope], RECONCILE_FRAME, buckets=BUCKETS, id_list_threshold=ID_LIST_THRESHOLD
                    )
                else:
                    storages[scope].seal()
                try:
                    reply = negs[scope].reconcile(body[pos:])
                except NegentropyError as exc:
                    raise PeerMisbehaved(f"bad reconcile message: {exc}") from exc
                await _send(s, RECONCILE, reply)
            elif kind == WANT:
                ids = _decode_ids(body, MAX_WANT)
                if not ids:
                    raise PeerMisbehaved("empty WANT")
                # header, type byte, ``answered`` (at most len(ids)), batch
                packer = BatchPacker(
                    MESSAGES_BUDGET, overhead=FRAME_HEADER + 1 + varint_size(len(ids)), max_count=len(ids)
                )
                answered = 0
                full = False
                for start in range(0, len(ids), LOAD_CHUNK):  # load only what fits the budget
                    chunk = ids[start : start + LOAD_CHUNK]
                    by_id = dict(await node.get_encoded(chunk))
                    unknown += len(chunk) - len(by_id)
                    if unknown > MAX_UNKNOWN_WANTS:
                        raise PeerMisbehaved("asks for ids this node never offered")
                    for i in chunk:
                        m = by_id.get(i)
                        if m is not None and not packer.add(m):
                            full = True
                            break
                        answered += 1
                    if full:
                        break
                state.have += len(packer.messages)
                await _send(s, MESSAGES, encode_varint_be(answered) + packer.encode())
            elif kind == PUSH:
                batch = decode_batch(body, max_count=MAX_BATCH)
                report = await node.ingest("sync", batch, carried)
                state.received += len(report.accepted)
                bad = _faults(report)
                if bad:
                    await node.penalize(peer_id, bad * FAULT_MESSAGE, f"{bad} invalid messages pushed")
                await _send(s, ACK, encode_varint_be(len(report.accepted)))
            elif kind == DONE:
                return
            else:
                raise PeerMisbehaved(f"unknown frame type {kind:#x}")


async def refuse_old_version(stream: Any) -> None:
    """Tell a peer that opened an earlier version which one this node speaks, then close."""
    with trio.move_on_after(GOODBYE_TIMEOUT):
        text = f"this node speaks {SYNC_PROTOCOL} (scoped sync) only; upgrade"
        await _send(stream, ERROR, text.encode()[:ERROR_TEXT])
        await stream.close()
