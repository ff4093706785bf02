"""The one budget packer (gossip payloads, sync PUSH frames, answers to WANT): a packed batch,
framed, never exceeds its budget, and no further message would have fitted. Exact around the
varint boundaries, where a length or the count grows from one byte to two (127/128) or from
two to three (16383/16384)."""

from __future__ import annotations

import itertools

import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

from node.messages.scope import BASE
from node.p2p.framing import FRAME_HEADER, BatchPacker, decode_batch, encode_batch
from node.p2p.gossip import MAX_GOSSIP_BYTES, MAX_GOSSIP_COUNT, GossipBatcher

#: Message lengths on both sides of each varint boundary, and a few in between.
_LENGTHS = st.one_of(
    st.sampled_from([1, 2, 126, 127, 128, 129, 16382, 16383, 16384, 16385]),
    st.integers(min_value=1, max_value=20_000),
)


def _pack(packer: BatchPacker, messages: list[bytes]) -> bytes | None:
    """Fill ``packer`` in order; the first message it refused, or None if it took them all."""
    for m in messages:
        if not packer.add(m):
            return m
    return None


@settings(max_examples=300, deadline=None)
@given(
    lengths=st.lists(_LENGTHS, min_size=1, max_size=40),
    budget=st.integers(min_value=16_000, max_value=120_000),
    overhead=st.sampled_from([0, FRAME_HEADER + 1, FRAME_HEADER + 3]),
    max_count=st.integers(min_value=1, max_value=50),
)
def test_a_packed_batch_fits_its_budget_and_is_maximal(lengths, budget, overhead, max_count) -> None:
    messages = [bytes([i % 256]) * n for i, n in enumerate(lengths)]
    packer = BatchPacker(budget, overhead=overhead, max_count=max_count)
    refused = _pack(packer, messages)
    encoded = packer.encode()
    assert packer.size == overhead + len(encoded)  # the count is exact, not a guess
    assert decode_batch(encoded, max_count=max_count) == packer.messages == messages[: len(packer.messages)]
    if len(packer.messages) > 1 or packer.size <= budget:
        assert packer.size <= budget
    if refused is not None:  # maximal: the next one did not fit, or the count is full
        assert (
            len(packer.messages) == max_count
            or overhead + len(encode_batch([*packer.messages, refused])) > budget
        )


@pytest.mark.parametrize("count", [126, 127, 128, 129])
def test_the_count_varint_growing_is_counted(count: int) -> None:
    """One-byte messages: with 128 of them the count takes two bytes. A budget that holds
    ``count`` of them exactly holds no more."""
    messages = [b"m"] * (count + 1)
    exact = FRAME_HEADER + 1 + len(encode_batch(messages[:count]))
    packer = BatchPacker(exact, overhead=FRAME_HEADER + 1, max_count=1000)
    assert _pack(packer, messages) == b"m"
    assert len(packer.messages) == count
    assert packer.size == exact


@pytest.mark.parametrize("length", [127, 128, 16383, 16384])
def test_the_length_varint_growing_is_counted(length: int) -> None:
    first, second = b"a" * 100, b"b" * length
    exact = len(encode_batch([first, second]))
    assert _pack(BatchPacker(exact, max_count=10), [first, second]) is None
    packer = BatchPacker(exact - 1, max_count=10)
    assert _pack(packer, [first, second]) == second
    assert packer.messages == [first]


def test_a_message_larger_than_the_budget_goes_alone() -> None:
    packer = BatchPacker(100, max_count=10)
    big = b"x" * 500
    assert packer.add(big) and packer.messages == [big]
    assert not packer.add(b"y")


def test_gossip_batches_keep_every_message_in_order_within_the_budget() -> None:
    sizes = [40, 127, 128, 16383, 16384, 9000, 30_000, 20_000, 1] * 6
    messages = [bytes([i]) * n for i, n in enumerate(sizes)] + [b"z"] * (MAX_GOSSIP_COUNT + 5)

    async def main() -> list[list[bytes]]:
        send, receive = trio.open_memory_channel[tuple[bytes, bytes]](len(messages))
        for m in messages:
            send.send_nowait((BASE, m))
        batcher = GossipBatcher(receive)
        out: list[list[bytes]] = []
        got = 0
        with trio.fail_after(10):
            while got < len(messages):
                scope, packer = await batcher.next_batch()
                assert scope == BASE
                assert len(packer.encode()) <= MAX_GOSSIP_BYTES
                assert len(packer.messages) <= MAX_GOSSIP_COUNT
                out.append(packer.messages)
                got += len(packer.messages)
        return out

    batches = trio.run(main)
    assert [m for batch in batches for m in batch] == messages
    for batch, following in itertools.pairwise(batches):  # each batch was full
        assert len(batch) == MAX_GOSSIP_COUNT or len(encode_batch([*batch, following[0]])) > MAX_GOSSIP_BYTES


def test_a_gossip_batch_holds_one_scope_and_keeps_the_order() -> None:
    one, two = bytes([1]) * 32, bytes([2]) * 32
    queued = [(BASE, b"a"), (BASE, b"b"), (one, b"c"), (one, b"d"), (BASE, b"e"), (two, b"f")]

    async def main() -> list[tuple[bytes, list[bytes]]]:
        send, receive = trio.open_memory_channel[tuple[bytes, bytes]](len(queued))
        for q in queued:
            send.send_nowait(q)
        batcher = GossipBatcher(receive)
        out = []
        with trio.fail_after(10):
            for _ in range(4):
                scope, packer = await batcher.next_batch()
                out.append((scope, packer.messages))
        return out

    assert trio.run(main) == [(BASE, [b"a", b"b"]), (one, [b"c", b"d"]), (BASE, [b"e"]), (two, [b"f"])]
