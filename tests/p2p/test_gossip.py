"""The inbound pubsub reader (``node.p2p.gossip._BoundedReader``) driven by py-libp2p's own
frame reader (``read_varint_prefixed_bytes``, what pubsub calls): frames come out whole, in
order, wherever the stream's chunks split them; an oversize frame is refused before its body;
and the stream is read once per arrived chunk, not once per byte of every length (on yamux each
read of the stream is a window update sent to the peer)."""

from __future__ import annotations

import pytest
import trio
from libp2p.stream_muxer.exceptions import MuxedStreamEOF
from libp2p.utils import encode_varint_prefixed
from libp2p.utils.varint import read_varint_prefixed_bytes

from node.errors import PeerMisbehaved
from node.p2p.gossip import MAX_RPC_BYTES, READ_CHUNK_BYTES, _BoundedReader

pytestmark = pytest.mark.trio


class Arrived:
    """A stream whose bytes arrived in the given chunks: each read returns at most ``n`` bytes
    of what has arrived and not been read (as a yamux stream's does), then EOF."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)
        self.reads = 0

    async def read(self, n: int | None = None) -> bytes:
        self.reads += 1
        if not self.chunks:
            raise MuxedStreamEOF("closed")
        chunk = self.chunks.pop(0)
        if n is not None and 0 <= n < len(chunk):
            chunk, rest = chunk[:n], chunk[n:]
            self.chunks.insert(0, rest)
        return chunk


FRAMES = [b"", b"x" * 5, b"y" * 127, b"z" * 128, b"w" * 300, b"v" * 20_000]


async def read_all(reader: _BoundedReader, count: int) -> list[bytes]:
    with trio.fail_after(5):
        return [await read_varint_prefixed_bytes(reader) for _ in range(count)]


async def test_frames_arrived_together_are_read_with_one_read_of_the_stream() -> None:
    stream = Arrived([b"".join(encode_varint_prefixed(f) for f in FRAMES)])
    assert await read_all(_BoundedReader(stream, MAX_RPC_BYTES), len(FRAMES)) == FRAMES
    assert stream.reads == 1


#: py-libp2p's reader gives up on a frame that arrives in more than 101 pieces: the splits stay under that.
@pytest.mark.parametrize(
    ("size", "frames"), [(2, FRAMES[:4]), (3, FRAMES[:4]), (7, FRAMES[:4]), (4096, FRAMES)]
)
async def test_frames_split_anywhere_come_out_whole(size: int, frames: list[bytes]) -> None:
    wire = b"".join(encode_varint_prefixed(f) for f in frames)
    stream = Arrived([wire[i : i + size] for i in range(0, len(wire), size)])
    assert await read_all(_BoundedReader(stream, MAX_RPC_BYTES), len(frames)) == frames


async def test_a_chunk_larger_than_the_read_size_is_taken_in_reads_of_that_size() -> None:
    frames = [b"a" * 40_000, b"b" * 40_000]
    stream = Arrived([b"".join(encode_varint_prefixed(f) for f in frames)])
    assert await read_all(_BoundedReader(stream, MAX_RPC_BYTES), 2) == frames
    assert stream.reads == -(-sum(len(encode_varint_prefixed(f)) for f in frames) // READ_CHUNK_BYTES)


async def test_an_oversize_frame_is_refused_before_its_body() -> None:
    wire = encode_varint_prefixed(b"ok") + encode_varint_prefixed(b"q" * 2000)
    reader = _BoundedReader(Arrived([wire]), 1000)
    assert await read_all(reader, 1) == [b"ok"]
    with pytest.raises(PeerMisbehaved, match="2000 bytes"):
        await read_varint_prefixed_bytes(reader)


async def test_an_endless_length_is_refused() -> None:
    reader = _BoundedReader(Arrived([b"\xff" * 20]), MAX_RPC_BYTES)
    with pytest.raises(PeerMisbehaved, match="varint too long"):
        await read_varint_prefixed_bytes(reader)


async def test_the_end_of_the_stream_ends_reading() -> None:
    reader = _BoundedReader(Arrived([encode_varint_prefixed(b"last")]), MAX_RPC_BYTES)
    assert await read_all(reader, 1) == [b"last"]
    with pytest.raises(MuxedStreamEOF):
        await read_varint_prefixed_bytes(reader)
