"""Bundling the browser's exclusive-content module for tests that run it outside the app.

The module (web/src/exclusive) is TypeScript; esbuild (the app's bundler, from npm) turns it into
one ES module that Node or a bare Chromium page imports. Tests bundle it themselves so they run
the sources as they are, whether or not the app's build has run.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ENTRY = ROOT / "web" / "src" / "exclusive" / "index.ts"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
#: Bound on one esbuild run (it takes well under a second).
BUILD_TIMEOUT_S = 60


def bundle(out: Path, *, global_name: str | None = None) -> Path:
    """Bundle the module to ``out``: an ES module, or with ``global_name`` a classic script that
    sets ``window[global_name]`` (for a page that loads it with a plain ``<script>`` tag)."""
    form = ["--format=iife", f"--global-name={global_name}"] if global_name else ["--format=esm"]
    subprocess.run(
        [
            str(ESBUILD),
            str(ENTRY),
            "--bundle",
            "--platform=browser",
            *form,
            f"--outfile={out}",
            "--log-level=warning",
        ],
        check=True,
        timeout=BUILD_TIMEOUT_S,
        cwd=ROOT,
    )
    return out
