"""Discovery, search and ingest with communities: ``GET /v1/discover/creators``'s ranking and
``GET /v1/search``'s queries at a paced rate, the cost of community messages at ingest and on
disk, on a generated network.

The network has a realistic skew: ``--users`` users, of whom ``--creators`` post; a creator's
popularity falls as a power of its rank (a few large creators, many nano ones); follows, replies
and reactions go to creators by popularity, likes far more common than replies (and than tips,
on chain); every user has a name, creators a bio. ``--communities`` communities are founded by
the top creators (a charter of name, about, topics and moderators each); users join a few by
popularity; a third of a founder's posts, with their replies and reactions, belong to their
community; a little moderation happens (moderator hides with a reason, reply hides, mutes and
blocks, paid-partnership disclosures). The chain index is a real index file (``node.chain``'s
ledger, written as the indexer writes it) with every creator's token launched, tips and buys
spread over the last 60 days of blocks (2 s each).

Measured:

- ingest: the network's messages (wire form, batches of 5,000, as sync hands them over) into a
  new store, next to the same count of plain posts, reactions, follows and profiles into
  another, one after the other in the same run; ``ingest_ratio`` is the plain time over the
  community time (1.0: communities cost nothing at ingest; the issue's target is >= 0.8);
- ``bytes_per_message``: the community store's file over its messages (target <= 450), and what
  the search tables add (``search_bytes_per_message``: the file with and without them, vacuumed);
- ``discover_paced``: discover as the API serves it, through the node's ranking cache
  (:class:`node.discover.DiscoveryCache`, ``--cache-seconds``, 5 here against the node's 60, so
  the ranking is recomputed several times in the run), at ``--rate`` requests per second for
  ``--paced-seconds`` from 8 threads, latency from each request's scheduled time (a request held
  up behind another counts); ``discover_computed``: one uncached computation, over ``--repeat``;
- ``search_paced``: one page of 20 for a one-word prefix query, posts, profiles and communities
  in turn, paced as discover (targets: both paced p99 <= 50 ms); and each kind alone, unpaced,
  over ``--repeat`` (``search_posts``, ``search_profiles``, ``search_communities``);
- ``reference``: a plain indexed read of the store (``Store.profile``), for the ratio.

Prints the figures and the machine; the last line is one JSON object. The defaults run in a few
minutes; the issue's network is ``--messages 500000 --users 10000 --communities 200``
(``--cache DIR`` keeps the signed messages, which take minutes to make, for the next run):

    .venv/bin/python benchmarks/discover.py [--messages 50000] [--users 2000] [--creators 400]
        [--communities 40] [--repeat 30] [--rate 100] [--paced-seconds 10] [--cache-seconds 5]
        [--cache DIR] [--out FILE]
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
from node.discover import DAY, Discovery, DiscoveryCache, discover_creators
from node.identity import Key, import_key
from node.messages import SignedMessage, encode_message, keccak
from node.messages.community import address_order, community_id
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
#: Messages per store call while ingesting, as a sync round hands them over.
INGEST_BATCH = 5000


def _key(i: int) -> Key:
    return import_key(keccak(f"discover benchmark {i}".encode()))


def _text(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, _WORD_WEIGHTS, k=rng.randint(4, 24)))


#: Topics communities draw theirs from (1 to 3 each).
TOPICS = ["synth", "zines", "chess", "pottery", "speedrun", "knitting", "lofi", "birding", "mods", "poetry"]
#: Shares of the messages left after profiles, follows and charters: posts (a fifth of them
#: replies), reactions; with communities, memberships and moderation besides.
POST_SHARE = 1 / 12
REPLY_SHARE = 0.1
#: Per community post: the chance it is hidden by a moderator, that a reply is hidden by the
#: post's author, that a post carries a paid-partnership disclosure.
MOD_HIDE_RATE = 0.01
REPLY_HIDE_RATE = 0.01
DISCLOSURE_RATE = 0.005
#: Communities a user joins (drawn by popularity), and the share of users who mute or block
#: someone (a few each).
JOINS_EACH = 4
MUTING_USERS = 0.05


def generate(
    messages: int, users: int, creators: int, communities: int, rng: random.Random
) -> list[SignedMessage]:
    """The signed messages of the network (see the module docstring), about ``messages`` of them.

    With ``communities``, the top creators found them (one each, round robin), users join a few
    by popularity, a third of the posts and their replies and reactions belong to one, and a
    little moderation happens (hides with reasons, reply hides, mutes, blocks, disclosures).
    Without, the same count is made of plain posts, reactions, follows and profiles: the
    reference the ingest ratio divides by.
    """
    keys = [_key(i) for i in range(users)]
    popularity = [1 / (rank + 1) ** 1.1 for rank in range(creators)]
    out: list[SignedMessage] = []

    def sign(key: Key, type_: str, age: float, **fields: object) -> SignedMessage:
        m = key.sign(type_, {"timestamp": int(NOW - age), **fields}, chain_id=CHAIN_ID)
        out.append(m)
        return m

    def age(before: SignedMessage | None = None) -> float:
        """A random age in the span, or younger than ``before`` (a reply after its post)."""
        oldest = SPAN_DAYS * DAY if before is None else NOW - before.timestamp
        return rng.random() * oldest

    for i, k in enumerate(keys):
        sign(k, "Profile", age(), field="name", value=f"{rng.choice(WORDS).title()} {i}")
        if i < creators:
            sign(k, "Profile", age(), field="bio", value=_text(rng))
    for k in keys:
        for c in set(rng.choices(range(creators), popularity, k=10)):
            if keys[c] is not k:
                sign(k, "Follow", age(), target=keys[c].address)
    ids: list[bytes] = []
    community_weights = [1 / (rank + 1) for rank in range(communities)]
    for n in range(communities):
        founder, handle = keys[n % creators], f"c{n}"
        ids.append(community_id(founder.address, handle))
        mods = sorted({rng.choice(keys).address for _ in range(2)} - {founder.address}, key=address_order)
        charter = {
            "name": f"{rng.choice(WORDS).title()} {n}",
            "about": _text(rng),
            "topics": ",".join(sorted(set(rng.choices(TOPICS, k=rng.randint(1, 3))))),
            "moderators": ",".join(mods),
        }
        for field, value in charter.items():
            sign(founder, "Charter", age(), handle=handle, field=field, value=value)
    members: list[list[Key]] = [[] for _ in range(communities)]
    founded: list[list[int]] = [[] for _ in range(creators)]
    for n in range(communities):
        founded[n % creators].append(n)
    if communities:
        for k in keys:
            for n in set(rng.choices(range(communities), community_weights, k=JOINS_EACH)):
                sign(k, "Membership", age(), community=ids[n])
                members[n].append(k)
        for k in rng.sample(keys, int(users * MUTING_USERS)):
            for target in rng.sample(keys, 3):
                if target is not k:
                    sign(k, rng.choice(("Mute", "Mute", "Block")), age(), target=target.address)
    posts: list[list[tuple[SignedMessage, int | None]]] = [[] for _ in range(creators)]
    for _ in range(int(messages * POST_SHARE)):
        c = rng.randrange(creators)
        if founded[c] and rng.random() < 1 / 3:
            n = rng.choice(founded[c])
            post = sign(keys[c], "CommunityPost", age(), community=ids[n], text=_text(rng))
            posts[c].append((post, n))
            if rng.random() < MOD_HIDE_RATE:
                sign(keys[c], "ModHide", age(post), community=ids[n], post=post.id, reason="off topic")
        else:
            post = sign(keys[c], "Post", age(), text=_text(rng))
            posts[c].append((post, None))
        if communities and rng.random() < DISCLOSURE_RATE:
            sign(keys[c], "Disclosure", age(post), post=post.id, paidBy=keys[(c + 1) % users].address)
    while len(out) < messages:
        c = rng.choices(range(creators), popularity)[0]
        if not posts[c]:
            continue
        post, n = rng.choice(posts[c])
        fan = rng.choice(keys if n is None else members[n] or keys)
        if rng.random() < REPLY_SHARE:
            if n is None:
                reply = sign(fan, "Post", age(post), text=_text(rng), replyTo=post.id)
            else:
                reply = sign(
                    fan, "CommunityPost", age(post), community=ids[n], text=_text(rng), replyTo=post.id
                )
            if communities and rng.random() < REPLY_HIDE_RATE:
                sign(keys[c], "ReplyHide", age(reply), post=reply.id)
        else:
            kind = rng.choice(("like", "like", "like", "fire"))
            if n is None:
                sign(fan, "Reaction", age(post), post=post.id, kind=kind)
            else:
                sign(fan, "CommunityReaction", age(post), community=ids[n], post=post.id, kind=kind)
    return out


def corpus(messages: int, users: int, creators: int, communities: int, cache: Path | None) -> list[bytes]:
    """:func:`generate`'s messages in wire form, as gossip and sync hand them to a store; with
    ``cache`` (a folder) kept there and reused (signing half a million takes minutes)."""
    kept = cache and cache / f"discover-v3-{messages}-{users}-{creators}-{communities}.wire"
    if kept and kept.exists():
        data = kept.read_bytes()
        return [data[i + 4 : i + 4 + int.from_bytes(data[i : i + 4])] for i in _frames(data)]
    wire = [
        encode_message(m) for m in generate(messages, users, creators, communities, random.Random(messages))
    ]
    if kept:
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.with_suffix(".filling").write_bytes(b"".join(len(w).to_bytes(4) + w for w in wire))
        kept.with_suffix(".filling").replace(kept)
    return wire


def _frames(data: bytes) -> list[int]:
    """Where each length-prefixed message of a kept corpus starts."""
    starts, at = [], 0
    while at < len(data):
        starts.append(at)
        at += 4 + int.from_bytes(data[at : at + 4])
    return starts


def ingest(path: Path, wire: list[bytes]) -> float:
    """Seconds to ingest ``wire`` into a new store at ``path``, in batches as sync hands them."""
    started = time.perf_counter()
    with Store(path, CHAIN_ID) as store:
        for i in range(0, len(wire), INGEST_BATCH):
            store.ingest(wire[i : i + INGEST_BATCH], now=NOW)
    return time.perf_counter() - started


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


def paced(
    call: Callable[[int], object], rate: float, seconds: float, workers: int = 8
) -> tuple[float, float]:
    """p50 and p99 in milliseconds of ``call`` (given the request's number) made ``rate`` times a
    second for ``seconds`` from ``workers`` threads, each timed from when it was due: a request
    held up behind another counts."""
    start = time.perf_counter() + 0.1

    def one(i: int) -> float:
        due = start + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        call(i)
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
                db.execute("DROP TABLE community_search")
            db.execute("VACUUM")
            db.close()
            sizes.append(copy.stat().st_size)
    return (sizes[0] - sizes[1]) / messages


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--creators", type=int, default=400)
    parser.add_argument("--communities", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument(
        "--cache-seconds", type=float, default=5.0, help="the ranking cache's period (the node's is 60)"
    )
    parser.add_argument("--cache", type=Path, help="keep the generated messages here and reuse them")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.messages)
    keys = [_key(i) for i in range(args.users)]
    shape = (args.messages, args.users, args.creators)
    with_communities = corpus(*shape, args.communities, args.cache)
    plain = corpus(*shape, 0, args.cache)
    with tempfile.TemporaryDirectory() as d:
        path, plain_path = Path(d) / "store.sqlite", Path(d) / "plain.sqlite"
        # one after the other in one run, so both meet the machine as it is now; a first small
        # ingest warms up what the first of them would otherwise pay alone
        ingest(Path(d) / "warm-up.sqlite", plain[:INGEST_BATCH])
        plain_seconds = ingest(plain_path, plain)
        ingest_seconds = ingest(path, with_communities)
        plain_bytes = plain_path.stat().st_size
        chain = fill_chain(Path(d) / "chain.sqlite", keys, args.creators, random.Random(1))
        with Store(path, CHAIN_ID) as store:
            stored = len(store)
            someone = keys[7].address
            ref = timed(lambda: store.profile(someone), args.repeat)

            def ranking() -> Discovery:
                return discover_creators(store, chain, now=NOW, window_seconds=30 * DAY)

            computed = timed(ranking, args.repeat)
            considered = ranking().considered

            # Queries as people type them: a word as drawn for texts (common ones more often),
            # often cut short (a prefix); posts, profiles and communities in turn.
            def query() -> str:
                return " ".join(w[: rng.randint(3, len(w))] for w in rng.choices(WORDS, _WORD_WEIGHTS, k=1))

            searches = (store.search_posts, store.search_profiles, store.search_communities)
            # each kind alone and unpaced first: what one query costs, to tell which one dominates
            alone = {f.__name__: timed(lambda f=f: f(query()), args.repeat) for f in searches}
            search = paced(lambda i: searches[i % 3](query()), args.rate, args.paced_seconds)
            cache = DiscoveryCache(args.cache_seconds)

            def served(i: int) -> object:
                return cache.get("30d", ranking)  # as the API serves it: through the node's cache

            served(0)  # the node computes its first ranking at the first request: not part of the pace
            discover = paced(served, args.rate, args.paced_seconds)
        stored_bytes = path.stat().st_size
        result = {
            "benchmark": "discover",
            "messages": stored,
            "messages_generated": len(with_communities),
            "users": args.users,
            "creators": args.creators,
            "communities": args.communities,
            "considered_creators": considered,
            "paced_rate": args.rate,
            "paced_seconds": args.paced_seconds,
            "discover_cache_seconds": args.cache_seconds,
            "discover_paced_p50_ms": round(discover[0], 2),
            "discover_paced_p99_ms": round(discover[1], 2),
            "discover_computed_p50_ms": round(computed[0], 1),
            "discover_computed_p99_ms": round(computed[1], 1),
            "search_paced_p50_ms": round(search[0], 2),
            "search_paced_p99_ms": round(search[1], 2),
            **{f"{name}_p50_ms": round(t[0], 2) for name, t in alone.items()},
            **{f"{name}_p99_ms": round(t[1], 2) for name, t in alone.items()},
            "ingest_seconds": round(ingest_seconds, 1),
            "ingest_msgs_per_s": round(len(with_communities) / ingest_seconds),
            "plain_ingest_seconds": round(plain_seconds, 1),
            "plain_ingest_msgs_per_s": round(len(plain) / plain_seconds),
            "ingest_ratio": round(plain_seconds / ingest_seconds, 3),
            "bytes_per_message": round(stored_bytes / stored, 1),
            "plain_bytes_per_message": round(plain_bytes / len(plain), 1),
            "search_bytes_per_message": round(search_bytes(path, stored), 1),
            "reference_p50_ms": round(ref[0], 3),
            "discover_computed_ratio": round(computed[0] / ref[0], 1),
            "machine": machine_info(),
        }
    for k, v in result.items():
        if k != "machine":
            print(f"{k:32} {v}")
    print(f"{'machine':32} {result['machine']}")
    emit(result, args.out)


if __name__ == "__main__":
    main()
