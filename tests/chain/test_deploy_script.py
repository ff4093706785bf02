"""The project's own deploy script (`ape run deploy`) writes a deployments file that the
client and the indexer run from, unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from node.chain import ChainClient, Indexer
from node.config import ChainSettings

from .conftest import ROOT, WAD


def test_deploy_script_output_drives_client_and_indexer(anvil_url, w3, keys, tmp_path):
    # A copy of the Ape project, so the script writes its deployments file there and not into
    # the working tree (where a devnet's file may live).
    project = tmp_path / "project"
    project.mkdir()
    for name in ("ape-config.yaml", "package.json"):
        shutil.copy(ROOT / name, project / name)
    for name in ("contracts", "scripts", ".build"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns(".cache"))
    (project / "node_modules").symlink_to(ROOT / "node_modules")
    ape = Path(sys.executable).parent / "ape"
    done = subprocess.run(
        [str(ape), "run", "deploy", "--network", anvil_url],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "APE_FOUNDRY_HOST": anvil_url},
    )
    assert done.returncode == 0, done.stdout + done.stderr

    settings = ChainSettings(
        rpc_url=anvil_url,
        confirmations=0,
        deployments_dir=project / "config" / "deployments",
        build_manifest=project / ".build" / "__local__.json",
    )
    client = ChainClient.from_settings(settings, w3.eth.chain_id)
    token = client.launch_token(keys[2], "Alice Token", "ALICE").token
    client.buy(keys[3], token, 2 * WAD)
    client.tip(keys[3], keys[2].address, 10**15)
    with Indexer(client, tmp_path / "index.sqlite", confirmations=settings.confirmations) as indexer:
        indexer.poll_once()
        [listing] = indexer.creators()
        assert (listing.token, listing.supply, listing.holders) == (token, 2 * WAD, 1)
        assert [t.amount for t in indexer.tips_received(keys[2].address)] == [10**15]
