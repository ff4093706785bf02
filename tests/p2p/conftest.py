"""Real parts for p2p tests: signed messages, SQLite stores in tmp dirs, libp2p hosts on
127.0.0.1 with ephemeral ports, each node a trio task that the test stops when it ends."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trio

from node.config import P2PSettings
from node.messages import encode_message, sign_message
from node.p2p import P2PNode, serve
from node.p2p.framing import read_frame, write_frame
from node.store import Store

CHAIN = 31337
T0 = 1_700_000_000

logging.getLogger("libp2p").setLevel(logging.CRITICAL)
logging.getLogger("async_service").setLevel(logging.CRITICAL)


def make_messages(n: int, *, key: bytes | None = None, start: int = 0, tag: str = "") -> list[bytes]:
    """``n`` real signed Post messages (wire form) with distinct timestamps and texts."""
    key = key or os.urandom(32)
    return [
        encode_message(
            sign_message("Post", {"text": f"post {tag}{start + i}", "timestamp": T0 + start + i}, key, CHAIN)
        )
        for i in range(n)
    ]


@pytest.fixture(scope="session")
def shared_messages() -> list[bytes]:
    return make_messages(6000, tag="shared-")


class Nodes:
    """Start and stop p2p nodes inside one nursery; every node's store lives in ``tmp``."""

    def __init__(self, nursery: trio.Nursery, tmp: Path) -> None:
        self.nursery = nursery
        self.tmp = tmp
        self.scopes: dict[str, trio.CancelScope] = {}
        self.stores: dict[str, Store] = {}

    def store(self, name: str) -> Store:
        if name not in self.stores:
            self.stores[name] = Store(self.tmp / f"{name}.sqlite", CHAIN, synchronous="NORMAL")
        return self.stores[name]

    async def start(self, name: str, *, bootstrap: tuple[str, ...] = (), **kw: object) -> P2PNode:
        """Start node ``name``; ``kw`` overrides its :class:`P2PSettings` (names checked: the
        settings ignore unknown ones)."""
        assert set(kw) <= set(P2PSettings.model_fields), (
            f"not p2p settings: {set(kw) - set(P2PSettings.model_fields)}"
        )
        store = self.store(name)
        options = {"listen": "/ip4/127.0.0.1/tcp/0", "sync_interval_seconds": 3600.0, **kw}
        settings = P2PSettings.model_validate({**options, "bootstrap": list(bootstrap)})

        async def run(task_status: trio.TaskStatus[P2PNode] = trio.TASK_STATUS_IGNORED) -> None:
            with trio.CancelScope() as scope:
                self.scopes[name] = scope
                await serve(settings, self.tmp / name, CHAIN, store, task_status=task_status)

        return await self.nursery.start(run)

    def stop(self, name: str) -> None:
        self.scopes.pop(name).cancel()

    def close(self) -> None:
        for scope in self.scopes.values():
            scope.cancel()
        for store in self.stores.values():
            store.close()


async def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    with trio.move_on_after(timeout):
        while not predicate():
            await trio.sleep(0.05)
        return
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def wait_mesh(*nodes: P2PNode, timeout: float = 10) -> None:
    """Gossipsub only fills its mesh at a heartbeat; wait until every node has a mesh peer."""
    await wait_for(lambda: all(n.pubsub.router.mesh.get(n.topic) for n in nodes), timeout, "gossip mesh")


async def open_sync(stream: Any) -> None:
    """Open a sync session on ``stream`` as a node serving everything does: SCOPES both ways."""
    await write_frame(stream, b"\x08\x01\x00", timeout=5)
    assert (await read_frame(stream, max_size=1 << 20, timeout=5))[:1] == b"\x08"
