"""API benchmark: GET feed and POST message under concurrent load, 100,000 messages stored.

A real node process (``mecenate node run``: Hypercorn on trio, SQLite store, libp2p host)
serves a store pre-filled with 100,000 signed messages (500 users, 15,000 follows, posts with
realistic text). A load generator in this process drives it over loopback:

* open loop: feed requests for random users at a fixed 200 requests/s for ``--seconds``,
  latency measured from each request's scheduled start (so a stalled server cannot hide its
  queueing: no coordinated omission);
* closed loop: ``--concurrency`` clients as fast as they can, for GET feed, for POST of fresh
  signed messages, and for GET /health, the reference: the same server, framework and
  client doing no work. ``feed_vs_health`` is the feed throughput as a fraction of it.

Prints the figures, then, as its last line, one JSON object. Run:

    .venv/bin/python benchmarks/api.py [--messages 100000] [--seconds 10] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from node.identity import create_key  # noqa: E402
from node.messages import message_to_json  # noqa: E402
from node.store import Store  # noqa: E402
from tests.support.processes import node_env, running_node  # noqa: E402

CHAIN_ID = 31337
USERS = 500
FOLLOWS_EACH = 30
T0 = 1_760_000_000


def fill_store(path: Path, messages: int, rng: random.Random) -> list:  # type: ignore[type-arg]
    users = [create_key() for _ in range(USERS)]
    batch = []
    with Store(path, CHAIN_ID, synchronous="NORMAL") as store:
        n = 0
        for i, u in enumerate(users):
            for target in rng.sample(users, FOLLOWS_EACH):
                if target is not u:
                    batch.append(u.sign("Follow", {"target": target.address, "timestamp": T0 + n}, chain_id=CHAIN_ID))
                    n += 1
        while n < messages:
            u = rng.choice(users)
            words = rng.randint(5, 40)
            text = " ".join(rng.choice(("creator", "patron", "token", "drop", "studio", "mix", "thanks", "live"))
                            for _ in range(words))
            batch.append(u.sign("Post", {"text": text, "timestamp": T0 + n}, chain_id=CHAIN_ID))
            n += 1
            if len(batch) >= 5000:
                store.ingest(batch, now=T0 + messages)
                batch = []
        store.ingest(batch, now=T0 + messages)
        assert len(store) >= messages * 0.99, len(store)
    return users


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def open_loop(http: httpx.AsyncClient, paths: list[str], rate: float, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    start = trio.current_time()
    total = int(rate * seconds)

    async def one(i: int, scheduled: float) -> None:
        nonlocal errors
        await trio.sleep_until(scheduled)
        r = await http.get(paths[i % len(paths)])
        if r.status_code != 200:
            errors += 1
        latencies.append(trio.current_time() - scheduled)

    async with trio.open_nursery() as nursery:
        for i in range(total):
            nursery.start_soon(one, i, start + i / rate)
    elapsed = trio.current_time() - start
    return {
        "requests": total, "errors": errors, "rps": total / elapsed,
        "p50_ms": 1000 * percentile(latencies, 0.50), "p99_ms": 1000 * percentile(latencies, 0.99),
    }


async def closed_loop(make_request, concurrency: int, seconds: float) -> dict:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    errors = 0
    deadline = trio.current_time() + seconds

    async def worker() -> None:
        nonlocal errors
        while trio.current_time() < deadline:
            t = trio.current_time()
            ok = await make_request()
            latencies.append(trio.current_time() - t)
            errors += not ok

    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        for _ in range(concurrency):
            nursery.start_soon(worker)
    elapsed = trio.current_time() - start
    return {
        "requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies), "p99_ms": 1000 * percentile(latencies, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = random.Random(7)

    with tempfile.TemporaryDirectory() as tmp:
        env = node_env(Path(tmp))
        Path(env["MECENATE_DATA_DIR"]).mkdir(parents=True)
        t = time.perf_counter()
        users = fill_store(Path(env["MECENATE_DATA_DIR"]) / "store.sqlite", args.messages, rng)
        print(f"filled the store with {args.messages:,} messages in {time.perf_counter() - t:.1f}s", flush=True)
        poster = create_key()
        fresh = iter(message_to_json(poster.sign("Post", {"text": f"fresh post {i}"}, chain_id=CHAIN_ID))
                     for i in range(1_000_000))
        feed_paths = [f"/v1/users/{u.address}/feed?limit=20" for u in users]

        with running_node(env):
            url = env["MECENATE_NODE_URL"]

            async def run() -> dict:
                limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
                async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
                    await closed_loop(lambda: _ok(http.get("/health")), 4, 1.0)  # warm up
                    health = await closed_loop(lambda: _ok(http.get("/health")), args.concurrency, args.seconds / 2)
                    feed = await closed_loop(lambda: _ok(http.get(rng.choice(feed_paths))), args.concurrency, args.seconds / 2)
                    post = await closed_loop(lambda: _ok(http.post("/v1/messages", json=next(fresh)), 201),
                                             args.concurrency, args.seconds / 2)
                    paced = await open_loop(http, rng.sample(feed_paths, len(feed_paths)), args.rate, args.seconds)
                    return {"health": health, "feed": feed, "post": post, "feed_at_rate": paced}

            results = trio.run(run)

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
        "concurrency": args.concurrency,
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, {platform.python_implementation()} {platform.python_version()}",
    }
    for name, r in results.items():
        print(f"{name:>13}: {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  errors {r['errors']}")
    line = json.dumps(summary)
    print(line)
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")


async def _ok(request, status: int = 200) -> bool:  # type: ignore[no-untyped-def]
    return (await request).status_code == status


if __name__ == "__main__":
    main()
