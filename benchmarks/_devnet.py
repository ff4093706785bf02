"""A development chain: anvil from npm on a free loopback port, and plain-web3 helpers.

Shared by the benchmarks and the chain, gating and end-to-end tests (they import it as
``benchmarks._devnet``; ``pythonpath = ["."]`` makes that importable, and each benchmark puts
the repository root on ``sys.path``). Anvil comes from npm (``npm ci`` links
``node_modules/.bin/anvil``); the contracts' manifest from ``ape compile``.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from web3 import HTTPProvider, Web3

ROOT = Path(__file__).resolve().parents[1]
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
MANIFEST = ROOT / ".build" / "__local__.json"
MNEMONIC = "test test test test test test test test test test test junk"  # anvil's and Ape's default

BASE_PRICE = 10**13
SLOPE = 10**12
PROTOCOL_FEE_BPS = 100
#: Governance of the collectives launched on a test devnet, in the collective factory's
#: constructor order: a vote opens 1 block after its proposal and lasts 10 blocks, 1 share may
#: propose, a quorum of 20 % of the shares, and a decision takes effect an hour after it passed
#: (``evm_increaseTime`` gets there; scripts/deploy.py's defaults are for real use).
COLLECTIVE_GOVERNANCE = {
    "votingDelay": 1,
    "votingPeriod": 10,
    "proposalThreshold": 1,
    "quorumPercent": 20,
    "timelockDelay": 3600,
}
WAD = 10**18


def _port_range() -> tuple[int, int]:
    """Ports below the kernel's ephemeral range: no outbound connection (a node dialling
    another, a client) is given one of them while the nodes start, or while one is down."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return max(1024, low - 12_000), low - 1


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports, each free when drawn, from below the ephemeral range (a port
    released by ``bind(0)`` may be handed out again, to us or to a dialler)."""
    low, high = _port_range()
    ports: list[int] = []
    for port in random.sample(range(low, high + 1), high - low + 1):
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind(("127.0.0.1", port))
            ports.append(port)
            if len(ports) == count:
                return ports
    raise RuntimeError(f"fewer than {count} free ports in {low}-{high}")


def free_port() -> int:
    """One port free when drawn (:func:`free_ports`)."""
    return free_ports(1)[0]


@contextlib.contextmanager
def anvil(*extra_args: str, timeout: float = 20.0, port: int | None = None) -> Iterator[str]:
    """Run anvil on 127.0.0.1 (``port``, or a free one) for the duration; yields its RPC URL."""
    if not ANVIL.exists():
        raise RuntimeError(f"{ANVIL} missing: run `npm ci` (or ./scripts/setup.sh)")
    port = port or free_port()
    proc = subprocess.Popen(
        [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--silent", *extra_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    w3 = Web3(HTTPProvider(url))
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if w3.eth.block_number >= 0:
                    break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"anvil did not start on port {port}") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def send(w3, account, call=None, *, to=None, data=b"", value=0):  # type: ignore[no-untyped-def]
    """Sign and send a plain transaction with eth-account (no node.chain involved)."""
    params = {"from": account.address, "value": value, "nonce": w3.eth.get_transaction_count(account.address)}
    if call is not None:
        tx = call.build_transaction(params)
    else:
        tx = {
            **params,
            "to": to,
            "data": data,
            "chainId": w3.eth.chain_id,
            "gas": 3_000_000,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9,
        }
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    )
    assert receipt["status"] == 1
    return receipt


def dev_accounts(n: int = 10) -> list:  # type: ignore[type-arg]
    """Anvil's first ``n`` funded accounts (the test mnemonic) as eth-account LocalAccounts."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(n)]


def deploy_contract(w3, account, artifacts, name: str, *args):  # type: ignore[no-untyped-def]
    """Deploy ``name`` from the build manifest with plain web3; returns (contract, block number)."""
    contract = w3.eth.contract(abi=artifacts.abi(name), bytecode=artifacts.bytecode(name))
    receipt = send(w3, account, contract.constructor(*args))
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifacts.abi(name)), receipt[
        "blockNumber"
    ]


def deploy_mecenate(w3, owner, fee_recipient, artifacts, directory: Path):  # type: ignore[no-untyped-def]
    """The factory, the tip jar and the collective factory (with :data:`COLLECTIVE_GOVERNANCE`),
    with the test curve and fee, and their deployments file in ``directory`` as
    ``scripts/deploy.py`` writes it; returns the Deployment."""
    import json

    from node.chain import Deployment

    factory, first = deploy_contract(
        w3,
        owner,
        artifacts,
        "CreatorTokenFactory",
        owner.address,
        fee_recipient.address,
        PROTOCOL_FEE_BPS,
        BASE_PRICE,
        SLOPE,
    )
    jar, _ = deploy_contract(w3, owner, artifacts, "TipJar")
    implementations = [
        deploy_contract(w3, owner, artifacts, name)[0].address
        for name in ("CollectiveShares", "CollectiveGovernor", "CollectiveTimelock")
    ]
    collectives, _ = deploy_contract(
        w3, owner, artifacts, "CollectiveFactory", *implementations, *COLLECTIVE_GOVERNANCE.values()
    )
    deployment = Deployment(w3.eth.chain_id, factory.address, jar.address, first, collectives.address)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{deployment.chain_id}.json").write_text(json.dumps(deployment.to_json()))
    return deployment


def deploy_script(rpc: str, directory: Path):  # type: ignore[no-untyped-def]
    """The factory and the tip jar deployed by the real deploy script (``ape run deploy``, as
    ``scripts/run.sh`` runs it) on the chain at ``rpc``, its deployments file in ``directory``;
    returns the Deployment. Slower than :func:`deploy_mecenate`: for the end-to-end tests."""
    from node.chain import Deployment

    env = {"MECENATE_CHAIN__DEPLOYMENTS_DIR": str(directory), "APE_FOUNDRY_HOST": rpc}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ape"), "run", "deploy", "--network", rpc],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return Deployment.load(directory, 31337)


@contextlib.contextmanager
def mecenate_devnet(directory: Path, accounts: int = 6) -> Iterator[tuple[str, object, list]]:  # type: ignore[type-arg]
    """A private anvil with the factory and the tip jar deployed (dev account 0 owns the factory,
    account 1 receives the protocol fee) and their deployments file in ``directory``. Yields
    (rpc url, artifacts, the first ``accounts`` dev accounts as node keys)."""
    from node.chain import Artifacts
    from node.identity import import_key

    if not MANIFEST.exists():
        raise RuntimeError(f"{MANIFEST} missing: run `.venv/bin/ape compile`")
    artifacts = Artifacts.load(MANIFEST)
    funded = dev_accounts(accounts)
    with anvil() as url:
        deploy_mecenate(Web3(HTTPProvider(url)), funded[0], funded[1], artifacts, directory)
        yield url, artifacts, [import_key(bytes(a.key)) for a in funded]


def creator_market(client, keys: list, bought: int = 10 * WAD):  # type: ignore[no-untyped-def,type-arg]
    """``keys[0]`` launches a token and every other key buys ``bought`` of it; returns the token."""
    token = client.launch_token(keys[0], "Creator", "CRE").token
    for buyer in keys[1:]:
        client.buy(buyer, token, bought)
    return token
