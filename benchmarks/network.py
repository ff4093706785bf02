"""Network benchmark: delivery, convergence, churn, bandwidth and disk of a network of real
node processes on loopback.

    .venv/bin/python benchmarks/network.py [--nodes 12] [--messages 5000] [--churn 3] [--out FILE]
    .venv/bin/python benchmarks/network.py --quick      # a smoke run: 5 nodes, 100 messages

The network (``tests.support.network``): ``--nodes`` scoped nodes and one reference node that
serves everything, joined in a random connected graph of degree 3-4. ``--communities`` (6)
communities, each with a signed Charter; each scoped node is assigned 1-3 of them (plus the
base scope), passed as ``MECENATE_P2P__SCOPES``. A node that does not know scopes ignores the
setting and serves everything: then delivery to nodes outside a message's scope is ~100 %,
disk ratios are ~1, and the JSON says which case it measured (``scopes_honoured``).

1. The Charters are posted at node 0 and the network waits until every node holds them, then
   until, for every scope, the nodes serving it are connected through nodes serving it
   (peering by scope, ``node.p2p.discovery``: ``scope_peering_seconds``).
2. Burst: ``--messages`` signed messages (CommunityPosts in random communities, and a share
   of base-scope Posts) posted through ``POST /v1/messages`` at random running nodes by a few
   concurrent clients. Every node's ``GET /v1/stream`` is read meanwhile: the first time each
   node shows each message is its arrival.
3. Churn: once a quarter of the burst is posted, ``--churn`` random scoped nodes are killed
   (SIGKILL); after the burst they are restarted on their data dirs and ports. Reported: the
   seconds from their restart until, in every scope, the nodes serving it agree (per-scope
   fingerprints, ``p2p.by_scope`` in each node's status).
4. Delivery: a (message, node) pair the stream did not show (a node down, or syncing before
   its stream was reopened) is checked with ``GET /v1/messages/{id}``; its arrival is then
   taken as the moment convergence was seen (an upper bound).
5. Bandwidth: the nodes expose no p2p byte counter (``/metrics`` and ``/v1/status`` count
   gossip batches and the last sync session's bytes only), so the TCP bytes each node sent on
   its p2p connections are read from the kernel (``ss -tinp``: ``bytes_sent`` per socket,
   sampled every second, so a killed node's last second is lost). Divided by the messages
   and the nodes, next to the messages' own wire size.
6. Disk: the bytes of each node's store in use (SQLite pages less free ones, read through the
   WAL), divided by the reference node's, next to the share of the messages in its scopes.

``--serve-all`` runs the same network with every node serving everything: the reference for
the bandwidth figure (nodes that ignore scopes make both runs the same).

The last line printed is one JSON object; ``--out`` also writes it. The machine is shared:
absolute figures are noisy, the ratios are what count.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import trio  # noqa: E402
from _load import percentile  # noqa: E402
from _mixed import StreamWatcher  # noqa: E402
from _report import emit, machine_info  # noqa: E402

from benchmarks._processes import wait_for  # noqa: E402
from node.config import STORE_FILE  # noqa: E402
from node.identity import Key, import_key  # noqa: E402
from node.messages import SignedMessage, encode_message, keccak, message_to_json  # noqa: E402
from node.messages.community import community_id  # noqa: E402
from node.messages.scope import scope_name  # noqa: E402
from node.messages.scope import scope_of as message_scope  # noqa: E402
from tests.support.network import NetNode, Network, Scopes, random_topology  # noqa: E402

CHAIN_ID = 31337
#: Share of the burst that is base-scope Posts (the rest are CommunityPosts).
BASE_SHARE = 0.2
#: Concurrent clients posting the burst.
POSTERS = 4
#: Seconds between samples of the kernel's per-socket byte counters.
SAMPLE_SECONDS = 1.0
#: Upper bounds on the waits: the charters reaching every node, and convergence after the burst
#: (periodic sync runs every 30 s by default, and a partition heals only through it).
CHARTER_TIMEOUT = 120.0
CONVERGE_TIMEOUT = 600.0
AUTHORS = 40

_SOCKET = re.compile(r"(\S+):(\d+)\s+(\S+):(\d+)\s+users:\(\(\"[^\"]*\",pid=(\d+)")
_BYTES_SENT = re.compile(r"bytes_sent:(\d+)")


def _key(name: str) -> Key:
    return import_key(keccak(f"network benchmark {name}".encode()))


# ------------------------------------------------------------------------------ the workload


def charters(count: int) -> tuple[list[bytes], list[SignedMessage]]:
    """``count`` community ids and one signed Charter (its name) for each."""
    ids, messages = [], []
    for n in range(count):
        founder = _key(f"founder {n}")
        ids.append(community_id(founder.address, f"c{n}"))
        messages.append(
            founder.sign(
                "Charter", {"handle": f"c{n}", "field": "name", "value": f"Community {n}"}, chain_id=CHAIN_ID
            )
        )
    return ids, messages


def burst(count: int, communities: Sequence[bytes], rng: random.Random) -> list[SignedMessage]:
    """``count`` signed posts: a :data:`BASE_SHARE` of plain Posts, the rest CommunityPosts."""
    authors = [_key(f"author {i}") for i in range(AUTHORS)]
    out = []
    for i in range(count):
        text = f"burst {i} " + "x" * rng.randrange(0, 200)
        if rng.random() < BASE_SHARE:
            out.append(rng.choice(authors).sign("Post", {"text": text}, chain_id=CHAIN_ID))
        else:
            fields = {"community": rng.choice(communities), "text": text}
            out.append(rng.choice(authors).sign("CommunityPost", fields, chain_id=CHAIN_ID))
    return out


def scope_of(message: SignedMessage) -> bytes | None:
    """The community a message belongs to (the node's rule), None for the base scope."""
    return message_scope(message) or None


def serves(scopes: Scopes, scope: bytes | None) -> bool:
    return scopes is None or scope is None or scope in scopes


def assign(nodes: int, communities: Sequence[bytes], rng: random.Random) -> list[Scopes]:
    """1-3 random communities for each scoped node, then None (everything) for the reference."""
    scoped: list[Scopes] = [rng.sample(list(communities), rng.randint(1, 3)) for _ in range(nodes)]
    return [*scoped, None]


# ------------------------------------------------------------------------------ measurements


def socket_bytes() -> dict[tuple[int, int, int], tuple[int, int]]:
    """Every established TCP socket of a process we may read: (pid, local port, peer port) ->
    (bytes sent, peer port) from ``ss -tinp``."""
    out = subprocess.run(
        ["ss", "-tinpH", "state", "established"], capture_output=True, text=True, timeout=30
    ).stdout
    found: dict[tuple[int, int, int], tuple[int, int]] = {}
    current: tuple[int, int, int] | None = None
    for line in out.splitlines():
        if m := _SOCKET.search(line):
            current = (int(m[5]), int(m[2]), int(m[4]))
        elif current is not None and (b := _BYTES_SENT.search(line)):
            found[current] = (int(b[1]), current[2])
            current = None
    return found


class ByteCounter:
    """The p2p bytes each node sent: the largest ``bytes_sent`` seen on each of its p2p
    sockets (its listen port, or a peer's), sampled until stopped; sockets open at
    :meth:`baseline` count only what they sent after it."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.p2p_ports = {n.p2p_port for n in net.nodes}
        self.start: dict[tuple[int, int, int], int] = {}
        self.last: dict[tuple[int, int, int], int] = {}
        self.owner: dict[int, int] = {}

    def sample(self) -> None:
        for node in self.net.nodes:
            if node.proc is not None:
                self.owner[node.proc.pid] = node.index
        for key, (sent, _) in socket_bytes().items():
            pid, local, peer = key
            node = self.owner.get(pid)
            if node is not None and (local == self.net[node].p2p_port or peer in self.p2p_ports):
                self.last[key] = max(sent, self.last.get(key, 0))

    def baseline(self) -> None:
        self.sample()
        self.start = dict(self.last)

    async def run(self) -> None:
        while True:
            await trio.to_thread.run_sync(self.sample)
            await trio.sleep(SAMPLE_SECONDS)

    def per_node(self) -> list[int]:
        sent = [0] * len(self.net)
        for key, value in self.last.items():
            sent[self.owner[key[0]]] += value - self.start.get(key, 0)
        return sent


class Watchers:
    """Each node's live stream, reopened whenever its node restarts."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.seen: list[dict[str, float]] = [{} for _ in net.nodes]

    async def follow(self, node: NetNode) -> None:
        port = int(node.url.rsplit(":", 1)[1])
        while True:
            watcher = StreamWatcher()
            watcher.seen = self.seen[node.index]  # one record across reconnections
            with contextlib.suppress(OSError, ConnectionError, trio.BrokenResourceError):
                await watcher.run("127.0.0.1", port)
            await trio.sleep(0.2)

    def start(self, nursery: trio.Nursery) -> None:
        for node in self.net.nodes:
            nursery.start_soon(self.follow, node)


def disk_bytes(node: NetNode) -> int:
    """The bytes of the node's store in use (pages, less free ones), read through its WAL: the
    files' own sizes swing with when the WAL was last checkpointed."""
    uri = f"file:{node.data_dir / STORE_FILE}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        pages, free, page = (
            db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size")
        )
    return int((pages - free) * page)


