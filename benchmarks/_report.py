"""What every benchmark reports beside its figures: the machine, and one JSON line at the end.

Figures depend on the machine and on what else it was doing, so each result records the CPU,
the cores, the versions that matter and the load average around the run.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from pathlib import Path
from typing import Any


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores_available": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def emit(result: dict[str, Any], out: Path | None) -> None:
    """Print ``result`` as the last line (one JSON object); also write it to ``out`` if given,
    the file a commit keeps so that a regression shows in a diff."""
    line = json.dumps(result, sort_keys=True)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(line)
