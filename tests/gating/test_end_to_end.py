"""Exclusive content end to end: anvil, the real contracts, two full nodes over loopback.

The creator's node (C) holds the content keys and a delegated grant signer; the other node (P)
is a plain peer. Fan A holds the creator's token, fan B does not, then buys; the creator's node
goes away and both fans still read through P; A sells below the minimum and cannot read a new
post. The CLI's ``post --gate`` logic publishes, and ``mecenate read`` reads through P at the end.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import httpx
import pytest
import trio
from eth_account import Account
from eth_account.messages import encode_defunct

from benchmarks._devnet import mecenate_devnet
from node import service
from node.chain import ChainClient, Deployment
from node.cli.exclusive import publish_gated
from node.config import load_settings
from node.gating import Balance, GrantBinding, decrypt_content, keypair_from_eth_key, parse_gate, unwrap
from node.identity import Keyring
from node.messages import message_to_json
from tests.gating.test_no_key_leaks import _assert_clean

CHAIN = 31337
ADMIN = "creator-node-admin"
WHOLE = 10**18


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):  # type: ignore[no-untyped-def]
    """anvil with the factory and the tip jar deployed; yields (rpc url, deployments dir, keys)."""
    directory = tmp_path_factory.mktemp("deployments")
    with mecenate_devnet(directory) as (url, artifacts, keys):
        yield url, directory, artifacts, keys


def node_settings(tmp_path: Path, name: str, url: str, deployments: Path, bootstrap=None, admin=""):  # type: ignore[no-untyped-def]
    return load_settings(
        data_dir=tmp_path / name,
        api={"port": 0, "admin_token": admin},
        p2p={"listen": "/ip4/127.0.0.1/tcp/0", "bootstrap": bootstrap or [], "sync_interval_seconds": 1},
        chain={
            "rpc_url": url,
            "deployments_dir": deployments,
            "confirmations": 0,
            "poll_interval_seconds": 0.2,
        },
    )


async def run_node(settings, scope: trio.CancelScope, task_status=trio.TASK_STATUS_IGNORED):  # type: ignore[no-untyped-def]
    with scope:
        await service.serve(settings, task_status=task_status)


async def mecenate(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``mecenate ARGS`` in a process of its own, with ``env`` added to this one's environment:
    the CLI test runner would set ``env`` in this process's ``os.environ`` while the nodes'
    worker threads read it (a race that lost a run: a key gone mid-iteration)."""
    result = await trio.run_process(
        [sys.executable, "-m", "node.cli", *args],
        env={**os.environ, **env},
        capture_stdout=True,
        capture_stderr=True,
        check=False,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


async def eventually(fn, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    """Await ``fn()`` until it returns something truthy; return that."""
    with trio.fail_after(timeout):
        while True:
            value = await fn()
            if value:
                return value
            await trio.sleep(0.1)


async def test_holders_read_non_holders_do_not_and_grants_outlive_the_creators_node(devnet, tmp_path, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG, logger="node")
    url, deployments, artifacts, keys = devnet
    creator, fan_a, fan_b = keys[2], keys[3], keys[4]
    chain = ChainClient(url, artifacts, Deployment.load(deployments, CHAIN))

    def thread(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        return trio.to_thread.run_sync(partial(fn, *args, **kwargs))

    token = (await thread(chain.launch_token, creator, "Creator", "CRE")).token
    await thread(chain.buy, fan_a, token, 10 * WHOLE)
    gate = Balance(CHAIN, token, 5 * WHOLE)

    c_scope, p_scope = trio.CancelScope(), trio.CancelScope()
    async with trio.open_nursery() as nursery, httpx.AsyncClient(timeout=30) as http:
        c = await nursery.start(
            run_node, node_settings(tmp_path, "c", url, deployments, admin=ADMIN), c_scope
        )
        p = await nursery.start(
            run_node, node_settings(tmp_path, "p", url, deployments, bootstrap=c.p2p.addrs), p_scope
        )

        # both fans publish their encryption key, through the plain peer
        for fan in (fan_a, fan_b):
            value = "0x" + keypair_from_eth_key(fan.private_key).public_key.hex()
            msg = fan.sign("Profile", {"field": "encryptionKey", "value": value}, chain_id=CHAIN)
            assert (await http.post(p.api_url + "/v1/messages", json=message_to_json(msg))).status_code == 201

        async def synced_to_c() -> bool:
            profile = (await http.get(f"{c.api_url}/v1/users/{fan_b.address}/profile")).json()
            return "encryptionKey" in profile.get("fields", {})

        await eventually(synced_to_c)

        # the creator publishes, as `mecenate post --gate TOKEN:5` does
        cli_settings = load_settings(api={"admin_token": ADMIN}, chain_id=CHAIN)
        answer = await thread(
            publish_gated, cli_settings, creator, "the secret track", gate, "new track!", c.api_url
        )
        post_id = answer["post"]
        assert answer["outcome"] == "accepted" and answer["signer"] == c.gating.signer_address
        assert answer["delegated"] is True  # publish_gated sent the SignerAdd first

        async def grant_on(node, fan):  # type: ignore[no-untyped-def]
            r = await http.get(f"{node.api_url}/v1/posts/{post_id}/grants/{fan.address}")
            return r.json() if r.status_code == 200 else None

        async def read(node, fan, pid=None) -> str:  # type: ignore[no-untyped-def]
            pid = pid or post_id
            post = (await http.get(f"{node.api_url}/v1/posts/{pid}")).json()["post"]["message"]
            grant = (await http.get(f"{node.api_url}/v1/posts/{pid}/grants/{fan.address}")).json()
            key = unwrap(
                bytes.fromhex(grant["message"]["wrappedKey"][2:]),
                keypair_from_eth_key(fan.private_key),
                GrantBinding(CHAIN, bytes.fromhex(pid[2:]), post["author"], fan.address),
            )
            body = decrypt_content(
                bytes.fromhex(post["ciphertext"][2:]),
                key,
                chain_id=CHAIN,
                author=post["author"],
                gate=parse_gate(post["gate"]),
            )
            return body.decode()

        # A holds: a grant is made on C and reaches P
        await eventually(lambda: grant_on(p, fan_a))
        assert await read(p, fan_a) == "the secret track"

        # B does not hold: no grant, and online unlock is refused
        assert await grant_on(c, fan_b) is None
        challenge = await http.post(
            f"{c.api_url}/v1/posts/{post_id}/unlock/challenge", json={"address": fan_b.address}
        )
        text = challenge.json()["message"]
        sig = Account.sign_message(encode_defunct(text=text), fan_b.private_key)
        refused = await http.post(
            f"{c.api_url}/v1/posts/{post_id}/unlock",
            json={"message": text, "signature": "0x" + bytes(sig.signature).hex()},
        )
        assert (refused.status_code, refused.json()["reason"]) == (403, "gate_not_met")
        assert "key" not in refused.json()

        # B buys enough: the indexer's Transfer makes C grant automatically, and P gets it
        await thread(chain.buy, fan_b, token, 6 * WHOLE)
        await eventually(lambda: grant_on(p, fan_b))
        assert await read(p, fan_b) == "the secret track"

        # A sells below the minimum, then the creator posts again: no grant for A this time
        await thread(chain.sell, fan_a, token, 8 * WHOLE)
        second = await thread(publish_gated, cli_settings, creator, "the second track", gate, "", c.api_url)

        async def b_has_second():  # type: ignore[no-untyped-def]
            r = await http.get(f"{p.api_url}/v1/posts/{second['post']}/grants/{fan_b.address}")
            return r.status_code == 200

        await eventually(b_has_second)
        assert (
            await http.get(f"{c.api_url}/v1/posts/{second['post']}/grants/{fan_a.address}")
        ).status_code == 404
        challenge = await http.post(
            f"{c.api_url}/v1/posts/{second['post']}/unlock/challenge", json={"address": fan_a.address}
        )
        text = challenge.json()["message"]
        sig = Account.sign_message(encode_defunct(text=text), fan_a.private_key)
        refused = await http.post(
            f"{c.api_url}/v1/posts/{second['post']}/unlock",
            json={"message": text, "signature": "0x" + bytes(sig.signature).hex()},
        )
        assert (refused.status_code, refused.json()["reason"]) == (403, "gate_not_met")

        # `mecenate unlock POST`: B proves holding to the creator's node and reads
        keys_dir = tmp_path / "keys"
        Keyring(keys_dir, scrypt_n=1 << 10).add(fan_b, "pw")
        env = {
            "MECENATE_KEYS_DIR": str(keys_dir),
            "MECENATE_KEYSTORE_SCRYPT_N": str(1 << 10),
            "MECENATE_PASSPHRASE": "pw",
            "MECENATE_NODE_URL": c.api_url,
            "MECENATE_ACCOUNT": fan_b.address,
        }
        result = await mecenate(["unlock", second["post"]], env)
        assert result.returncode == 0, result.stderr
        assert "the second track" in result.stdout

        # the creator's node goes away; both fans still read the first post through P
        c_scope.cancel()
        await trio.sleep(0.5)
        with pytest.raises(httpx.TransportError):
            await http.get(c.api_url + "/health")
        assert await read(p, fan_a) == "the secret track"  # a grant cannot be taken back
        assert await read(p, fan_b) == "the secret track"
        assert await read(p, fan_b, second["post"]) == "the second track"

        # and through the command line: `mecenate read POST` against P
        env["MECENATE_NODE_URL"] = p.api_url
        result = await mecenate(["read", post_id], env)
        assert result.returncode == 0, result.stderr
        assert "the secret track" in result.stdout

        # the content keys, recovered from the grants, for the log check below
        secrets = []
        for pid, fan in ((post_id, fan_a), (second["post"], fan_b)):
            grant = p.store.grant(bytes.fromhex(pid[2:]), fan.address)
            binding = GrantBinding(CHAIN, grant.post, grant.author, fan.address)
            secrets.append(
                unwrap(grant.wrappedKey, keypair_from_eth_key(fan.private_key), binding).to_bytes()
            )
        p_scope.cancel()

    # no content key in any log line of either node
    assert caplog.records
    _assert_clean(caplog.text + "\n".join(repr(r.args) for r in caplog.records), secrets)
