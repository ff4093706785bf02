"""The live stream behind the accepted-messages feed: what the store accepts reaches every
client, and when the stream itself falls behind the feed, every client is dropped with the
reason ``lagged`` (each would otherwise miss messages without knowing)."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import trio

from node import accepted
from node.api import Broadcaster
from node.messages import sign_message
from node.store import Store

CHAIN = 31337
T0 = 1_767_225_600


def post(i: int) -> list:  # type: ignore[type-arg]
    return [sign_message("Post", {"text": f"post {i}", "timestamp": T0 + i}, os.urandom(32), CHAIN)]


async def test_clients_get_what_the_store_accepts_and_are_dropped_when_the_stream_lags(
    tmp_path: Path,
) -> None:
    with Store(tmp_path / "s.sqlite", CHAIN) as store:
        async with trio.open_nursery() as nursery:
            feed = await nursery.start(accepted.serve, store)
            stream = Broadcaster(buffer=100)
            await nursery.start(partial(stream.serve, feed, feed_buffer=1))
            client = stream.subscribe()
            assert client is not None
            first = post(0)
            await trio.to_thread.run_sync(store.ingest, first)
            with trio.fail_after(10):
                data = await client.next()
            assert b"0x" + first[0].id.hex().encode() in data and client.dropped is None
            # Three commits hop onto the loop before the stream's task runs again (the hops run
            # together): its one-report buffer cannot hold them all, whoever takes the first.
            for i in (1, 2, 3):
                store.ingest(post(i))
            with trio.fail_after(10):
                while client.dropped is None:
                    await trio.sleep(0.01)
            assert client.dropped == "lagged"
            assert stream.dropped["lagged"] == 1
            nursery.cancel_scope.cancel()
