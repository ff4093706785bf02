"""Key-grant benchmark: wrap one post's content key for 1,000 holders on one core.

When a creator publishes a gated post, their node wraps the content key to every qualifying
holder (ECIES: ephemeral X25519 + HKDF-SHA256 + AES-256-GCM, :func:`node.gating.wrap`). This
measures that fan-out in grants per second (target >= 1,000/s) against references measured in
the same run, on the same holder keys:

- ``x25519_exchanges_per_s``: raw X25519 key agreements, one scalar multiplication each;
  ``ratio = grants/s / exchanges/s``. A grant needs two scalar multiplications (make the
  ephemeral public key, then agree), so about 0.5 is the ceiling.
- ``floor_per_s``: ephemeral key generation + exchange, the elliptic-curve work of a grant
  alone; ``overhead_ratio = grants/s / floor/s`` shows what HKDF, AES-GCM and Python add.

Also reported: unwraps per second (the holder's side). Unlock latency p50 on loopback needs the
node API, which does not exist yet; it is reported as null until then.

Each figure is the median of ``--repeat`` timed passes over all holders. Prints the figures,
then, as its last line, one JSON object with them. Run:

    .venv/bin/python benchmarks/grants.py [--holders 1000] [--repeat 7] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cryptography  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import (  # noqa: E402
    X25519PrivateKey,
    X25519PublicKey,
)

from node.gating import ContentKey, generate_keypair, unwrap, wrap  # noqa: E402

TARGET_GRANTS_PER_S = 1000


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
    ap.add_argument("--out", type=Path, help="also write the JSON result to this file")
    args = ap.parse_args()

    holders = [generate_keypair() for _ in range(args.holders)]
    publics = [holder.public_key for holder in holders]
    public_objects = [X25519PublicKey.from_public_bytes(raw) for raw in publics]
    key = ContentKey.generate()
    post_id = os.urandom(32)
    fixed = X25519PrivateKey.generate()
    grants = [wrap(key, raw, post_id) for raw in publics]

    def wrap_all() -> None:
        for raw in publics:
            wrap(key, raw, post_id)

    def exchange_all() -> None:
        for public in public_objects:
            fixed.exchange(public)

    def floor_all() -> None:
        for public in public_objects:
            X25519PrivateKey.generate().exchange(public)

    def unwrap_all() -> None:
        for holder, grant in zip(holders, grants):
            unwrap(grant, holder, post_id)

    n, passes = args.holders, args.repeat
    grants_per_s = rate(n, passes, wrap_all)
    exchanges_per_s = rate(n, passes, exchange_all)
    floor_per_s = rate(n, passes, floor_all)
    unwraps_per_s = rate(n, passes, unwrap_all)
    assert all(unwrap(g, h, post_id) == key for g, h in zip(grants, holders))

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
        "target_grants_per_s": TARGET_GRANTS_PER_S,
        "meets_target": grants_per_s >= TARGET_GRANTS_PER_S,
        "fanout_ms_for_holders": round(1000 * n / grants_per_s, 1),
        "grant_bytes": len(grants[0]),
        "unlock_latency_p50_ms": None,
        "unlock_latency_note": "needs the node API (not built yet)",
        "python": platform.python_version(),
        "cryptography": cryptography.__version__,
        "platform": platform.platform(),
    }
    print(f"wrap        {grants_per_s:10.0f} grants/s  ({n} holders, median of {passes}; target >= {TARGET_GRANTS_PER_S})")
    print(f"unwrap      {unwraps_per_s:10.0f} /s")
    print(f"x25519      {exchanges_per_s:10.0f} exchanges/s (reference)")
    print(f"floor       {floor_per_s:10.0f} keygen+exchange/s")
    print(f"ratio       {grants_per_s / exchanges_per_s:10.3f}     (grants / exchanges; ceiling about 0.5)")
    print(f"overhead    {grants_per_s / floor_per_s:10.3f}     (grants / floor)")
    print(f"fan-out     {1000 * n / grants_per_s:10.1f} ms for {n} holders; {len(grants[0])} bytes per grant")
    line = json.dumps(result, sort_keys=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
