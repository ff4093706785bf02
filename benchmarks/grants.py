"""Key-grant benchmark: wrap one post's content key for 1,000 holders on one core.

When a creator publishes a gated post, their node wraps the content key to every qualifying
holder (HPKE, RFC 9180: X25519 + HKDF-SHA256 + AES-256-GCM, :func:`node.gating.wrap`). This
measures that fan-out in grants per second (target >= 1,000/s) against references measured in
the same run, on the same holder keys:

- ``x25519_exchanges_per_s``: raw X25519 key agreements, one scalar multiplication each;
  ``ratio = grants/s / exchanges/s``. A grant needs two scalar multiplications (make the
  ephemeral public key, then agree), so about 0.5 is the ceiling.
- ``floor_per_s``: ephemeral key generation + exchange, the elliptic-curve work of a grant
  alone; ``overhead_ratio = grants/s / floor/s`` shows what HKDF, AES-GCM and Python add.

Also reported: unwraps per second (the holder's side), and two node-level figures:

- ``issued_per_s``: whole grants as the node issues them (:meth:`Gatekeeper.grant_post` on a
  fresh post for every holder: gate check, wrap, sign the ``KeyGrant``, verify and merge it into
  a real store file with fsync), balances from a local table so the chain's RPC speed is not
  what is measured; median of ``--issue-repeat`` posts. This is the figure the >= 1,000/s
  target is about.
- ``unlock_latency_p50_ms``: online unlock on loopback against a real node (``service.serve``:
  HTTP API, store, libp2p, indexer) on anvil: ask for the challenge, sign it, send it; the node
  checks the gate with ``balanceOf`` at the latest block. Reference: ``GET /health`` on the same
  node, ``unlock_ratio = unlock p50 / health p50``. Skipped (null) when anvil or the contracts'
  build manifest is missing.

Each figure is the median of ``--repeat`` timed passes over all holders. Prints the figures,
then, as its last line, one JSON object with them. Run:

    .venv/bin/python benchmarks/grants.py [--holders 1000] [--repeat 7] [--unlocks 200] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cryptography
from _report import emit, machine_info
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)

from node.gating import ContentKey, GrantBinding, generate_keypair, unwrap, wrap

TARGET_GRANTS_PER_S = 1000
CHAIN = 31337
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def measure_issue(holders: int, passes: int) -> float:
    """Grants issued per second by the node's Gatekeeper into a real store (see the docstring)."""
    import tempfile

    from node.gating import Balance, encode_gate, encrypt_content, keypair_from_eth_key
    from node.grants import Gatekeeper, Vault
    from node.identity import create_key
    from node.store import Store

    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "store.sqlite", CHAIN)
        vault = Vault(Path(d) / "gating.sqlite")
        creator = create_key()
        fans = [create_key() for _ in range(holders)]
        store.ingest(
            [
                f.sign(
                    "Profile",
                    {
                        "field": "encryptionKey",
                        "value": "0x" + keypair_from_eth_key(f.private_key).public_key.hex(),
                    },
                    chain_id=CHAIN,
                )
                for f in fans
            ]
        )
        balances = {f.address: 10 for f in fans}
        keeper = Gatekeeper(
            store,
            vault,
            creator,
            chain_id=CHAIN,
            balance_of=lambda token, holder: balances.get(holder, 0),
            holders=lambda token: list(balances),
        )
        gate = Balance(CHAIN, TOKEN, 1)
        timings = []
        for i in range(passes + 1):  # the first pass warms up
            key = ContentKey.generate()
            blob = encrypt_content(b"body %d" % i, key, chain_id=CHAIN, author=creator.address, gate=gate)
            post = creator.sign(
                "Post",
                {
                    "text": "",
                    "gate": encode_gate(gate).decode(),
                    "ciphertext": blob,
                    "timestamp": 1_767_225_600 + i,
                },
                chain_id=CHAIN,
            )
            keeper.accept(post, key)
            start = time.perf_counter()
            issued = keeper.grant_post(post.id)
            timings.append(time.perf_counter() - start)
            assert len(issued) == holders, len(issued)
        vault.close()
        store.close()
    return holders / statistics.median(timings[1:])


