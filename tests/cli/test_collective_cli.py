"""``mecenate collective`` against a real node process and anvil: launch a community's
collective from its charter as the node serves it, propose, vote, claim, execute (queue, then
run after the timelock's delay) and show, each checked on chain or against the node's index. Users are anvil's funded dev accounts, each with a keystore of their own.

One devnet and one node serve the module; each test founds its own community, so they share
nothing but the chain (no snapshots: a node follows it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_abi import encode
from eth_utils import keccak

from benchmarks._devnet import COLLECTIVE_GOVERNANCE, mecenate_devnet
from benchmarks._processes import node_env, running_node, wait_for
from node.chain import ChainClient, Deployment
from node.identity import Keyring
from node.messages.community import community_id
from tests.cli.test_community_cli import PASSPHRASE, User, api

WAD = 10**18


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, object, list]]:
    directory = tmp_path_factory.mktemp("deployments")
    with mecenate_devnet(directory, accounts=8) as (url, artifacts, keys):
        yield url, directory, artifacts, keys


@pytest.fixture(scope="module")
def env(devnet, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    url, directory, _, _ = devnet
    return node_env(
        tmp_path_factory.mktemp("collective-cli"),
        MECENATE_CHAIN__RPC_URL=url,
        MECENATE_CHAIN__DEPLOYMENTS_DIR=str(directory),
        MECENATE_CHAIN__CONFIRMATIONS="0",
        MECENATE_CHAIN__POLL_INTERVAL_SECONDS="0.2",
    )


@pytest.fixture(scope="module")
def node(env: dict[str, str]) -> Iterator[str]:
    with running_node(env):
        yield env["MECENATE_NODE_URL"]


@pytest.fixture(scope="module")
def client(devnet) -> ChainClient:
    url, directory, artifacts, _ = devnet
    return ChainClient(url, artifacts, Deployment.load(directory, 31337))


@pytest.fixture(scope="module")
def users(devnet, env: dict[str, str], node: str, tmp_path_factory: pytest.TempPathFactory) -> list[User]:
    """Dev accounts 2 to 7 (funded), each with a keys directory holding its key."""
    _, _, _, keys = devnet
    made = []
    for key in keys[2:]:
        directory = tmp_path_factory.mktemp("keys")
        Keyring(directory, scrypt_n=1024).add(key, PASSPHRASE)
        made.append(User({**env, "MECENATE_KEYS_DIR": str(directory)}, key.address))
    return made


def mine(client: ChainClient, blocks: int) -> None:
    for _ in range(blocks):
        client.web3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def shares_of(stdout: str) -> str:
    found = re.search(r"^shares:\s+(0x[0-9a-fA-F]{40}) ", stdout, re.M)
    assert found, stdout
    return found.group(1)


def proposed_id(stdout: str) -> int:
    first = stdout.splitlines()[0].split()
    assert first[0] == "proposed", stdout
    return int(first[1])


def found(user: User, handle: str) -> str:
    user.ok("community", "create", handle, "--name", "Synth makers", "--topics", "music,modular")
    return "0x" + community_id(user.address, handle).hex()


def test_launch_approves_the_charter_the_node_serves(users, client, node: str) -> None:
    a, b, c, outsider = users[:4]
    cid = found(a, "synth")
    launched = a.ok(
        "collective",
        "launch",
        f"synth@{a.address}",
        "--founder",
        f"{a.address}:5",
        "--founder",
        f"{b.address.lower()}:3",
        "--founder",
        f"{c.address}:2",
        "--treasury-bps",
        "1000",
        "--set-charter",
    )
    shares = shares_of(launched)
    assert launched.startswith(f"collective of synth {cid}\n")
    assert [client.balance_of(shares, u.address) for u in (a, b, c)] == [5, 3, 2]
    # The charter hash as API15 defines it, of the fields as they were signed.
    by_hand = keccak(
        encode(
            ["bytes32"] + ["string"] * 5,
            [bytes.fromhex(cid[2:]), "Synth makers", "", "", "modular,music", ""],
        )
    )
    assert client.charter_hash_of(shares) == by_hand
    assert f"charter hash: 0x{by_hand.hex()}" in launched
    assert client.moderators_of(shares) == [a.address]  # the community's moderators: its founder
    assert "collective: accepted" in launched  # --set-charter: the founder signed the field
    assert api(node, f"/v1/communities/{cid}")["charter"]["collective"] == shares

    again = a.run("collective", "launch", cid, "--founder", f"{a.address}:1")
    assert again.code == 65 and f"already launched the collective of {cid}" in again.stderr
    # Only the founder signs the charter: refused before any passphrase is asked for.
    other = outsider.run(
        "collective",
        "launch",
        cid,
        "--founder",
        f"{outsider.address}:1",
        "--set-charter",
        MECENATE_PASSPHRASE="",
    )
    assert other.code == 65 and "--set-charter: only the community's founder" in other.stderr


def test_a_launch_without_the_founder_sets_no_charter_and_says_how(users, client, node: str) -> None:
    a, b = users[4], users[5]
    cid = found(a, "modular")
    ran = b.run("collective", "launch", cid, "--founder", f"{b.address}:1", "--moderator", b.address)
    assert ran.code == 0, ran.stderr
    shares = shares_of(ran.stdout)
    assert client.moderators_of(shares) == [b.address]
    assert f"`mecenate community set modular collective {shares}`" in ran.stderr
    assert "collective" not in api(node, f"/v1/communities/{cid}")["charter"]


def test_bad_input_is_refused_before_anything_is_signed(users) -> None:
    a = users[0]
    cid = "0x" + community_id(a.address, "synth").hex()
    shares = "0x" + "5a" * 20
    mistakes = {
        ("collective", "launch", cid, "--founder", "nope"): "--founder: 'nope' is not ADDRESS:SHARES",
        (
            "collective",
            "launch",
            cid,
            "--founder",
            f"{a.address}:0",
        ): "--founder: must be a whole number of shares",
        (
            "collective",
            "launch",
            cid,
            "--founder",
            f"{a.address}:1",
            "--founder",
            f"{a.address}:2",
        ): "is given twice",
        ("collective", "vote", shares, "12", "maybe"): "SUPPORT: 'maybe' is not one of against, for, abstain",
        ("collective", "vote", shares, "0x12", "for"): "PROPOSAL_ID: '0x12' is not a proposal id",
        ("collective", "propose", shares): "a proposal asks for something",
        ("collective", "propose", shares, "--pay", "ETH:0x12"): "--pay: 'ETH:0x12' is not ASSET:TO:AMOUNT",
        ("collective", "propose", shares, "--pay", f"ETH:{a.address}:-1"): "--pay AMOUNT: must be positive",
        ("collective", "propose", shares, "--admit", "0xnope:1"): "--admit '0xnope'",
        ("collective", "claim", "nope"): "SHARES: expected a 0x-prefixed",
    }
    for args, said in mistakes.items():
        ran = a.run(*args, MECENATE_PASSPHRASE="")
        assert ran.code == 65, (args, ran.stderr)
        assert ran.stderr.startswith("error[invalid_input]: ") and said in ran.stderr, (args, ran.stderr)


def test_propose_vote_and_claim(users, client, devnet) -> None:
    a, b, c, d = users[:4]
    keys = devnet[3]
    cid = found(a, "patches")
    shares = shares_of(
        a.ok(
            "collective",
            "launch",
            cid,
            "--founder",
            f"{a.address}:5",
            "--founder",
            f"{b.address}:3",
            "--founder",
            f"{c.address}:2",
            "--treasury-bps",
            "1000",
        )
    )
    mine(client, 1)  # shares count as votes from the block after their mint
    governor = client.collective(shares).governor

    one = a.ok(
        "collective",
        "propose",
        shares,
        "--moderators",
        f"{d.address},{b.address}",
        "--description",
        "Dee and Bo",
    )
    pid = proposed_id(one)
    assert f"  set moderators: {d.address}, {b.address}\n" in one
    assert client.proposal_status(governor, pid).state == "pending"
    many = b.ok(
        "collective",
        "propose",
        shares,
        "--charter",
        "--revenue-bps",
        "2500",
        "--admit",
        f"{d.address}:1",
        "--pay",
        "ETH:" + d.address + ":0.01",
    )
    lines = many.splitlines()
    assert lines[1:5] == [
        f"  approve charter hash 0x{client.charter_hash_of(shares).hex()}",  # the same charter
        "  set the treasury's part of income to 2500 bps",
        f"  admit {d.address}: 1 shares",
        f"  pay 0.01 ETH to {d.address}",
    ]
    refused = d.run("collective", "propose", shares, "--revenue-bps", "0")
    assert refused.code == 1 and f"propose: {d.address} has 0 votes, proposing takes 1" in refused.stderr

    mine(client, COLLECTIVE_GOVERNANCE["votingDelay"] + 1)
    assert a.ok("collective", "vote", shares, str(pid), "for").startswith(
        "voted for with 5 shares; so far for 5,"
    )
    said = c.ok("collective", "vote", shares, str(pid), "against", "--reason", "the old team is fine")
    assert said.startswith("voted against with 2 shares; so far for 5, against 2, abstain 0")
    twice = c.run("collective", "vote", shares, str(pid), "abstain")
    assert twice.code == 1 and f"vote: {c.address} has already voted on this proposal" in twice.stderr
    mine(client, COLLECTIVE_GOVERNANCE["votingPeriod"])
    assert client.proposal_status(governor, pid).state == "succeeded"
    late = b.run("collective", "vote", shares, str(pid), "for")
    assert late.code == 1 and "its state is succeeded, this needs active" in late.stderr

    client.tip(keys[7], shares, WAD)
    assert b.ok("collective", "claim", shares) == "claimed 0.27 ETH\n"
    again = b.run("collective", "claim", shares, "--asset", "eth")
    assert again.code == 1 and f"claim: nothing of ether for {b.address} to claim" in again.stderr


def indexed(node: str, path: str, check=lambda body: True) -> dict:  # type: ignore[no-untyped-def]
    """The node's answer at ``path`` once its chain index has caught up so far that ``check`` holds."""

    def ready() -> dict | None:
        r = httpx.get(node + path, timeout=10)
        return r.json() if r.status_code == 200 and check(r.json()) else None

    return wait_for(ready, f"the node's index to serve {path}")


