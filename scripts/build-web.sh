#!/usr/bin/env bash
# Bundles the web app (web/) into web/dist/ with esbuild from npm: one minified ES module and one
# stylesheet under web/dist/assets/, named by their content's hash, and web/dist/index.html naming
# them. The node serves web/dist at / (node/api/_web.py). Idempotent: rebuilds only when a file
# under web/ (or the lock file) is newer than the last build. `--force` rebuilds anyway.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=web/dist/index.html
if [ "${1:-}" != "--force" ] && [ -f "$stamp" ] \
    && [ -z "$(find web/index.html web/src package-lock.json -newer "$stamp" -print -quit)" ]; then
    echo "    the web app is up to date"
    exit 0
fi
[ -x node_modules/.bin/esbuild ] || { echo "build-web: npm dependencies missing: run ./scripts/setup.sh" >&2; exit 1; }
echo "==> building the web app (web/ -> web/dist/)"
node scripts/build-web.mjs