def memory_mb(node: NetNode) -> float:
    lines = Path(f"/proc/{node.proc.pid}/status").read_text().splitlines()  # type: ignore[union-attr]
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    return int(fields["VmHWM"].split()[0]) / 1024


def all_agree(net: Network) -> bool:
    """Whether, in every scope, the nodes serving it hold the same messages."""
    return not net.disagreeing_scopes()


# ------------------------------------------------------------------------------ the run


async def post_burst(
    net: Network, messages: list[SignedMessage], churn: list[int], rng: random.Random
) -> tuple[dict[str, float], float]:
    """Post every message at a random running node that serves its scope (a node refuses the
    others, 422 ``out_of_scope``); kill the ``churn`` nodes a quarter of the way through. Returns the time each message was posted, and when the kill happened."""
    posted: dict[str, float] = {}
    queue = iter(range(len(messages)))
    killed_at = 0.0
    kill_after = len(messages) // 4

    async def poster() -> None:
        nonlocal killed_at
        async with httpx.AsyncClient(timeout=30) as http:
            for i in queue:
                if i == kill_after and churn:
                    killed_at = trio.current_time()
                    for index in churn:
                        await trio.to_thread.run_sync(net.kill, index)
                body = message_to_json(messages[i])
                scope = scope_name(message_scope(messages[i]))
                while True:
                    node = rng.choice([n for n in net.running() if n.serves(scope)])
                    sent = trio.current_time()
                    try:
                        response = await http.post(node.url + "/v1/messages", json=body)
                    except httpx.TransportError:
                        continue  # the node was just killed: post elsewhere
                    if response.status_code in (200, 201):
                        posted["0x" + messages[i].id.hex()] = sent
                        break
                    raise RuntimeError(f"node {node.index} refused a message: {response.text}")

    async with trio.open_nursery() as nursery:
        for _ in range(POSTERS):
            nursery.start_soon(poster)
    return posted, killed_at


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    communities, charter_messages = charters(args.communities)
    started = time.perf_counter()
    messages = burst(args.messages, communities, rng)
    sizes = [len(encode_message(m)) for m in messages]
    print(f"signed {len(messages):,} messages in {time.perf_counter() - started:.1f}s", flush=True)
    scopes = assign(args.nodes, communities, rng)
    if args.serve_all:  # the reference run: the same network, every node serving everything
        scopes = [None] * len(scopes)
    size = args.nodes + 1
    edges = random_topology(size, args.seed)
    churn = rng.sample(range(args.nodes), args.churn)
    with tempfile.TemporaryDirectory(prefix="mecenate-network-") as tmp:
        started = time.perf_counter()
        with Network(Path(tmp), size, edges, scopes) as net:
            startup = time.perf_counter() - started
            print(f"{size} nodes up and connected in {startup:.1f}s", flush=True)
            for m in charter_messages:
                net[0].post(m)
            wait_for(lambda: all_agree(net), "every node to hold the charters", CHARTER_TIMEOUT, 0.5)
            started = time.perf_counter()
            wait_for(lambda: not net.split_scopes(), "peering by scope", CHARTER_TIMEOUT, 0.5)
            peering = time.perf_counter() - started
            print(f"every scope's nodes connected through nodes serving it {peering:.1f}s later", flush=True)
            figures = trio.run(measure, net, messages, churn, rng)
            disk = [disk_bytes(n) for n in net.nodes]
            memory = [memory_mb(n) for n in net.nodes]
            analysis = analyse(net, messages, scopes, figures, sizes, disk)
    return {
        "nodes": size,
        "scoped_nodes": args.nodes,
        "edges": len(edges),
        "communities": args.communities,
        "serve_all": args.serve_all,
        "messages": args.messages,
        "startup_seconds": round(startup, 1),
        "scope_peering_seconds": round(peering, 1),
        "message_bytes_mean": round(sum(sizes) / len(sizes), 1),
        **analysis,
        "peak_rss_mb_per_node": {"max": round(max(memory)), "mean": round(sum(memory) / len(memory))},
    }


