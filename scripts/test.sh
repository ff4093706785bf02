#!/usr/bin/env bash
# Sets up everything, then runs every test. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

echo "==> node tests (pytest)"
.venv/bin/python -m pytest -p no:ape_test -q tests --ignore=tests/contracts
