"""Length-prefixed frames over a libp2p stream, and the message-batch encoding.

Frame::

    Frame := <length: u32 big-endian> <payload: Byte{length}>     1 <= length <= max_size

A frame longer than the reader's ``max_size`` is a protocol violation
(:class:`~node.errors.PeerMisbehaved`): the reader refuses it before reading the payload, so
a peer cannot make us buffer more than ``max_size`` bytes. Every read takes a timeout. Writes
are cut into chunks of at most :data:`WRITE_CHUNK` bytes, because py-libp2p's noise transport
fails a single write of more than 65,535 bytes (yamux does not split for it).

Batch (used by gossip payloads and by the sync protocol's MESSAGES and PUSH frames)::

    Batch := <version: Byte = 0x01> <count: Varint> (<length: Varint> <message: Byte{length}>)*

The varint here is the same big-endian base-128 varint as negentropy's
(:func:`node.varint.encode_varint_be`).

Every sender that fills a batch up to a byte budget (gossip, sync PUSH, the answer to a sync
WANT) does it with one :class:`BatchPacker`, which counts the batch's encoded size exactly (the
count varint grows as messages are added) plus whatever the caller frames it in.
"""

from __future__ import annotations

from typing import Protocol

import trio

from node.errors import MecenateError, PeerMisbehaved
from node.p2p.negentropy import NegentropyError, decode_varint_be, encode_varint_be
from node.varint import varint_size

__all__ = [
    "FRAME_HEADER",
    "WRITE_CHUNK",
    "BatchPacker",
    "StreamBroken",
    "decode_batch",
    "encode_batch",
    "read_frame",
    "write_frame",
]

WRITE_CHUNK = 60_000
BATCH_VERSION = 0x01
#: Bytes a frame adds in front of its payload: the u32 length.
FRAME_HEADER = 4


class StreamBroken(MecenateError):
    """Raised when a stream ends, resets or times out mid-protocol; the cause is kept."""


class _Stream(Protocol):
    async def read(self, n: int | None = -1) -> bytes: ...

    async def write(self, data: bytes) -> None: ...


async def _read_exactly(stream: _Stream, n: int) -> bytes:
    chunks: list[bytes] = []
    remaining = n
    while remaining:
        try:
            data = await stream.read(remaining)
        except trio.Cancelled:
            raise
        except Exception as exc:  # StreamEOF, StreamReset, muxer errors...
            raise StreamBroken(f"stream ended with {remaining} of {n} bytes unread") from exc
        if not data:
            raise StreamBroken(f"stream ended with {remaining} of {n} bytes unread")
        chunks.append(data)
        remaining -= len(data)
    return b"".join(chunks)


async def read_frame(stream: _Stream, *, max_size: int, timeout: float) -> bytes:
    """Read one frame.

    Raises :class:`PeerMisbehaved` when the announced length is 0 or above ``max_size``,
    :class:`StreamBroken` when the stream ends or ``timeout`` seconds pass first.
    """
    with trio.move_on_after(timeout) as scope:
        header = await _read_exactly(stream, FRAME_HEADER)
        length = int.from_bytes(header, "big")
        if length == 0 or length > max_size:
            raise PeerMisbehaved(f"frame of {length} bytes (limit {max_size})")
        return await _read_exactly(stream, length)
    assert scope.cancelled_caught
    raise StreamBroken(f"no complete frame within {timeout} s")


async def write_frame(stream: _Stream, payload: bytes, *, timeout: float) -> None:
    """Write one frame in chunks; raises :class:`StreamBroken` on failure or timeout."""
    if not payload or len(payload) >= 2**32:
        raise ValueError("a frame payload is 1 byte to 4 GiB")
    data = len(payload).to_bytes(FRAME_HEADER, "big") + payload
    with trio.move_on_after(timeout) as scope:
        try:
            for start in range(0, len(data), WRITE_CHUNK):
                await stream.write(data[start : start + WRITE_CHUNK])
        except trio.Cancelled:
            raise
        except Exception as exc:
            raise StreamBroken("stream write failed") from exc
        return
    assert scope.cancelled_caught
    raise StreamBroken(f"frame not written within {timeout} s")


def encode_batch(messages: list[bytes]) -> bytes:
    """Encode encoded messages as one :data:`Batch`."""
    parts = [bytes([BATCH_VERSION]), encode_varint_be(len(messages))]
    for m in messages:
        parts.append(encode_varint_be(len(m)))
        parts.append(m)
    return b"".join(parts)


def decode_batch(data: bytes, *, max_count: int) -> list[bytes]:
    """Decode a :data:`Batch`; raises :class:`PeerMisbehaved` if it is malformed or too long."""
    try:
        if not data or data[0] != BATCH_VERSION:
            raise PeerMisbehaved("batch with unknown version")
        count, pos = decode_varint_be(data, 1)
        if count > max_count:
            raise PeerMisbehaved(f"batch of {count} messages (limit {max_count})")
        out: list[bytes] = []
        for _ in range(count):
            length, pos = decode_varint_be(data, pos)
            if length == 0 or pos + length > len(data):
                raise PeerMisbehaved("batch entry runs past the end")
            out.append(data[pos : pos + length])
            pos += length
        if pos != len(data):
            raise PeerMisbehaved("trailing bytes after batch")
        return out
    except NegentropyError as exc:
        raise PeerMisbehaved(f"malformed batch: {exc}") from exc


class BatchPacker:
    """Fills one :data:`Batch` in order while its framed size stays within ``budget`` bytes.

    ``overhead`` counts the bytes the caller puts around the batch (frame header, frame type,
    a leading varint...), so that ``overhead + len(encode())`` is :attr:`size` exactly and never
    above ``budget``. At most ``max_count`` messages go in (the receiver's limit). The one
    exception: a message that alone does not fit is still taken into an empty packer, as a
    batch of one, so that it is not stuck forever (the receiver's frame limit decides).
    """

    def __init__(self, budget: int, *, overhead: int = 0, max_count: int) -> None:
        if budget < 1 or overhead < 0 or max_count < 1:
            raise ValueError("a batch budget and count are positive, its overhead not negative")
        self.budget = budget
        self.max_count = max_count
        self.messages: list[bytes] = []
        self._fixed = overhead + 1  # the version byte; the count varint is added in size()
        self._entries = 0  # sum of (length varint + message) over the messages

    @property
    def size(self) -> int:
        """Framed size of the batch as it stands: overhead + encoded batch, in bytes."""
        return self._fixed + varint_size(len(self.messages)) + self._entries

    def add(self, message: bytes) -> bool:
        """Take ``message`` if the framed batch stays within the budget and the count limit;
        return whether it was taken (if not, the batch is full: send it and start another)."""
        count = len(self.messages)
        if count >= self.max_count:
            return False
        entry = varint_size(len(message)) + len(message)
        if count and self._fixed + varint_size(count + 1) + self._entries + entry > self.budget:
            return False
        self.messages.append(message)
        self._entries += entry
        return True

    def encode(self) -> bytes:
        """The :data:`Batch` of the messages taken, in order."""
        return encode_batch(self.messages)
