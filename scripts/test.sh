#!/usr/bin/env bash
# Sets up everything, then runs every test:
#   1. contract tests (`ape test tests/contracts`) on Ape's in-process chain (py-evm);
#   2. the same contract tests on anvil (a private instance on a random port, stopped afterwards),
#      but the collective governance state machine;
#   3. static analysis of the contracts (scripts/slither.sh: no untriaged High/Medium finding);
#   4. static checks of the Python code (scripts/lint.sh: ruff, mypy, import-linter's layers);
#   5. everything else with pytest, the browser tests (tests/web: headless Chromium from Debian's
#      packages, installed here when missing and this runs as root with apt-get) included.
# Runs all five even if one fails; exits non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

export PATH="$PWD/node_modules/.bin:$PATH"
failed=()

echo "==> contract tests on Ape's in-process chain (py-evm)"
start=$SECONDS
.venv/bin/ape test tests/contracts -q || failed+=("contracts (py-evm)")
echo "    $((SECONDS - start)) s"

echo "==> contract tests on anvil"
start=$SECONDS
# The collective governance state machine (1.5 min on py-evm, 2.2 on anvil) runs on py-evm only: its
# property (nothing executes before its ETA, the money adds up) does not depend on the EVM that
# runs it, and the suite must fit CI's 25 minutes.
APE_FOUNDRY_HOST=auto .venv/bin/ape test tests/contracts -q \
    --network ethereum:local:foundry -k "not collective_governance_state_machine" \
    || failed+=("contracts (anvil)")
echo "    $((SECONDS - start)) s"

echo "==> static analysis (slither)"
start=$SECONDS
./scripts/slither.sh || failed+=("static analysis (slither)")
echo "    $((SECONDS - start)) s"

echo "==> static checks of the Python code (ruff, mypy, import layers)"
start=$SECONDS
./scripts/lint.sh || failed+=("static checks (ruff, mypy, import layers)")
echo "    $((SECONDS - start)) s"

echo "==> Chromium for the browser tests"
chromium="${MECENATE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
    echo "    $chromium"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "    installing Debian's chromium (apt-get)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
        || echo "    could not install chromium: the browser tests (tests/web) will be skipped" >&2
else
    echo "    $chromium is missing and cannot be installed here (needs root and apt-get):" >&2
    echo "    the browser tests (tests/web) will be SKIPPED. Install it: sudo apt-get install -y chromium" >&2
fi

echo "==> node tests (pytest)"
.venv/bin/python -m pytest -p no:ape_test -q -rs tests --ignore=tests/contracts || failed+=("node tests")

if [ ${#failed[@]} -ne 0 ]; then
    printf 'FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "==> all tests passed"
