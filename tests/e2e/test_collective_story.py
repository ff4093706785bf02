"""The collective story, end to end: anvil, the real deploy script (a development chain's
governance: 20-block votes, a 60-second timelock), a node process and the ``mecenate`` CLI, each
command as a user types it (one keyring, ``--from`` picks the key).

Ada founds ``coop`` with Bob as moderator and launches its collective with three founding
members (Ada 5 shares, Ben 4, Cy 1), the treasury taking 10 %. Two fans tip the community through
the tip jar; Ben and Cy claim their part, pro rata to their shares. Bob hides a post. The
members vote Bob out and Dee in: once the decision has passed the vote and the timelock and the
node has indexed the block it executed in, Bob's hides no longer count, a new one is ignored,
and Dee's counts. Cy then proposes Eve alone; with 1 share of 10 his vote misses the 20 %
quorum, the proposal is defeated, execute refuses it and nothing changes. Every outcome is read
back from the CLI's output, the node's HTTP API and the chain.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from web3 import HTTPProvider, Web3

from benchmarks._devnet import anvil, deploy_script, dev_accounts
from benchmarks._processes import cli, running_node, wait_for
from tests.e2e.test_community_story import api, devnet_node_env

ETH = "0x" + "00" * 20
WEI = 10**18


def test_a_community_owned_by_its_members(tmp_path: Path) -> None:
    with anvil() as rpc:
        deploy_script(rpc, tmp_path / "deployments")
        env = devnet_node_env(rpc, tmp_path / "deployments", tmp_path / "node")
        w3 = Web3(HTTPProvider(rpc))
        with running_node(env):
            node = env["MECENATE_NODE_URL"]

            def run(*args: str) -> tuple[int, str, str]:
                done = cli(env, *args)
                return done.returncode, done.stdout, done.stderr

            def ok(*args: str) -> str:
                """``mecenate *args``: must succeed; its stdout."""
                code, stdout, stderr = run(*args)
                assert code == 0, (args, stdout, stderr)
                return stdout

            def advance(blocks: int = 0, seconds: int = 0) -> None:
                """What a developer waits for on the devnet, at once."""
                if seconds:
                    w3.provider.make_request("evm_increaseTime", [seconds])
                w3.provider.make_request("anvil_mine", [hex(max(blocks, 1))])

            people = dev_accounts(10)[2:10]
            for who in people:
                ok("keys", "import", "--private-key", bytes(who.key).hex())
            ADA, BEN, CY, BOB, DEE, EVE, FAN, FAN2 = (a.address for a in people)

            # 1. Ada founds coop with Bob as moderator, and launches its collective.
            cid = ok(
                "community", "create", "coop", "--name", "Makers' co-op", "--about", "Owned by its members",
                "--moderators", BOB, "--from", ADA,
            ).splitlines()[0].removeprefix("community ")  # fmt: skip
            coop = f"coop@{ADA}"
            launched = ok(
                "collective", "launch", coop, "--founder", f"{ADA}:5", "--founder", f"{BEN}:4",
                "--founder", f"{CY}:1", "--treasury-bps", "1000", "--moderator", BOB, "--set-charter",
                "--from", ADA,
            )  # fmt: skip
            found = re.search(r"^shares:\s+(0x[0-9a-fA-F]{40}) ", launched, re.M)
            assert found, launched
            shares = found.group(1)

            def community() -> dict:
                return api(node, f"/v1/communities/{cid}")

            standing = wait_for(
                lambda: (c := community())["collective"] and c["collective"]["status"] == "approved" and c,
                "the node to index the launch and approve the charter",
            )
            assert standing["moderators"] == [BOB] and standing["collective"]["address"] == shares
            shown = ok("community", "show", coop)
            assert f"moderators: {BOB} (chosen by the collective's members since block" in shown
            assert f"collective: {shares} (charter approved by its members)" in shown
            members = api(node, f"/v1/collectives/{shares}/members")
            assert [(m["address"], m["shares"]) for m in members["items"]] == [
                (ADA, "5"),
                (BEN, "4"),
                (CY, "1"),
            ]

            # 2. Fans tip the community (the collective is the creator); Ben and Cy claim.
            ok("tip", shares, "0.6", "--memo", "for the co-op", "--from", FAN)
            ok("tip", shares, "0.4", "--from", FAN2)
            income = int(0.9 * WEI)  # a tenth to the treasury, the rest pro rata
            for member, part in ((BEN, 4), (CY, 1)):
                before = w3.eth.get_balance(member)
                claimed = ok("collective", "claim", shares, "--from", member)
                receipt_fee = before + income * part // 10 - w3.eth.get_balance(member)
                assert 0 < receipt_fee < 10**15, claimed  # received its part, less the gas
            treasury = wait_for(
                lambda: (
                    (t := api(node, f"/v1/collectives/{shares}/treasury")["assets"][0])["claimed"] != "0"
                    and t["claimed"] == str(income // 2)
                    and t
                ),
                "the node to index both claims",
            )
            assert (treasury["asset"], treasury["income"], treasury["treasury"]) == (
                "ETH",
                str(WEI),
                str(WEI // 10),
            )
            claimable = api(node, f"/v1/collectives/{shares}/claimable/{ADA}")["assets"]
            assert claimable == [
                {"asset": "ETH", "symbol": "ETH", "decimals": 18, "claimable": str(income * 5 // 10)}
            ]

            # 3. A fan posts twice; Bob, a moderator, hides the first.
            ok("community", "join", coop, "--from", FAN)
            first = ok("community", "post", coop, "Selling my old synth", "--from", FAN).split()[1]
            second = ok("community", "post", coop, "Buy followers here", "--from", FAN).split()[1]
            ok("mod-hide", coop, first, "--reason", "no sales", "--from", BOB)

            def hidden() -> dict[str, list[tuple[str, str]]]:
                page = api(node, f"/v1/communities/{cid}/posts", show_hidden="true")
                return {p: [(h["by"], h["detail"]) for h in hs] for p, hs in page["hidden"].items()}

            assert hidden() == {first: [(BOB, "no sales")]}

            # 4. The members vote Bob out and Dee in; it passes the vote, then the timelock.
            proposed = ok(
                "collective",
                "propose",
                shares,
                "--moderators",
                DEE,
                "--description",
                "Dee moderates",
                "--from",
                ADA,
            )
            replace = proposed.splitlines()[0].split()[1]
            advance(2)
            for member in (ADA, BEN):
                ok("collective", "vote", shares, replace, "for", "--from", member)
            code, _, said = run("collective", "execute", shares, replace, "--from", CY)
            assert code == 75 and "active" in said  # the vote is still open: nothing happens
            advance(21)
            wait_for(
                lambda: api(node, f"/v1/collectives/{shares}/proposals/{replace}")["state"] == "succeeded",
                "the node to see the vote succeed",
            )
            assert "queued" in ok("collective", "execute", shares, replace, "--from", CY)
            code, _, said = run("collective", "execute", shares, replace, "--from", CY)
            assert code == 75 and "delay" in said  # the timelock: members may still leave
            assert community()["moderators"] == [BOB]
            advance(1, seconds=61)
            ok("collective", "execute", shares, replace, "--from", CY)
            executed = w3.eth.block_number
            changed = wait_for(
                lambda: (c := community())["moderators"] == [DEE] and c, "the node to index the execution"
            )
            assert changed["collective"]["moderatorsSince"] == executed
            proposal = api(node, f"/v1/collectives/{shares}/proposals/{replace}")
            assert (proposal["state"], proposal["votes"]["for"]) == ("executed", "9")

            # 5. From that block on: Bob's hides do not count, a new one is ignored, Dee's counts.
            assert hidden() == {}
            refused = cli(env, "mod-hide", coop, second, "--reason", "spam", "--from", BOB)
            assert refused.returncode == 0 and "you do not moderate this community" in refused.stderr
            assert hidden() == {}
            ok("mod-hide", coop, second, "--reason", "spam", "--from", DEE)
            assert hidden() == {second: [(DEE, "spam")]}
            view = ok("community", "posts", coop)
            assert "Selling my old synth" in view and "Buy followers here" not in view

            # 6. Cy alone proposes Eve: 1 share of 10 misses the 20 % quorum; nothing changes.
            proposed = ok(
                "collective", "propose", shares, "--moderators", EVE, "--description", "Eve", "--from", CY
            )
            lone = proposed.splitlines()[0].split()[1]
            advance(2)
            ok("collective", "vote", shares, lone, "for", "--from", CY)
            advance(21)
            wait_for(
                lambda: api(node, f"/v1/collectives/{shares}/proposals/{lone}")["state"] == "defeated",
                "the node to see the vote fail its quorum",
            )
            code, _, said = run("collective", "execute", shares, lone, "--from", CY)
            assert code == 65 and "defeated" in said
            advance(3, seconds=61)
            assert community()["moderators"] == [DEE]
            assert hidden() == {second: [(DEE, "spam")]}
            shown = ok("collective", "show", shares)
            assert "defeated" in shown and "executed" in shown
            r = httpx.get(f"{node}/v1/collectives/{shares}/proposals/{int(lone) + 1}", timeout=10)
            assert r.status_code == 404 and r.json()["reason"] == "no_proposal"
