"""``mecenate import`` into the store of a running node (issue 10, item 8).

The node is the store's one writer: an import into its data dir goes through its API, so its
``/v1/status`` counts the messages and its peers receive them; a second node, or a direct
write, on a store a running node holds is refused with a clear message.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from benchmarks._devnet import free_port
from benchmarks._processes import cli, node_env, running_node, wait_for
from node.errors import StoreError
from node.identity import create_key
from node.messages import encode_message
from node.store import StoreClaim, store_holder

CHAIN = 31337


def _messages(n: int) -> list[bytes]:
    key = create_key()
    return [
        encode_message(
            key.sign("Post", {"text": f"imported {i}", "timestamp": 1_767_225_600 + i}, chain_id=CHAIN)
        )
        for i in range(n)
    ]


def _status(url: str) -> dict:
    return httpx.get(url + "/v1/status", timeout=10).json()


def test_import_beside_a_running_node_goes_through_it(tmp_path: Path) -> None:
    lines = _messages(40)
    forged = json.loads(lines[0])
    forged["message"]["text"] = "forged"
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(b"\n".join([*lines, json.dumps(forged).encode(), b"not json"]) + b"\n")
    env_a = node_env(tmp_path / "a")
    with running_node(env_a):
        url_a = env_a["MECENATE_NODE_URL"]
        bootstrap = _status(url_a)["p2p"]["addrs"][0]
        env_b = node_env(tmp_path / "b", MECENATE_P2P__BOOTSTRAP=f'["{bootstrap}"]')
        with running_node(env_b):
            url_b = env_b["MECENATE_NODE_URL"]
            wait_for(lambda: _status(url_b)["p2p"]["peers"], "node b to connect to node a")
            # The default store of node a's settings: its data dir, as an operator would run it.
            done = cli(env_a, "import", str(jsonl))
            assert done.returncode == 0, done.stderr
            assert "accepted 40, duplicate 0, rejected 2" in done.stderr, done.stderr
            assert _status(url_a)["messages"] == 40  # the node saw its own store change
            wait_for(lambda: _status(url_b)["messages"] == 40, "node b to receive the imported messages")
            assert _status(url_b)["fingerprint"] == _status(url_a)["fingerprint"]
            assert "importing through its API" in done.stderr


def test_a_running_node_holds_its_store(tmp_path: Path) -> None:
    env = node_env(tmp_path)
    store_file = Path(env["MECENATE_DATA_DIR"]) / "store.sqlite"
    with running_node(env) as proc:
        holder = store_holder(store_file)
        assert holder is not None and holder.pid == proc.pid and holder.api_url == env["MECENATE_NODE_URL"]
        # No direct writer beside it ...
        with pytest.raises(StoreError, match=f"in use by process {proc.pid}, a node serving"):
            StoreClaim(store_file)
        # ... and no second node on the same data dir.
        second = cli(
            env,
            "node",
            "run",
            "--api-port",
            str(free_port()),
            "--p2p-listen",
            f"/ip4/127.0.0.1/tcp/{free_port()}",
        )
        assert second.returncode == 74, second.stderr
        assert f"in use by process {proc.pid}" in second.stderr and "Traceback" not in second.stderr
    # Once the node is gone (killed, even), the store is free and import writes it directly.
    assert store_holder(store_file) is None
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(b"\n".join(_messages(3)))
    done = cli(env, "import", str(jsonl))
    assert "accepted 3, duplicate 0, rejected 0" in done.stderr and "through its API" not in done.stderr
