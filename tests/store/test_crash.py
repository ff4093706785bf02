"""Crash safety: SIGKILL in the middle of ingesting loses nothing that was acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from node.messages import encode_message
from node.store import Store

from .conftest import CHAIN, User

ROOT = Path(__file__).resolve().parents[2]

# The child ingests the file in batches and acknowledges each batch (its accepted ids) on
# stdout only after ``ingest`` returned, which is the store's durability promise.
CHILD = textwrap.dedent(
    f"""
    import sys
    from node.store import Store
    path, messages, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lines = open(messages, "rb").read().split(b"\\n")
    store = Store(path, {CHAIN})
    for i in range(0, len(lines), batch):
        report = store.ingest(lines[i : i + batch])
        print("ACK", " ".join(m.id.hex() for m in report.accepted), flush=True)
    print("DONE", len(store), flush=True)
    """
)


def run_child(db: Path, messages: Path, batch: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(messages), str(batch)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(scope="module")
def message_file(tmp_path_factory):
    users = [User(f"crash {i}") for i in range(5)]
    msgs = []
    for i in range(2400):
        u = users[i % 5]
        if i % 4:
            msgs.append(u.sign("Post", i, text=f"post number {i} " + "x" * (i % 200)))
        else:
            msgs.append(u.sign("Follow", i, target=users[(i + 1) % 5].address, active=bool(i % 3)))
    path = tmp_path_factory.mktemp("crash") / "messages.jsonl"
    path.write_bytes(b"\n".join(encode_message(m) for m in msgs))
    return path, msgs


@pytest.mark.parametrize("kill_after, delay", [(1, 0.0), (2, 0.015), (3, 0.03), (4, 0.06)])
def test_sigkill_mid_ingest_loses_nothing_acknowledged(tmp_path, message_file, kill_after, delay):
    messages, msgs = message_file
    db = tmp_path / "store.sqlite"
    child = run_child(db, messages, batch=400)
    acked: list[bytes] = []
    try:
        for _ in range(kill_after):
            line = child.stdout.readline().decode()
            assert line.startswith("ACK"), line
            acked += [bytes.fromhex(h) for h in line.split()[1:]]
        # the next batch is being verified and merged: the delays spread the kill over that work
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert acked

    # after the crash: every acknowledged message is there, and the file is sound
    store = Store(db, CHAIN)
    assert store.integrity_check() == "ok"
    held = {k[1] for k in store.sync_keys()}
    assert set(acked) <= held
    assert len(store.get_many(acked)) == len(acked)
    assert len(store) == len(held)  # the incremental count survived the crash too
    store.close()

    # restart the process: it picks up where it was and ends with the whole set
    child = run_child(db, messages, batch=400)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0
    assert out.decode().splitlines()[-1] == f"DONE {len(msgs)}"
    store = Store(db, CHAIN)
    reference = Store(tmp_path / "reference.sqlite", CHAIN)
    reference.ingest(msgs)
    assert store.fingerprint() == reference.fingerprint()
    assert store.integrity_check() == "ok"
    store.close()
    reference.close()
