#!/usr/bin/env bash
# Sets up everything, starts the local devnet, deploys the contracts and runs a node against them,
# then stays up until Ctrl-C.
#
#   anvil on $MECENATE_DEVNET_HOST:$MECENATE_DEVNET_PORT (default 127.0.0.1:8545), chain id 31337,
#   state kept in $MECENATE_DEVNET_DIR (default .devnet/): stopping and starting again keeps the
#   chain, and `ape run deploy` then reuses the recorded deployment if it is still valid.
#   The deployment is written to config/deployments/31337.json.
#   The node (`mecenate node run`) serves its API on 127.0.0.1:8000 and libp2p on 127.0.0.1:4001,
#   with its store in data/node/ (config/node.toml; MECENATE_* variables override it).
#   After the deploy, anvil mines a block every second (evm_setIntervalMining), so the node's chain
#   indexer sees its confirmation depth reached even when nobody transacts. (Ape's deploy needs
#   automine, anvil's default, so the switch comes after it.)
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

# rpc METHOD [JSON-PARAMS]: call the devnet's JSON-RPC, print the result.
rpc() {
    .venv/bin/python - "$url" "$1" "${2:-[]}" <<'EOF' 2>/dev/null
import json, sys, urllib.request
url, method, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
request = urllib.request.Request(
    url, data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode(),
    headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(request, timeout=1))["result"])
EOF
}
rpc_chain_id() { local hex; hex="$(rpc eth_chainId)" && echo $((hex)); }

anvil_pid=""
node_pid=""
stop_all() {
    if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
        echo "==> stopping the node"
        kill -TERM "$node_pid" 2>/dev/null || true
        wait "$node_pid" 2>/dev/null || true
    fi
    if [ -n "$anvil_pid" ] && kill -0 "$anvil_pid" 2>/dev/null; then
        echo "==> stopping anvil (saving its state to $data_dir/anvil-state.json)"
        kill -INT "$anvil_pid" 2>/dev/null || true
        wait "$anvil_pid" 2>/dev/null || true
    fi
}
trap stop_all EXIT
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

rpc evm_setIntervalMining '[1]' >/dev/null || echo "    (could not switch the devnet to interval mining)"

echo "==> starting the node"
MECENATE_CHAIN__RPC_URL="$url" .venv/bin/mecenate node run --log-level WARNING &
node_pid=$!
api="$(.venv/bin/python -c 'from node.config import load_settings; s = load_settings().api; print(f"http://{s.host}:{s.port}")')"
for _ in $(seq 1 150); do
    .venv/bin/python -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$api/health" \
        2>/dev/null && break
    kill -0 "$node_pid" 2>/dev/null || { echo "the node exited; see its output above" >&2; exit 1; }
    sleep 0.2
done
echo "==> devnet at $url (chain id $chain_id), node API at $api (OpenAPI: $api/docs)"
echo "    try:  .venv/bin/mecenate demo      .venv/bin/mecenate status      Ctrl-C stops everything"
wait "$node_pid"
