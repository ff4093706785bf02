"""The whole node, end to end: anvil, the real deploy script, two node processes and the CLI.

A creator launches a token and posts; a fan follows, buys tokens and tips the post through
Mecenate; someone else tips the same post straight at the contract with plain web3. Both nodes
show both tips and the supporters from indexed chain logs, and the post and the follow reach
the second node through libp2p.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from web3 import HTTPProvider, Web3

from benchmarks._devnet import MANIFEST, WAD, anvil, deploy_script, dev_accounts, send
from benchmarks._processes import cli, node_env, running_node, wait_for
from node.chain import Artifacts


def test_tips_tokens_and_graph_show_on_both_nodes(tmp_path: Path) -> None:
    with anvil() as rpc:
        w3 = Web3(HTTPProvider(rpc))
        deployment = deploy_script(rpc, tmp_path / "deployments")
        chain_env = {
            "MECENATE_CHAIN__RPC_URL": rpc,
            "MECENATE_CHAIN__DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
            "MECENATE_CHAIN__CONFIRMATIONS": "2",
            "MECENATE_CHAIN__POLL_INTERVAL_SECONDS": "0.3",
            "MECENATE_P2P__SYNC_INTERVAL_SECONDS": "2",
        }
        env_a = node_env(tmp_path / "a", **chain_env)
        with running_node(env_a):
            a = env_a["MECENATE_NODE_URL"]
            bootstrap = httpx.get(a + "/v1/status").json()["p2p"]["addrs"][0]
            env_b = node_env(tmp_path / "b", **chain_env, MECENATE_P2P__BOOTSTRAP=f'["{bootstrap}"]')
            with running_node(env_b):
                b = env_b["MECENATE_NODE_URL"]
                creator, fan, stranger = dev_accounts(5)[2:5]
                as_creator = {"MECENATE_KEYS_DIR": str(tmp_path / "creator-keys")}
                as_fan = {"MECENATE_KEYS_DIR": str(tmp_path / "fan-keys")}
                for who, keys in ((creator, as_creator), (fan, as_fan)):
                    done = cli(env_a, "keys", "import", MECENATE_PRIVATE_KEY=bytes(who.key).hex(), **keys)
                    assert done.stdout.strip() == who.address, done.stderr

                # The creator: a token and a post, through node A.
                launched = cli(env_a, "token", "launch", "Ada Lovelace", "ADA", **as_creator)
                assert "launched ADA" in launched.stdout, launched.stderr
                posted = cli(env_a, "post", "Notes on the Analytical Engine", **as_creator)
                post_id = posted.stdout.split()[-1]
                assert posted.stdout.startswith("accepted") and len(post_id) == 66, posted.stderr

                # The fan: follows, buys 5 tokens, tips the post 0.01 ETH, all through Mecenate.
                assert "accepted" in cli(env_a, "follow", creator.address, **as_fan).stdout
                bought = cli(env_a, "token", "buy", creator.address, "5", **as_fan)
                assert "bought 5 tokens" in bought.stdout, bought.stderr
                tipped = cli(
                    env_a, "tip", creator.address, "0.01", "--post", post_id, "--memo", "thanks", **as_fan
                )
                assert "tipped" in tipped.stdout, tipped.stderr

                # Someone else tips the same post straight at the contract, with plain web3.
                artifacts = Artifacts.load(MANIFEST)
                jar = w3.eth.contract(address=deployment.tip_jar, abi=artifacts.abi("TipJar"))
                send(
                    w3,
                    stranger,
                    jar.functions.tip(creator.address, bytes.fromhex(post_id[2:]), "from elsewhere"),
                    value=3 * 10**16,
                )
                w3.provider.make_request("anvil_mine", [3])  # past the confirmation depth

                for node in (a, b):
                    tips = wait_for(
                        lambda: len(t := httpx.get(f"{node}/v1/posts/{post_id}/tips").json()) == 2 and t,
                        f"both tips on {node}",
                    )
                    assert {(t["tipper"], t["amount"]) for t in tips} == {
                        (fan.address, str(10**16)),
                        (stranger.address, str(3 * 10**16)),
                    }
                    detail = httpx.get(f"{node}/v1/creators/{creator.address}").json()
                    assert detail["token"]["symbol"] == "ADA"
                    assert detail["token"]["supply"] == str(5 * WAD) and detail["token"]["holders"] == 1
                    assert [s["tipper"] for s in detail["top_supporters"]] == [stranger.address, fan.address]
                    assert 'mecenate_chain_indexed{kind="tips"} 2.0' in httpx.get(f"{node}/metrics").text

                # The post and the follow reached node B over libp2p.
                feed = wait_for(
                    lambda: httpx.get(f"{b}/v1/users/{fan.address}/feed").json()["items"], "the feed on B"
                )
                assert feed[0]["id"] == post_id
                followers = httpx.get(f"{b}/v1/users/{creator.address}/followers").json()["items"]
                assert [f["follower"] for f in followers] == [fan.address]
                fan_feed = cli(env_b, "feed", **as_fan)
                assert "Notes on the Analytical Engine" in fan_feed.stdout
