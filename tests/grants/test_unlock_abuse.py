"""Online unlock under abuse, on real parts: a full node (``service.serve``) over HTTP on
loopback, anvil with the real contracts, real signatures.

Clients connect from distinct loopback addresses (127.0.0.2, 127.0.0.3, ...), so the node
tells them apart as it tells hosts apart. The node reaches anvil through :class:`RpcLine`, a TCP
forwarder the test can cut to take the chain down and restore to bring it back.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import trio
from eth_account import Account
from eth_account.messages import encode_defunct

from node import service
from node.cli.exclusive import publish_gated
from node.config import load_settings
from node.gating import Balance, SiweMessage, post_resource
from node.identity import Key

CHAIN = 31337
WHOLE = 10**18
ADMIN = "unlock-abuse-admin"
#: The node's limits in these tests: small, so that a few requests reach them.
CAPACITY, PER_CLIENT, PER_ADDRESS = 12, 4, 2
ATTACKER, HOLDER, OTHERS = "127.0.0.2", "127.0.0.3", ("127.0.0.4", "127.0.0.5")


class RpcLine:
    """A TCP forwarder on loopback in front of the chain's RPC: :meth:`cut` takes the chain down
    (open connections closed, new ones closed at once), :meth:`restore` brings it back."""

    def __init__(self, upstream_url: str) -> None:
        self.upstream_port = urlsplit(upstream_url).port
        self.url = ""
        self.up = True
        self._open: set[trio.CancelScope] = set()

    async def serve(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.url = f"http://127.0.0.1:{listeners[0].socket.getsockname()[1]}"
        task_status.started()
        await trio.serve_listeners(self._forward, listeners)

    async def _forward(self, downstream: trio.SocketStream) -> None:
        async with downstream:
            if not self.up:
                return
            try:
                upstream = await trio.open_tcp_stream("127.0.0.1", self.upstream_port)
            except OSError:
                return
            scope = trio.CancelScope()
            self._open.add(scope)
            try:
                with scope:
                    async with upstream, trio.open_nursery() as nursery:
                        nursery.start_soon(_pump, downstream, upstream, scope)
                        nursery.start_soon(_pump, upstream, downstream, scope)
            finally:
                self._open.discard(scope)

    def cut(self) -> None:
        self.up = False
        for scope in list(self._open):
            scope.cancel()

    def restore(self) -> None:
        self.up = True


async def _pump(source: trio.SocketStream, sink: trio.SocketStream, both: trio.CancelScope) -> None:
    try:
        async for chunk in source:
            await sink.send_all(chunk)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    finally:
        both.cancel()  # one side ended: end the other too


async def _run_node(settings, task_status=trio.TASK_STATUS_IGNORED):  # type: ignore[no-untyped-def]
    await service.serve(settings, task_status=task_status)


@pytest.fixture
async def node(market, tmp_path: Path, nursery):  # type: ignore[no-untyped-def]
    """A full node reading the chain through an :class:`RpcLine`, with one gated post of the
    creator's (5 tokens to read); yields (running node, line, post id)."""
    url, deployments, token, creator = market.url, market.deployments, market.token, market.creator
    line = RpcLine(url)
    await nursery.start(line.serve)
    settings = load_settings(
        data_dir=tmp_path / "node",
        api={"port": 0, "admin_token": ADMIN},
        p2p={"listen": "/ip4/127.0.0.1/tcp/0"},
        chain={
            "rpc_url": line.url,
            "deployments_dir": deployments,
            "confirmations": 0,
            "poll_interval_seconds": 0.2,
        },
        gating={
            "nonce_capacity": CAPACITY,
            "nonces_per_client": PER_CLIENT,
            "nonces_per_address": PER_ADDRESS,
        },
    )
    running = await nursery.start(_run_node, settings)
    post = await publish(running, creator, token)
    yield running, line, post
    nursery.cancel_scope.cancel()


async def publish(running, creator: Key, token: str) -> str:  # type: ignore[no-untyped-def]
    cli = load_settings(api={"admin_token": ADMIN}, chain_id=CHAIN)
    answer = await trio.to_thread.run_sync(
        partial(
            publish_gated, cli, creator, "for holders", Balance(CHAIN, token, 5 * WHOLE), "", running.api_url
        )
    )
    assert answer["outcome"] == "accepted"
    return answer["post"]


