"""A node with a read worker (``api.read_workers``): the polled reads are answered by the worker
from the store file, everything else by the core, on one port, and the worker never outlives
its core. Real node processes on loopback, real signed messages."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks._processes import child_pids, node_env, running_node, wait_for
from node.identity import create_key
from node.messages import message_to_json
from node.read_worker import PlainGet, plain_get

CHAIN = 31337


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def _requests(metrics: str, route: str) -> dict[str, float]:
    """GET requests of ``route`` answered, by process: ``core`` or ``worker <n>``."""
    found = {"core": 0.0}
    for labels, value in re.findall(r"^mecenate_http_request_seconds_count\{(.*)\} (\S+)$", metrics, re.M):
        label = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if label["method"] == "GET" and label["route"] == route:
            found["worker " + label["read_worker"] if "read_worker" in label else "core"] = float(value)
    return found


def _handed_over(url: str) -> float:
    """Connections the worker has handed to the core so far."""
    metrics = httpx.get(url + "/metrics", timeout=10).text
    return float(
        re.search(r'^mecenate_read_worker_handed_over_total\{read_worker="0"\} (\S+)$', metrics, re.M)[1]
    )  # type: ignore[index]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[str, int]]:
    env = node_env(tmp_path, MECENATE_API__READ_WORKERS="1")
    with running_node(env) as proc:
        yield env["MECENATE_NODE_URL"], proc.pid


def _post(url: str, message: object) -> httpx.Response:
    return httpx.post(url + "/v1/messages", json=message_to_json(message), timeout=10)


def test_the_worker_answers_the_polled_reads_and_the_core_the_rest(node: tuple[str, int]) -> None:
    url, core_pid = node
    (worker_pid,) = child_pids(core_pid)
    fan, creator = create_key(), create_key()
    assert _post(url, fan.sign("Follow", {"target": creator.address}, chain_id=CHAIN)).status_code == 201

    with httpx.Client(timeout=10) as client, client.stream("GET", url + "/v1/stream") as stream:
        assert stream.status_code == 200
        post = creator.sign("Post", {"text": "through the worker"}, chain_id=CHAIN)
        assert _post(url, post).status_code == 201  # written by the core ...
        post_id = "0x" + post.id.hex()
        # ... and read back by the worker at once: the core answers after its commit.
        feed = httpx.get(f"{url}/v1/users/{fan.address}/feed?limit=20", timeout=10).json()
        assert [item["id"] for item in feed["items"]] == [post_id]
        # The live stream is the core's (its connection was handed over), as it comes.
        seen = b""
        for chunk in stream.iter_raw():
            seen += chunk
            if post_id.encode() in seen:
                break

    counts = _requests(httpx.get(url + "/metrics", timeout=10).text, "/v1/users/{address}/feed")
    assert counts == {"core": 0, "worker 0": 1}, counts
    assert "mecenate_event_loop_step_max_seconds" in httpx.get(url + "/metrics").text
    assert child_pids(core_pid) == [worker_pid]

    # Refusals and limits are the core's, in the one shape.
    missing = httpx.get(f"{url}/v1/posts/0x{'00' * 32}", timeout=10)
    assert missing.status_code == 404 and missing.json()["reason"] == "no_post"
    too_large = httpx.post(url + "/v1/messages", content=b"x" * 1_100_000, timeout=10)
    assert too_large.status_code == 413 and too_large.json()["reason"] == "request_entity_too_large"
    # A chunked body (no Content-Length) reaches the core whole.
    other = creator.sign("Post", {"text": "chunked"}, chain_id=CHAIN)
    chunked = httpx.post(
        url + "/v1/messages",
        content=iter([json.dumps(message_to_json(other)).encode()]),
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert chunked.status_code == 201, chunked.text
    assert httpx.get(f"{url}/v1/messages/0x{other.id.hex()}", timeout=10).status_code == 200


def test_the_worker_stops_with_its_core_and_frees_the_port(node: tuple[str, int]) -> None:
    url, core_pid = node
    (worker_pid,) = child_pids(core_pid)
    port = int(url.rsplit(":", 1)[1])
    os.kill(core_pid, signal.SIGKILL)  # no chance to stop the worker itself
    wait_for(lambda: not _alive(worker_pid), "the worker to exit after its core died", timeout=30)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))  # nobody listens there any more


def test_a_stopped_node_stops_its_worker(tmp_path: Path) -> None:
    env = node_env(tmp_path, MECENATE_API__READ_WORKERS="1")
    with running_node(env) as proc:
        (worker_pid,) = child_pids(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while _alive(worker_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker_pid)


PLAIN = b"GET /v1/users/0xabc/feed?limit=20 HTTP/1.1\r\nHost: node\r\nAccept: */*\r\n\r\n"


def test_a_plain_get_is_read_as_such() -> None:
    request = plain_get(PLAIN)
    assert request == PlainGet("/v1/users/0xabc/feed", b"limit=20", close=False)
    assert plain_get(PLAIN.replace(b"Accept: */*", b"Connection: close")) == PlainGet(
        "/v1/users/0xabc/feed", b"limit=20", close=True
    )
    assert plain_get(PLAIN.replace(b"Accept: */*", b"Content-Length: 0")) is not None  # no body is no body


@pytest.mark.parametrize(
    "head",
    [
        PLAIN.replace(b"GET ", b"POST "),
        PLAIN.replace(b"GET ", b"HEAD "),
        PLAIN.replace(b"HTTP/1.1", b"HTTP/1.0"),
        PLAIN.replace(b"Accept: */*", b"Content-Length: 5"),
        PLAIN.replace(b"Accept: */*", b"Transfer-Encoding: chunked"),
        PLAIN.replace(b"Accept: */*", b"Expect: 100-continue"),
        PLAIN.replace(b"Accept: */*", b"Upgrade: h2c"),
        PLAIN.replace(b"Host: node\r\n", b""),  # HTTP/1.1 requires a Host
        PLAIN.replace(b"Accept: */*", b"Accept: */*\r\n folded"),  # obsolete line folding
        PLAIN.replace(b"Accept: */*", b"Bad Name: x"),
        PLAIN.replace(b"Accept: */*", b"no colon"),
        PLAIN.replace(b"?limit=20", b"?limit=20#top"),
        PLAIN.replace(b"/v1/users", b"/v1/\xffusers"),
        PLAIN[:-2],  # the head is not complete
        # What h11 reads otherwise than a split on CRLF would: a bare LF ends a line for it.
        PLAIN.replace(b"Accept: */*", b"Accept: */*\nTransfer-Encoding: chunked"),
        PLAIN.replace(b"Accept: */*", b"Accept: */*\n\nGET /other HTTP/1.1"),
        PLAIN.replace(b"Accept: */*", b"Accept: a\rb"),
        PLAIN.replace(b"Accept: */*", b"Accept: a\x00b"),
        PLAIN.replace(b"Accept: */*", b"Content-Length: 0\x0b"),
        PLAIN.replace(b"Accept: */*", b"Host: other"),  # two Hosts
        PLAIN.replace(b"Accept: */*", b"Accept : */*"),  # a space before the colon
    ],
)
def test_anything_else_goes_to_the_core(head: bytes) -> None:
    assert plain_get(head) is None


def _raw(url: str, data: bytes, answers: int) -> list[bytes]:
    """Send ``data`` on a new connection and read ``answers`` HTTP responses."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        return _answers(sock, data, answers)


