"""Ingest benchmark: verify and store 50,000 distinct pre-signed messages on one core.

Messages come from several authors, with mixed types in proportions a social node sees
(posts with realistic text, replies, follows and unfollows, reactions, profile edits, deletes,
and delegated signing) and reach the store as wire bytes, in batches, as sync delivers them.
The reference is libsecp256k1 public-key recovery of the same digests and signatures,
measured in the same run, batch by batch between the ingest calls: ``ratio = ingest rate /
recovery rate`` (see :func:`recoverers` for the two references reported).

Prints the figures, then, as its last line, one JSON object with them. Run:

    .venv/bin/python benchmarks/ingest.py [--messages 50000] [--batch 1000] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import coincurve
from _report import emit, machine_info

from node.messages import (
    checksum_address,
    decode_message,
    encode_message,
    private_key_to_address,
    sign_message,
)
from node.store import Store

CHAIN_ID = 31337
WORDS = [
    "the",
    "a",
    "to",
    "of",
    "and",
    "in",
    "is",
    "it",
    "you",
    "that",
    "for",
    "on",
    "with",
    "this",
    "my",
    "was",
    "are",
    "be",
    "have",
    "just",
    "so",
    "but",
    "not",
    "new",
    "post",
    "today",
    "thanks",
    "everyone",
    "support",
    "tip",
    "token",
    "creator",
    "music",
    "video",
    "track",
    "live",
    "stream",
    "drop",
    "exclusive",
    "holders",
    "early",
    "access",
    "studio",
    "working",
    "mix",
    "album",
    "release",
    "tonight",
    "tomorrow",
    "week",
    "love",
    "community",
    "art",
    "sketch",
    "canvas",
    "painting",
    "podcast",
    "episode",
    "guest",
    "chapter",
    "story",
    "draft",
    "writing",
    "code",
    "open",
    "source",
    "build",
    "shipped",
    "feature",
    "bug",
    "fix",
    "design",
    "photo",
    "walk",
    "city",
    "coffee",
    "morning",
    "night",
    "dream",
    "project",
    "update",
    "behind",
    "scenes",
    "tour",
    "show",
    "ticket",
    "merch",
    "collab",
    "remix",
    "beat",
    "sample",
    "synth",
    "guitar",
    "vocals",
    "demo",
    "listen",
    "watch",
    "read",
    "share",
    "comment",
    "feedback",
    "question",
    "answer",
    "thank",
    "you",
    "all",
    "patrons",
    "subscribers",
    "fans",
    "friends",
    "🎶",
    "✨",
    "🔥",
    "🙏",
    "—",
    "café",
    "naïve",
]


def sentence(rng: random.Random, lo: int, hi: int) -> str:
    target = rng.randint(lo, hi)
    out: list[str] = []
    n = 0
    while n < target:
        w = rng.choice(WORDS)
        out.append(w)
        n += len(w) + 1
    text = " ".join(out)[:target].strip()
    return text[0].upper() + text[1:] + rng.choice(".!?") if text else "Hello."


def make_messages(n: int, authors: int, seed: int = 7) -> list[bytes]:
    """``n`` distinct signed messages, wire form, in a plausible arrival order."""
    rng = random.Random(seed)
    keys = [rng.randbytes(32) for _ in range(authors)]
    addrs = [checksum_address(private_key_to_address(k)) for k in keys]
    apps = [rng.randbytes(32) for _ in range(authors)]
    app_addrs = [checksum_address(private_key_to_address(k)) for k in apps]
    base = int(time.time()) - 30 * 86400
    out: list[bytes] = []
    posts: list[tuple[int, bytes]] = []
    delegated = set()

    def add(type_: str, fields: dict, key: bytes) -> None:
        m = sign_message(type_, fields, key, CHAIN_ID)
        out.append(encode_message(m))
        if type_ == "Post":
            posts.append((addrs.index(m.author), m.id))

    i = 0
    while len(out) < n:
        i += 1
        ts = base + i * 37 // 10
        a = rng.randrange(authors)
        r = rng.random()
        if r < 0.40:
            add("Post", {"text": sentence(rng, 20, 280), "timestamp": ts}, keys[a])
        elif r < 0.50 and posts:
            _, parent = rng.choice(posts[-500:])
            add("Post", {"text": sentence(rng, 10, 160), "replyTo": parent, "timestamp": ts}, keys[a])
        elif r < 0.70:
            b = rng.randrange(authors)
            if b != a:
                add("Follow", {"target": addrs[b], "active": rng.random() < 0.85, "timestamp": ts}, keys[a])
        elif r < 0.85 and posts:
            _, post = rng.choice(posts[-2000:])
            kind = rng.choice(["like", "like", "like", "fire", "clap"])
            add(
                "Reaction",
                {"post": post, "kind": kind, "active": rng.random() < 0.9, "timestamp": ts},
                keys[a],
            )
        elif r < 0.92:
            field = rng.choice(["name", "bio", "avatar", "url", "location"])
            value = {
                "name": sentence(rng, 4, 30),
                "bio": sentence(rng, 30, 200),
                "avatar": f"ipfs://bafy{rng.randbytes(20).hex()}",
                "url": f"https://example.org/{rng.randbytes(4).hex()}",
                "location": sentence(rng, 4, 20),
            }[field]
            add("Profile", {"field": field, "value": value, "timestamp": ts}, keys[a])
        elif r < 0.95 and posts:
            author, post = posts.pop(rng.randrange(max(0, len(posts) - 3000), len(posts)))
            add("PostDelete", {"post": post, "timestamp": ts}, keys[author])
        else:
            # an app posting for its user, once delegated
            if a not in delegated:
                delegated.add(a)
                add("SignerAdd", {"signer": app_addrs[a], "label": "mecenate-app", "timestamp": ts}, keys[a])
            add("Post", {"author": addrs[a], "text": sentence(rng, 20, 200), "timestamp": ts}, apps[a])
    return out[:n]


def recoverers():
    """The references: libsecp256k1 public-key recovery of (digest, signature) pairs.

    ``api``: coincurve's ``PublicKey.from_signature_and_message``, how Python code calls
    libsecp256k1 (the "about 20k/s" of DESIGN.md); the headline ratio uses it. ``bare``: the
    two C calls alone (parse the compact signature, recover) through coincurve's cffi binding,
    without even building a key object: the strictest reference.
    Neither serialises the key or hashes it to an address, which ingest also has to do.
    """
    from coincurve import PublicKey
    from coincurve._libsecp256k1 import ffi, lib
    from coincurve.context import GLOBAL_CONTEXT

    ctx = GLOBAL_CONTEXT.ctx
    rsig = ffi.new("secp256k1_ecdsa_recoverable_signature *")
    pub = ffi.new("secp256k1_pubkey *")
    parse = lib.secp256k1_ecdsa_recoverable_signature_parse_compact
    recover = lib.secp256k1_ecdsa_recover
    from_signature = PublicKey.from_signature_and_message

    def bare(pairs: list[tuple[bytes, bytes]]) -> float:
        t0 = time.perf_counter()
        for digest, sig in pairs:
            if not (parse(ctx, rsig, sig, sig[64] - 27) and recover(ctx, pub, rsig, digest)):
                raise AssertionError("reference recovery failed")
        return time.perf_counter() - t0

    def api(pairs: list[tuple[bytes, bytes]]) -> float:
        compact = [(d, s[:64] + bytes((s[64] - 27,))) for d, s in pairs]  # not timed
        t0 = time.perf_counter()
        for digest, sig in compact:
            from_signature(sig, digest, hasher=None)
        return time.perf_counter() - t0

    return api, bare


def run(wire: list[bytes], pairs: list[tuple[bytes, bytes]], batch: int, synchronous: str) -> dict:
    """Ingest ``wire`` into a fresh store in batches, interleaved with the reference."""
    from node.messages import _codec

    _codec.forget_verified()  # no signer may come from an earlier decode of the same bytes
    api, bare = recoverers()
    tmp = Path(tempfile.mkdtemp(prefix="mecenate-bench-"))
    try:
        store = Store(tmp / "store.sqlite", CHAIN_ID, synchronous=synchronous)
        ingest_s = rec_s = bare_s = ingest_cpu = rec_cpu = 0.0
        counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        # Batch by batch, the references on half the batch's pairs right before the ingest
        # call and on the other half right after it, so that all three see the same load.
        for i in range(0, len(wire), batch):
            j = i + batch // 2
            c0 = time.process_time()
            rec_s += api(pairs[i:j])
            c1 = time.process_time()
            bare_s += bare(pairs[i:j])
            c2 = time.process_time()
            t0 = time.perf_counter()
            report = store.ingest(wire[i : i + batch])
            ingest_s += time.perf_counter() - t0
            c3 = time.process_time()
            bare_s += bare(pairs[j : i + batch])
            c4 = time.process_time()
            rec_s += api(pairs[j : i + batch])
            c5 = time.process_time()
            ingest_cpu += c3 - c2
            rec_cpu += (c1 - c0) + (c5 - c4)
            for k, v in report.counts.items():
                counts[k] += v
        assert counts["rejected"] == 0, f"{counts['rejected']} messages rejected"
        held = len(store)
        assert store.integrity_check() == "ok"
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        size = sum(p.stat().st_size for p in tmp.iterdir())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rate, rec_rate, bare_rate = len(wire) / ingest_s, len(wire) / rec_s, len(wire) / bare_s
    return {
        "batch": batch,
        "synchronous": synchronous,
        "accepted": counts["accepted"],
        # posts whose PostDelete came in the same batch: merged as already deleted
        "duplicate": counts["duplicate"],
        "held_after_merge": held,
        "ingest_seconds": round(ingest_s, 3),
        "ingest_msgs_per_s": round(rate),
        "recover_msgs_per_s": round(rec_rate),
        "ratio": round(rate / rec_rate, 3),
        "ratio_cpu_time": round(rec_cpu / ingest_cpu, 3),
        "recover_bare_msgs_per_s": round(bare_rate),
        "ratio_to_bare": round(rate / bare_rate, 3),
        "bytes_on_disk": size,
        "bytes_per_message": round(size / held, 1),
    }


def report(r: dict) -> None:
    print(
        f"batch {r['batch']:>5}: ingest {r['ingest_msgs_per_s']:>6} msg/s, recover {r['recover_msgs_per_s']:>6} msg/s, "
        f"ratio {r['ratio']:.3f} (cpu time {r['ratio_cpu_time']:.3f}, to bare C calls {r['ratio_to_bare']:.3f}), "
        f"{r['bytes_per_message']} B/msg"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=50_000)
    ap.add_argument("--authors", type=int, default=40)
    ap.add_argument("--batch", type=int, default=5000, help="messages per ingest call (one transaction)")
    ap.add_argument(
        "--also-batch", type=int, default=1000, help="a second run with this batch size (0: none)"
    )
    ap.add_argument(
        "--synchronous",
        default="NORMAL",
        choices=["FULL", "NORMAL"],
        help="store durability mode (the store's default: NORMAL)",
    )
    ap.add_argument("--out", type=Path, help="also write the JSON result to this file")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    load_at_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    wire = make_messages(args.messages, args.authors)
    print(f"signed {len(wire)} messages in {time.perf_counter() - t0:.1f} s (not measured)")
    # The reference works on the same digests and signatures; extracting them is not timed.
    pairs = [(m.id, m.signature) for m in (decode_message(w, CHAIN_ID) for w in wire)]

    main_run = run(wire, pairs, args.batch, args.synchronous)
    report(main_run)
    other = run(wire, pairs, args.also_batch, args.synchronous) if args.also_batch else None
    if other:
        report(other)
    rate, rec_rate = main_run["ingest_msgs_per_s"], main_run["recover_msgs_per_s"]
    print(
        f"ingest      {rate:10d} msg/s  ({len(wire)} messages, batches of {args.batch}, synchronous={args.synchronous})"
    )
    print(f"recover     {rec_rate:10d} msg/s  (libsecp256k1 recovery via coincurve, same digests, same run)")
    print(f"ratio       {main_run['ratio']:10.3f}     (target >= 0.5)")
    print(f"disk        {main_run['bytes_per_message']:10.1f} B/msg  (target <= 400)")
    result = {"benchmark": "ingest", "messages": len(wire), "authors": args.authors, **main_run}
    if other:
        result["second_run"] = other
    result["machine"] = {
        **machine_info(),
        "coincurve": getattr(coincurve, "__version__", "21.0.0"),
        "loadavg_1m_at_start": round(load_at_start, 2),
    }
    emit(result, args.out)


if __name__ == "__main__":
    main()