def test_execute_queues_then_runs_and_show_prints_it_all(users, client, devnet, node: str) -> None:
    a, b, c, d = users[:4]
    cid = found(a, "governed")
    shares = shares_of(
        a.ok(
            "collective",
            "launch",
            cid,
            "--founder",
            f"{a.address}:5",
            "--founder",
            f"{b.address}:3",
            "--founder",
            f"{c.address}:2",
            "--treasury-bps",
            "1000",
            "--set-charter",
        )
    )
    mine(client, 1)
    fan = devnet[3][7]
    client.tip(fan, shares, WAD)
    # And a tip in a creator token, which a member adds to the tokens the collective shares.
    token = client.launch_token(fan, "Fan token", "FAN").token
    client.buy(fan, token, 2 * WAD)
    client.tip(fan, shares, 2 * WAD, token=token)
    client.notify_income(devnet[3][2], shares, token)
    pid = proposed_id(
        a.ok(
            "collective", "propose", shares, "--moderators", f"{d.address}", "--description", "Dee moderates"
        )
    )
    early = b.run("collective", "execute", shares, str(pid))
    assert early.code == 75 and f"proposal {pid} is pending: its vote closes at block " in early.stderr
    mine(client, COLLECTIVE_GOVERNANCE["votingDelay"] + 1)
    a.ok("collective", "vote", shares, str(pid), "for")
    b.ok("collective", "vote", shares, str(pid), "for", "--reason", "yes")
    mine(client, COLLECTIVE_GOVERNANCE["votingPeriod"])
    path = f"/v1/collectives/{shares}/proposals/{pid}"
    indexed(node, path)

    queued = c.ok("collective", "execute", shares, str(pid))
    assert queued.startswith(f"queued proposal {pid}: it can be executed from ")
    waiting = c.run("collective", "execute", shares, str(pid))
    assert waiting.code == 75, waiting.stderr
    assert f"proposal {pid} is queued: the timelock's delay ends at " in waiting.stderr
    assert " s of chain time)" in waiting.stderr
    assert client.moderators_of(shares) == [a.address]

    client.web3.provider.make_request("evm_increaseTime", [COLLECTIVE_GOVERNANCE["timelockDelay"]])  # type: ignore[arg-type]
    mine(client, 1)
    done = c.ok("collective", "execute", shares, str(pid))
    assert done.startswith(f"executed proposal {pid} (tx 0x")
    assert f"  set moderators: {d.address}\n" in done
    assert client.moderators_of(shares) == [d.address]
    assert c.ok("collective", "execute", shares, str(pid)) == f"proposal {pid} was executed already\n"

    indexed(node, path, lambda p: p["state"] == "executed")
    shown = d.ok("collective", "show", shares, "--member", b.address)
    assert shown.startswith(f"collective {shares}\ncommunity: governed@{a.address}\ncommunity id: {cid}\n")
    assert "charter: approved by the collective" in shown
    assert f"moderators: {d.address}" in shown and "treasury keeps 10% of income" in shown
    rows = re.findall(r"^\W*(0x[0-9a-fA-F]{40})( \*)?\W+(\d+)\W+([\d.]+)\W*$", shown, re.M)
    assert rows == [
        (a.address, "", "5", "50.0"),
        (b.address, " *", "3", "30.0"),
        (c.address, "", "2", "20.0"),
    ]
    assert re.search(r"^\W*ETH\W+0\.1\W+0\W+0\W*$", shown, re.M)  # the treasury's part of the tip
    # The token in its symbol and whole tokens: the treasury's part, the income accounted.
    assert re.search(rf"^\W*FAN {token[:10]}…\W+0\.2\W+2\W+0\W*$", shown, re.M), shown
    assert f"\n{pid}\n  executed; for 8, against 0, abstain 0" in shown
    assert f"  by {a.address}: Dee moderates\n  - set moderators: {d.address}\n" in shown
    assert f"{b.address}: 3 shares; can claim\n  0.27 ETH\n  0.54 FAN ({token})\n" in shown
    assert max(len(line) for line in shown.splitlines()) <= 80, shown