async def measure(
    net: Network, messages: list[SignedMessage], churn: list[int], rng: random.Random
) -> dict[str, Any]:
    watchers = Watchers(net)
    counter = ByteCounter(net)
    async with trio.open_nursery() as nursery:
        watchers.start(nursery)
        await trio.to_thread.run_sync(counter.baseline)
        nursery.start_soon(counter.run)
        await trio.sleep(1.0)  # the streams open
        t0 = trio.current_time()
        posted, killed_at = await post_burst(net, messages, churn, rng)
        burst_seconds = trio.current_time() - t0
        print(f"posted {len(posted):,} messages in {burst_seconds:.1f}s; restarting {churn}", flush=True)
        restart_t = trio.current_time()
        for index in churn:
            await trio.to_thread.run_sync(net.restart, index)
        up_t = trio.current_time()
        with trio.fail_after(CONVERGE_TIMEOUT):
            while not await trio.to_thread.run_sync(all_agree, net):
                await trio.sleep(0.5)
        converged_t = trio.current_time()
        print(f"fingerprints agree {converged_t - up_t:.1f}s after the restart", flush=True)
        await trio.sleep(2 * SAMPLE_SECONDS)  # a last byte sample, the streams drained
        nursery.cancel_scope.cancel()
    return {
        "posted": posted,
        "seen": watchers.seen,
        "converged_at": converged_t,
        "bytes_sent": counter.per_node(),
        "burst_seconds": burst_seconds,
        "churn": {
            "killed": churn,
            "killed_after_messages": len(messages) // 4,
            "down_seconds": round(restart_t - killed_at, 1) if churn else 0.0,
            "restart_seconds": round(up_t - restart_t, 1),
            "converge_after_restart_seconds": round(converged_t - up_t, 1),
        },
    }


