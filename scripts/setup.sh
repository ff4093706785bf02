#!/usr/bin/env bash
# Sets up everything both entry points need, on a fresh machine that reaches only PyPI and npm:
#   1. the Python venv (.venv) with pinned dependencies (constraints.txt);
#   2. the npm side (node_modules: solc-js, OpenZeppelin, anvil, openapi-typescript and typescript for
#      the generated-client test), exactly as package-lock.json pins it;
#   3. the solc shim: solc-js presented as a native `solc-v<version>` where py-solc-x looks for
#      compilers ($SOLCX_BINARY_PATH, default ~/.solcx), so Ape compiles with no download;
#   4. `ape compile` (contracts/ -> .build/__local__.json);
#   5. the web app's bundle (scripts/build-web.sh: web/ -> web/dist/, which the node serves at /).
# Idempotent: a second run only checks. Works with an empty HOME (Ape keeps its data in ~/.ape).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.mecenate-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
    echo "==> installing Python dependencies (pinned by constraints.txt)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -c constraints.txt -e '.[test]'
    touch "$stamp"
fi

# npm: `npm ci` installs exactly the lock file. Install scripts are not needed (the anvil wrapper
# finds its platform package by itself) and must not run: they could try to download binaries.
command -v npm >/dev/null || { echo "setup: npm (Node.js >= 18) is required" >&2; exit 1; }
npm_stamp=node_modules/.mecenate-installed
if [ ! -f "$npm_stamp" ] || [ package-lock.json -nt "$npm_stamp" ] || [ package.json -nt "$npm_stamp" ]; then
    echo "==> installing npm dependencies (pinned by package-lock.json)"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    touch "$npm_stamp"
fi

# The solc shim, named after the exact solc-js version so py-solc-x reports the real version.
solc_version="$(node -p 'require("./node_modules/solc/package.json").version')"
solcx_dir="${SOLCX_BINARY_PATH:-$HOME/.solcx}"
shim="$solcx_dir/solc-v$solc_version"
mkdir -p "$solcx_dir"
shim_tmp="$(mktemp "$solcx_dir/.solc-shim.XXXXXX")"
sed -e "s#@@SOLC_MODULE@@#$PWD/node_modules/solc#" -e "s#@@SOLC_VERSION@@#$solc_version#" scripts/solc-shim.js > "$shim_tmp"
chmod +x "$shim_tmp"
if [ -f "$shim" ] && cmp -s "$shim_tmp" "$shim"; then
    rm -f "$shim_tmp"
else
    echo "==> installing the solc shim: $shim"
    mv "$shim_tmp" "$shim"
fi
"$shim" --version | grep -q "Version: $solc_version" || { echo "setup: the solc shim does not run" >&2; exit 1; }

echo "==> compiling contracts"
compile_log="$(mktemp)"
if ! .venv/bin/ape compile >"$compile_log" 2>&1; then
    cat "$compile_log" >&2
    rm -f "$compile_log"
    exit 1
fi
grep -E 'SUCCESS|WARNING|ERROR' "$compile_log" || echo "    contracts are up to date"
rm -f "$compile_log"

./scripts/build-web.sh