def measure_unlock(count: int) -> dict[str, object]:
    """Unlock and /health round trips against a real node on anvil; p50/p90 in milliseconds."""
    import tempfile

    import httpx
    import trio
    from eth_account import Account
    from eth_account.messages import encode_defunct
    from web3 import HTTPProvider, Web3

    from benchmarks._devnet import ANVIL, MANIFEST, anvil, deploy_mecenate, dev_accounts
    from node import service
    from node.chain import Artifacts, ChainClient, Deployment
    from node.cli.exclusive import publish_gated
    from node.config import load_settings
    from node.gating import Balance, keypair_from_eth_key
    from node.identity import import_key
    from node.messages import message_to_json

    if not ANVIL.exists() or not MANIFEST.exists():
        return {"unlock_latency_note": "skipped: anvil or the build manifest is missing"}
    artifacts = Artifacts.load(MANIFEST)
    accounts = dev_accounts(4)
    keys = [import_key(bytes(a.key)) for a in accounts]
    creator, fan = keys[2], keys[3]
    with anvil() as url, tempfile.TemporaryDirectory() as d:
        w3 = Web3(HTTPProvider(url))
        deployments = Path(d) / "deployments"
        deploy_mecenate(w3, accounts[0], accounts[1], artifacts, deployments)
        chain = ChainClient(url, artifacts, Deployment.load(deployments, CHAIN))
        token = chain.launch_token(creator, "Bench", "BEN").token
        chain.buy(fan, token, 10**18)
        settings = load_settings(
            data_dir=Path(d) / "node",
            api={"port": 0, "admin_token": "bench"},
            p2p={"listen": "/ip4/127.0.0.1/tcp/0", "bootstrap": []},
            chain={
                "rpc_url": url,
                "deployments_dir": deployments,
                "confirmations": 0,
                "poll_interval_seconds": 0.5,
            },
            gating={"nonce_capacity": count + 10},
        )
        unlock_ms: list[float] = []
        health_ms: list[float] = []

        async def main() -> None:
            async with trio.open_nursery() as nursery, httpx.AsyncClient(timeout=30) as http:
                node = await nursery.start(service.serve, settings)
                profile = fan.sign(
                    "Profile",
                    {
                        "field": "encryptionKey",
                        "value": "0x" + keypair_from_eth_key(fan.private_key).public_key.hex(),
                    },
                    chain_id=CHAIN,
                )
                await http.post(node.api_url + "/v1/messages", json=message_to_json(profile))
                answer = await trio.to_thread.run_sync(
                    publish_gated,
                    load_settings(api={"admin_token": "bench"}),
                    creator,
                    "bench body",
                    Balance(CHAIN, token, 10**18),
                    "",
                    node.api_url,
                )
                post = answer["post"]
                for i in range(count + 5):  # the first five warm up
                    start = time.perf_counter()
                    r = await http.post(
                        f"{node.api_url}/v1/posts/{post}/unlock/challenge", json={"address": fan.address}
                    )
                    text = r.json()["message"]
                    sig = Account.sign_message(encode_defunct(text=text), fan.private_key).signature
                    r = await http.post(
                        f"{node.api_url}/v1/posts/{post}/unlock",
                        json={"message": text, "signature": "0x" + bytes(sig).hex()},
                    )
                    elapsed = time.perf_counter() - start
                    assert r.status_code == 200, r.text
                    start = time.perf_counter()
                    assert (await http.get(node.api_url + "/health")).status_code == 200
                    if i >= 5:
                        unlock_ms.append(1000 * elapsed)
                        health_ms.append(1000 * (time.perf_counter() - start))
                nursery.cancel_scope.cancel()

        trio.run(main)
    q = statistics.quantiles(unlock_ms, n=10)
    p50, health = statistics.median(unlock_ms), statistics.median(health_ms)
    return {
        "unlock_latency_p50_ms": round(p50, 2),
        "unlock_latency_p90_ms": round(q[-1], 2),
        "unlocks": len(unlock_ms),
        "health_latency_p50_ms": round(health, 2),
        "unlock_ratio": round(p50 / health, 1),
        "unlock_latency_note": "challenge + personal_sign + unlock over loopback HTTP; balanceOf on anvil at latest",
    }


