"""The README's community story, end to end: anvil, the real deploy script, a node process and
the ``mecenate`` CLI, each command as a user types it (one keyring, ``--from`` picks the key).

Ada launches her token and founds ``synth``, gated on holding 10 of it, with Bob as moderator.
A fan buys 10 and joins; Nils joins without buying, so the community's view hides his post
(``gate_not_met``) once the node's chain index has seen the fan's buy. Ada posts a paid
partnership; Hal, a hater, replies under it and Ada hides the reply for every viewer; Bob hides
an off-topic post with a reason; the fan mutes Bob, for the fan's own feed only. Then discover
finds Ada, a nano creator with a token-holding fan, and says why; the community is listed under
its topic and search finds the post. Every outcome is read back from the CLI's output and the
node's HTTP API.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from web3 import HTTPProvider, Web3

from benchmarks._devnet import MANIFEST, anvil, deploy_mecenate, deploy_script, dev_accounts
from benchmarks._processes import cli, node_env, running_node, wait_for
from node.chain import Artifacts


def counting_members(node: str, cid: str) -> dict[str, bool] | None:
    """Who is listed as a member and whether they count, or ``None`` while the node cannot say
    (a refusal while its chain index starts is waited out, not failed on)."""
    r = httpx.get(f"{node}/v1/communities/{cid}/members", timeout=10)
    return {m["address"]: m["counts"] for m in r.json()["items"]} if r.status_code == 200 else None


def api(node: str, path: str, **params: str) -> dict:
    r = httpx.get(node + path, params=params, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def devnet_node_env(rpc: str, deployments: Path, directory: Path) -> dict[str, str]:
    """A node's environment on the chain at ``rpc``, its contracts in ``deployments``, once the
    chain mines a block a second as run.sh leaves it after the deploy (so confirmations come
    without traffic)."""
    Web3(HTTPProvider(rpc)).provider.make_request("evm_setIntervalMining", [1])
    return node_env(
        directory,
        MECENATE_CHAIN__RPC_URL=rpc,
        MECENATE_CHAIN__DEPLOYMENTS_DIR=str(deployments),
        MECENATE_CHAIN__POLL_INTERVAL_SECONDS="0.3",
    )


def test_the_readmes_community_story_on_the_devnet(tmp_path: Path) -> None:
    with anvil() as rpc:
        deploy_script(rpc, tmp_path / "deployments")
        env = devnet_node_env(rpc, tmp_path / "deployments", tmp_path / "node")
        with running_node(env):
            node = env["MECENATE_NODE_URL"]

            def ok(*args: str) -> str:
                """``mecenate *args``: must succeed; its stdout."""
                done = cli(env, *args)
                assert done.returncode == 0, (args, done.stdout, done.stderr)
                return done.stdout

            ada, bob, fan, nils, hal, sponsor = dev_accounts(8)[2:8]
            for who in (ada, bob, fan, nils, hal):
                assert ok("keys", "import", "--private-key", bytes(who.key).hex()).strip() == who.address
            ADA, BOB, FAN, NILS, HAL, SPONSOR = (a.address for a in (ada, bob, fan, nils, hal, sponsor))

            # 1. Ada: a profile, her token, and synth, gated on holding 10 ADA, Bob moderating.
            assert ok("profile", "set", "name", "Ada", "--from", ADA).startswith("accepted ")
            assert "launched ADA" in ok("token", "launch", "Ada Lovelace", "ADA", "--from", ADA)
            created = ok(
                "community", "create", "synth", "--name", "Synth makers", "--topics", "music,modular",
                "--gate", f"{ADA}:10", "--moderators", BOB, "--from", ADA,
            )  # fmt: skip
            first, *fields = created.splitlines()
            cid = first.removeprefix("community ")
            assert [f.split()[:2] for f in fields] == [
                ["name:", "accepted"],
                ["topics:", "accepted"],
                ["gate:", "accepted"],
                ["moderators:", "accepted"],
            ], created
            charter = api(node, f"/v1/communities/{cid}")
            assert charter["founder"] == ADA and charter["moderators"] == sorted([ADA, BOB])
            assert '"minBalance":"10000000000000000000"' in charter["charter"]["gate"]
            synth = f"synth@{ADA}"

            # 2. The fan buys 10 ADA and joins; Nils joins without buying. Both post.
            assert "bought 10 tokens" in ok("token", "buy", ADA, "10", "--from", FAN)
            assert ok("community", "join", synth, "--from", FAN).startswith("accepted ")
            assert ok("community", "join", synth, "--from", NILS).startswith("accepted ")
            drone = ok("community", "post", synth, "My first patch: a drone in D", "--from", FAN).split()[1]
            moog = ok("community", "post", synth, "Is a Moog worth it?", "--from", NILS).split()[1]
            wait_for(
                lambda: counting_members(node, cid) == {FAN: True, NILS: False},
                "the chain index to see the fan's buy (the fan counts, Nils does not)",
            )
            members = ok("community", "members", synth)
            (fan_line,) = [line for line in members.splitlines() if line.startswith(FAN)]
            (nils_line,) = [line for line in members.splitlines() if line.startswith(NILS)]
            assert "does not count" not in fan_line
            assert nils_line.endswith("(does not count: the gate is not met)")
            view = ok("community", "posts", synth)
            assert "My first patch" in view and "Is a Moog worth it?" not in view
            assert "1 hidden (--show-hidden lists them" in view
            listed = ok("community", "posts", synth, "--show-hidden")
            assert "Is a Moog worth it?" in listed and "hidden: gate_not_met" in listed
            page = api(node, f"/v1/communities/{cid}/posts", show_hidden="true")
            assert [h["reason"] for h in page["hidden"][moog]] == ["gate_not_met"]
            assert drone in [p["id"] for p in page["items"]] and drone not in page["hidden"]

            # 3. Ada posts a paid partnership: disclosed by the CLI and by the API.
            posted = ok(
                "community", "post", synth, "Sequencer patch notes", "--paid-by", SPONSOR, "--from", ADA
            ).splitlines()
            notes = posted[0].removeprefix("accepted ")
            assert posted[0] == f"accepted {notes}" and posted[1].endswith(f"paid partnership with {SPONSOR}")
            assert api(node, f"/v1/posts/{notes}")["paid_by"] == [SPONSOR]
            assert f"paid partnership with {SPONSOR}" in ok("community", "posts", synth)

            # 4. Hal replies under it; Ada hides the reply for every viewer, and says so on request.
            hate = ok("post", "Overrated noise", "--reply-to", notes, "--from", HAL).split()[1]
            assert hate in [p["id"] for p in api(node, f"/v1/posts/{notes}/thread")["items"]]
            assert ok("hide-reply", hate, "--from", ADA).startswith("accepted ")
            for seen_by in ((), ("--viewer", FAN)):
                thread = ok("thread", notes, *seen_by)
                assert "Sequencer patch notes" in thread and "Overrated noise" not in thread, seen_by
                assert "1 hidden (--show-hidden lists them" in thread
            listed = ok("thread", notes, "--show-hidden")
            assert "Overrated noise" in listed and f"hidden: hidden_by_post_author by {ADA}" in listed
            assert "1 hidden\n" in listed
            thread = api(node, f"/v1/posts/{notes}/thread", viewer=FAN, show_hidden="true")
            assert [(h["reason"], h["by"]) for h in thread["hidden"][hate]] == [
                ("hidden_by_post_author", ADA)
            ]

            # 5. Bob, a moderator, hides an off-topic post with a reason; it is still served.
            car = ok("community", "post", synth, "Selling my car, DM me", "--from", FAN).split()[1]
            assert ok("mod-hide", synth, car, "--reason", "off topic", "--from", BOB).startswith("accepted ")
            assert "Selling my car" not in ok("community", "posts", synth)
            listed = ok("community", "posts", synth, "--show-hidden")
            assert "Selling my car" in listed
            assert f'hidden: hidden_by_moderator by {BOB}: "off topic"' in listed
            assert api(node, f"/v1/posts/{car}")["post"]["message"]["text"] == "Selling my car, DM me"

            # 6. The fan mutes Bob: gone from the fan's feed, still in everyone else's view.
            sale = ok("community", "post", synth, "Patch cable sale this week", "--from", BOB).split()[1]
            feed = api(node, f"/v1/users/{FAN}/feed", algorithm="communities")
            assert sale in [p["id"] for p in feed["items"]]
            assert ok("mute", BOB, "--from", FAN).startswith("accepted ")
            feed = ok("feed", "--algorithm", "communities", "--from", FAN)
            assert "Sequencer patch notes" in feed and "Patch cable sale" not in feed
            ranked = ok("feed", "--algorithm", "engagement", "--from", FAN)
            assert "Sequencer patch notes" in ranked and "Patch cable sale" not in ranked
            assert "score " in ranked and " repliers, " in ranked  # each rank explained
            feed = api(node, f"/v1/users/{FAN}/feed", algorithm="communities", show_hidden="true")
            assert [h["reason"] for h in feed["hidden"][sale]] == ["muted"]
            assert "Patch cable sale" in ok("community", "posts", synth, "--viewer", ADA)
            assert "Patch cable sale" not in ok("community", "posts", synth, "--viewer", FAN)

            # 7. Discover finds Ada, a nano creator, and explains her score; synth is listed under
            # music; search finds the post.
            found = ok("discover", "--band", "nano")
            assert f"1. {ADA} score " in found and "(nano, 0 followers)" in found.split("\n", 2)[1]
            assert "1 by buy" in found
            creators = api(node, "/v1/discover/creators", band="nano")["creators"]
            assert creators[0]["creator"] == ADA and creators[0]["band"] == "nano"
            assert creators[0]["explanation"]["by_kind"]["buy"]["engagers"] == 1
            listed = ok("community", "list", "--topic", "music")
            assert f"synth@{ADA} {cid}" in listed and "Synth makers [modular, music]" in listed
            assert notes in ok("search", "sequencer patch")


def test_the_demo_plays_the_community_story(tmp_path: Path) -> None:
    """``mecenate demo --communities``, as a developer runs it on run.sh's devnet (here a fresh
    one, the contracts deployed with plain web3): every step's outcome is printed as the node
    shows it, and a second run on the same chain plays it again."""
    with anvil() as rpc:
        w3 = Web3(HTTPProvider(rpc))
        owner, fees = dev_accounts(2)
        deploy_mecenate(w3, owner, fees, Artifacts.load(MANIFEST), tmp_path / "deployments")
        env = devnet_node_env(rpc, tmp_path / "deployments", tmp_path / "node")
        with running_node(env):
            ada, babbage, mary, nils = (a.address for a in dev_accounts(6)[2:6])
            for run in (1, 2):
                played = cli(env, "demo", "--communities")
                assert played.returncode == 0, (run, played.stdout, played.stderr)
                shown = played.stdout
                assert ("launched ADA" if run == 1 else "ADA already launched") in shown
                assert f"{mary} since " in shown and f"{nils} since " in shown
                assert (
                    "(does not count: the gate is not met)" in shown.split(f"{nils} since ")[1].split("\n")[0]
                )
                assert "hidden: gate_not_met" in shown
                assert "paid partnership with " in shown
                assert f"hidden: hidden_by_post_author by {ada}" in shown
                assert f'hidden: hidden_by_moderator by {babbage}: "off topic"' in shown
                assert f"hidden: muted by {mary}" in shown
                assert "Patch cable sale" in shown.split("everyone else's view of synth")[1]
                assert f"1. {ada} score " in shown and "by buy" in shown
                assert f"synth@{ada} " in shown and "Synth makers [modular, music]" in shown
                assert "Sequencer patch notes" in shown.split("discover, communities by topic, search")[1]
