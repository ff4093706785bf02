"""The mixed-load run of ``benchmarks/api.py --mixed``: reads while writes keep arriving.

Two real node processes share a store of ``--messages`` signed messages (B starts from a copy
of A's file, so they begin in sync) and are connected over libp2p. For ``--seconds`` (60 by
default), at the same time:

* writes: ``--write-rate`` fresh signed posts per second (100 by default) by the corpus users,
  alternately POSTed to A's API and to B's, so half reach A through gossip;
* reads: A's feed at ``--rate`` requests/s (200) and A's ``/health`` at 50/s, paced, latency from
  each request's scheduled start;
* a live-stream client on A records when each written post appears there: the ingest lag is
  that time minus the post's scheduled send time (a post that never appears is counted apart);
* A's ``/metrics`` is read every 5 s for the longest event-loop step of the recent window
  (``mecenate_event_loop_step_max_seconds{since="10s"}``, its core's and its read workers'):
  the largest of those readings is the largest step of the run, with the task that took it.

A runs with ``--read-workers`` read workers (``api.read_workers``, 1 by default: see
``node/read_worker.py``); B with the defaults. At the end: A's resident memory (VmRSS and its
peak, VmHWM, of its core and workers together) and the store's bytes on disk per message. Targets (issue 17): feed p99 <= 25 ms, ``/health`` p99 <= 10 ms, largest step <= 50 ms,
ingest lag p99 <= 1 s, RSS under 1 GiB.
"""

from __future__ import annotations

import gc
import json
import random
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import trio
from _corpus import CHAIN_ID, fill_store
from _load import Pool, StreamClient, open_loop, paced, percentile
from _report import emit, machine_info

from benchmarks._processes import child_pids, connected_pair, node_env
from node.config import STORE_FILE
from node.loopwatch import collector_paused
from node.messages import message_to_json

HEALTH_RATE = 50.0
#: How often A's /metrics is read for the recent longest event-loop step.
METRICS_EVERY_SECONDS = 5.0
#: How long after the last write the run waits for the stragglers to appear on A's stream.
GRACE_SECONDS = 10.0
TARGETS = {
    "feed_p99_ms": 25.0,
    "health_p99_ms": 10.0,
    "loop_step_max_ms": 50.0,
    "ingest_lag_p99_ms": 1000.0,
    "rss_mib": 1024.0,
}
#: A recent longest step: its labels (``since``, ``task``, and ``read_worker`` for a worker's) and seconds.
_RECENT_STEP = re.compile(r'^mecenate_event_loop_step_max_seconds\{(since="[^"]+".*)\} (\S+)$', re.M)
_TASK = re.compile(r'task="((?:[^"\\]|\\.)*)"')
_WORKER = re.compile(r'read_worker="(\d+)"')


