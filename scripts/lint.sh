#!/usr/bin/env bash
# Static checks of the Python code, run by ./scripts/test.sh after ./scripts/setup.sh:
#   ruff (lint and format), mypy on node/, and import-linter's layer contracts (pyproject.toml).
# Runs all of them even if one fails; exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
.venv/bin/ruff check node tests benchmarks scripts || status=1
.venv/bin/ruff format --check node tests benchmarks scripts || status=1
.venv/bin/mypy || status=1
.venv/bin/lint-imports || status=1
exit $status