def analyse(
    net: Network,
    messages: list[SignedMessage],
    scopes: list[Scopes],
    figures: dict[str, Any],
    sizes: list[int],
    disk: list[int],
) -> dict[str, Any]:
    posted, seen = figures["posted"], figures["seen"]
    churned = set(figures["churn"]["killed"])
    complete = outside = outside_pairs = checked = 0
    convergence, convergence_live = [], []
    for m in messages:
        mid, scope = "0x" + m.id.hex(), scope_of(m)
        arrivals, arrivals_live, whole = [], [], True
        for node in net.nodes:
            at = seen[node.index].get(mid)
            if at is None:
                checked += 1
                at = figures["converged_at"] if node.holds(m.id) else None
            if serves(scopes[node.index], scope):
                if at is None:
                    whole = False
                    continue
                arrivals.append(at - posted[mid])
                if node.index not in churned:
                    arrivals_live.append(at - posted[mid])
            else:
                outside_pairs += 1
                outside += at is not None
        complete += whole
        if whole:
            convergence.append(max(arrivals))
            convergence_live.append(max(arrivals_live))
    n = len(messages)
    sent = figures["bytes_sent"]
    share = [sum(serves(s, scope_of(m)) for m in messages) / n for s in scopes]
    reference = disk[-1]
    return {
        "scopes_honoured": outside == 0 if outside_pairs else None,  # None: every node serves all
        "burst_seconds": round(figures["burst_seconds"], 1),
        "delivery": {
            "complete_share": round(complete / n, 4),
            "outside_scope_share": round(outside / outside_pairs, 4) if outside_pairs else 0.0,
            "outside_scope_pairs": outside_pairs,
            "pairs_checked_by_get": checked,
        },
        "convergence_ms": _quantiles(convergence),
        "convergence_ms_nodes_never_killed": _quantiles(convergence_live),
        "churn": figures["churn"],
        "bandwidth": {
            "p2p_bytes_sent_total": sum(sent),
            "bytes_sent_per_message_per_node": round(sum(sent) / n / len(sent), 1),
            "amplification": round(sum(sent) / n / len(sent) / (sum(sizes) / n), 2),
            "bytes_sent_per_node": {"min": min(sent), "max": max(sent)},
            "counted_from": "kernel TCP bytes_sent on p2p sockets (ss -tinp); the nodes expose no p2p byte counter",
        },
        "disk": {
            "reference_bytes": reference,
            "per_node_ratio": [round(d / reference, 3) for d in disk],
            "per_node_share_of_messages": [round(s, 3) for s in share],
            "within_share_plus_10pct": sum(
                d / reference <= s + 0.1 for d, s in zip(disk, share, strict=True)
            ),
        },
        "scopes_per_node": [None if s is None else len(s) for s in scopes],
    }


def _quantiles(seconds: list[float]) -> dict[str, float]:
    return {
        "p50": round(1000 * percentile(seconds, 0.5), 1),
        "p99": round(1000 * percentile(seconds, 0.99), 1),
        "max": round(1000 * max(seconds, default=0.0), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=12, help="scoped nodes (one more serves everything)")
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--communities", type=int, default=6)
    parser.add_argument("--churn", type=int, default=3, help="nodes killed during the burst")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--serve-all", action="store_true", help="every node serves everything (the bandwidth reference)"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 5 nodes, 100 messages, 1 killed")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.quick:
        args.nodes, args.messages, args.churn = 5, 100, 1
    if args.churn >= args.nodes:
        parser.error("--churn must be below --nodes")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    result = {
        "benchmark": "network",
        "note": "shared 2-core machine: absolute times are noisy; ratios are what count",
        **run(args),
        "machine": machine_info(),
    }
    emit(result, args.out)


if __name__ == "__main__":
    main()