class StreamWatcher(StreamClient):
    """A's live stream, read for the ids of messages and when each first appeared."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self._partial = b""

    def received(self, data: bytes) -> None:
        now = trio.current_time()
        *lines, self._partial = (self._partial + data).split(b"\n")  # chunked framing lines are skipped
        for line in lines:
            if line.startswith(b"id: 0x"):
                self.seen.setdefault(line[4:].decode(), now)


class LoopSteps:
    """The largest recent event-loop step A reported, read from its /metrics."""

    def __init__(self) -> None:
        self.seconds, self.task = 0.0, ""

    async def run(self, url: str) -> None:
        async with httpx.AsyncClient() as http:
            while True:
                await trio.sleep(METRICS_EVERY_SECONDS)
                self.read((await http.get(url + "/metrics")).text)

    def read(self, metrics: str) -> None:
        for labels, value in _RECENT_STEP.findall(metrics):
            if float(value) > self.seconds:
                task, worker = _TASK.search(labels), _WORKER.search(labels)
                where = "core" if worker is None else f"read worker {worker[1]}"
                self.seconds, self.task = float(value), f"{task[1] if task else '?'} ({where})"


def _memory(pid: int) -> dict[str, float]:
    """Resident memory (VmRSS, and its peak VmHWM) of the node: its core and its read workers."""
    total = {"VmRSS": 0.0, "VmHWM": 0.0}
    for p in [pid, *child_pids(pid)]:
        lines = Path(f"/proc/{p}/status").read_text().splitlines()
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        for name in total:
            total[name] += int(fields[name].split()[0]) / 1024
    return total


def _disk_bytes(data_dir: Path) -> int:
    return sum(f.stat().st_size for f in data_dir.glob(STORE_FILE + "*"))


def _ms(seconds: float) -> float:
    return round(1000 * seconds, 2)


def run_mixed(args: Any) -> None:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        env_a = node_env(Path(tmp) / "a", MECENATE_API__READ_WORKERS=str(args.read_workers))
        env_b = node_env(Path(tmp) / "b")  # the second node, with the defaults: it only takes writes
        dir_a, dir_b = Path(env_a["MECENATE_DATA_DIR"]), Path(env_b["MECENATE_DATA_DIR"])
        dir_a.mkdir(parents=True)
        dir_b.mkdir(parents=True)
        started = time.perf_counter()
        users = fill_store(dir_a / STORE_FILE, args.messages, args.corpus_cache)
        shutil.copy(dir_a / STORE_FILE, dir_b / STORE_FILE)
        print(f"filled the stores with {args.messages:,} messages in {time.perf_counter() - started:.0f}s")
        writes = int(args.write_rate * args.seconds)
        posts = [
            rng.choice(users).sign("Post", {"text": f"mixed-load post {i}"}, chain_id=CHAIN_ID)
            for i in range(writes)
        ]
        bodies = [json.dumps(message_to_json(m)).encode() for m in posts]
        ids = ["0x" + m.id.hex() for m in posts]
        feed_paths = [f"/v1/users/{u.address}/feed?limit=20" for u in users]

        with connected_pair(env_a, env_b) as (node_a, _):
            url_a, url_b = env_a["MECENATE_NODE_URL"], env_b["MECENATE_NODE_URL"]
            # This process's own garbage-collector passes (up to 135 ms measured, over the
            # signed posts and the pools) would count as the node's latency: the paced
            # requests' clocks run from their scheduled starts.
            gc.freeze()
            with collector_paused():
                results = trio.run(_measure, url_a, url_b, ids, bodies, feed_paths, args)
            memory = _memory(node_a.pid)
        messages_a = results.pop("messages_a")
        disk = _disk_bytes(dir_a)

    sent = results.pop("sent")
    seen = results.pop("seen")
    lags = [seen[mid] - sent[mid] for mid in sent if mid in seen]
    steps = results.pop("steps")
    summary = {
        "benchmark": "api-mixed",
        "messages_stored": args.messages,
        "seconds": args.seconds,
        "write_rate": args.write_rate,
        "read_workers": args.read_workers,
        "feed_rate": args.rate,
        "feed_p50_ms": round(results["feed"]["p50_ms"], 2),
        "feed_p99_ms": round(results["feed"]["p99_ms"], 2),
        "feed_max_ms": round(results["feed"]["max_ms"], 2),
        "feed_errors": results["feed"]["errors"],
        "health_p99_ms": round(results["health"]["p99_ms"], 2),
        "health_errors": results["health"]["errors"],
        "post_p50_ms": round(results["writes"]["p50_ms"], 2),
        "post_p99_ms": round(results["writes"]["p99_ms"], 2),
        "post_errors": results["writes"]["errors"],
        "loop_step_max_ms": _ms(steps.seconds),
        "loop_step_max_task": steps.task,
        "ingest_lag_p50_ms": _ms(percentile(lags, 0.5)) if lags else None,
        "ingest_lag_p99_ms": _ms(percentile(lags, 0.99)) if lags else None,
        "ingest_lag_max_ms": _ms(max(lags)) if lags else None,
        "writes_never_seen_on_a": len(sent) - len(lags),
        "rss_mib": round(memory["VmRSS"], 1),
        "rss_peak_mib": round(memory["VmHWM"], 1),
        "disk_bytes_per_message": round(disk / messages_a, 1),
        "targets": TARGETS,
        "machine": machine_info(),
    }
    summary["meets_targets"] = all(
        summary[name] is not None and summary[name] <= limit for name, limit in TARGETS.items()
    ) and not (summary["feed_errors"] or summary["health_errors"] or summary["writes_never_seen_on_a"])
    for name in ("feed", "health", "writes"):
        r = results[name]
        print(
            f"{name:>7}: {r['rps']:7.1f} req/s  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms"
            f"  max {r['max_ms']:7.2f} ms  errors {r['errors']}"
        )
    print(
        f"ingest lag p50 {summary['ingest_lag_p50_ms']} ms, p99 {summary['ingest_lag_p99_ms']} ms "
        f"({summary['writes_never_seen_on_a']} never seen); largest loop step "
        f"{summary['loop_step_max_ms']} ms ({steps.task}); RSS {summary['rss_mib']} MiB; "
        f"{summary['disk_bytes_per_message']} B/message on disk"
    )
    emit(summary, args.out)


async def _measure(
    url_a: str, url_b: str, ids: list[str], bodies: list[bytes], feed_paths: list[str], args: Any
) -> dict[str, Any]:
    host_a, port_a = url_a.removeprefix("http://").split(":")
    host_b, port_b = url_b.removeprefix("http://").split(":")
    feed_pool, health_pool = Pool(host_a, int(port_a), 64), Pool(host_a, int(port_a), 8)
    writers = (Pool(host_a, int(port_a), 16), Pool(host_b, int(port_b), 16))
    watcher, steps = StreamWatcher(), LoopSteps()
    sent: dict[str, float] = {}
    results: dict[str, Any] = {}

    async def write(i: int) -> bool:
        sent[ids[i]] = trio.current_time()  # ``paced`` calls this at the write's scheduled time
        return await writers[i % 2].request("POST", "/v1/messages", bodies[i]) == 201

    async def run(name: str, load: Any) -> None:
        results[name] = await load

    async with trio.open_nursery() as background:
        await background.start(watcher.run, host_a, int(port_a))
        background.start_soon(steps.run, url_a)
        for pool, size in ((feed_pool, 64), (health_pool, 8)):  # connect before timing anything
            async with trio.open_nursery() as warm:
                for _ in range(size):
                    warm.start_soon(pool.request, "GET", "/health")
        async with trio.open_nursery() as load:
            load.start_soon(run, "feed", open_loop(feed_pool, feed_paths, args.rate, args.seconds))
            load.start_soon(run, "health", open_loop(health_pool, ["/health"], HEALTH_RATE, args.seconds))
            load.start_soon(run, "writes", paced(write, args.write_rate, args.seconds))
        with trio.move_on_after(GRACE_SECONDS):
            while not all(mid in watcher.seen for mid in sent):
                await trio.sleep(0.1)
        async with httpx.AsyncClient() as http:
            steps.read((await http.get(url_a + "/metrics")).text)
            results["messages_a"] = (await http.get(url_a + "/v1/status")).json()["messages"]
        background.cancel_scope.cancel()
    return {**results, "sent": sent, "seen": watcher.seen, "steps": steps}
