"""Real node and CLI processes, ``mecenate node run`` and ``mecenate ...``, for the benchmarks
and the end-to-end tests (which import it as ``benchmarks._processes``)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from benchmarks._devnet import free_ports

MECENATE = [sys.executable, "-m", "node.cli"]


def node_env(directory: Path, **extra: str) -> dict[str, str]:
    """Environment of one node and its CLI users: own data dir, keys dir and free ports."""
    directory.mkdir(parents=True, exist_ok=True)
    port, p2p_port = free_ports(2)  # distinct: two draws of bind(0) can return the same port
    return {
        **os.environ,
        "MECENATE_DATA_DIR": str(directory / "node"),
        "MECENATE_KEYS_DIR": str(directory / "keys"),
        "MECENATE_KEYSTORE_SCRYPT_N": "1024",
        "MECENATE_PASSPHRASE": "correct horse",
        "MECENATE_API__PORT": str(port),
        "MECENATE_P2P__LISTEN": f"/ip4/127.0.0.1/tcp/{p2p_port}",
        "MECENATE_NODE_URL": f"http://127.0.0.1:{port}",
        # No chain unless the test deploys one (never the developer's devnet on 8545).
        "MECENATE_CHAIN__DEPLOYMENTS_DIR": str(directory / "no-deployments"),
        **extra,
    }


@contextlib.contextmanager
def running_node(env: dict[str, str], timeout: float = 60.0) -> Iterator[subprocess.Popen]:
    """``mecenate node run`` with ``env``, ready (``/health`` answers) for the duration; killed after."""
    log = open(Path(env["MECENATE_DATA_DIR"]).parent / "node.log", "w")  # noqa: SIM115 (the child writes it)
    proc = subprocess.Popen(
        [*MECENATE, "node", "run"], env=env, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    url = env["MECENATE_NODE_URL"]
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(url + "/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"node did not start; see {log.name}:\n" + Path(log.name).read_text()[-3000:]
                )
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log.close()


@contextlib.contextmanager
def connected_pair(
    env_a: dict[str, str], env_b: dict[str, str], timeout: float = 60.0
) -> Iterator[tuple[subprocess.Popen, subprocess.Popen]]:
    """Nodes A and B running (:func:`running_node`), B bootstrapped from A, once A counts B
    among its peers."""
    with running_node(env_a) as node_a:
        url_a = env_a["MECENATE_NODE_URL"]
        addrs = httpx.get(url_a + "/v1/status").json()["p2p"]["addrs"]
        with running_node({**env_b, "MECENATE_P2P__BOOTSTRAP": json.dumps(addrs[:1])}) as node_b:
            deadline = time.monotonic() + timeout
            while not httpx.get(url_a + "/v1/status").json()["p2p"]["peers"]:
                if time.monotonic() > deadline:
                    raise RuntimeError("node B did not connect to node A")
                time.sleep(0.2)
            yield node_a, node_b


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started (each of its threads lists its own): a node's read workers."""
    return sorted(
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    )


def cli(env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess:
    """Run ``mecenate *args`` to completion, output captured."""
    return subprocess.run(
        [*MECENATE, *args], env={**env, **extra}, capture_output=True, text=True, timeout=120
    )


def wait_for(predicate, what: str, timeout: float = 30.0, interval: float = 0.25):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns a truthy value (returned), or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
