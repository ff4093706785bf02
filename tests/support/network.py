"""A network of real node processes on loopback, for the multi-node tests and
``benchmarks/network.py``.

Each node is ``mecenate node run`` (:func:`benchmarks._processes.running_node`) with its own
data dir and ports, drawn below the kernel's ephemeral range so that no dial takes one first. The topology is a list of edges; for an edge ``(i, j)`` with ``i < j``,
node ``j`` lists node ``i`` as a bootstrap peer, and a node redials its bootstrap peers
whenever the connection drops, so an edge comes back after either end restarts. Peer ids are
known before any node starts (each identity file is made first), so all nodes start at once.

Each node is told the scopes it serves in ``MECENATE_P2P__SCOPES`` (comma-separated community
ids as 0x-hex; unset: everything). Nodes that do not know scopes ignore it and serve everything.

Every wait is bounded; leaving the ``with`` block kills every node, also when a test fails::

    with Network(tmp_path, 3, line(3)) as net:
        net.post(0, message)
        net.wait_converged()
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from libp2p.peer.id import ID

from benchmarks._devnet import free_ports
from benchmarks._processes import node_env, running_node, wait_for
from node.messages import SignedMessage, message_to_json
from node.p2p.host import load_identity

__all__ = ["NetNode", "Network", "line", "random_topology", "scopes_setting"]

Edge = tuple[int, int]
#: A node's scopes: the community ids it serves besides the base scope, or None for all.
Scopes = Sequence[bytes] | None

#: Seconds a node may take to answer ``/health`` after it is started (12 start at once on 2 cores).
START_TIMEOUT = 120.0
#: Seconds for every node to count all its neighbours among its peers.
CONNECT_TIMEOUT = 60.0
#: Upper bound on one HTTP request to a node.
HTTP_TIMEOUT = 10.0


def line(size: int) -> list[Edge]:
    """The edges of a line 0 - 1 - ... - size-1."""
    return [(i, i + 1) for i in range(size - 1)]


def random_topology(size: int, seed: int, low: int = 3, high: int = 4) -> list[Edge]:
    """A random connected graph on ``size`` nodes where every node has ``low`` to ``high``
    neighbours: a random ring (connected), then random chords between nodes still under a
    degree drawn for each. Deterministic for a ``seed``."""
    if size <= high:
        return [(i, j) for i in range(size) for j in range(i + 1, size)]
    rng = random.Random(seed)
    for _ in range(1000):
        order = rng.sample(range(size), size)
        edges = {tuple(sorted((order[k], order[(k + 1) % size]))) for k in range(size)}
        degree = dict.fromkeys(range(size), 2)
        want = {n: rng.randint(low, high) for n in range(size)}
        open_ = [n for n in range(size) if degree[n] < want[n]]
        rng.shuffle(open_)
        for a in open_:
            candidates = [
                b for b in open_ if b != a and degree[b] < want[b] and tuple(sorted((a, b))) not in edges
            ]
            while degree[a] < want[a] and candidates:
                b = candidates.pop(rng.randrange(len(candidates)))
                edges.add(tuple(sorted((a, b))))
                degree[a] += 1
                degree[b] += 1
                candidates = [c for c in candidates if degree[c] < want[c]]
        if all(low <= d <= high for d in degree.values()):
            return sorted(edges)  # type: ignore[arg-type]
    raise ValueError(f"no graph of {size} nodes with degree {low}-{high} found")


def scopes_setting(scopes: Scopes) -> str:
    """The ``MECENATE_P2P__SCOPES`` value: community ids as comma-separated 0x-hex, ``all``
    or ``base`` (no community)."""
    if scopes is None:
        return "all"
    return ",".join("0x" + c.hex() for c in scopes) or "base"


class NetNode:
    """One node process of a :class:`Network`: started, killed and restarted on the same data
    dir and ports, and asked about its state through its HTTP API."""

    def __init__(self, index: int, env: dict[str, str], scopes: Scopes, bootstrap: list[str]) -> None:
        self.index = index
        self.scopes = scopes
        self.env = {
            **env,
            "MECENATE_P2P__SCOPES": scopes_setting(scopes),
            "MECENATE_P2P__BOOTSTRAP": json.dumps(bootstrap),
        }
        self.url = env["MECENATE_NODE_URL"]
        self.data_dir = Path(env["MECENATE_DATA_DIR"])
        self.p2p_port = int(env["MECENATE_P2P__LISTEN"].rsplit("/", 1)[1])
        self.peer_id = ID.from_pubkey(load_identity(self.data_dir).public_key).to_base58()
        self.proc: subprocess.Popen | None = None
        self._stack: contextlib.ExitStack | None = None
        self.http = httpx.Client(base_url=self.url, timeout=HTTP_TIMEOUT)

    @property
    def addr(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.p2p_port}/p2p/{self.peer_id}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        """Start the process and wait (bounded) until it answers; the log of an earlier run is
        kept as ``node.log.<n>``."""
        log = self.data_dir.parent / "node.log"
        if log.exists():
            log.rename(log.with_name(f"node.log.{len(list(log.parent.glob('node.log*')))}"))
        stack = contextlib.ExitStack()
        self.proc = stack.enter_context(running_node(self.env, timeout=START_TIMEOUT))
        self._stack = stack

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a crash or a power cut."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.stop()

    def stop(self) -> None:
        if self._stack is not None:
            self._stack.close()  # kills the process if alive, waits for it, closes its log
        self._stack = None

    def serves(self, scope: str) -> bool:
        """Whether this node serves ``scope`` (``base`` or a community id as 0x-hex)."""
        return self.scopes is None or scope == "base" or scope in {"0x" + c.hex() for c in self.scopes}

    def status(self) -> dict[str, Any]:
        """``GET /v1/status``: ``messages``, ``fingerprint`` and ``p2p`` (``peers``, ...)."""
        response = self.http.get("/v1/status")
        response.raise_for_status()
        return response.json()

    def peer_ids(self) -> set[str]:
        p2p = self.status()["p2p"] or {}
        return {p["peer_id"] for p in p2p.get("peers", [])}

    def holds(self, message_id: bytes) -> bool:
        """Whether the node holds the message (``GET /v1/messages/{id}``: 200, or 404)."""
        response = self.http.get(f"/v1/messages/0x{message_id.hex()}")
        if response.status_code not in (200, 404):
            response.raise_for_status()
        return response.status_code == 200

    def post(self, message: SignedMessage) -> int:
        """``POST /v1/messages``; the status code (201 new, 200 already held)."""
        response = self.http.post("/v1/messages", json=message_to_json(message))
        if response.status_code not in (200, 201):
            raise AssertionError(f"node {self.index} refused the message: {response.text}")
        return response.status_code


class Network:
    """``size`` nodes under ``root`` joined by ``edges``; ``scopes[i]`` is node i's assignment
    (default: every node serves everything); ``env`` adds settings to every node."""

    def __init__(
        self,
        root: Path,
        size: int,
        edges: Sequence[Edge],
        scopes: Sequence[Scopes] | None = None,
        **env: str,
    ) -> None:
        if scopes is not None and len(scopes) != size:
            raise ValueError(f"{len(scopes)} scope assignments for {size} nodes")
        if any(not (0 <= i < size and 0 <= j < size and i != j) for i, j in edges):
            raise ValueError(f"an edge names a node outside 0..{size - 1}, or joins a node to itself")
        self.edges = [tuple(sorted(e)) for e in edges]
        ports = free_ports(2 * size)
        envs = [
            node_env(
                root / f"n{i}",
                MECENATE_API__PORT=str(ports[2 * i]),
                MECENATE_NODE_URL=f"http://127.0.0.1:{ports[2 * i]}",
                MECENATE_P2P__LISTEN=f"/ip4/127.0.0.1/tcp/{ports[2 * i + 1]}",
                **env,
            )
            for i in range(size)
        ]
        addrs: list[str] = []
        self.nodes: list[NetNode] = []
        for i, node_environment in enumerate(envs):
            bootstrap = [addrs[a] for a, b in self.edges if b == i]
            node = NetNode(i, node_environment, None if scopes is None else scopes[i], bootstrap)
            addrs.append(node.addr)
            self.nodes.append(node)

    def __enter__(self) -> Network:
        try:
            with ThreadPoolExecutor(len(self.nodes)) as pool:
                list(pool.map(NetNode.start, self.nodes))
            self.wait_connected()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for node in self.nodes:
            node.stop()
            node.http.close()

    def __getitem__(self, index: int) -> NetNode:
        return self.nodes[index]

    def __len__(self) -> int:
        return len(self.nodes)

    def neighbours(self, index: int) -> list[int]:
        return sorted({b for a, b in self.edges if a == index} | {a for a, b in self.edges if b == index})

    def running(self) -> list[NetNode]:
        return [n for n in self.nodes if n.running]

    def kill(self, index: int) -> None:
        self.nodes[index].kill()

    def restart(self, index: int) -> None:
        """Start a killed node again on its data dir and ports (it redials its neighbours)."""
        self.nodes[index].start()

    def wait_connected(self, timeout: float = CONNECT_TIMEOUT) -> None:
        """Wait until every running node counts each running neighbour among its peers."""

        def missing() -> list[str]:
            out = []
            for node in self.running():
                want = {self.nodes[j].peer_id for j in self.neighbours(node.index) if self.nodes[j].running}
                if lacking := want - node.peer_ids():
                    out.append(f"node {node.index} lacks {len(lacking)}")
            return out

        wait_for(lambda: not missing(), "the topology's connections", timeout)

    def split_scopes(self) -> list[str]:
        """The scopes whose running nodes serving them are not all connected through nodes
        serving them (peering by scope closes such gaps): gossip and sync of such a scope
        cannot reach every node serving it."""
        linked = {n.index: n.peer_ids() for n in self.running()}
        by_id = {n.peer_id: n.index for n in self.running()}
        scopes = {"base"} | {"0x" + c.hex() for n in self.running() for c in (n.scopes or ())}
        split = []
        for scope in sorted(scopes):
            serving = {n.index for n in self.running() if n.serves(scope)}
            reached, frontier = set(), [min(serving)] if serving else []
            while frontier:
                i = frontier.pop()
                if i not in reached:
                    reached.add(i)
                    frontier += [j for p in linked[i] if (j := by_id.get(p)) in serving and j not in reached]
            if reached != serving:
                split.append(scope)
        return split

    def fingerprints(self) -> dict[int, str]:
        """Each running node's store fingerprint."""
        return {n.index: n.status()["fingerprint"] for n in self.running()}

    def disagreeing_scopes(self) -> list[str]:
        """The scopes whose running nodes that serve them do not all hold the same messages
        (their per-scope fingerprints, ``p2p.by_scope`` in the status, differ, or one of them
        holds none of the scope yet)."""
        held = {n.index: n.status()["p2p"]["by_scope"] for n in self.running()}
        scopes = {"base"}.union(*held.values())
        return [
            scope
            for scope in sorted(scopes)
            if len(
                {held[n.index].get(scope, {}).get("fingerprint") for n in self.running() if n.serves(scope)}
            )
            > 1
        ]

    def wait_converged(self, timeout: float = 60.0, count: int | None = None) -> None:
        """Wait until, in every scope, the running nodes serving it hold the same messages (and
        every node ``count`` messages, if given: meaningful while all serve everything)."""

        def agree() -> bool:
            if count is not None and any(n.status()["messages"] != count for n in self.running()):
                return False
            return not self.disagreeing_scopes()

        wait_for(agree, f"{len(self.running())} nodes to agree in every scope they serve", timeout)
