#!/usr/bin/env bash
# Static analysis of the product contracts with Slither; a stage of scripts/test.sh.
#   1. .venv-slither: slither-analyzer pinned by constraints-slither.txt (its own venv: its pins
#      differ from Ape's), created and installed on first use, then only checked;
#   2. scripts/slither_input.py writes the solc standard-JSON input: the contracts that
#      scripts/deploy.py deploys (and everything they import), ape-config.yaml's compiler settings;
#   3. Slither compiles it through the solc shim (`slither X.sol` cannot: the shim speaks only
#      --standard-json) and writes its findings as JSON, OpenZeppelin's left out;
#   4. scripts/slither_triage.py fails on any High or Medium finding that
#      slither-triage.toml does not triage, and prints the entry to add.
# Exits 0 (clean), 1 (untriaged findings) or 2 (could not run). Needs scripts/setup.sh first (.venv,
# node_modules, the shim). Only the AST is requested from solc: Slither's detectors read nothing
# else, and skipping via-IR code generation halves the time.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
venv=.venv-slither
if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating $venv"
    "$PYTHON" -m venv "$venv"
fi
stamp="$venv/.mecenate-installed"
if [ ! -f "$stamp" ] || [ constraints-slither.txt -nt "$stamp" ]; then
    echo "==> installing slither-analyzer (pinned by constraints-slither.txt)"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -c constraints-slither.txt slither-analyzer
    touch "$stamp"
fi

solc_version="$(node -p 'require("./node_modules/solc/package.json").version')"
shim="${SOLCX_BINARY_PATH:-$HOME/.solcx}/solc-v$solc_version"
[ -x "$shim" ] || { echo "slither: no solc shim at $shim; run scripts/setup.sh" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
.venv/bin/python scripts/slither_input.py "$work/input.json"
# --fail-none: the exit status says whether Slither ran; slither_triage.py judges the findings.
if ! "$venv/bin/slither" "$work/input.json" --compile-force-framework solc-json --solc "$shim" \
    --filter-paths node_modules --show-ignored-findings --fail-none \
    --json "$work/findings.json" >"$work/slither.log" 2>&1; then
    cat "$work/slither.log" >&2
    echo "slither: Slither did not run to the end (its log is above)" >&2
    exit 2
fi
"$venv/bin/python" scripts/slither_triage.py "$work/findings.json" slither-triage.toml
