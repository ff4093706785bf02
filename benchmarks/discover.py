"""Discovery and search benchmark: ``GET /v1/discover/creators``'s ranking and ``GET /v1/search``'s
query, at 100,000 stored messages, against a plain indexed read measured in the same run.

The network is generated with a realistic skew: ``--users`` users, of whom ``--creators`` post;
a creator's popularity falls as a power of its rank (a few large creators, many nano ones);
follows, replies and reactions go to creators by popularity, reactions far more common than
replies; every user has a name, creators a bio. The chain index is a real index file
(``node.chain``'s ledger, written as the indexer writes it) with every creator's token
launched, tips and buys spread over the last 60 days of blocks (2 s each), tips rarer than buys.

Measured, each over ``--repeat`` calls on one thread:

- ``discover``: :func:`node.discover.discover_creators` over a 30-day window (the chain index
  read, the store snapshot, the ranking), top 20;
- ``search_posts`` and ``search_profiles``: one page of 20 for one- and two-word prefix queries;
- ``reference``: a plain indexed ``SELECT`` of the store, one user's profile (``Store.profile``);
- ``discover_paced``: discover as the API serves it, through the node's ranking cache
  (:class:`node.discover.DiscoveryCache`, ``--cache-seconds``, 5 here: several recomputations in
  the run), at a paced ``--rate`` requests per second for ``--paced-seconds`` from 8 threads;
  latency from each request's scheduled time, so a request held up behind another counts.

Ratios are each p50 over the reference's p50. Also: what the search index adds to the store file
(``search_bytes_per_message``: the file's size with and without the FTS5 tables, vacuumed, over
the messages). Prints the figures and the machine; the last line is one JSON object. Run:

    .venv/bin/python benchmarks/discover.py [--messages 100000] [--repeat 50] [--rate 100]
        [--paced-seconds 20] [--cache-seconds 5] [--cache DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import emit, machine_info

from node.chain import Launch, Tip, Trade, Transfer
from node.chain._ledger import Ledger
from node.chain._queries import ChainQueries
from node.discover import DAY, DiscoveryCache, discover_creators
from node.identity import Key, import_key
from node.messages import keccak
from node.store import Store

CHAIN_ID = 31337
NOW = 1_770_000_000
SPAN_DAYS = 60
BLOCK_SECONDS = 2
HEAD = SPAN_DAYS * DAY // BLOCK_SECONDS
_SYLLABLES = ["ka", "lo", "mi", "nu", "pe", "ri", "so", "ta", "ve", "zu", "bra", "cle", "dri", "fro", "gla"]
#: 3,375 made-up words; a text draws them with a Zipf-like skew (a few common, most rare).
WORDS = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES]
_WORD_WEIGHTS = [1 / (rank + 1) for rank in range(len(WORDS))]
ZERO = "0x" + "00" * 20


def _key(i: int) -> Key:
    return import_key(keccak(f"discover benchmark {i}".encode()))


def _text(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, _WORD_WEIGHTS, k=rng.randint(4, 24)))


def generate(messages: int, users: int, creators: int, rng: random.Random) -> tuple[list, list[Key]]:
    """The signed messages of the network (see the module docstring) and the users' keys."""
    keys = [_key(i) for i in range(users)]
    popularity = [1 / (rank + 1) ** 1.1 for rank in range(creators)]
    out = []

    def sign(key: Key, type_: str, age: float, **fields: object) -> object:
        m = key.sign(type_, {"timestamp": int(NOW - age), **fields}, chain_id=CHAIN_ID)
        out.append(m)
        return m

    def age() -> float:
        return rng.random() * SPAN_DAYS * DAY

    for i, k in enumerate(keys):
        sign(
            k, "Profile", age(), field="name", value=f"{rng.choice(WORDS).title()} {i}"
        )  # uniform: names vary
        if i < creators:
            sign(k, "Profile", age(), field="bio", value=_text(rng))
    for k in keys:
        for c in set(rng.choices(range(creators), popularity, k=10)):
            if keys[c] is not k:
                sign(k, "Follow", age(), target=keys[c].address)
    posts: list[list] = [[] for _ in range(creators)]
    for _ in range(messages // 12):
        c = rng.randrange(creators)
        posts[c].append(sign(keys[c], "Post", age(), text=_text(rng)))
    while len(out) < messages:
        c = rng.choices(range(creators), popularity)[0]
        if not posts[c]:
            continue
        post, fan = rng.choice(posts[c]), rng.choice(keys)
        if rng.random() < 0.1:
            sign(fan, "Post", age(), text=_text(rng), replyTo=post.id)
        else:
            sign(fan, "Reaction", age(), post=post.id, kind=rng.choice(("like", "like", "like", "fire")))
    return out, keys


def fill_chain(path: Path, keys: list[Key], creators: int, rng: random.Random) -> ChainQueries:
    """A chain index with every creator's token, tips and buys (as the indexer writes them)."""
    ledger = Ledger(path)
    views: list = []
    curves = {}
    log = 0

    def where() -> dict:
        nonlocal log
        log += 1
        return {"block_number": rng.randrange(1, HEAD), "tx_hash": "0x" + "ab" * 32, "log_index": log}

    tokens = []
    for c in range(creators):
        token = "0x" + keccak(f"token {c}".encode())[:20].hex()
        curves[token] = (10**12, 10**9)
        tokens.append(token)
        views.append(Launch(keys[c].address, token, f"T{c}", f"T{c}", **{**where(), "block_number": 0}))
    popularity = [1 / (rank + 1) ** 1.1 for rank in range(creators)]
    for _ in range(3000):
        c = rng.choices(range(creators), popularity)[0]
        views.append(Tip(keys[c].address, rng.choice(keys).address, None, 10**15, bytes(32), "", **where()))
    for _ in range(2000):
        c = rng.choices(range(creators), popularity)[0]
        fan, at = rng.choice(keys).address, where()
        views.append(Trade(tokens[c], fan, "buy", 2 * 10**18, 10**16, 10**14, 10**14, 0, **at))
        views.append(
            Transfer(tokens[c], ZERO, fan, 2 * 10**18, at["block_number"], at["tx_hash"], at["log_index"])
        )
    views.sort(key=lambda v: (v.block_number, v.log_index))
    ledger.append(views, curves, {}, HEAD, keep_hashes_from=HEAD)
    queries = ChainQueries()
    queries.ledger = ledger
    return queries


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """p50 and p99 of ``call`` in milliseconds, after one warm-up call."""
    call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]


