"""Gas used by Mecenate's on-chain operations, measured from receipts on a private anvil.

Run it with `.venv/bin/python benchmarks/gas.py` (scripts/setup.sh first: it needs the compiled
contracts and node_modules/.bin/anvil). It starts its own anvil on a random port, deploys the
contracts, performs each operation once, in one run, and prints one line per operation with the
gas used and the ratio to a plain transfer of the same asset (ETH, or an OpenZeppelin ERC-20).
The last line is one JSON object with every figure; `--write` also stores it in
benchmarks/results/gas.json, which is committed so that a regression shows in a diff.

Every operation is measured in the state a user would meet it in: the recipient of a transfer or
a tip already holds the asset, a repeat buy is by a holder, the ERC-20 tipper has approved the
jar once (unlimited allowance), the permit tipper has not approved at all.

Exits non-zero if a target is missed: ETH tip <= 1.8x a plain ETH transfer, ERC-20 tip <= 1.5x a
plain ERC-20 transfer, repeat buy <= 80,000 gas, launch <= 250,000 gas.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from _report import emit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "gas.json"

TARGETS = {
    "tip_eth_ratio": 1.8,
    "tip_erc20_ratio": 1.5,
    "buy_repeat": 80_000,
    "launch": 250_000,
}

# Curve and fees as deployed by scripts/deploy.py.
BASE_PRICE = 10**13
SLOPE = 10**12
PROTOCOL_FEE_BPS = 100
WAD = 10**18
POST_ID = bytes.fromhex("5f" * 32)
MEMO = ""


def _permit(token, owner, spender: str, value: int, deadline: int, chain_id: int):
    from node.chain import sign_permit

    return sign_permit(owner.private_key, token_name=token.name(), token=token.address, chain_id=chain_id,
                       owner=owner.address, spender=spender, value=value, nonce=token.nonces(owner), deadline=deadline)


def measure() -> dict[str, int]:
    """Deploys everything on the connected chain and returns the gas used by each operation."""
    from ape import accounts, chain, project

    acct = accounts.test_accounts
    deployer, creator, fan, fan2, co1, co2 = (acct[i] for i in range(6))
    gas: dict[str, int] = {}

    def used(receipt) -> int:
        return int(receipt.gas_used)

    # References: a plain ETH transfer and a plain OpenZeppelin ERC-20 transfer, both to a
    # recipient that already holds the asset.
    gas["eth_transfer"] = used(fan.transfer(creator, 10**15))
    erc20 = deployer.deploy(project.MockERC20, "Mock USD", "MUSD")
    for holder in (fan, fan2, creator, co1, co2):
        erc20.mint(holder, 10**24, sender=deployer)
    gas["erc20_transfer"] = used(erc20.transfer(creator, 10**18, sender=fan))

    factory = deployer.deploy(project.CreatorTokenFactory, deployer, deployer, PROTOCOL_FEE_BPS,
                              BASE_PRICE, SLOPE)
    jar = deployer.deploy(project.TipJar)

    # Creator token: launch, first buy (supply and balance from zero), repeat buy, sell.
    gas["launch"] = used(factory.launch("Creator Token", "CRT", sender=creator))
    token = project.CreatorToken.at(factory.tokenOf(creator))
    amount = 10 * WAD
    cost = token.quoteBuy(amount)
    gas["buy_first"] = used(token.buy(amount, cost, chain.pending_timestamp + 600, value=cost, sender=fan))
    cost = token.quoteBuy(amount)
    gas["buy_repeat"] = used(token.buy(amount, cost, chain.pending_timestamp + 600, value=cost, sender=fan))
    proceeds = token.quoteSell(amount)
    gas["sell"] = used(token.sell(amount, proceeds, chain.pending_timestamp + 600, sender=fan))

    # Tips to a creator without a split.
    gas["tip_eth"] = used(jar.tip(creator, POST_ID, MEMO, value=10**15, sender=fan))
    erc20.approve(jar, 2**256 - 1, sender=fan)
    gas["tip_erc20"] = used(jar.tipToken(erc20, creator, 10**18, POST_ID, MEMO, sender=fan))
    deadline = chain.pending_timestamp + 3600
    v, r, s = _permit(erc20, fan2, jar.address, 10**18, deadline, chain.chain_id)
    gas["tip_permit"] = used(
        jar.tipTokenWithPermit(erc20, creator, 10**18, POST_ID, MEMO, deadline, v, r, s, sender=fan2)
    )
    # A tip split three ways (creator 50%, two co-creators 25% each), in ETH.
    jar.setSplit([creator, co1, co2], [5_000, 2_500, 2_500], sender=creator)
    gas["tip_eth_split"] = used(jar.tip(creator, POST_ID, MEMO, value=10**15 + 1, sender=fan))
    # For the record: a creator-token tip (the token is a clone, hence a delegatecall per transfer).
    token.buy(amount, 10**30, chain.pending_timestamp + 600, value=token.quoteBuy(amount), sender=fan2)
    token.transfer(creator, WAD, sender=fan2)
    gas["creator_token_transfer"] = used(token.transfer(creator, WAD, sender=fan2))
    token.approve(jar, 2**256 - 1, sender=fan2)
    jar.setSplit([], [], sender=creator)
    gas["tip_creator_token"] = used(jar.tipToken(token, creator, WAD, POST_ID, MEMO, sender=fan2))
    return gas


def report(gas: dict[str, int]) -> dict:
    eth, erc20 = gas["eth_transfer"], gas["erc20_transfer"]
    reference = {
        "eth_transfer": eth, "launch": eth, "buy_first": eth, "buy_repeat": eth, "sell": eth,
        "tip_eth": eth, "tip_eth_split": eth,
        "erc20_transfer": erc20, "tip_erc20": erc20, "tip_permit": erc20,
        "creator_token_transfer": gas["creator_token_transfer"],
        "tip_creator_token": gas["creator_token_transfer"],
    }
    result: dict = {"gas": gas, "ratio": {}}
    for name, value in gas.items():
        result["ratio"][name] = round(value / reference[name], 3)
    result["targets"] = {
        "tip_eth_ratio": [result["ratio"]["tip_eth"], TARGETS["tip_eth_ratio"]],
        "tip_erc20_ratio": [result["ratio"]["tip_erc20"], TARGETS["tip_erc20_ratio"]],
        "buy_repeat": [gas["buy_repeat"], TARGETS["buy_repeat"]],
        "launch": [gas["launch"], TARGETS["launch"]],
    }
    result["targets_met"] = all(value <= limit for value, limit in result["targets"].values())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"also write {RESULTS.relative_to(ROOT)}")
    parser.add_argument("--network", default="ethereum:local:foundry",
                        help="Ape network choice (default: a private anvil)")
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("APE_FOUNDRY_HOST", "auto")
    from ape import networks

    with networks.parse_network_choice(args.network):
        gas = measure()
    result = report(gas)

    width = max(map(len, gas))
    for name, value in gas.items():
        print(f"{name:<{width}}  {value:>8,}  {result['ratio'][name]:>6.3f}x")
    for name, (value, limit) in result["targets"].items():
        print(f"target {name}: {value} <= {limit}: {'ok' if value <= limit else 'MISSED'}")
    emit(result, RESULTS if args.write else None)
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
