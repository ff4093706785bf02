"""The live stream (``GET /v1/stream``) of a real node on loopback: a slow reader is dropped with
a last event while a fast one gets everything, the subscriber gauge falls when a client leaves,
and the number of subscribers is capped."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import httpx
import trio

from node import service
from node.config import load_settings
from node.identity import create_key

CHAIN_ID = 31337
#: Two-byte characters up to the 1,024-byte text bound; each becomes a 6-byte ``\\u00e9``
#: escape on the stream, so a few hundred posts fill the kernel's socket buffers.
BIG_TEXT = "é" * 512


def stream_settings(tmp_path: Path, **api: Any):  # type: ignore[no-untyped-def]
    return load_settings(
        data_dir=tmp_path / "node",
        api={"port": 0, **api},
        p2p={"listen": "/ip4/127.0.0.1/tcp/0"},
        chain={"deployments_dir": tmp_path / "no-deployments"},
    )


async def metric(http: httpx.AsyncClient, url: str, name: str) -> float:
    text = (await http.get(url + "/metrics")).text
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def wait_for_metric(
    http: httpx.AsyncClient, url: str, name: str, value: float, timeout: float = 20.0
) -> None:
    with trio.fail_after(timeout):
        while await metric(http, url, name) != value:
            await trio.sleep(0.05)


async def open_stream(api_url: str, *, receive_buffer: int | None = None) -> tuple[trio.SocketStream, bytes]:
    """A raw HTTP/1.1 ``GET /v1/stream``; returns the connection and the response head."""
    host, port = api_url.removeprefix("http://").split(":")
    sock = trio.socket.socket()
    if receive_buffer is not None:  # before connecting, so the advertised window stays small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    await sock.connect((host, int(port)))
    conn = trio.SocketStream(sock)
    await conn.send_all(f"GET /v1/stream HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = b""
    with trio.fail_after(10):
        while b"\r\n\r\n" not in head:
            head += await conn.receive_some(1)
    return conn, head


class Reader:
    """Reads a stream to the end, keeping what it got."""

    def __init__(self, conn: trio.SocketStream) -> None:
        self.conn = conn
        self.data = bytearray()
        self.ended = trio.Event()

    @property
    def messages(self) -> int:
        return self.data.count(b"event: message\n")

    async def run(self) -> None:
        try:
            while chunk := await self.conn.receive_some(1 << 16):
                self.data += chunk
                if self.data.endswith(b"\r\n0\r\n\r\n"):  # the chunked body's end
                    break
        except trio.ClosedResourceError:  # the test is done with it
            return
        self.ended.set()


async def test_a_slow_reader_is_dropped_with_a_last_event_while_a_fast_one_gets_everything(
    tmp_path: Path,
) -> None:
    author = create_key()
    async with trio.open_nursery() as nursery, httpx.AsyncClient() as http:
        node = await nursery.start(service.serve, stream_settings(tmp_path, stream_buffer_messages=8))
        url = node.api_url
        fast_conn, fast_head = await open_stream(url)
        slow_conn, _ = await open_stream(url, receive_buffer=4096)
        try:
            assert fast_head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in fast_head
            fast = Reader(fast_conn)
            nursery.start_soon(fast.run)
            await wait_for_metric(http, url, "mecenate_stream_subscribers", 2)

            # Publish one small batch at a time, each only once the fast reader has it all: the fast
            # one never lags, while the slow one (not reading) falls behind once the socket buffers fill.
            sent = 0
            with trio.fail_after(30):
                while not await metric(http, url, 'mecenate_stream_dropped{kind="slow_consumer"}'):
                    assert sent < 5000, "the slow reader was never dropped"
                    batch = [
                        author.sign(
                            "Post",
                            {"text": BIG_TEXT, "timestamp": 1_700_000_000 + sent + i},
                            chain_id=CHAIN_ID,
                        )
                        for i in range(20)
                    ]
                    report = await trio.to_thread.run_sync(node.store.ingest, batch)
                    assert report.counts["accepted"] == 20
                    sent += 20
                    while fast.messages < sent:
                        await trio.sleep(0.01)

            # The slow reader catches up: whatever was already in flight, then the last event, then the end.
            slow = Reader(slow_conn)
            with trio.fail_after(30):
                await slow.run()
            events = bytes(slow.data).split(b"\n\n")
            dropped = [e for e in events if b"event: dropped" in e]
            assert len(dropped) == 1 and slow.messages < sent
            assert json.loads(dropped[0].split(b"data: ", 1)[1])["reason"] == "slow_consumer"
            await wait_for_metric(http, url, "mecenate_stream_subscribers", 1)  # the fast one stays

            # The fast reader is still subscribed and still gets everything.
            last = author.sign("Post", {"text": "after the drop"}, chain_id=CHAIN_ID)
            await trio.to_thread.run_sync(node.store.ingest, [last])
            with trio.fail_after(10):
                while fast.messages < sent + 1:
                    await trio.sleep(0.01)
            assert not fast.ended.is_set() and b"event: dropped" not in fast.data
            assert ("0x" + last.id.hex()).encode() in fast.data
        finally:  # a server stuck writing to a client that does not read would never shut down
            await slow_conn.aclose()
            await fast_conn.aclose()
        nursery.cancel_scope.cancel()


async def test_the_gauge_falls_when_a_client_leaves(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery, httpx.AsyncClient() as http:
        node = await nursery.start(service.serve, stream_settings(tmp_path))
        conn, _ = await open_stream(node.api_url)
        await wait_for_metric(http, node.api_url, "mecenate_stream_subscribers", 1)
        await conn.aclose()  # and nothing is published after
        await wait_for_metric(http, node.api_url, "mecenate_stream_subscribers", 0)
        nursery.cancel_scope.cancel()


async def test_subscribers_are_capped(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery, httpx.AsyncClient() as http:
        node = await nursery.start(service.serve, stream_settings(tmp_path, stream_max_subscribers=2))
        first, _ = await open_stream(node.api_url)
        second, _ = await open_stream(node.api_url)
        refused = await http.get(node.api_url + "/v1/stream")
        assert refused.status_code == 503
        assert refused.json()["reason"] == "too_many_subscribers"
        assert refused.json()["error"] == "ServiceUnavailable"

        await first.aclose()  # a place frees up when a subscriber leaves
        await wait_for_metric(http, node.api_url, "mecenate_stream_subscribers", 1)
        third, head = await open_stream(node.api_url)
        assert head.startswith(b"HTTP/1.1 200")
        for conn in (second, third):
            await conn.aclose()
        nursery.cancel_scope.cancel()


async def test_a_client_that_stops_reading_is_disconnected_after_the_send_timeout(tmp_path: Path) -> None:
    author = create_key()
    async with trio.open_nursery() as nursery, httpx.AsyncClient() as http:
        node = await nursery.start(service.serve, stream_settings(tmp_path, send_timeout_seconds=1))
        stalled, _ = await open_stream(node.api_url, receive_buffer=4096)
        try:
            await wait_for_metric(http, node.api_url, "mecenate_stream_subscribers", 1)
            for n in range(5):  # far more than the socket buffers of a client with a small window hold
                batch = [
                    author.sign(
                        "Post", {"text": BIG_TEXT, "timestamp": 1_700_000_000 + 20 * n + i}, chain_id=CHAIN_ID
                    )
                    for i in range(20)
                ]
                await trio.to_thread.run_sync(node.store.ingest, batch)
            # The server's write to it stalls; the kernel gives up after the send timeout, the
            # stream ends, and the client finds its connection reset (no orderly end of the body).
            await wait_for_metric(http, node.api_url, "mecenate_stream_subscribers", 0, timeout=30)
            reader = Reader(stalled)
            with trio.fail_after(10):
                try:
                    await reader.run()
                except trio.BrokenResourceError:
                    reset = True
                else:
                    reset = False
            assert reset and not reader.ended.is_set()
        finally:
            await stalled.aclose()
        nursery.cancel_scope.cancel()
