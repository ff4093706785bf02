"""Gas used by Mecenate's on-chain operations, measured from receipts on a private anvil.

Run it with `.venv/bin/python benchmarks/gas.py` (scripts/setup.sh first: it needs the compiled
contracts and node_modules/.bin/anvil). It starts its own anvil on a random port, deploys the
contracts, performs each operation once, in one run, and prints one line per operation with the
gas used (the receipt's `gasUsed`: intrinsic gas and calldata included, refunds deducted) and the
ratio to a plain transfer of the same asset. The last line is one JSON object with every figure;
`--write` also stores it in benchmarks/results/gas.json and the gas alone, one `name gas` line per
operation, in benchmarks/results/gas-snapshot.txt. Both files are committed, so that a change in
gas shows in a diff; tests/contracts/test_gas_snapshot.py runs the same scenario ({measure}) on
the test chain and fails when an operation's gas moved by more than 2 % from the snapshot.

Every operation is measured in the state a user would meet it in: the recipient of a transfer or
a tip already holds the asset, and so does every account of a split. Each figure:

- `eth_transfer`: a plain ETH transfer between two accounts (21,000): the reference of every ETH
  figure below.
- `erc20_transfer`: `transfer` of a plain OpenZeppelin ERC-20 (MockERC20, nothing overridden)
  between two holders: the reference of the ERC-20 tips.
- `launch`: `CreatorTokenFactory.launch`, a creator's token (clone and initialisation).
- `buy_first`: the first buy of a fresh token (supply, the buyer's balance and the accrued
  protocol fee all go from zero), creator fee pushed to the creator.
- `buy_new_holder`: a new holder's first buy into a token someone else already holds: the
  buyer's balance goes from zero, supply and accrued fees do not.
- `buy_repeat`: a buy by a holder. `sell`: a sale by a holder who keeps some.
  Every trade buys or sells 10 whole tokens at exactly the quoted price and carries a fixed
  deadline ({DEADLINE}).
- `tip_eth`: an ETH tip to a creator without a split, with an empty memo.
  `tip_eth_memo32` and `tip_eth_memo280`: the same with a 32-byte and a 280-byte (the longest)
  ASCII memo.
- `tip_erc20`: an ERC-20 tip by a tipper who approved the jar once, for an unlimited amount.
- `erc20_approve_exact` and `tip_erc20_exact_allowance`: a tipper who approves exactly the tip
  (as a wallet does by default; the allowance goes from zero to the amount) and then tips
  (the allowance goes back to zero). The tip alone is what the second figure counts.
- `tip_permit`: an ERC-20 tip with an EIP-2612 permit in the same call, no prior approval.
- `tip_eth_split`: an ETH tip to a creator whose split is itself 50 %, two others 25 % each, of
  an odd amount: four pushes (three shares, then 1 wei of rounding dust to the creator).
- `tip_eth_split_no_dust`: a split of three other accounts (50/25/25 %), the creator not in it,
  of an amount that divides exactly: three pushes, no dust. `tip_eth_split_dust`: the same split
  and an amount one wei higher: the fourth push, of the dust, to the creator.
- `creator_token_transfer`: `transfer` of a creator token (a clone: one delegatecall) between two
  holders: the reference of `tip_creator_token`, an unlimited-allowance tip in that token.
- `collective_launch`: `CollectiveFactory.launch` of a collective with three founders (1, 2 and 3
  shares) and one moderator: three clones (shares, governor, timelock) and their initialisation.
- `tip_eth_collective`: an ETH tip through the TipJar to a collective (its CollectiveShares
  clone), which only accepts it: the income is accounted later, by a claim or `notifyIncome`.
- `collective_claim_eth`: a member's ETH claim that first accounts the income that arrived
  since the last accounting (a plain transfer and that tip), then pays the member, who claimed
  before (income was accounted and claimed before: no storage slot goes from zero).
  `collective_claim_eth_accounted`: the same member's claim of income already accounted
  (`notifyIncome`). `collective_claim_erc20`: a claim of an ERC-20 shared earlier, with new
  income to account, by a member who claimed it before.
- `collective_vote`: a member's `castVote` For a proposal nobody voted on yet (its tally goes
  from zero), with its own shares; `collective_vote_second`: another member's Against.
All tips other than the memo figures carry an empty memo.

Exits non-zero if a target is missed: ETH tip (empty memo) <= 1.8x a plain ETH transfer, ERC-20
tip (unlimited allowance) <= 1.5x a plain ERC-20 transfer, repeat buy <= 80,000 gas, a new
holder's first buy <= 90,000 gas, launch <= 250,000 gas, ETH tip to a collective <= 2x a plain ETH
transfer, a collective's ETH claim (accounting included) <= 70,000 gas, a collective's launch <=
600,000 gas (docs/contracts.md says where it goes), a vote <= 100,000 gas.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "gas.json"
SNAPSHOT = ROOT / "benchmarks" / "results" / "gas-snapshot.txt"

TARGETS = {
    "tip_eth_ratio": 1.8,
    "tip_erc20_ratio": 1.5,
    "buy_repeat": 80_000,
    "buy_new_holder": 90_000,
    "launch": 250_000,
    "tip_eth_collective_ratio": 2.0,
    "collective_claim_eth": 70_000,
    "collective_launch": 600_000,
    "collective_vote": 100_000,
}

# How far an operation's gas may move from the snapshot, either way, before the snapshot test fails.
SNAPSHOT_TOLERANCE = 0.02
SNAPSHOT_UPDATE = (
    "refresh it on purpose with `.venv/bin/python benchmarks/gas.py --write` and commit "
    "benchmarks/results/gas-snapshot.txt and gas.json with the change that moved the gas"
)

# Curve and fees as deployed by scripts/deploy.py.
BASE_PRICE = 10**13
SLOPE = 10**12
PROTOCOL_FEE_BPS = 100
WAD = 10**18
TRADE = 10 * WAD
POST_ID = bytes.fromhex("5f" * 32)
# The deadline of every trade and permit: a fixed timestamp (2106-02-07) rather than "now + 10
# minutes", so that no figure depends on when it was measured. It has the calldata cost of a real
# one (four non-zero bytes).
DEADLINE = 2**32 - 1
ETH = "0x0000000000000000000000000000000000000000"
# The governance of the collectives the benchmark launches: voting delay 1 block, voting period 10
# blocks, proposal threshold 1 share, quorum 20 %, timelock delay 1 hour (short, to vote soon;
# no figure depends on them).
GOVERNANCE = (1, 10, 1, 20, 3600)
MEMO_TEXT = "Great post, thank you! This one made my week: the part about the second draft especially. "


def memo(length: int) -> str:
    """An ASCII memo of exactly `length` bytes (every byte non-zero, as in text)."""
    return (MEMO_TEXT * (length // len(MEMO_TEXT) + 1))[:length]


def _permit(token, owner, spender: str, value: int, deadline: int, chain_id: int):
    from node.chain import sign_permit

    return sign_permit(
        owner.private_key,
        token_name=token.name(),
        token=token.address,
        chain_id=chain_id,
        owner=owner.address,
        spender=spender,
        value=value,
        nonce=token.nonces(owner),
        deadline=deadline,
    )


def measure() -> dict[str, int]:
    """Deploys everything on the connected chain and returns the gas used by each operation (see
    the module's docstring). Used by this benchmark on anvil and by the snapshot test on the test
    chain: one scenario, so both measure the same thing."""
    from ape import accounts, chain, project
    from eth_utils import keccak

    acct = accounts.test_accounts
    deployer, creator, fan, fan2, co1, co2, fan3, co3 = (acct[i] for i in range(8))
    gas: dict[str, int] = {}

    def used(receipt) -> int:
        return int(receipt.gas_used)

    # References: a plain ETH transfer and a plain OpenZeppelin ERC-20 transfer, both to a
    # recipient that already holds the asset.
    gas["eth_transfer"] = used(fan.transfer(creator, 10**15))
    erc20 = deployer.deploy(project.MockERC20, "Mock USD", "MUSD")
    for holder in (fan, fan2, fan3, creator, co1, co2):
        erc20.mint(holder, 10**24, sender=deployer)
    gas["erc20_transfer"] = used(erc20.transfer(creator, 10**18, sender=fan))

    factory = deployer.deploy(
        project.CreatorTokenFactory, deployer, deployer, PROTOCOL_FEE_BPS, BASE_PRICE, SLOPE
    )
    jar = deployer.deploy(project.TipJar)

    # Creator token: launch, first buy, a second holder's first buy, repeat buy, sell.
    gas["launch"] = used(factory.launch("Creator Token", "CRT", sender=creator))
    token = project.CreatorToken.at(factory.tokenOf(creator))

    def buy(buyer) -> int:
        cost = token.quoteBuy(TRADE)
        return used(token.buy(TRADE, cost, DEADLINE, value=cost, sender=buyer))

    gas["buy_first"] = buy(fan)
    gas["buy_new_holder"] = buy(fan2)
    gas["buy_repeat"] = buy(fan)
    gas["sell"] = used(token.sell(TRADE, token.quoteSell(TRADE), DEADLINE, sender=fan))

    # Tips to a creator without a split.
    gas["tip_eth"] = used(jar.tip(creator, POST_ID, "", value=10**15, sender=fan))
    for length in (32, 280):
        gas[f"tip_eth_memo{length}"] = used(jar.tip(creator, POST_ID, memo(length), value=10**15, sender=fan))
    erc20.approve(jar, 2**256 - 1, sender=fan)
    gas["tip_erc20"] = used(jar.tipToken(erc20, creator, 10**18, POST_ID, "", sender=fan))
    gas["erc20_approve_exact"] = used(erc20.approve(jar, 10**18, sender=fan3))
    gas["tip_erc20_exact_allowance"] = used(jar.tipToken(erc20, creator, 10**18, POST_ID, "", sender=fan3))
    v, r, s = _permit(erc20, fan2, jar.address, 10**18, DEADLINE, chain.chain_id)
    gas["tip_permit"] = used(
        jar.tipTokenWithPermit(erc20, creator, 10**18, POST_ID, "", DEADLINE, v, r, s, sender=fan2)
    )

    # Split tips, in ETH: the creator in its own split with dust, then a split without the creator
    # with and without dust.
    jar.setSplit([creator, co1, co2], [5_000, 2_500, 2_500], sender=creator)
    gas["tip_eth_split"] = used(jar.tip(creator, POST_ID, "", value=10**15 + 1, sender=fan))
    jar.setSplit([co1, co2, co3], [5_000, 2_500, 2_500], sender=creator)
    gas["tip_eth_split_no_dust"] = used(jar.tip(creator, POST_ID, "", value=10**15, sender=fan))
    gas["tip_eth_split_dust"] = used(jar.tip(creator, POST_ID, "", value=10**15 + 1, sender=fan))
    jar.setSplit([], [], sender=creator)

    # For the record: a creator-token tip (the token is a clone, hence a delegatecall per transfer).
    token.transfer(creator, WAD, sender=fan2)
    gas["creator_token_transfer"] = used(token.transfer(creator, WAD, sender=fan2))
    token.approve(jar, 2**256 - 1, sender=fan2)
    gas["tip_creator_token"] = used(jar.tipToken(token, creator, WAD, POST_ID, "", sender=fan2))

    # A collective, launched by its factory (three clones): income, tips, claims and a vote.
    # Deployed from the account, and in the order, of tests/contracts/test_collective.py: Ape
    # remembers the type of the contract at each address across the tests' chain snapshots.
    collectives = acct[8]
    implementations = [
        collectives.deploy(getattr(project, name))
        for name in ("CollectiveShares", "CollectiveGovernor", "CollectiveTimelock")
    ]
    collective_factory = collectives.deploy(project.CollectiveFactory, *implementations, *GOVERNANCE)
    receipt = collective_factory.launch(
        POST_ID, [co1, co2, co3], [1, 2, 3], 2_000, [co1], POST_ID, sender=deployer
    )
    gas["collective_launch"] = used(receipt)
    launched = receipt.events.filter(collective_factory.CollectiveLaunched)[0]
    collective = project.CollectiveShares.at(launched.shares)
    governor = project.CollectiveGovernor.at(launched.governor)
    # The state a member meets: income accounted before, a claim of theirs made before.
    fan.transfer(collective, 10**15)
    collective.claim(ETH, sender=co1)
    fan.transfer(collective, 10**15)
    gas["tip_eth_collective"] = used(jar.tip(collective, POST_ID, "", value=10**15, sender=fan))
    gas["collective_claim_eth"] = used(collective.claim(ETH, sender=co1))
    fan.transfer(collective, 10**15)
    collective.notifyIncome(ETH, sender=fan)
    gas["collective_claim_eth_accounted"] = used(collective.claim(ETH, sender=co1))
    erc20.transfer(collective, 10**18, sender=fan)
    collective.claim(erc20, sender=co3)
    erc20.transfer(collective, 10**18, sender=fan)
    gas["collective_claim_erc20"] = used(collective.claim(erc20, sender=co3))

    # A vote: the first For of a proposal (its tally goes from zero), by a member who votes with
    # its own shares, then a second member's Against.
    proposal = ([collective.address], [0], [collective.setModerators.encode_input([co2])], "Moderator: co2")
    governor.propose(*proposal, sender=co1)
    proposal_id = governor.getProposalId(proposal[0], proposal[1], proposal[2], keccak(text=proposal[3]))
    chain.mine(GOVERNANCE[0] + 1)
    gas["collective_vote"] = used(governor.castVote(proposal_id, 1, sender=co3))
    gas["collective_vote_second"] = used(governor.castVote(proposal_id, 0, sender=co2))
    return gas


def report(gas: dict[str, int]) -> dict:
    eth, erc20, clone = gas["eth_transfer"], gas["erc20_transfer"], gas["creator_token_transfer"]
    reference = {name: eth for name in gas}
    reference.update({name: erc20 for name in gas if "erc20" in name or name == "tip_permit"})
    reference.update(creator_token_transfer=clone, tip_creator_token=clone)
    result: dict = {"gas": gas, "ratio": {}}
    for name, value in gas.items():
        result["ratio"][name] = round(value / reference[name], 3)
    result["targets"] = {
        "tip_eth_ratio": [result["ratio"]["tip_eth"], TARGETS["tip_eth_ratio"]],
        "tip_erc20_ratio": [result["ratio"]["tip_erc20"], TARGETS["tip_erc20_ratio"]],
        "buy_repeat": [gas["buy_repeat"], TARGETS["buy_repeat"]],
        "buy_new_holder": [gas["buy_new_holder"], TARGETS["buy_new_holder"]],
        "launch": [gas["launch"], TARGETS["launch"]],
        "tip_eth_collective_ratio": [
            result["ratio"]["tip_eth_collective"],
            TARGETS["tip_eth_collective_ratio"],
        ],
        "collective_claim_eth": [gas["collective_claim_eth"], TARGETS["collective_claim_eth"]],
        "collective_launch": [gas["collective_launch"], TARGETS["collective_launch"]],
        "collective_vote": [gas["collective_vote"], TARGETS["collective_vote"]],
    }
    result["targets_met"] = all(value <= limit for value, limit in result["targets"].values())
    return result


# ─────────────────────────────────────────────────────────────────────────────────────────────
# The snapshot: one `name gas` line per operation, sorted by name (Foundry's .gas-snapshot habit)
# ─────────────────────────────────────────────────────────────────────────────────────────────


def format_snapshot(gas: dict[str, int]) -> str:
    return "".join(f"{name} {gas[name]}\n" for name in sorted(gas))


def parse_snapshot(text: str) -> dict[str, int]:
    snapshot = {}
    for line in text.splitlines():
        name, value = line.split()
        snapshot[name] = int(value)
    return snapshot


def snapshot_differences(
    snapshot: dict[str, int], gas: dict[str, int], tolerance: float = SNAPSHOT_TOLERANCE
) -> list[str]:
    """Every way `gas` (just measured) departs from `snapshot` (committed), in words: an operation
    whose gas grew or dropped by more than `tolerance` (a fraction of the snapshot's figure), one
    the snapshot has and the measurement lost, one the measurement has and the snapshot lacks.
    A drop counts too: a snapshot that overstates the gas would let a later regression pass."""
    differences = []
    for name in sorted(snapshot.keys() - gas.keys()):
        differences.append(f"{name}: in the snapshot ({snapshot[name]:,} gas) but no longer measured")
    for name in sorted(gas.keys() - snapshot.keys()):
        differences.append(f"{name}: measured ({gas[name]:,} gas) but not in the snapshot")
    for name in sorted(gas.keys() & snapshot.keys()):
        old, new = snapshot[name], gas[name]
        change = (new - old) / old
        if abs(change) > tolerance:
            way = "grew" if change > 0 else "dropped"
            differences.append(
                f"{name}: {way} from {old:,} to {new:,} gas ({change:+.1%}, "
                f"more than the {tolerance:.0%} allowed)"
            )
    return differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write",
        action="store_true",
        help=f"also write {RESULTS.relative_to(ROOT)} and {SNAPSHOT.relative_to(ROOT)}",
    )
    parser.add_argument(
        "--network", default="ethereum:local:foundry", help="Ape network choice (default: a private anvil)"
    )
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("APE_FOUNDRY_HOST", "auto")
    from _report import emit  # here, not at the top: the snapshot test loads this file as a module
    from ape import networks

    with networks.parse_network_choice(args.network):
        gas = measure()
    result = report(gas)

    width = max(map(len, gas))
    for name, value in gas.items():
        print(f"{name:<{width}}  {value:>8,}  {result['ratio'][name]:>6.3f}x")
    for name, (value, limit) in result["targets"].items():
        print(f"target {name}: {value} <= {limit}: {'ok' if value <= limit else 'MISSED'}")
    if args.write:
        SNAPSHOT.write_text(format_snapshot(gas))
    emit(result, RESULTS if args.write else None)
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
