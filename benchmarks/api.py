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

``--mixed`` runs the mixed load instead (reads while writes arrive through the API and through
gossip from a second node, 60 s; see ``_mixed.py``): feed, ``/health``, ingest lag, the largest
event-loop step, memory and disk per message.

The load generator shares the 2 cores with the server, so it speaks HTTP/1.1 itself over
keep-alive trio sockets: a full client library costs more CPU per request than the server.

Prints the figures, then, as its last line, one JSON object. Run:

    .venv/bin/python benchmarks/api.py [--messages 100000] [--seconds 10] [--out FILE]
    .venv/bin/python benchmarks/api.py --mixed [--messages 1000000] [--write-rate 100] [--out FILE]

``--corpus-cache DIR`` keeps each filled store in DIR and reuses it on the next run of that
size (a million messages take some six minutes to fill).
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

from _corpus import CHAIN_ID, fill_store
from _load import Pool, StreamClient, closed_loop, open_loop
from _mixed import run_mixed
from _report import emit, machine_info

from benchmarks._processes import node_env, running_node
from node.config import STORE_FILE
from node.identity import create_key
from node.messages import message_to_json

#: Messages in the batch posted while the live-stream subscribers read.
BATCH = 200
#: Requests per second to /health beside the paced feed in the live-stream run.
HEALTH_RATE = 50.0


class Subscriber(StreamClient):
    """One live-stream client that counts the ``message`` events."""

    EVENT = b"event: message\n"

    def __init__(self) -> None:
        self.messages = 0
        self._tail = b""

    def received(self, data: bytes) -> None:
        data = self._tail + data  # an event split across two reads is counted once, in the second
        self.messages += data.count(self.EVENT)
        self._tail = data[-(len(self.EVENT) - 1) :]


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
    parser.add_argument("--seconds", type=float, help="each phase's length (default 10; 60 with --mixed)")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--corpus-cache", type=Path, help="keep filled stores in this folder and reuse them")
    parser.add_argument("--mixed", action="store_true", help="the mixed-load run instead: see _mixed.py")
    parser.add_argument("--write-rate", type=float, default=100.0, help="with --mixed: messages/s written")
    parser.add_argument(
        "--read-workers", type=int, default=1, help="with --mixed: node A's api.read_workers (0: none)"
    )
    args = parser.parse_args()
    if args.mixed:
        args.seconds = args.seconds or 60.0
        return run_mixed(args)
    args.seconds = args.seconds or 10.0
    rng = random.Random(7)

    with tempfile.TemporaryDirectory() as tmp:
        env = node_env(Path(tmp))
        Path(env["MECENATE_DATA_DIR"]).mkdir(parents=True)
        t = time.perf_counter()
        users = fill_store(Path(env["MECENATE_DATA_DIR"]) / STORE_FILE, args.messages, args.corpus_cache)
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
