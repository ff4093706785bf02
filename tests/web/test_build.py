"""The web app's sources type-check (tsc --strict over web/), and its first load stays small."""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path

from benchmarks._devnet import ROOT

#: The issue's target for the compressed bytes of the first load (index.html, script, stylesheet).
FIRST_LOAD_BYTES = 300 * 1024


def test_the_web_sources_type_check(web_dist: Path) -> None:
    """After the build, which generates web/src/chain/abi.gen.ts from the contracts' manifest."""
    done = subprocess.run(
        [ROOT / "node_modules" / ".bin" / "tsc", "-p", ROOT / "web"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_first_load_is_small_once_compressed(web_dist: Path) -> None:
    index = (web_dist / "index.html").read_text()
    named = re.findall(r'(?:src|href)="/assets/([^"]+)"', index)
    assert {Path(n).suffix for n in named} == {".js", ".css"}
    files = [web_dist / "index.html", *(web_dist / "assets" / n for n in named)]
    total = sum(len(gzip.compress(f.read_bytes(), compresslevel=9)) for f in files)
    assert total <= FIRST_LOAD_BYTES, f"first load {total} bytes gzipped"


def test_every_reason_the_node_declares_has_words_in_the_app(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from node.api import ApiContext, create_app
    from node.store import Store

    with Store(tmp_path / "s.sqlite", 31337) as store, TestClient(create_app(ApiContext(store, 31337))) as c:
        spec = c.get("/openapi.json").json()
    declared = {
        reason
        for operation in (op for path in spec["paths"].values() for op in path.values())
        for answer in operation["responses"].values()
        for reason in answer.get("content", {})
        .get("application/json", {})
        .get("schema", {})
        .get("properties", {})
        .get("reason", {})
        .get("enum", [])
    }
    source = (ROOT / "web" / "src" / "api.ts").read_text()
    worded = set(re.findall(r"^  ([a-z0-9_]+): \"", source, re.MULTILINE))
    assert len(declared) > 30
    assert declared - worded == set()