def _answers(sock: socket.socket, data: bytes, answers: int) -> list[bytes]:
    """Send ``data`` on ``sock`` and read ``answers`` HTTP responses (framed by Content-Length)."""
    out: list[bytes] = []
    buffer = b""
    sock.sendall(data)

    def more() -> bytes:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {len(out)} answers")
        return chunk

    while len(out) < answers:
        while b"\r\n\r\n" not in buffer:
            buffer += more()
        head, _, rest = buffer.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: (\d+)", head)[1])  # type: ignore[index]
        while len(rest) < length:
            rest += more()
        out.append(head + b"\r\n\r\n" + rest[:length])
        buffer = rest[length:]
    return out


def test_a_connection_that_asks_for_more_is_served_by_the_core(node: tuple[str, int]) -> None:
    url, _ = node
    host, port = url.removeprefix("http://").split(":")
    key = create_key()
    body = json.dumps(message_to_json(key.sign("Post", {"text": "pipelined"}, chain_id=CHAIN))).encode()
    post = (
        b"POST /v1/messages HTTP/1.1\r\nHost: n\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%b" % (len(body), body)
    )
    route, path = "/v1/users/{address}/followers", f"/v1/users/{key.address}/followers"
    followers = b"GET %b HTTP/1.1\r\nHost: n\r\n\r\n" % path.encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        # A plain GET, answered by the worker ...
        (first,) = _answers(sock, followers, 1)
        assert first.startswith(b"HTTP/1.1 200") and b'"items":[]' in first
        assert _requests(httpx.get(url + "/metrics", timeout=10).text, route) == {"core": 0, "worker 0": 1}
        # ... then, on the same connection, a write and a GET pipelined behind it: the
        # connection goes to the core with those bytes, and the core answers both.
        second, third = _answers(sock, post + followers, 2)
    assert second.startswith(b"HTTP/1.1 201"), second
    assert third.startswith(b"HTTP/1.1 200") and b'"items":[]' in third
    assert _requests(httpx.get(url + "/metrics", timeout=10).text, route) == {"core": 1, "worker 0": 1}
    # An HTTP/1.0 request and an unusual spelling get the core's answers, as without workers.
    (old,) = _raw(url, b"GET /health HTTP/1.0\r\n\r\n", 1)
    assert old.startswith(b"HTTP/1.1 200")
    (escaped,) = _raw(url, b"GET /v1/posts/0x%30%30 HTTP/1.1\r\nHost: n\r\n\r\n", 1)
    assert escaped.startswith(b"HTTP/1.1 422") and b'"reason":"invalid_request"' in escaped, escaped