def rate(count: int, passes: int, run: Callable[[], object]) -> float:
    """Median operations per second over ``passes`` timed runs of ``run`` (``count`` ops)."""
    run()  # warm-up: first-call costs (imports, OpenSSL init) are not what we measure
    timings = []
    for _ in range(passes):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return count / statistics.median(timings)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--holders", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument(
        "--issue-repeat", type=int, default=3, help="posts granted to every holder for issued_per_s"
    )
    ap.add_argument("--unlocks", type=int, default=200, help="online unlocks timed (0 skips the node)")
    ap.add_argument("--out", type=Path, help="also write the JSON result to this file")
    args = ap.parse_args()

    holders = [generate_keypair() for _ in range(args.holders)]
    publics = [holder.public_key for holder in holders]
    public_objects = [X25519PublicKey.from_public_bytes(raw) for raw in publics]
    key = ContentKey.generate()
    binding = GrantBinding(
        31337, os.urandom(32), "0x" + "a1" * 20, "0x" + "b0" * 20
    )  # cost is the same per holder
    fixed = X25519PrivateKey.generate()
    grants = [wrap(key, raw, binding) for raw in publics]

    def wrap_all() -> None:
        for raw in publics:
            wrap(key, raw, binding)

    def exchange_all() -> None:
        for public in public_objects:
            fixed.exchange(public)

    def floor_all() -> None:
        for public in public_objects:
            X25519PrivateKey.generate().exchange(public)

    def unwrap_all() -> None:
        for holder, grant in zip(holders, grants, strict=False):
            unwrap(grant, holder, binding)

    n, passes = args.holders, args.repeat
    grants_per_s = rate(n, passes, wrap_all)
    exchanges_per_s = rate(n, passes, exchange_all)
    floor_per_s = rate(n, passes, floor_all)
    unwraps_per_s = rate(n, passes, unwrap_all)
    assert all(unwrap(g, h, binding) == key for g, h in zip(grants, holders, strict=False))
    issued_per_s = measure_issue(n, args.issue_repeat)
    unlock = (
        measure_unlock(args.unlocks) if args.unlocks else {"unlock_latency_note": "skipped (--unlocks 0)"}
    )

    result = {
        "benchmark": "grants",
        "holders": n,
        "repeat": passes,
        "grants_per_s": round(grants_per_s),
        "unwraps_per_s": round(unwraps_per_s),
        "x25519_exchanges_per_s": round(exchanges_per_s),
        "floor_per_s": round(floor_per_s),
        "ratio": round(grants_per_s / exchanges_per_s, 3),
        "overhead_ratio": round(grants_per_s / floor_per_s, 3),
        "issued_per_s": round(issued_per_s),
        "issue_ratio": round(issued_per_s / exchanges_per_s, 3),
        "target_grants_per_s": TARGET_GRANTS_PER_S,
        "meets_target": issued_per_s >= TARGET_GRANTS_PER_S,
        "fanout_ms_for_holders": round(1000 * n / grants_per_s, 1),
        "grant_bytes": len(grants[0]),
        "unlock_latency_p50_ms": None,
        **unlock,
        "machine": {**machine_info(), "cryptography": cryptography.__version__},
    }
    print(
        f"wrap        {grants_per_s:10.0f} grants/s  ({n} holders, median of {passes}; target >= {TARGET_GRANTS_PER_S})"
    )
    print(f"unwrap      {unwraps_per_s:10.0f} /s")
    print(f"x25519      {exchanges_per_s:10.0f} exchanges/s (reference)")
    print(f"floor       {floor_per_s:10.0f} keygen+exchange/s")
    print(f"ratio       {grants_per_s / exchanges_per_s:10.3f}     (grants / exchanges; ceiling about 0.5)")
    print(f"overhead    {grants_per_s / floor_per_s:10.3f}     (grants / floor)")
    print(f"fan-out     {1000 * n / grants_per_s:10.1f} ms for {n} holders; {len(grants[0])} bytes per grant")
    print(
        f"issued      {issued_per_s:10.0f} grants/s  (check + wrap + sign + store, median of {args.issue_repeat} posts)"
    )
    if unlock.get("unlock_latency_p50_ms") is not None:
        print(
            f"unlock p50  {unlock['unlock_latency_p50_ms']:10.2f} ms  (p90 {unlock['unlock_latency_p90_ms']} ms; "
            f"/health p50 {unlock['health_latency_p50_ms']} ms)"
        )
    else:
        print(f"unlock      {unlock['unlock_latency_note']}")
    emit(result, args.out)


if __name__ == "__main__":
    main()
