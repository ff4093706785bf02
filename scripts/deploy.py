"""Deploy Mecenate's contracts and write config/deployments/<chainId>.json.

    ape run deploy --network ethereum:local:foundry          # anvil (APE_FOUNDRY_HOST picks which)
    ape run deploy --network http://127.0.0.1:8545           # any RPC URL
    ape run deploy --network ... --account my-alias          # a real chain: an Ape account alias

The file goes where the node reads it: ``$MECENATE_CHAIN__DEPLOYMENTS_DIR`` if set, else
``config/deployments/``. Idempotent per chain: when the deployments file for the connected chain lists contracts whose code
is still on chain, compiled from the same bytecode and deployed with the same parameters, nothing
is sent and the file is left as it is. Anything else (a fresh chain, changed contracts, other
parameters, --force) deploys anew and rewrites the file.

On a development chain (anvil, Ape's test chain) the deployer defaults to the first funded dev
account, which owns the factory and receives the protocol fees; elsewhere --account is required.
Collectives launched on a development chain vote for 20 blocks and wait a minute before a
decision takes effect (``DEV_GOVERNANCE``); elsewhere three days and two days.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, network_option
from eth_utils import keccak, to_checksum_address

from node.chain import is_test_contract

FORMAT_VERSION = 1
DEV_CHAIN_IDS = {31337, 1337}

# Curve: a whole token costs BASE_PRICE wei at zero supply, and SLOPE wei more per whole token sold.
DEFAULT_BASE_PRICE = 10**13  # 0.00001 ETH
DEFAULT_SLOPE = 10**12  # +0.000001 ETH per token
DEFAULT_PROTOCOL_FEE_BPS = 100  # 1%, capped at 5% by the factory

# Governance of every collective the collective factory launches (each can change its own by vote).
# Blocks at 12 s: a vote opens the block after a proposal and lasts 3 days; 1 share to propose;
# a quorum of 20 % of the shares (For and Abstain); a decision takes effect 2 days after it passed.
DEFAULT_GOVERNANCE = {
    "votingDelay": 1,  # blocks
    "votingPeriod": 21_600,  # blocks
    "proposalThreshold": 1,  # shares
    "quorumPercent": 20,
    "timelockDelay": 2 * 24 * 3600,  # seconds
}

# On a development chain (run.sh mines a block a second), the same rules at a developer's pace: a
# vote lasts 20 blocks and a decision takes effect a minute after it passed.
DEV_GOVERNANCE = {**DEFAULT_GOVERNANCE, "votingPeriod": 20, "timelockDelay": 60}

CONTRACTS = ("CreatorTokenFactory", "TipJar", "CollectiveFactory")
# What CollectiveFactory clones, deployed before it.
COLLECTIVE_IMPLEMENTATIONS = ("CollectiveShares", "CollectiveGovernor", "CollectiveTimelock")


def deployments_path(chain_id: int) -> Path:
    """Where the node reads deployments: ``MECENATE_CHAIN__DEPLOYMENTS_DIR``, as in the node's
    settings, or the project's ``config/deployments``."""
    directory = os.environ.get("MECENATE_CHAIN__DEPLOYMENTS_DIR")
    return (Path(directory) if directory else project.path / "config" / "deployments") / f"{chain_id}.json"


def _hex_hash(data: bytes) -> str:
    return "0x" + keccak(data).hex()


def _bytecode_hash(name: str) -> str:
    bytecode = project.get_contract(name).contract_type.deployment_bytecode.bytecode
    return _hex_hash(bytes.fromhex(bytecode.removeprefix("0x")))


def _code_hash(address: str) -> str:
    return _hex_hash(bytes(chain.provider.get_code(address)))


def still_valid(existing: dict, parameters: dict) -> tuple[bool, str]:
    """Whether the deployments recorded in `existing` can be reused on the connected chain."""
    if existing.get("formatVersion") != FORMAT_VERSION:
        return False, "old file format"
    if existing.get("parameters") != parameters:
        return False, "parameters changed"
    for name in CONTRACTS:
        entry = existing.get("contracts", {}).get(name)
        if not entry:
            return False, f"{name} missing from the file"
        if entry.get("bytecodeHash") != _bytecode_hash(name):
            return False, f"{name} was recompiled with changes"
        if _code_hash(entry["address"]) != entry.get("codeHash"):
            return False, f"{name} is not on this chain (a fresh or reset chain?)"
    return True, "unchanged"


def _record(contract, receipt) -> dict:
    return {
        "address": contract.address,
        "block": receipt.block_number,
        "txHash": receipt.txn_hash if isinstance(receipt.txn_hash, str) else receipt.txn_hash.hex(),
        "codeHash": _code_hash(contract.address),
        "bytecodeHash": _bytecode_hash(contract.contract_type.name),
    }


def _product(name: str):
    """The contract type ``name`` from the project, refusing test-only fixtures (``Mock...``)."""
    if is_test_contract(name):
        raise click.UsageError(f"{name} is a test-only contract: the deploy script never deploys it")
    return getattr(project, name)


