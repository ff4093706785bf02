"""A real node process told its scopes by ``MECENATE_P2P__SCOPES`` serves them: ``mecenate
status`` shows them with the messages held per scope, and the node refuses, through its API, a
post of a community it does not serve."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks._processes import cli, node_env, running_node
from node.messages import keccak


def test_status_shows_the_scopes_a_node_serves(tmp_path: Path) -> None:
    served = "0x" + keccak(b"a served community").hex()
    env = {**node_env(tmp_path), "MECENATE_P2P__SCOPES": served}
    with running_node(env):
        cli(env, "keys", "new")
        assert "accepted" in cli(env, "post", "base scope").stdout
        shown = cli(env, "status")
        assert shown.returncode == 0, shown.stderr
        assert "serves base and 1 community" in shown.stdout
        assert "  base  1 messages  fingerprint 0x" in shown.stdout
        assert f"  {served}  0 messages  fingerprint 0x" in shown.stdout
        status = json.loads(cli(env, "status", "--json").stdout)
        assert status["scopes"]["served"] == ["base", served]
        assert status["p2p"]["scopes"] == ["base", served]
