"""The web app's money modules (web/src/chain) run for real before any page exists: esbuild
bundles the ``node --test`` scripts of tests/web/chain with the app's own sources, and node runs
them against a real anvil with the contracts deployed and a real node process indexing it.

The curve vectors come from node/chain/_curve.py and the node client's slippage bounds, so the
app's arithmetic is held to the Python's here and to the contract's in money.test.ts.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks._devnet import ROOT, dev_accounts, mecenate_devnet
from benchmarks._processes import node_env, running_node
from node.chain import Deployment, max_cost, min_proceeds
from node.chain._curve import WAD, price, reserve

ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
SCRIPTS = Path(__file__).parent / "chain"
#: A node --test run gets this long (it sends about twenty transactions and waits for the index).
RUN_TIMEOUT_SECONDS = 120


def bundle(out: Path) -> list[Path]:
    """The ABI module generated from the build manifest, then each test script bundled with the
    app's sources and viem into one file node can run."""
    subprocess.run(["node", str(ROOT / "web/src/chain/gen-abi.mjs")], check=True, timeout=60)
    scripts = sorted(SCRIPTS.glob("*.test.ts"))
    subprocess.run(
        [str(ESBUILD), *map(str, scripts), "--bundle", "--platform=node", "--format=esm",
         f"--outdir={out}", "--out-extension:.js=.mjs", "--log-level=warning"],
        check=True,
        timeout=120,
    )  # fmt: skip
    return [out / f"{s.name.removesuffix('.ts')}.mjs" for s in scripts]


def curve_vectors(path: Path) -> Path:
    """Price and reserve at edge and random points, and both slippage bounds, from the Python."""
    rng = random.Random(12)
    points = [(10**13, 10**12, s) for s in (0, 1, 2, WAD - 1, WAD, WAD + 1, 10**9 * WAD)]
    points += [(rng.randrange(10**18), rng.randrange(10**15), rng.randrange(10**9 * WAD)) for _ in range(300)]
    quotes = [(rng.randrange(10**21), rng.choice((0, 1, 50, 100, 333, 9999, 10_000))) for _ in range(200)]
    path.write_text(
        json.dumps({
            "curve": [[str(v) for v in (b, m, s, price(b, m, s), reserve(b, m, s))] for b, m, s in points],
            "bounds": [[str(v) for v in (q, bps, max_cost(q, bps), min_proceeds(q, bps))] for q, bps in quotes],
        })
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def chain_and_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Anvil with the contracts, a node indexing them at one confirmation, as the scripts' env."""
    tmp = tmp_path_factory.mktemp("money")
    with mecenate_devnet(tmp / "deployments") as (rpc, _, _):
        deployment = Deployment.load(tmp / "deployments", 31337)
        env = node_env(
            tmp / "node",
            MECENATE_CHAIN__RPC_URL=rpc,
            MECENATE_CHAIN__DEPLOYMENTS_DIR=str(tmp / "deployments"),
            MECENATE_CHAIN__CONFIRMATIONS="1",
            MECENATE_CHAIN__POLL_INTERVAL_SECONDS="0.2",
        )
        with running_node(env):
            yield {
                "RPC_URL": rpc,
                "NODE_URL": env["MECENATE_NODE_URL"],
                "CHAIN_ID": str(deployment.chain_id),
                "FACTORY": deployment.factory,
                "TIP_JAR": deployment.tip_jar,
                "DEV_KEYS": json.dumps(["0x" + bytes(a.key).hex() for a in dev_accounts(6)]),
            }


def test_money_modules_against_chain_node_and_python(chain_and_node: dict[str, str], tmp_path: Path) -> None:
    scripts = bundle(tmp_path / "bundle")
    env = {
        "PATH": os.environ["PATH"],
        **chain_and_node,
        "CURVE_VECTORS": str(curve_vectors(tmp_path / "v.json")),
    }
    done = subprocess.run(
        ["node", "--test", "--test-reporter=spec", *map(str, scripts)],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    print(done.stdout)  # the spec report and the MEASURED line (gas, indexing latency)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    counts = dict(re.findall(r"\b(tests|pass|fail) (\d+)$", done.stdout, re.M))
    assert counts["fail"] == "0" and counts["pass"] == counts["tests"] != "0", counts
