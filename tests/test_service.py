"""Two full nodes (store + libp2p + HTTP API) in one trio run, talking over loopback.

A message submitted to one node's API shows on the other's API, through gossip or sync.
"""

from __future__ import annotations

import gc
import re
import sys
from pathlib import Path

import httpx
import pytest
import trio

from node import service
from node.config import load_settings
from node.identity import create_key
from node.loopwatch import GIL_SWITCH_INTERVAL_SECONDS
from node.messages import message_to_json


def node_settings(tmp_path: Path, name: str, bootstrap: list[str] | None = None):  # type: ignore[no-untyped-def]
    return load_settings(
        data_dir=tmp_path / name,
        api={"port": 0, "admin_token": "admin-secret"},
        p2p={"listen": "/ip4/127.0.0.1/tcp/0", "bootstrap": bootstrap or [], "sync_interval_seconds": 2},
        chain={"deployments_dir": tmp_path / "no-deployments"},  # no chain: never the developer's devnet
    )


async def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    with trio.fail_after(timeout):
        while not await predicate():
            await trio.sleep(0.1)


async def test_a_post_on_one_node_shows_on_the_other(tmp_path: Path) -> None:
    creator, fan = create_key(), create_key()
    async with trio.open_nursery() as nursery, httpx.AsyncClient() as http:
        a = await nursery.start(service.serve, node_settings(tmp_path, "a"))
        b = await nursery.start(service.serve, node_settings(tmp_path, "b", bootstrap=a.p2p.addrs))

        post = creator.sign("Post", {"text": "made it to the other node"}, chain_id=31337)
        follow = fan.sign("Follow", {"target": creator.address}, chain_id=31337)
        r = await http.post(
            a.api_url + "/v1/messages/batch",
            json={"messages": [message_to_json(post), message_to_json(follow)]},
        )
        assert r.json()["accepted"] == 2

        async def b_has_feed() -> bool:
            feed = (await http.get(f"{b.api_url}/v1/users/{fan.address}/feed")).json()
            return [m["id"] for m in feed["items"]] == ["0x" + post.id.hex()]

        await wait_for(b_has_feed)
        status_a = (await http.get(a.api_url + "/v1/status")).json()
        status_b = (await http.get(b.api_url + "/v1/status")).json()
        assert status_a["fingerprint"] == status_b["fingerprint"]
        assert status_b["p2p"]["peers"], "B should list A as a connected peer"
        metrics = (await http.get(a.api_url + "/metrics")).text
        assert 'mecenate_gossip{kind="published_messages"} 2.0' in metrics
        assert "mecenate_peers 1.0" in metrics
        steps = re.search(r"^mecenate_event_loop_step_seconds_count (\S+)$", metrics, re.M)
        assert steps is not None and float(steps.group(1)) > 0, "the loop watch times the node's steps"

        admin = {"Authorization": "Bearer admin-secret"}
        bad = await http.post(a.api_url + "/v1/admin/peers", params={"multiaddr": "garbage"}, headers=admin)
        assert bad.status_code == 400
        peers = (await http.get(a.api_url + "/v1/admin/peers", headers=admin)).json()
        assert [p["peer_id"] for p in peers["peers"]] == [b.p2p.peer_id]
        nursery.cancel_scope.cancel()


async def test_a_started_node_keeps_its_long_lived_state_out_of_collections_and_favours_its_loop(
    tmp_path: Path,
) -> None:
    """The sync index (at a million messages, thousands of lists holding a million keys) and the
    rest of what lives as long as the node are never visited by the collector's full passes."""
    async with trio.open_nursery() as nursery:
        node = await nursery.start(service.serve, node_settings(tmp_path, "a"))
        tracked = gc.get_objects()
        for long_lived in (node.p2p.index, node.store, node.settings):
            assert not any(o is long_lived for o in tracked), type(long_lived).__name__
        assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_INTERVAL_SECONDS)  # the GIL back soon
        nursery.cancel_scope.cancel()
