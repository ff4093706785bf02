"""``mecenate export`` / ``mecenate import``: JSON Lines of signed messages, trusted by nobody."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from node.cli import app
from node.messages import checksum_address, encode_message, keccak, private_key_to_address, sign_message
from node.store import Store

CHAIN = 31337
T0 = 1_767_225_600
runner = CliRunner()


def keys(n: int) -> list[tuple[bytes, str]]:
    out = []
    for i in range(n):
        k = keccak(f"cli user {i}".encode())
        out.append((k, checksum_address(private_key_to_address(k))))
    return out


def populate(path: Path) -> list:
    (ka, a), (kb, _b), (kapp, app_addr) = keys(3)
    msgs = [
        sign_message("Profile", {"field": "name", "value": "Alice", "timestamp": T0}, ka, CHAIN),
        sign_message("Post", {"text": "hello", "timestamp": T0 + 1}, ka, CHAIN),
        sign_message("Follow", {"target": a, "timestamp": T0 + 2}, kb, CHAIN),
        sign_message("Post", {"text": "hi from bob", "timestamp": T0 + 3}, kb, CHAIN),
        sign_message("SignerAdd", {"signer": app_addr, "timestamp": T0 + 9}, ka, CHAIN),
        sign_message("Post", {"author": a, "text": "via app", "timestamp": T0 + 10}, kapp, CHAIN),
    ]
    with Store(path, CHAIN) as s:
        assert s.ingest(msgs).counts["accepted"] == len(msgs)
    return msgs


def cli(*args: str):
    return runner.invoke(app, list(args))


def test_export_import_round_trip(tmp_path):
    src, dst, out = tmp_path / "a.sqlite", tmp_path / "b.sqlite", tmp_path / "all.jsonl"
    msgs = populate(src)
    r = cli("export", "--db", str(src), "--chain-id", str(CHAIN), "-o", str(out))
    assert r.exit_code == 0, r.output
    lines = out.read_bytes().splitlines()
    assert len(lines) == len(msgs) and json.loads(lines[0])["type"] == "SignerAdd"
    r = cli("import", str(out), "--db", str(dst), "--chain-id", str(CHAIN))
    assert r.exit_code == 0, r.output
    assert "accepted 6, duplicate 0, rejected 0" in r.output
    with Store(src, CHAIN) as a, Store(dst, CHAIN) as b:
        assert a.fingerprint() == b.fingerprint() and a.state() == b.state()
    # importing again is idempotent
    r = cli("import", str(out), "--db", str(dst), "--chain-id", str(CHAIN))
    assert "accepted 0, duplicate 6, rejected 0" in r.output


def test_export_one_user_to_stdout(tmp_path):
    src = tmp_path / "a.sqlite"
    msgs = populate(src)
    a = msgs[0].author
    r = cli("export", "--db", str(src), "--chain-id", str(CHAIN), "--author", a.lower())
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    assert len(rows) == 4 and {x["message"]["author"] for x in rows} == {a}
    bad = cli("export", "--db", str(src), "--chain-id", str(CHAIN), "--author", "0x123")
    assert bad.exit_code != 0


def test_tampered_line_is_rejected_and_nothing_else_affected(tmp_path):
    src, dst, out = tmp_path / "a.sqlite", tmp_path / "b.sqlite", tmp_path / "all.jsonl"
    msgs = populate(src)
    cli("export", "--db", str(src), "--chain-id", str(CHAIN), "-o", str(out))
    lines = out.read_bytes().splitlines()
    target = next(i for i, x in enumerate(lines) if b'"text":"hello"' in x)
    lines[target] = lines[target].replace(b'"text":"hello"', b'"text":"HELLO"')
    lines.insert(2, b"this is not json")
    lines.insert(3, b"")
    (tmp_path / "bad.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    r = cli("import", str(tmp_path / "bad.jsonl"), "--db", str(dst), "--chain-id", str(CHAIN))
    assert r.exit_code == 0, r.output
    assert "accepted 5, duplicate 0, rejected 2" in r.output
    assert "bad_signature 1" in r.output and "malformed 1" in r.output
    assert f"line {target + 3}: bad_signature" in r.output  # two lines were inserted before it
    with Store(dst, CHAIN) as b:
        held = {k[1] for k in b.sync_keys()}
        assert held == {m.id for m in msgs} - {msgs[1].id}
    strict = cli(
        "import", str(tmp_path / "bad.jsonl"), "--db", str(dst), "--chain-id", str(CHAIN), "--strict"
    )
    assert strict.exit_code == 1


def test_delegated_lines_before_their_signer_add_are_retried(tmp_path):
    src, dst = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    msgs = populate(src)
    reordered = [encode_message(m) for m in msgs if m.type != "SignerAdd"] + [
        encode_message(m) for m in msgs if m.type == "SignerAdd"
    ]
    (tmp_path / "r.jsonl").write_bytes(b"\n".join(reordered))
    # a batch size of one line per batch would separate them; the CLI retries refusals once
    import node.cli.portability as p

    old, p.IMPORT_BATCH = p.IMPORT_BATCH, 1
    try:
        r = cli("import", str(tmp_path / "r.jsonl"), "--db", str(dst), "--chain-id", str(CHAIN))
    finally:
        p.IMPORT_BATCH = old
    assert "accepted 6, duplicate 0, rejected 0" in r.output, r.output


def test_errors_become_exit_codes(tmp_path):
    src = tmp_path / "a.sqlite"
    populate(src)
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from node.cli import main; main()",
            "export",
            "--db",
            str(src),
            "--chain-id",
            "1",
        ],
        capture_output=True,
        cwd=root,
        text=True,
    )
    assert proc.returncode == 74 and "holds chain 31337" in proc.stderr
    missing = cli("export", "--db", str(tmp_path / "none.sqlite"), "--chain-id", str(CHAIN))
    assert missing.exit_code != 0
