#!/usr/bin/env bash
# Static checks of the Python code, run by ./scripts/test.sh after ./scripts/setup.sh:
#   ruff (lint and format), mypy on node/, and import-linter's layer contracts (pyproject.toml).
# Runs all of them even if one fails; exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
# trio-typing (a dependency of libp2p) installs stubs for an old trio that would shadow trio's
# own inline types; mypy_path (pyproject.toml) comes first in mypy's search, so it points there.
site_packages=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p .venv/mypy-path
ln -sfn "$site_packages/trio" .venv/mypy-path/trio
.venv/bin/ruff check node tests benchmarks scripts || status=1
.venv/bin/ruff format --check node tests benchmarks scripts || status=1
.venv/bin/mypy || status=1
.venv/bin/lint-imports || status=1
exit $status
