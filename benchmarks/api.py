"""API benchmark: GET feed and POST message under concurrent load, 100,000 messages stored.

A real node process (``mecenate node run``: Hypercorn on trio, SQLite store, libp2p host)
serves a store pre-filled with 100,000 signed messages (500 users, 15,000 follows, posts with
realistic text). A load generator in this process drives it over loopback:

* open loop: feed requests for random users at a fixed 200 requests/s for ``--seconds``,
  latency measured from each request's scheduled start (so a stalled server cannot hide its
  queueing: no coordinated omission);
* closed loop: ``--concurrency`` clients as fast as they can, for GET feed, for POST of fresh
  signed messages, and for GET /health, the reference: the same server, framework and
  client doing no work. ``feed_vs_health`` is the feed throughput as a fraction of it;
* live stream: ``--subscribers`` SSE clients (``GET /v1/stream``) connected and reading while
  the paced feed load runs again, with ``/health`` paced beside it; then one batch of 200
  messages is posted, and the time until every subscriber has all 200 is measured.

The load generator shares the 2 cores with the server, so it speaks HTTP/1.1 itself over
keep-alive trio sockets: a full client library costs more CPU per request than the server.

Prints the figures, then, as its last line, one JSON object. Run:

    .venv/bin/python benchmarks/api.py [--messages 100000] [--seconds 10] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import emit, machine_info

from node.config import STORE_FILE
from node.identity import create_key
from node.messages import message_to_json
from node.store import Store
from tests.support.processes import node_env, running_node

CHAIN_ID = 31337
USERS = 500
FOLLOWS_EACH = 30
T0 = 1_760_000_000
#: Messages in the batch posted while the live-stream subscribers read.
BATCH = 200
#: Requests per second to /health beside the paced feed in the live-stream run.
HEALTH_RATE = 50.0


def fill_store(path: Path, messages: int, rng: random.Random) -> list:  # type: ignore[type-arg]
    users = [create_key() for _ in range(USERS)]
    batch = []
    with Store(path, CHAIN_ID, synchronous="NORMAL") as store:
        n = 0
        for _i, u in enumerate(users):
            for target in rng.sample(users, FOLLOWS_EACH):
                if target is not u:
                    batch.append(
                        u.sign("Follow", {"target": target.address, "timestamp": T0 + n}, chain_id=CHAIN_ID)
                    )
                    n += 1
        while n < messages:
            u = rng.choice(users)
            words = rng.randint(5, 40)
            text = " ".join(
                rng.choice(("creator", "patron", "token", "drop", "studio", "mix", "thanks", "live"))
                for _ in range(words)
            )
            batch.append(u.sign("Post", {"text": text, "timestamp": T0 + n}, chain_id=CHAIN_ID))
            n += 1
            if len(batch) >= 5000:
                store.ingest(batch, now=T0 + messages)
                batch = []
        store.ingest(batch, now=T0 + messages)
        assert len(store) >= messages * 0.99, len(store)
    return users


class Connection:
    """One keep-alive HTTP/1.1 connection. The load generator speaks HTTP itself because a
    full client (httpx) costs more CPU per request than the server does, on the same 2 cores."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._stream: trio.SocketStream | None = None
        self._buffer = b""

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        if self._stream is None:
            self._stream = await trio.open_tcp_stream(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
        if body:
            head += "Content-Type: application/json\r\n"
        await self._stream.send_all(head.encode() + b"\r\n" + body)
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += await self._receive()
        header, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = 0
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += await self._receive()
        self._buffer = rest[length:]
        return int(header[9:12])

    async def _receive(self) -> bytes:
        assert self._stream is not None
        chunk = await self._stream.receive_some(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        return chunk


class Pool:
    """Idle connections to one server, opened on demand, at most ``size``."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self.idle: list[Connection] = []
        self.slots = trio.Semaphore(size)

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        async with self.slots:
            # A kept-alive connection the server has since closed (idle timeout) fails at once:
            # retry on a fresh one, as any HTTP client does. A fresh one failing is an error (0).
            while True:
                reused = bool(self.idle)
                conn = self.idle.pop() if reused else Connection(self.host, self.port)
                try:
                    status = await conn.request(method, path, body)
                except (OSError, ConnectionError, trio.BrokenResourceError):
                    if reused:
                        continue
                    return 0
                self.idle.append(conn)
                return status


class Subscriber:
    """One live-stream client: reads ``GET /v1/stream`` and counts the ``message`` events."""

    EVENT = b"event: message\n"

    def __init__(self) -> None:
        self.messages = 0

    async def run(self, host: str, port: int, *, task_status=trio.TASK_STATUS_IGNORED) -> None:  # type: ignore[no-untyped-def]
        stream = await trio.open_tcp_stream(host, port)
        async with stream:
            await stream.send_all(f"GET /v1/stream HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = b""
            while b"\r\n\r\n" not in head:
                head += await stream.receive_some(4096)
            if not head.startswith(b"HTTP/1.1 200"):
                raise ConnectionError(f"stream refused: {head.splitlines()[0]!r}")
            task_status.started()
            tail = head.partition(b"\r\n\r\n")[2]
            while chunk := await stream.receive_some(65536):
                data = tail + chunk  # an event split across two reads is counted once, in the second
                self.messages += data.count(self.EVENT)
                tail = data[-(len(self.EVENT) - 1) :]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def summary(latencies: list[float], errors: int, elapsed: float) -> dict:
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p99_ms": 1000 * percentile(latencies, 0.99),
    }


async def open_loop(pool: Pool, paths: list[str], rate: float, seconds: float) -> dict:
    """Requests at a fixed rate; latency counted from each one's scheduled start."""
    latencies: list[float] = []
    errors = 0
    start = trio.current_time()

    async def one(i: int, scheduled: float) -> None:
        nonlocal errors
        errors += await pool.request("GET", paths[i % len(paths)]) != 200
        latencies.append(trio.current_time() - scheduled)

    async with trio.open_nursery() as nursery:
        # Each request is started at its time (spawning them all up front is a burst of work in
        # this process that delays the first ones); a late start still counts in its latency.
        for i in range(int(rate * seconds)):
            scheduled = start + i / rate
            await trio.sleep_until(scheduled)
            nursery.start_soon(one, i, scheduled)
    return summary(latencies, errors, trio.current_time() - start)


async def closed_loop(make_request, concurrency: int, seconds: float) -> dict:  # type: ignore[no-untyped-def]
    """``concurrency`` clients, each sending its next request when the last one is answered."""
    latencies: list[float] = []
    errors = 0
    deadline = trio.current_time() + seconds

    async def worker() -> None:
        nonlocal errors
        while trio.current_time() < deadline:
            t = trio.current_time()
            errors += not await make_request()
            latencies.append(trio.current_time() - t)

    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        for _ in range(concurrency):
            nursery.start_soon(worker)
    return summary(latencies, errors, trio.current_time() - start)


async def with_subscribers(
    url: str,
    pool: Pool,
    feed_paths: list[str],
    batch: bytes,
    *,
    subscribers: int,
    rate: float,
    seconds: float,
) -> dict:
    """The paced feed load and paced ``/health`` while ``subscribers`` SSE clients are connected
    to the live stream; then one batch is posted and its delivery to every subscriber timed.

    The two are measured apart: posting a batch verifies its signatures on the node's worker
    threads, a cost of ingest (see ``post_*``) that is not the stream's."""
    host, port = url.removeprefix("http://").split(":")
    clients = [Subscriber() for _ in range(subscribers)]
    results: dict = {}

    async def run(name: str, load) -> None:  # type: ignore[no-untyped-def]
        results[name] = await load

    health_pool = Pool(host, int(port), 8)
    async with trio.open_nursery() as readers:
        for client in clients:
            await readers.start(client.run, host, int(port))
        # Connecting them takes seconds, in which the server closes the pool's idle keep-alive
        # connections: open them afresh first, so that reconnects are not timed as latency.
        async with trio.open_nursery() as warm:
            for each, size in ((pool, 64), (health_pool, 8)):
                for _ in range(size):
                    warm.start_soon(each.request, "GET", "/health")
        async with trio.open_nursery() as load:
            load.start_soon(run, "feed", open_loop(pool, feed_paths, rate, seconds))
            load.start_soon(run, "health", open_loop(health_pool, ["/health"], HEALTH_RATE, seconds))

        start = trio.current_time()
        status = await Pool(host, int(port), 1).request("POST", "/v1/messages/batch", batch)
        assert status == 200, status
        results["post_batch_s"] = trio.current_time() - start
        with trio.move_on_after(60):
            while min(c.messages for c in clients) < BATCH:
                await trio.sleep(0.005)
        results["delivered_to_all_s"] = trio.current_time() - start
        results["subscribers_with_all"] = sum(c.messages >= BATCH for c in clients)
        readers.cancel_scope.cancel()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = random.Random(7)

    with tempfile.TemporaryDirectory() as tmp:
        env = node_env(Path(tmp))
        Path(env["MECENATE_DATA_DIR"]).mkdir(parents=True)
        t = time.perf_counter()
        users = fill_store(Path(env["MECENATE_DATA_DIR"]) / STORE_FILE, args.messages, rng)
        print(
            f"filled the store with {args.messages:,} messages in {time.perf_counter() - t:.1f}s", flush=True
        )
        poster = create_key()
        fresh = iter(
            json.dumps(
                message_to_json(poster.sign("Post", {"text": f"fresh post {i}"}, chain_id=CHAIN_ID))
            ).encode()
            for i in range(1_000_000)
        )
        feed_paths = [f"/v1/users/{u.address}/feed?limit=20" for u in users]
        streamed = [
            poster.sign("Post", {"text": f"streamed post {i}"}, chain_id=CHAIN_ID) for i in range(BATCH)
        ]
        batch = json.dumps(
            {"messages": [message_to_json(m) for m in streamed]}
        ).encode()  # to the subscribers

        with running_node(env):
            url = env["MECENATE_NODE_URL"]

            async def run() -> dict:
                host, port = url.removeprefix("http://").split(":")
                pool = Pool(host, int(port), 64)

                async def get(path: str) -> bool:
                    return await pool.request("GET", path) == 200

                async def post() -> bool:
                    return await pool.request("POST", "/v1/messages", next(fresh)) == 201

                await closed_loop(lambda: get("/health"), 4, 1.0)  # warm up
                health = await closed_loop(lambda: get("/health"), args.concurrency, args.seconds / 2)
                feed = await closed_loop(
                    lambda: get(rng.choice(feed_paths)), args.concurrency, args.seconds / 2
                )
                posted = await closed_loop(post, args.concurrency, args.seconds / 2)
                paced = await open_loop(
                    pool, rng.sample(feed_paths, len(feed_paths)), args.rate, args.seconds
                )
                streaming = await with_subscribers(
                    url,
                    pool,
                    rng.sample(feed_paths, len(feed_paths)),
                    batch,
                    subscribers=args.subscribers,
                    rate=args.rate,
                    seconds=args.seconds,
                )
                return {
                    "health": health,
                    "feed": feed,
                    "post": posted,
                    "feed_at_rate": paced,
                    "streaming": streaming,
                }

            results = trio.run(run)

    streaming = results.pop("streaming")
    summary = {
        "benchmark": "api",
        "messages_stored": args.messages,
        "feed_at_200rps_p50_ms": round(results["feed_at_rate"]["p50_ms"], 2),
        "feed_at_200rps_p99_ms": round(results["feed_at_rate"]["p99_ms"], 2),
        "feed_at_200rps_errors": results["feed_at_rate"]["errors"],
        "feed_max_rps": round(results["feed"]["rps"], 1),
        "feed_max_p99_ms": round(results["feed"]["p99_ms"], 2),
        "post_max_rps": round(results["post"]["rps"], 1),
        "post_p50_ms": round(results["post"]["p50_ms"], 2),
        "post_p99_ms": round(results["post"]["p99_ms"], 2),
        "health_max_rps": round(results["health"]["rps"], 1),
        "feed_vs_health": round(results["feed"]["rps"] / results["health"]["rps"], 3),
        "target_feed_p99_ms": 25,
        "sse_subscribers": args.subscribers,
        "sse_feed_at_200rps_p99_ms": round(streaming["feed"]["p99_ms"], 2),
        "sse_feed_at_200rps_errors": streaming["feed"]["errors"],
        "sse_health_p99_ms": round(streaming["health"]["p99_ms"], 2),
        "sse_health_errors": streaming["health"]["errors"],
        "sse_batch_200_posted_s": round(streaming["post_batch_s"], 3),
        "sse_batch_200_delivered_to_all_s": round(streaming["delivered_to_all_s"], 3),
        "sse_subscribers_with_whole_batch": streaming["subscribers_with_all"],
        "target_sse_health_p99_ms": 50,
        "concurrency": args.concurrency,
        "machine": machine_info(),
    }
    for name in ("feed", "health"):
        results[f"{name}+{args.subscribers}sse"] = streaming[name]
    for name, r in results.items():
        print(
            f"{name:>13}: {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  errors {r['errors']}"
        )
    print(
        f"batch of {BATCH} to {args.subscribers} subscribers: posted in {streaming['post_batch_s']:.3f}s, "
        f"delivered to all in {streaming['delivered_to_all_s']:.3f}s ({streaming['subscribers_with_all']} got all)"
    )
    emit(summary, args.out)


if __name__ == "__main__":
    main()