def test_health_is_the_core_s_when_the_core_does_not_answer(node: tuple[str, int]) -> None:
    url, core_pid = node
    assert httpx.get(url + "/health", timeout=5).status_code == 200
    os.kill(core_pid, signal.SIGSTOP)  # the core is stuck: the worker must not say it is well
    try:

        def health_answers() -> bool:
            try:
                return httpx.get(url + "/health", timeout=1).status_code == 200
            except httpx.TimeoutException:
                return False

        wait_for(lambda: not health_answers(), "/health to stop answering with the core stuck", timeout=30)
        feed = httpx.get(f"{url}/v1/users/0x{'11' * 20}/feed", timeout=5)  # reads are still served
        assert feed.status_code == 200 and feed.json()["items"] == []
    finally:
        os.kill(core_pid, signal.SIGCONT)
    wait_for(health_answers, "/health to answer again", timeout=30)


def test_a_smuggled_body_reaches_the_core_and_is_read_as_the_core_reads_it(node: tuple[str, int]) -> None:
    """A request whose headers end a line with a bare LF: h11 (the core) reads a
    ``Transfer-Encoding: chunked`` there, a split on CRLF would not. Were the worker to answer it
    as a plain GET, the chunked body ``0\r\n\r\n`` would be taken for the next request, and
    answers would fall out of step with requests (a desync a proxy in front would spread)."""
    url, _ = node
    route, path = "/v1/users/{address}/followers", f"/v1/users/{create_key().address}/followers"
    head = b"GET %b HTTP/1.1\r\nHost: n\nTransfer-Encoding: chunked\r\n\r\n" % path.encode()
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        handed_over = _handed_over(url)
        sock.sendall(head)  # alone, as a head the worker could take for a whole request
        # It happened: the worker took it for more than a poll and gave the connection away ...
        wait_for(lambda: _handed_over(url) > handed_over, "the worker to hand the connection to the core")
        (answer,) = _answers(sock, b"0\r\n\r\n", 1)
    # ... and the core, reading the body as a body, answered it once, correctly.
    assert answer.startswith(b"HTTP/1.1 200") and b'"items":[]' in answer, answer
    assert _requests(httpx.get(url + "/metrics", timeout=10).text, route) == {"core": 1}
