"""The API's graph reads run on the event loop within a budget; one over it is answered from a
worker thread instead, in full. Here the app runs on this test's trio loop, whose thread keeps a
reader with no budget at all, so any read that SQLite times takes the fallback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from node.api import ApiContext, create_app
from node.identity import create_key
from node.store import ReadOverBudget, Store

CHAIN_ID = 31337
T0 = 1_700_000_000


async def test_a_read_over_the_loop_budget_is_answered_from_a_worker_thread(tmp_path: Path) -> None:
    a, b = create_key(), create_key()
    root = a.sign("Post", {"text": "root", "timestamp": T0}, chain_id=CHAIN_ID)
    replies = [
        b.sign("Post", {"text": f"reply {i}", "timestamp": T0 + 1 + i, "replyTo": root.id}, chain_id=CHAIN_ID)
        for i in range(3000)
    ]
    with Store(tmp_path / "node.sqlite", CHAIN_ID) as store:
        store.ingest([root, *replies])
        store.keep_reader(budget=0.0)
        with pytest.raises(ReadOverBudget):  # on this thread (the loop's), the read is abandoned
            store.thread(root.id, limit=10)

        app = create_app(ApiContext(store, CHAIN_ID))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://node") as http:
            answer = await http.get(f"/v1/posts/0x{root.id.hex()}/thread", params={"limit": 10})
            assert answer.status_code == 200
            assert [m["id"] for m in answer.json()["items"]] == [
                "0x" + m.id.hex() for m in [root, *replies[:9]]
            ]
            message = await http.get(f"/v1/messages/0x{root.id.hex()}")  # a point lookup stays on the loop
            assert message.status_code == 200
