"""Write-path CPU benchmark: what one written message costs each node, in CPU time.

The nodes of ``api.py --mixed``, with its writes and nothing else: node A (``--read-workers``
read workers) and node B, connected over libp2p and starting from the same store of
``--messages`` signed messages. ``--write-rate`` fresh signed posts per second for
``--seconds``, alternately POSTed to A's API and to B's, so each node takes half of them
through its API and the other half through gossip from the other. The run ends when both nodes
hold every message.

Each process's CPU time (user + system, from ``/proc/<pid>/stat``) is read at the first write
and at the end, and divided by the messages written: every node stores every message, so that
is the CPU a node spends per message of the network's write load (half submitted to it, half
relayed to it). On a shared machine wall-clock latencies are noisy; CPU time per message is
the figure to compare before and after a change, from runs made in the same minutes.

    PYTHONPATH=. .venv/bin/python benchmarks/writes.py [--messages 10000] [--seconds 30]
        [--write-rate 100] [--corpus-cache DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import trio
from _corpus import CHAIN_ID, fill_store
from _load import Pool, paced
from _report import emit, machine_info

from benchmarks._processes import child_pids, connected_pair, node_env
from node.config import STORE_FILE
from node.messages import message_to_json

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_LANE = re.compile(r'^mecenate_store_lane\{kind="(\w+)"\} (\S+)$', re.M)
#: Seconds the nodes may take, after the last write, to hold every message.
SETTLE_SECONDS = 30.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def held(url: str) -> int:
    return int(httpx.get(url + "/v1/status").json()["messages"])


def lane(url: str) -> dict[str, float]:
    """The node's write lane since it started: calls, and wakes of its thread (fewer: grouped)."""
    found = _LANE.findall(httpx.get(url + "/metrics").text)
    return {kind: float(value) for kind, value in found}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000, help="stored before the run")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--write-rate", type=float, default=100.0, help="messages/s written, both nodes together"
    )
    parser.add_argument("--read-workers", type=int, default=1, help="node A's api.read_workers")
    parser.add_argument("--corpus-cache", type=Path, help="keep filled stores in this folder and reuse them")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        env_a = node_env(Path(tmp) / "a", MECENATE_API__READ_WORKERS=str(args.read_workers))
        env_b = node_env(Path(tmp) / "b")
        dir_a, dir_b = Path(env_a["MECENATE_DATA_DIR"]), Path(env_b["MECENATE_DATA_DIR"])
        dir_a.mkdir(parents=True)
        dir_b.mkdir(parents=True)
        users = fill_store(dir_a / STORE_FILE, args.messages, args.corpus_cache)
        shutil.copy(dir_a / STORE_FILE, dir_b / STORE_FILE)
        writes = int(args.write_rate * args.seconds)
        bodies = [
            json.dumps(
                message_to_json(
                    rng.choice(users).sign("Post", {"text": f"write-path post {i}"}, chain_id=CHAIN_ID)
                )
            ).encode()
            for i in range(writes)
        ]
        with connected_pair(env_a, env_b) as (node_a, node_b):
            url_a, url_b = env_a["MECENATE_NODE_URL"], env_b["MECENATE_NODE_URL"]
            start_count = held(url_a)
            pids = {
                "a_core": node_a.pid,
                **{f"a_worker_{i}": p for i, p in enumerate(child_pids(node_a.pid))},
            }
            pids["b"] = node_b.pid
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            started = time.monotonic()
            posted = trio.run(_write, url_a, url_b, bodies, args)
            deadline = time.monotonic() + SETTLE_SECONDS
            while min(held(url_a), held(url_b)) < start_count + writes and time.monotonic() < deadline:
                time.sleep(0.25)
            elapsed = time.monotonic() - started
            after = {name: cpu_seconds(pid) for name, pid in pids.items()}
            final = {"a": held(url_a) - start_count, "b": held(url_b) - start_count}
            lanes = {"a": lane(url_a), "b": lane(url_b)}
    # Each node's CPU over the messages it holds at the end (all written ones, unless it fell behind).
    cpu_ms = {name: round(1000 * (after[name] - before[name]) / max(1, final[name[0]]), 3) for name in pids}
    summary = {
        "benchmark": "writes",
        "messages_stored": args.messages,
        "seconds": args.seconds,
        "write_rate": args.write_rate,
        "read_workers": args.read_workers,
        "written": writes,
        "held_at_end": final,
        "post_errors": posted["errors"],
        "post_p50_ms": round(posted["p50_ms"], 2),
        "post_p99_ms": round(posted["p99_ms"], 2),
        "elapsed_s": round(elapsed, 1),
        "cpu_ms_per_message": cpu_ms,
        "store_lane": lanes,
        "machine": machine_info(),
    }
    print(
        f"{writes} messages written at {args.write_rate:g}/s: post p50 {posted['p50_ms']:.2f} ms, "
        f"p99 {posted['p99_ms']:.2f} ms, {posted['errors']} errors; held {final}"
    )
    for name, ms in cpu_ms.items():
        print(f"{name:>12}: {ms:6.3f} ms CPU per message")
    print(f"write lanes (calls, wakes): {lanes}")
    emit(summary, args.out)


async def _write(url_a: str, url_b: str, bodies: list[bytes], args: argparse.Namespace) -> dict:
    pools = [Pool(*_host_port(url), 16) for url in (url_a, url_b)]

    async def write(i: int) -> bool:
        return await pools[i % 2].request("POST", "/v1/messages", bodies[i]) == 201

    return await paced(write, args.write_rate, args.seconds)


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


if __name__ == "__main__":
    main()