def deploy(deployer, parameters: dict) -> dict:
    factory = deployer.deploy(
        _product("CreatorTokenFactory"),
        parameters["owner"],
        parameters["feeRecipient"],
        parameters["protocolFeeBps"],
        parameters["basePrice"],
        parameters["slope"],
    )
    factory_receipt = chain.provider.get_receipt(factory.txn_hash)
    tipjar = deployer.deploy(_product("TipJar"))
    tipjar_receipt = chain.provider.get_receipt(tipjar.txn_hash)
    implementation = factory.implementation()
    collective_implementations = {
        name: deployer.deploy(_product(name)) for name in COLLECTIVE_IMPLEMENTATIONS
    }
    collectives = deployer.deploy(
        _product("CollectiveFactory"),
        *collective_implementations.values(),
        *(parameters["governance"][name] for name in DEFAULT_GOVERNANCE),
    )
    collectives_receipt = chain.provider.get_receipt(collectives.txn_hash)
    return {
        "formatVersion": FORMAT_VERSION,
        "chainId": chain.chain_id,
        "deployer": deployer.address,
        "deployedAt": int(time.time()),
        "startBlock": factory_receipt.block_number,
        "parameters": parameters,
        "abiSource": ".build/__local__.json",
        "contracts": {
            "CreatorTokenFactory": _record(factory, factory_receipt),
            "TipJar": _record(tipjar, tipjar_receipt),
            "CollectiveFactory": _record(collectives, collectives_receipt),
        },
        "implementations": {
            "CreatorToken": {"address": implementation, "codeHash": _code_hash(implementation)},
            **{
                name: {"address": contract.address, "codeHash": _code_hash(contract.address)}
                for name, contract in collective_implementations.items()
            },
        },
    }


def _default_deployer(account_alias: str | None):
    if account_alias:
        if account_alias.startswith("TEST::"):
            return accounts.test_accounts[int(account_alias.split("::", 1)[1])]
        return accounts.load(account_alias)
    if chain.chain_id in DEV_CHAIN_IDS or chain.provider.network.is_local:
        return accounts.test_accounts[0]
    raise click.UsageError("--account is required on a chain that is not a local dev chain")


@click.command(cls=ConnectedProviderCommand, short_help="Deploy Mecenate's contracts")
@network_option()
@click.option(
    "--account",
    "account_alias",
    default=None,
    help="Ape account alias of the deployer, or TEST::<n> (default on dev chains: TEST::0)",
)
@click.option("--owner", default=None, help="Factory owner (default: the deployer)")
@click.option("--fee-recipient", default=None, help="Protocol fee recipient (default: the owner)")
@click.option("--protocol-fee-bps", type=int, default=DEFAULT_PROTOCOL_FEE_BPS, show_default=True)
@click.option(
    "--base-price",
    type=int,
    default=DEFAULT_BASE_PRICE,
    show_default=True,
    help="Wei per whole token at zero supply",
)
@click.option(
    "--slope",
    type=int,
    default=DEFAULT_SLOPE,
    show_default=True,
    help="Wei added to a whole token's price per whole token of supply",
)
@click.option("--force", is_flag=True, help="Deploy even if the recorded deployment is still valid")
def cli(account_alias, owner, fee_recipient, protocol_fee_bps, base_price, slope, force):
    deployer = _default_deployer(account_alias)
    owner = to_checksum_address(owner or deployer.address)
    parameters = {
        "owner": owner,
        "feeRecipient": to_checksum_address(fee_recipient or owner),
        "protocolFeeBps": protocol_fee_bps,
        "basePrice": base_price,
        "slope": slope,
        "governance": DEV_GOVERNANCE if chain.chain_id in DEV_CHAIN_IDS else DEFAULT_GOVERNANCE,
    }
    path = deployments_path(chain.chain_id)
    existing = json.loads(path.read_text()) if path.is_file() else None

    if existing and not force:
        valid, reason = still_valid(existing, parameters)
    else:
        valid, reason = False, "forced" if existing else "no deployment recorded"
    if valid:
        record = existing
        click.echo(f"Deployment in {path} is still valid: reusing it.")
    else:
        click.echo(f"Deploying on chain {chain.chain_id} ({reason}) from {deployer.address}...")
        record = deploy(deployer, parameters)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=2) + "\n")
        click.echo(f"Wrote {path}")

    click.echo(f"chain id: {record['chainId']}  (start block {record['startBlock']})")
    for name, entry in record["contracts"].items():
        click.echo(f"{name:<20} {entry['address']}")
    for name, entry in record["implementations"].items():
        click.echo(f"{name:<20} {entry['address']}  (implementation, cloned per launch)")
    if chain.chain_id in DEV_CHAIN_IDS:
        _print_dev_accounts()
    click.echo("deployed")


def _print_dev_accounts(count: int = 10) -> None:
    """The funded accounts of a dev chain (the well-known test mnemonic: never use them elsewhere)."""
    click.echo("funded dev accounts (test mnemonic; never use them on a real chain):")
    for index, account in enumerate(list(accounts.test_accounts)[:count]):
        balance = chain.provider.get_balance(account.address) / 10**18
        click.echo(f"  ({index}) {account.address}  {balance:,.4f} ETH  key {account.private_key}")
