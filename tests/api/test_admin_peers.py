"""``POST /v1/admin/peers`` on a full node (store, libp2p, API in one trio run)."""

from __future__ import annotations

from pathlib import Path

import httpx
import trio

from node import service
from tests.test_service import node_settings

ADMIN = {"Authorization": "Bearer admin-secret"}


async def test_a_node_refuses_to_dial_itself(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery, httpx.AsyncClient(timeout=20) as http:
        node = await nursery.start(service.serve, node_settings(tmp_path, "a"))
        for own in node.p2p.addrs:
            r = await http.post(node.api_url + "/v1/admin/peers", params={"multiaddr": own}, headers=ADMIN)
            assert r.status_code == 400, r.text
            assert "own address" in r.json()["detail"]
        status = (await http.get(node.api_url + "/v1/status")).json()
        assert status["p2p"]["peers"] == [] and node.p2p.connected_peers() == []
        nursery.cancel_scope.cancel()
