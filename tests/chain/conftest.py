"""Fixtures for node.chain: a real anvil per session (tests.support.devchain), contracts deployed from Ape's build
manifest with plain web3, and a chain snapshot around every test.

Anvil comes from npm (`npm ci` links node_modules/.bin/anvil); the manifest from `ape compile`.
"""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3

from node.chain import Artifacts, ChainClient, Deployment, Indexer
from node.identity import import_key
from tests.support.devchain import (  # noqa: F401  (constants re-exported to the tests here)
    BASE_PRICE,
    MANIFEST,
    MNEMONIC,
    PROTOCOL_FEE_BPS,
    ROOT,
    SLOPE,
    WAD,
    anvil,
    send,
)

@pytest.fixture(scope="session")
def anvil_url():
    with anvil() as url:
        yield url


@pytest.fixture(scope="session")
def accounts():
    """Anvil's ten funded accounts as eth-account LocalAccounts."""
    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(10)]


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
    return Artifacts.load(MANIFEST)


def deploy(w3, account, artifacts, name, *args):
    contract = w3.eth.contract(abi=artifacts.abi(name), bytecode=artifacts.bytecode(name))
    receipt = send(w3, account, contract.constructor(*args))
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifacts.abi(name)), receipt["blockNumber"]


@pytest.fixture(scope="session")
def deployed(w3, accounts, artifacts, tmp_path_factory):
    """Factory, tip jar and a mock ERC-20 (with permit) on anvil; a deployments file written as
    scripts/deploy.py writes it. Returns (Deployment, deployments_dir, mock ERC-20 contract)."""
    owner, fee_recipient = accounts[0], accounts[1]
    factory, first = deploy(w3, owner, artifacts, "CreatorTokenFactory", owner.address, fee_recipient.address,
                            PROTOCOL_FEE_BPS, BASE_PRICE, SLOPE)
    jar, _ = deploy(w3, owner, artifacts, "TipJar")
    erc20, _ = deploy(w3, owner, artifacts, "MockERC20", "Mock USD", "MUSD")
    for fan in accounts[3:8]:
        send(w3, owner, erc20.functions.mint(fan.address, 10**24))
    deployment = Deployment(w3.eth.chain_id, factory.address, jar.address, first)
    directory = tmp_path_factory.mktemp("deployments")
    (directory / f"{deployment.chain_id}.json").write_text(json.dumps(deployment.to_json()))
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
    db = indexer._db
    tables = {}
    for table in ("tokens", "trades", "tips", "transfers", "holders"):
        tables[table] = sorted(db.execute(f"SELECT * FROM {table}").fetchall())
    return tables
