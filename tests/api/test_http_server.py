"""The node's HTTP server against hostile clients, on loopback: no HTTP/2 (no rapid reset), and
a request body that dribbles in is cut off at its deadline while normal clients are served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import httpx
import trio

from node import service
from node.api import ApiContext, create_app
from node.config import load_settings
from node.http_server import warm_up
from node.identity import create_key
from node.messages import message_to_json
from node.store import Store


def settings(tmp_path: Path, **api: Any):  # type: ignore[no-untyped-def]
    return load_settings(
        data_dir=tmp_path / "node",
        api={"port": 0, **api},
        p2p={"listen": "/ip4/127.0.0.1/tcp/0"},
        chain={"deployments_dir": tmp_path / "no-deployments"},
    )


async def connect(api_url: str) -> trio.SocketStream:
    host, port = api_url.removeprefix("http://").split(":")
    return await trio.open_tcp_stream(host, int(port))


async def read_until_closed(conn: trio.SocketStream, timeout: float = 20.0) -> bytes:
    data = b""
    with trio.fail_after(timeout):
        while chunk := await conn.receive_some(1 << 16):
            data += chunk
    return data


async def test_http2_prior_knowledge_is_not_served_and_http11_is(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery, httpx.AsyncClient() as http:
        node = await nursery.start(service.serve, settings(tmp_path))
        h2c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        h2c.initiate_connection()
        host = node.api_url.removeprefix("http://")
        for stream_id in range(1, 200, 2):  # a rapid-reset burst: HEADERS then RST_STREAM, many times
            h2c.send_headers(
                stream_id,
                [(":method", "GET"), (":path", "/health"), (":scheme", "http"), (":authority", host)],
            )
            h2c.reset_stream(stream_id)
        conn = await connect(node.api_url)
        await conn.send_all(h2c.data_to_send())
        answer = await read_until_closed(conn)
        # An HTTP/2 server's first bytes are a SETTINGS frame; this one answers in HTTP/1.1 and hangs up.
        assert answer.startswith(b"HTTP/1.1 "), answer[:40]
        assert (await http.get(node.api_url + "/health")).status_code == 200
        nursery.cancel_scope.cancel()


async def test_an_h2c_upgrade_is_answered_in_http11(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        node = await nursery.start(service.serve, settings(tmp_path))
        conn = await connect(node.api_url)
        await conn.send_all(
            b"GET /health HTTP/1.1\r\nHost: node\r\nConnection: Upgrade, HTTP2-Settings, close\r\n"
            b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"
        )
        answer = await read_until_closed(conn)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:40]
        assert answer.endswith(b'"status":"ok","chain_id":31337}')
        nursery.cancel_scope.cancel()


async def test_a_dribbled_body_is_cut_off_at_its_deadline_while_others_are_served(tmp_path: Path) -> None:
    author = create_key()
    async with trio.open_nursery() as nursery, httpx.AsyncClient() as http:
        node = await nursery.start(service.serve, settings(tmp_path, body_timeout_seconds=1))
        conn = await connect(node.api_url)
        await conn.send_all(
            b"POST /v1/messages HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        answer = b""

        async def dribble() -> None:  # a byte now and then, for far longer than the deadline
            for _ in range(100):
                await trio.sleep(0.2)
                try:
                    await conn.send_all(b" ")
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    return

        async def read() -> None:
            nonlocal answer
            answer = await read_until_closed(conn, timeout=15)
            dribbler.cancel_scope.cancel()

        async with trio.open_nursery() as dribbler:
            dribbler.start_soon(dribble)
            dribbler.start_soon(read)
            # Meanwhile a normal client is served.
            post = message_to_json(author.sign("Post", {"text": "on time"}, chain_id=31337))
            assert (await http.post(node.api_url + "/v1/messages", json=post)).status_code == 201

        assert answer.startswith(b"HTTP/1.1 408"), answer[:40]
        assert b"did not arrive within 1 s" in answer
        assert (await http.get(f"{node.api_url}/v1/users/{author.address}/posts")).json()["items"]
        nursery.cancel_scope.cancel()


def test_warm_up_serves_one_request_through_the_whole_app(tmp_path: Path) -> None:
    """The node serves one request through its app before listening (FastAPI prepares every
    route on the first request that walks them, which on the loop would stall the first client)."""
    with Store(tmp_path / "node.sqlite", 31337) as store:
        app = create_app(ApiContext(store, 31337))
        assert warm_up(app) == 200
        assert warm_up(app, "/v1/no-such-route") == 404
        # no client asked: the request latency metric has no sample of either
        assert "mecenate_http_request_seconds_count{" not in app.state.metrics.render().decode()


async def test_a_chunked_body_over_the_limit_is_refused_413_and_stores_nothing(tmp_path: Path) -> None:
    """A body with no ``Content-Length`` is counted as it arrives: past ``max_body_bytes`` the
    request is answered 413 in the error shape and the connection closed; the store is unchanged."""
    async with trio.open_nursery() as nursery, httpx.AsyncClient() as http:
        node = await nursery.start(service.serve, settings(tmp_path, max_body_bytes=4096))
        before = (await http.get(node.api_url + "/v1/status")).json()["messages"]
        conn = await connect(node.api_url)
        chunk = b"[" + b" " * 1023
        await conn.send_all(  # at once: the node reads it all before it answers, so it closes cleanly
            b"POST /v1/messages HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n%s\r\n" % (len(chunk), chunk) * 8  # 8 KiB, twice the limit, in 1 KiB chunks
            + b"0\r\n\r\n"
        )
        answer = await read_until_closed(conn)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), answer[:40]
        assert b"connection: close" in head.lower()
        assert b'"reason":"request_entity_too_large"' in body
        assert (await http.get(node.api_url + "/v1/status")).json()["messages"] == before
        nursery.cancel_scope.cancel()


async def test_idle_connections_and_slow_heads_are_closed_after_the_keep_alive_timeout(
    tmp_path: Path,
) -> None:
    async with trio.open_nursery() as nursery:
        node = await nursery.start(service.serve, settings(tmp_path, keep_alive_timeout_seconds=1))
        silent, slow_head, served = [await connect(node.api_url) for _ in range(3)]
        await slow_head.send_all(b"GET /health HTTP/1.1\r\nHost: no")
        await served.send_all(b"GET /health HTTP/1.1\r\nHost: node\r\n\r\n")
        for conn in (silent, slow_head):
            assert await read_until_closed(conn, timeout=10) == b""  # closed, never answered
        answered = await read_until_closed(served, timeout=10)  # answered, then idle, then closed
        assert answered.startswith(b"HTTP/1.1 200") and answered.count(b"HTTP/1.1") == 1
        nursery.cancel_scope.cancel()


async def test_a_connection_in_use_outlives_the_keep_alive_timeout(tmp_path: Path) -> None:
    """Requests back to back for three keep-alive periods on one connection, and a live stream
    open for as long: the idle timer, restarted after each response and stopped while one is
    under way, closes neither."""
    author = create_key()
    async with trio.open_nursery() as nursery, httpx.AsyncClient() as http:
        node = await nursery.start(service.serve, settings(tmp_path, keep_alive_timeout_seconds=2))
        stream = await connect(node.api_url)
        await stream.send_all(b"GET /v1/stream HTTP/1.1\r\nHost: node\r\n\r\n")
        head = await stream.receive_some(4096)
        assert head.startswith(b"HTTP/1.1 200"), head[:40]

        conn = await connect(node.api_url)
        for _ in range(30):  # 30 x 0.2 s: three times the keep-alive timeout
            await conn.send_all(b"GET /health HTTP/1.1\r\nHost: node\r\n\r\n")
            answer = b""
            with trio.fail_after(10):
                while not answer.endswith(b"}"):
                    chunk = await conn.receive_some(4096)
                    assert chunk, "the connection was closed"
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 200"), answer[:40]
            await trio.sleep(0.2)

        post = message_to_json(author.sign("Post", {"text": "still listening"}, chain_id=31337))
        assert (await http.post(node.api_url + "/v1/messages", json=post)).status_code == 201
        received = b""
        with trio.fail_after(10):
            while b"still listening" not in received:
                chunk = await stream.receive_some(65536)
                assert chunk, "the live stream was closed"
                received += chunk
        nursery.cancel_scope.cancel()


def _tasks_named(fragment: str) -> list[trio.lowlevel.Task]:
    found = []
    pending = [trio.lowlevel.current_root_task()]
    while pending:
        task = pending.pop()
        if fragment in task.name:
            found.append(task)
        pending.extend(child for nursery in task.child_nurseries for child in nursery.child_tasks)
    return found


async def test_a_connection_that_ends_takes_its_idle_timer_with_it(tmp_path: Path) -> None:
    """``Connection: close`` after a request: the connection's timer task ends with it, long
    before the keep-alive timeout (a timer left waiting would keep every such connection's
    state alive until the server stops)."""
    async with trio.open_nursery() as nursery:
        node = await nursery.start(service.serve, settings(tmp_path, keep_alive_timeout_seconds=600))
        for _ in range(3):
            conn = await connect(node.api_url)
            await conn.send_all(b"GET /health HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n")
            assert (await read_until_closed(conn)).startswith(b"HTTP/1.1 200")
        with trio.fail_after(20):
            while _tasks_named("_IdleTimer._watch"):
                await trio.sleep(0.05)
        nursery.cancel_scope.cancel()