def client_from(running, ip: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """An HTTP client whose connections come from loopback address ``ip``."""
    return httpx.AsyncClient(
        base_url=running.api_url, timeout=60, transport=httpx.AsyncHTTPTransport(local_address=ip)
    )


async def challenge(http: httpx.AsyncClient, post: str, address: str) -> httpx.Response:
    return await http.post(f"/v1/posts/{post}/unlock/challenge", json={"address": address})


def signed(text: str, key: Key) -> dict[str, str]:
    signature = Account.sign_message(encode_defunct(text=text), key.private_key).signature
    return {"message": text, "signature": "0x" + bytes(signature).hex()}


async def unlock(http: httpx.AsyncClient, post: str, body: dict[str, str]) -> httpx.Response:
    return await http.post(f"/v1/posts/{post}/unlock", json=body)


async def test_refused_requests_issue_no_nonce(market, node) -> None:  # type: ignore[no-untyped-def]
    """Requests that cannot succeed (an address without its EIP-55 checksum, a post the node has
    no key for, a post that is not gated) are refused before a nonce is issued, so a client that
    sends many of them can still get a challenge afterwards, from the same address."""
    creator, fan = market.creator, market.fan
    running, _line, post = node
    plain = creator.sign("Post", {"text": "free for all"}, chain_id=CHAIN)
    assert running.store.ingest([plain]).results[0].outcome.value == "accepted"
    async with client_from(running, HOLDER) as http:
        for _ in range(CAPACITY + 1):
            assert (await challenge(http, post, fan.address.lower())).status_code == 400
            assert (await challenge(http, "0x" + os.urandom(32).hex(), fan.address)).status_code == 404
            assert (await challenge(http, "0x" + plain.id.hex(), fan.address)).status_code == 404
        assert running.gating.vault.nonces.outstanding() == 0
        r = await challenge(http, post, fan.address)
        assert r.status_code == 200, r.text
        r = await unlock(http, post, signed(r.json()["message"], fan))
        assert r.status_code == 200, r.text


async def test_a_nonce_serves_only_the_address_and_post_it_was_issued_for(market, node) -> None:  # type: ignore[no-untyped-def]
    """Another holder who learns the fan's nonce cannot use it for themselves, on this post or
    another one, and the fan's challenge still works afterwards."""
    token, creator, fan, other_fan = market.token, market.creator, market.fan, market.other_fan
    running, _line, post = node
    second = await publish(running, creator, token)
    async with client_from(running, HOLDER) as http, client_from(running, ATTACKER) as thief:
        r = await challenge(http, post, fan.address)
        assert r.status_code == 200, r.text
        fans = SiweMessage.parse(r.json()["message"])
        for target in (post, second):
            stolen = SiweMessage(
                **{
                    **{f: getattr(fans, f) for f in SiweMessage.__dataclass_fields__},
                    "address": other_fan.address,
                    "resources": (post_resource(bytes.fromhex(target[2:])),),
                }
            )
            refused = await unlock(thief, target, signed(stolen.to_text(), other_fan))
            assert (refused.status_code, refused.json()["reason"]) == (401, "nonce_mismatch"), refused.text
            assert "key" not in refused.json()
        r = await unlock(http, post, signed(fans.to_text(), fan))
        assert r.status_code == 200 and r.json()["holder"] == fan.address, r.text


async def test_a_chain_outage_does_not_use_the_nonce_up(market, node) -> None:  # type: ignore[no-untyped-def]
    """The unlock answers 503 while the chain is down, and the same signed challenge works once
    the chain is back; then it is used up."""
    fan = market.fan
    running, line, post = node
    async with client_from(running, HOLDER) as http:
        r = await challenge(http, post, fan.address)
        assert r.status_code == 200, r.text
        body = signed(r.json()["message"], fan)
        line.cut()
        down = await unlock(http, post, body)
        assert down.status_code == 503, down.text
        line.restore()
        r = await unlock(http, post, body)
        assert r.status_code == 200 and r.json()["holder"] == fan.address, r.text
        again = await unlock(http, post, body)
        assert (again.status_code, again.json()["reason"]) == (401, "replayed")


async def test_one_client_cannot_starve_the_others(market, node) -> None:  # type: ignore[no-untyped-def]
    """A client asking for challenges in many fresh addresses' names is capped at its share, and
    clients asking in the fan's name cannot pile up nonces for it; the fan still unlocks."""
    fan = market.fan
    running, _line, post = node
    async with client_from(running, ATTACKER) as attacker:
        answers = [await challenge(attacker, post, Account.create().address) for _ in range(3 * CAPACITY)]
    statuses = [r.status_code for r in answers]
    assert statuses == [200] * PER_CLIENT + [429] * (3 * CAPACITY - PER_CLIENT), statuses
    assert {r.json()["reason"] for r in answers[PER_CLIENT:]} == {"too_many_pending"}
    for ip in OTHERS:  # others ask in the fan's name: they cannot sign, and the fan's count stays capped
        async with client_from(running, ip) as other:
            for _ in range(PER_ADDRESS + 1):
                assert (await challenge(other, post, fan.address)).status_code == 200
    assert running.gating.vault.nonces.outstanding(address=fan.address) == PER_ADDRESS
    async with client_from(running, HOLDER) as http:
        r = await challenge(http, post, fan.address)
        assert r.status_code == 200, r.text
        r = await unlock(http, post, signed(r.json()["message"], fan))
        assert r.status_code == 200 and r.json()["holder"] == fan.address, r.text
