"""Sync benchmark: reconciliation overhead, fresh catch-up rate, gossip latency over 3 hops.

    .venv/bin/python benchmarks/sync.py [--messages 100000] [--missing 1000] [--out FILE]

Every node is a real libp2p host on 127.0.0.1 with a real SQLite store (synchronous=FULL, as
a node runs) holding real signed messages. The serving nodes run in their own processes
(``--node`` mode of this script), so the two cores work in parallel as two machines would.

1. Reconciliation: node X holds N messages, node Y the same minus ``missing`` random ones.
   Y dials X and runs one ``/mecenate/sync/2.0.0`` session (both serve everything). Reported: frame bytes both ways,
   the wire size of the missing messages, overhead = bytes - payload (target <= 2x payload +
   16 KB), reconcile round trips, seconds.
2. Fresh catch-up: an empty node dials X and syncs all N. Reported in messages/s and as a
   ratio to the local ingest rate (``Store.ingest`` of the same messages from memory, in
   batches of 2,000, measured in this run). Target >= 0.5.
3. Gossip: a line A-B-C-D (B and C in their own processes); a message written on A is timed
   until it is in D's store, three hops away, each hop verifying and merging (with fsync)
   before relaying. Target p50 <= 100 ms.

The last line printed is one JSON object with every figure; ``--out`` also writes it.
The machine is shared with other work: figures are noisy, the JSON says so.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trio  # noqa: E402
from _report import emit, machine_info  # noqa: E402

from node.config import P2PSettings  # noqa: E402
from node.messages import encode_message, sign_message  # noqa: E402
from node.p2p import P2PNode, serve  # noqa: E402
from node.store import Store  # noqa: E402

CHAIN = 31337
T0 = 1_700_000_000


def _quiet() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(message)s")
    for name in ("libp2p", "async_service", "node.p2p"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _sign_range(args: tuple[int, int, int]) -> list[bytes]:
    start, count, seed = args
    rnd = random.Random(seed)
    keys = [rnd.randbytes(32) for _ in range(50)]
    return [
        encode_message(
            sign_message(
                "Post",
                {
                    "text": f"benchmark post {start + i} " + "x" * rnd.randrange(0, 200),
                    "timestamp": T0 + (start + i) // 3,
                },
                keys[(start + i) % 50],
                CHAIN,
            )
        )
        for i in range(count)
    ]


def make_messages(n: int) -> list[bytes]:
    procs = max(1, min(4, os.cpu_count() or 1))
    step = (n + procs - 1) // procs
    with multiprocessing.Pool(procs) as pool:
        parts = pool.map(_sign_range, [(i, min(step, n - i), i) for i in range(0, n, step)])
    return [m for part in parts for m in part]


# ------------------------------------------------------------------------------ node process


def _settings(bootstrap: list[str]) -> P2PSettings:
    """A benchmark node: an ephemeral port, and no periodic sync to disturb the measurement."""
    return P2PSettings(listen="/ip4/127.0.0.1/tcp/0", bootstrap=bootstrap, sync_interval_seconds=3600.0)


def node_main(data_dir: str, store_path: str, bootstrap: list[str]) -> None:
    _quiet()

    async def main() -> None:
        store = Store(store_path, CHAIN)
        try:
            async with trio.open_nursery() as nursery:
                with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                    node = await nursery.start(serve, _settings(bootstrap), Path(data_dir), CHAIN, store)
                    print(node.addrs[0], flush=True)
                    async for _ in signals:
                        nursery.cancel_scope.cancel()
                        break
        finally:
            store.close()

    trio.run(main)


class NodeProcess:
    def __init__(self, tmp: Path, name: str, store_path: Path, bootstrap: list[str] | None = None) -> None:
        if bootstrap is None:
            bootstrap = []
        args = [sys.executable, __file__, "--node", str(tmp / name), str(store_path), *bootstrap]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(f"node {name} did not start")
        self.addr = line

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ------------------------------------------------------------------------------ measurements


async def _start(
    nursery: trio.Nursery, tmp: Path, name: str, store: Store, bootstrap: tuple[str, ...] = ()
) -> P2PNode:
    return await nursery.start(serve, _settings(list(bootstrap)), tmp / name, CHAIN, store)


async def _wait(pred, timeout: float) -> None:
    with trio.fail_after(timeout):
        while not pred():
            await trio.sleep(0.02)


async def measure_reconcile(tmp: Path, server_addr: str, store: Store, missing_bytes: int) -> dict:
    async with trio.open_nursery() as nursery:
        node = await _start(nursery, tmp, "y", store)
        t = time.perf_counter()
        pid = await node.connect(server_addr)  # the dialer syncs on connect
        await _wait(lambda: node.peers.get(pid).sync.state in ("ok", "failed"), 300)
        seconds = time.perf_counter() - t
        s = node.peers.get(pid).sync
        nursery.cancel_scope.cancel()
    total = s.bytes_in + s.bytes_out
    overhead = total - missing_bytes
    return {
        "state": s.state,
        "fetched": s.received,
        "need": s.need,
        "have": s.have,
        "bytes_in": s.bytes_in,
        "bytes_out": s.bytes_out,
        "bytes_total": total,
        "missing_payload_bytes": missing_bytes,
        "overhead_bytes": overhead,
        "overhead_budget_bytes": 2 * missing_bytes + 16 * 1024,
        "overhead_ratio_to_payload": round(overhead / missing_bytes, 3),
        "round_trips": s.rounds,
        "seconds": round(seconds, 3),
    }


async def measure_fresh(tmp: Path, server_addr: str, store: Store, n: int) -> dict:
    async with trio.open_nursery() as nursery:
        node = await _start(nursery, tmp, "fresh", store)
        t = time.perf_counter()
        pid = await node.connect(server_addr)
        await _wait(lambda: node.peers.get(pid).sync.state in ("ok", "failed"), 900)
        seconds = time.perf_counter() - t
        s = node.peers.get(pid).sync
        nursery.cancel_scope.cancel()
    assert len(store) == n, (len(store), n, s)
    return {
        "state": s.state,
        "messages": n,
        "seconds": round(seconds, 2),
        "messages_per_s": round(n / seconds, 1),
        "round_trips": s.rounds,
        "bytes_in": s.bytes_in,
    }


async def measure_gossip(tmp: Path, samples: int) -> dict:
    b_store, c_store = tmp / "gb.sqlite", tmp / "gc.sqlite"
    Store(b_store, CHAIN).close()
    Store(c_store, CHAIN).close()
    sa, sd = Store(tmp / "ga.sqlite", CHAIN), Store(tmp / "gd.sqlite", CHAIN)
    procs: list[NodeProcess] = []
    try:
        async with trio.open_nursery() as nursery:
            a = await _start(nursery, tmp, "ga", sa)
            b = await trio.to_thread.run_sync(lambda: NodeProcess(tmp, "gb", b_store, [a.addrs[0]]))
            procs.append(b)
            c = await trio.to_thread.run_sync(lambda: NodeProcess(tmp, "gc", c_store, [b.addr]))
            procs.append(c)
            d = await _start(nursery, tmp, "gd", sd, bootstrap=(c.addr,))
            await _wait(lambda: a.connected_peers() and d.connected_peers(), 30)
            await _wait(lambda: a.pubsub.router.mesh.get(a.topic) and d.pubsub.router.mesh.get(d.topic), 30)
            await trio.sleep(3)  # B and C graft at their own heartbeats
            key = os.urandom(32)
            latencies = []
            for i in range(samples):
                m = sign_message("Post", {"text": f"gossip latency {i}"}, key, CHAIN)
                t = time.perf_counter()
                await trio.to_thread.run_sync(sa.ingest, [m])  # as the API ingests
                with trio.move_on_after(5):
                    while sd.get(m.id) is None:
                        await trio.sleep(0.001)
                latencies.append((time.perf_counter() - t) * 1000)
                await trio.sleep(0.05)
            nursery.cancel_scope.cancel()
    finally:
        for p in procs:
            p.stop()
        sa.close()
        sd.close()
    latencies.sort()
    return {
        "hops": 3,
        "samples": samples,
        "p50_ms": round(statistics.median(latencies), 1),
        "p90_ms": round(latencies[int(len(latencies) * 0.9) - 1], 1),
        "max_ms": round(latencies[-1], 1),
        "lost": sum(1 for x in latencies if x >= 5000),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--missing", type=int, default=1_000)
    ap.add_argument("--gossip-samples", type=int, default=60)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    _quiet()
    n, k = args.messages, args.missing
    tmp = Path(tempfile.mkdtemp(prefix="mecenate-bench-"))

    t = time.perf_counter()
    msgs = make_messages(n)
    print(f"signed {n} messages in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    # local ingest rate, which also builds X's store
    full = Store(tmp / "x.sqlite", CHAIN)
    t = time.perf_counter()
    for i in range(0, n, 2000):
        full.ingest(msgs[i : i + 2000])
    ingest_s = time.perf_counter() - t
    ingest_rate = n / ingest_s
    assert len(full) == n
    full.close()
    print(f"local ingest: {ingest_rate:.0f} messages/s", file=sys.stderr)

    rnd = random.Random(1)
    missing = set(rnd.sample(range(n), k))
    partial = Store(tmp / "y.sqlite", CHAIN)
    kept = [m for i, m in enumerate(msgs) if i not in missing]
    for i in range(0, len(kept), 5000):
        partial.ingest(kept[i : i + 5000])
    missing_bytes = sum(len(msgs[i]) for i in missing)

    x = NodeProcess(tmp, "x", tmp / "x.sqlite")
    try:
        reconcile = trio.run(measure_reconcile, tmp, x.addr, partial, missing_bytes)
        print(f"reconcile: {reconcile}", file=sys.stderr)
        partial.close()
        fresh_store = Store(tmp / "fresh.sqlite", CHAIN)
        fresh = trio.run(measure_fresh, tmp, x.addr, fresh_store, n)
        fresh_store.close()
    finally:
        x.stop()
    fresh["ratio_to_local_ingest"] = round(fresh["messages_per_s"] / ingest_rate, 3)
    print(f"fresh: {fresh}", file=sys.stderr)
    gossip = trio.run(measure_gossip, tmp, args.gossip_samples)
    print(f"gossip: {gossip}", file=sys.stderr)

    result = {
        "benchmark": "sync",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "messages": n,
        "missing": k,
        "avg_message_bytes": round(sum(map(len, msgs)) / n, 1),
        "local_ingest_messages_per_s": round(ingest_rate, 1),
        "reconcile": reconcile,
        "fresh_catch_up": fresh,
        "gossip": gossip,
        "targets": {
            "reconcile_overhead_ok": reconcile["overhead_bytes"] <= reconcile["overhead_budget_bytes"],
            "fresh_ratio_ok": fresh["ratio_to_local_ingest"] >= 0.5,
            "gossip_p50_ok": gossip["p50_ms"] <= 100,
        },
        "note": "bytes are sync-stream frame bytes (noise/yamux framing not counted)",
        "machine": machine_info(),
    }
    emit(result, args.out)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--node":
        node_main(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        main()
