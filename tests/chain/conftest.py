"""Fixtures for node.chain: a real anvil per session (benchmarks._devnet), contracts deployed from Ape's build
manifest with plain web3, and a chain snapshot around every test.

Anvil comes from npm (`npm ci` links node_modules/.bin/anvil); the manifest from `ape compile`.
"""

from __future__ import annotations

import sqlite3

import pytest
from web3 import HTTPProvider, Web3

from benchmarks._devnet import (  # noqa: F401  (constants re-exported to the tests here)
    BASE_PRICE,
    MANIFEST,
    MNEMONIC,
    PROTOCOL_FEE_BPS,
    ROOT,
    SLOPE,
    WAD,
    anvil,
    deploy_contract,
    deploy_mecenate,
    dev_accounts,
    send,
)
from node.chain import Artifacts, ChainClient, Indexer
from node.identity import import_key


@pytest.fixture(scope="session")
def anvil_url():
    with anvil() as url:
        yield url


@pytest.fixture(scope="session")
def accounts():
    """Anvil's ten funded accounts as eth-account LocalAccounts."""
    return dev_accounts(10)


@pytest.fixture(scope="session")
def keys(accounts):
    """The same accounts as node.identity Keys."""
    return [import_key(bytes(a.key)) for a in accounts]


@pytest.fixture(scope="session")
def w3(anvil_url):
    return Web3(HTTPProvider(anvil_url))


@pytest.fixture(scope="session")
def artifacts():
    if not MANIFEST.exists():
        pytest.fail(f"{MANIFEST} missing: run `.venv/bin/ape compile`")
    return Artifacts.load(MANIFEST, test_contracts=True)


@pytest.fixture(scope="session")
def deployed(w3, accounts, artifacts, tmp_path_factory):
    """Factory, tip jar and a mock ERC-20 (with permit) on anvil; a deployments file written as
    scripts/deploy.py writes it. Returns (Deployment, deployments_dir, mock ERC-20 contract)."""
    owner = accounts[0]
    directory = tmp_path_factory.mktemp("deployments")
    deployment = deploy_mecenate(w3, owner, accounts[1], artifacts, directory)
    erc20, _ = deploy_contract(w3, owner, artifacts, "MockERC20", "Mock USD", "MUSD")
    for fan in accounts[3:8]:
        send(w3, owner, erc20.functions.mint(fan.address, 10**24))
    return deployment, directory, erc20


@pytest.fixture(scope="session")
def client(anvil_url, artifacts, deployed):
    return ChainClient(anvil_url, artifacts, deployed[0])


@pytest.fixture(scope="session")
def erc20(deployed):
    return deployed[2]


@pytest.fixture(autouse=True)
def chain_snapshot(request):
    """Every test that touches the chain starts from the deployed state and leaves it there."""
    if "w3" not in request.fixturenames and "client" not in request.fixturenames:
        yield
        return
    w3 = request.getfixturevalue("w3")
    request.getfixturevalue("deployed")
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    yield
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True


@pytest.fixture
def make_indexer(client, tmp_path):
    made = []

    def make(name="index.sqlite", **kwargs):
        kwargs.setdefault("confirmations", 0)
        indexer = Indexer(client, tmp_path / name, **kwargs)
        made.append(indexer)
        return indexer

    yield make
    for indexer in made:
        indexer.close()


def dump(indexer):
    """Everything an indexer holds, as comparable Python values (for "matches the chain")."""
    db = sqlite3.connect(indexer.path)  # a reader of its own: the file, as another process sees it
    try:
        return {
            table: sorted(db.execute(f"SELECT * FROM {table}").fetchall())
            for table in ("tokens", "trades", "tips", "transfers", "holders")
        }
    finally:
        db.close()
