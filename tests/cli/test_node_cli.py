"""The CLI against a real node process: keys, profile, follow, post, feed, status, live stream,
clear one-line errors, and a graceful shutdown on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks._processes import cli, node_env, running_node


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return node_env(tmp_path)


@pytest.fixture
def node(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    with running_node(env) as proc:
        yield proc


def test_a_creator_and_a_fan(env: dict[str, str], node: subprocess.Popen) -> None:
    creator_dir, fan_dir = env["MECENATE_KEYS_DIR"] + "/creator", env["MECENATE_KEYS_DIR"] + "/fan"
    creator = cli(env, "keys", "new", MECENATE_KEYS_DIR=creator_dir).stdout.strip()
    fan = cli(env, "keys", "new", MECENATE_KEYS_DIR=fan_dir).stdout.strip()
    assert creator.startswith("0x") and fan.startswith("0x") and creator != fan

    assert "accepted" in cli(env, "profile", "set", "name", "Ada", MECENATE_KEYS_DIR=creator_dir).stdout
    assert "accepted" in cli(env, "post", "first essay is out", MECENATE_KEYS_DIR=creator_dir).stdout
    assert "accepted" in cli(env, "follow", creator, MECENATE_KEYS_DIR=fan_dir).stdout

    feed = cli(env, "feed", MECENATE_KEYS_DIR=fan_dir)
    assert feed.returncode == 0 and "first essay is out" in feed.stdout
    assert "name: Ada" in cli(env, "profile", "show", creator).stdout
    status = json.loads(cli(env, "status", "--json").stdout)
    assert status["messages"] == 3


def test_user_mistakes_get_one_line(env: dict[str, str], node: subprocess.Popen) -> None:
    no_key = cli(env, "post", "hello")
    assert no_key.returncode != 0
    assert "keys new" in no_key.stderr and "Traceback" not in no_key.stderr

    cli(env, "keys", "new")
    wrong = cli(env, "post", "hello", MECENATE_PASSPHRASE="wrong")
    assert (
        wrong.returncode != 0
        and "Traceback" not in wrong.stderr
        and len(wrong.stderr.strip().splitlines()) == 1
    )

    bad_field = cli(env, "profile", "set", "shoe-size", "44")
    assert bad_field.returncode != 0 and "Traceback" not in bad_field.stderr

    down = cli(env, "status", MECENATE_NODE_URL="http://127.0.0.1:9")
    assert down.returncode != 0 and "mecenate node run" in down.stderr


def test_live_stream_and_graceful_shutdown(env: dict[str, str], node: subprocess.Popen) -> None:
    cli(env, "keys", "new")
    url = env["MECENATE_NODE_URL"]
    with httpx.Client(timeout=20) as http, http.stream("GET", url + "/v1/stream") as stream:
        assert stream.status_code == 200
        assert "accepted" in cli(env, "post", "streamed").stdout
        for line in stream.iter_lines():
            if line.startswith("data:"):
                assert json.loads(line[5:])["message"]["text"] == "streamed"
                break

    node.send_signal(signal.SIGTERM)
    assert node.wait(timeout=20) == 0
    # The acknowledged post survived the shutdown.
    exported = cli(env, "export")
    assert exported.returncode == 0 and "streamed" in exported.stdout


def test_a_second_node_on_a_taken_port_says_so_in_one_line(
    env: dict[str, str], node: subprocess.Popen, tmp_path: Path
) -> None:
    other = {**env, "MECENATE_DATA_DIR": str(tmp_path / "other")}
    clash = cli(other, "node", "run")
    assert clash.returncode == 78  # EX_CONFIG
    assert "cannot listen" in clash.stderr and "Traceback" not in clash.stderr


def test_a_refusal_prints_its_reason_code(env: dict[str, str], node: subprocess.Popen) -> None:
    """The node's domain error comes back whole: its reason code in the one line, its exit code."""
    missing = cli(env, "profile", "show", "0x" + "12" * 20)
    assert missing.returncode == 66, missing.stderr  # EX_NOINPUT
    assert missing.stderr.startswith("error[no_profile]: this user has set no profile field"), missing.stderr
    cli(env, "keys", "new")
    unknown = cli(env, "read", "0x" + "ab" * 32)
    assert unknown.returncode == 66 and unknown.stderr.startswith("error[no_post]: "), unknown.stderr
    forged = cli(env, "follow", "0x" + "12" * 20, MECENATE_CHAIN_ID="1")  # signed for another chain
    assert forged.returncode == 65 and forged.stderr.startswith("error[wrong_chain]: "), forged.stderr
    down = cli(env, "status", MECENATE_NODE_URL="http://127.0.0.1:9")
    assert down.returncode == 69 and down.stderr.startswith("error[node_unreachable]: "), (
        down.stderr
    )  # EX_UNAVAILABLE
