"""The bottom layer stays light: importing node.messages loads no event loop, database or the
packages above it (gating, grants, store), as the import-linter layers in pyproject.toml say."""

from __future__ import annotations

import json
import subprocess
import sys

#: Modules that must not be loaded by ``import node.messages``, or whose packages must not be.
FORBIDDEN = ("trio", "sqlite3", "_sqlite3", "node.gating", "node.grants", "node.store")


def test_importing_messages_loads_no_trio_sqlite_or_higher_package() -> None:
    script = "import json, sys, node.messages; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = json.loads(done.stdout)
    assert "node.messages" in loaded
    offending = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert offending == []