def paced(call: Callable[[], object], rate: float, seconds: float, workers: int = 8) -> tuple[float, float]:
    """p50 and p99 in milliseconds of ``call`` made ``rate`` times a second for ``seconds``, each
    timed from when it was due."""
    start = time.perf_counter() + 0.1

    def one(i: int) -> float:
        due = start + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        call()
        return (time.perf_counter() - due) * 1000

    with ThreadPoolExecutor(workers) as pool:
        samples = sorted(pool.map(one, range(int(rate * seconds))))
    return statistics.median(samples), samples[round(0.99 * (len(samples) - 1))]


def search_bytes(path: Path, messages: int) -> float:
    """What the FTS5 tables add to the store file, per message (copies, vacuumed)."""
    sizes = []
    with tempfile.TemporaryDirectory() as d:
        for drop in (False, True):
            copy = Path(d) / f"copy-{drop}.sqlite"
            shutil.copy(path, copy)
            db = sqlite3.connect(copy)
            if drop:
                db.execute("DROP TABLE post_search")
                db.execute("DROP TABLE profile_search")
            db.execute("VACUUM")
            db.close()
            sizes.append(copy.stat().st_size)
    return (sizes[0] - sizes[1]) / messages


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--creators", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    parser.add_argument("--cache-seconds", type=float, default=5.0)
    parser.add_argument("--cache", type=Path, help="keep the filled store here and reuse it")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.messages)
    keys = [_key(i) for i in range(args.users)]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "store.sqlite"
        kept = args.cache and args.cache / f"discover-v2-{args.messages}-{args.users}-{args.creators}.sqlite"
        started = time.perf_counter()
        if kept and kept.exists():
            shutil.copy(kept, path)
        else:
            signed, keys = generate(args.messages, args.users, args.creators, rng)
            with Store(path, CHAIN_ID) as store:
                for i in range(0, len(signed), 5000):
                    store.ingest(signed[i : i + 5000], now=NOW)
            if kept:
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, kept)
        fill_seconds = time.perf_counter() - started
        chain = fill_chain(Path(d) / "chain.sqlite", keys, args.creators, random.Random(1))
        with Store(path, CHAIN_ID) as store:
            stored = len(store)
            someone = keys[7].address
            ref = timed(lambda: store.profile(someone), args.repeat)
            ranking = discover_creators(store, chain, now=NOW, window_seconds=30 * DAY)
            disc = timed(
                lambda: discover_creators(store, chain, now=NOW, window_seconds=30 * DAY), args.repeat
            )

            # Queries as people type them: a word as drawn for texts (common ones more often),
            # often cut short (a prefix); a second word for the two-word figure.
            def query(words: int) -> str:
                drawn = rng.choices(WORDS, _WORD_WEIGHTS, k=words)
                return " ".join(w[: rng.randint(3, len(w))] for w in drawn)

            posts = timed(lambda: store.search_posts(query(1)), args.repeat)
            posts2 = timed(lambda: store.search_posts(query(2)), args.repeat)
            profiles = timed(lambda: store.search_profiles(query(1)), args.repeat)
            cache = DiscoveryCache(args.cache_seconds)

            def served() -> object:
                now = int(time.time())  # the window moves on, as the node's does
                return cache.get(
                    "30d", lambda: discover_creators(store, chain, now=now, window_seconds=30 * DAY)
                )

            served()  # the node computes its first ranking at the first request: not part of the pace
            load = paced(served, args.rate, args.paced_seconds)
        result = {
            "benchmark": "discover",
            "messages": stored,
            "users": args.users,
            "creators": args.creators,
            "ranked_creators": len(ranking.results),
            "considered_creators": ranking.considered,
            "fill_seconds": round(fill_seconds, 1),
            "reference_p50_ms": round(ref[0], 3),
            "discover_p50_ms": round(disc[0], 2),
            "discover_p99_ms": round(disc[1], 2),
            "search_posts_p50_ms": round(posts[0], 3),
            "search_posts_p99_ms": round(posts[1], 3),
            "search_posts_two_words_p50_ms": round(posts2[0], 3),
            "search_profiles_p50_ms": round(profiles[0], 3),
            "search_profiles_p99_ms": round(profiles[1], 3),
            "discover_paced_rate": args.rate,
            "discover_paced_cache_seconds": args.cache_seconds,
            "discover_paced_p50_ms": round(load[0], 2),
            "discover_paced_p99_ms": round(load[1], 2),
            "discover_ratio": round(disc[0] / ref[0], 1),
            "search_posts_ratio": round(posts[0] / ref[0], 1),
            "search_profiles_ratio": round(profiles[0] / ref[0], 1),
            "search_bytes_per_message": round(search_bytes(path, stored), 1),
            "machine": machine_info(),
        }
    for k, v in result.items():
        if k != "machine":
            print(f"{k:32} {v}")
    print(f"{'machine':32} {result['machine']}")
    emit(result, args.out)


if __name__ == "__main__":
    main()
