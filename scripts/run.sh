#!/usr/bin/env bash
# Sets up everything, starts the local devnet and deploys the contracts, then stays up until Ctrl-C.
#
#   anvil on $MECENATE_DEVNET_HOST:$MECENATE_DEVNET_PORT (default 127.0.0.1:8545), chain id 31337,
#   state kept in $MECENATE_DEVNET_DIR (default .devnet/): stopping and starting again keeps the
#   chain, and `ape run deploy` then reuses the recorded deployment if it is still valid.
#   The deployment is written to config/deployments/31337.json.
#
# If an anvil already answers on that address (another run.sh), it is used and left running.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

export PATH="$PWD/node_modules/.bin:$PATH"
host="${MECENATE_DEVNET_HOST:-127.0.0.1}"
port="${MECENATE_DEVNET_PORT:-8545}"
data_dir="${MECENATE_DEVNET_DIR:-.devnet}"
url="http://$host:$port"
mkdir -p "$data_dir"

rpc_chain_id() {
    .venv/bin/python - "$url" <<'EOF' 2>/dev/null
import json, sys, urllib.request
request = urllib.request.Request(
    sys.argv[1], data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode(),
    headers={"Content-Type": "application/json"})
print(int(json.load(urllib.request.urlopen(request, timeout=1))["result"], 16))
EOF
}

anvil_pid=""
stop_anvil() {
    if [ -n "$anvil_pid" ] && kill -0 "$anvil_pid" 2>/dev/null; then
        echo "==> stopping anvil (saving its state to $data_dir/anvil-state.json)"
        kill -INT "$anvil_pid" 2>/dev/null || true
        wait "$anvil_pid" 2>/dev/null || true
    fi
}
trap stop_anvil EXIT
trap 'exit 130' INT TERM

if chain_id="$(rpc_chain_id)"; then
    echo "==> a chain (id $chain_id) already answers at $url: using it"
else
    echo "==> starting anvil at $url (state in $data_dir/)"
    # --state loads the saved state at start and saves it on exit; --state-interval also saves it
    # every 10 s, so even a kill -9 loses at most the last few seconds.
    anvil --host "$host" --port "$port" --chain-id 31337 --hardfork prague \
        --state "$data_dir/anvil-state.json" --state-interval 10 \
        >"$data_dir/anvil.log" 2>&1 &
    anvil_pid=$!
    for _ in $(seq 1 100); do
        chain_id="$(rpc_chain_id)" && break
        kill -0 "$anvil_pid" 2>/dev/null || { cat "$data_dir/anvil.log" >&2; exit 1; }
        sleep 0.2
    done
    [ -n "${chain_id:-}" ] || { echo "anvil did not start; see $data_dir/anvil.log" >&2; exit 1; }
fi

echo "==> deploying (ape run deploy)"
APE_FOUNDRY_HOST="$url" .venv/bin/ape run deploy --network ethereum:local:foundry

if [ -z "$anvil_pid" ]; then
    exit 0
fi
echo "==> devnet running at $url (chain id $chain_id). Ctrl-C to stop."
wait "$anvil_pid"
