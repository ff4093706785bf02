"""The sync index: the same answers as the plain sorted vector under any mix of changes, and,
in a running p2p service, kept in step with the store by the store's reports alone (a deleted
post and a revoked signer included), without a rebuild."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
import trio
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID

from node.messages import sign_message
from node.p2p import SYNC_PROTOCOL
from node.p2p.index import CHUNK, ScopedIndex, SyncIndex
from node.p2p.negentropy import Negentropy, SortedKeys

from .conftest import CHAIN, T0, Nodes, open_sync, wait_for, wait_mesh


def _key(rnd: random.Random) -> tuple[int, bytes]:
    return rnd.randrange(T0, T0 + 5000), rnd.randbytes(32)


@pytest.mark.parametrize("seed", range(4))
def test_the_index_answers_as_the_sorted_vector_does_after_any_changes(seed: int) -> None:
    rnd = random.Random(seed)
    universe = [_key(rnd) for _ in range(6 * CHUNK)]
    live = set(universe[: 3 * CHUNK])
    index = SyncIndex(universe[: 3 * CHUNK])
    for _ in range(60):
        changes = [(rnd.random() < 0.5, rnd.choice(universe)) for _ in range(rnd.randrange(0, 3 * CHUNK))]
        for adding, key in changes:  # one at a time: their order matters
            (index.add if adding else index.remove)([key])
            (live.add if adding else live.discard)(key)
        index.seal()
        plain = SortedKeys(live)
        n = plain.size()
        assert index.size() == n
        assert index.keys(0, n) == plain.keys(0, n)
        for _ in range(30):
            lower = rnd.randrange(0, n + 1)
            upper = rnd.randrange(lower, n + 1)
            assert index.fingerprint(lower, upper) == plain.fingerprint(lower, upper)
            bound = _key(rnd)
            assert index.find_lower_bound(lower, upper, bound) == plain.find_lower_bound(lower, upper, bound)
            if lower < n:
                assert index.key(lower) == plain.key(lower)


def test_two_indexes_reconcile_to_their_difference() -> None:
    rnd = random.Random(7)
    keys = [_key(rnd) for _ in range(5000)]
    client = Negentropy(SyncIndex(keys[:4000]), 60_000)
    server = Negentropy(SyncIndex(keys[1000:]), 60_000, buckets=8, id_list_threshold=6)
    need: list[bytes] = []
    have: list[bytes] = []
    msg = client.initiate()
    while msg is not None:
        msg, h, n = client.reconcile_client(server.reconcile(msg))
        have += h
        need += n
    assert sorted(have) == sorted(k for _, k in keys[:1000])
    assert sorted(need) == sorted(k for _, k in keys[4000:])


def test_a_bad_key_is_refused() -> None:
    with pytest.raises(ValueError):
        SyncIndex([(T0, b"short")])
    with pytest.raises(ValueError):
        SyncIndex().add([(-1, os.urandom(32))])


async def test_the_index_follows_deletes_and_revocations_without_a_rebuild(tmp_path: Path) -> None:
    author, app = os.urandom(32), os.urandom(32)
    sign = lambda type_, ts, key=author, **fields: sign_message(  # noqa: E731
        type_, {"timestamp": T0 + ts, **fields}, key, CHAIN
    )
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            a = await nodes.start("a")
            store = nodes.store("a")
            address = sign("Post", 0, text="x").author
            app_address = sign("Post", 0, key=app, text="x").author
            post = sign("Post", 1, text="to delete")
            kept = sign("Post", 2, text="kept")
            add = sign("SignerAdd", 3, signer=app_address, label="app")
            by_app = [
                sign_message(
                    "Post", {"author": address, "text": f"via app {i}", "timestamp": T0 + 4 + i}, app, CHAIN
                )
                for i in range(3)
            ]
            batches = [
                [post, kept, add, *by_app],
                [sign("PostDelete", 10, post=post.id)],  # the post leaves the log
                [sign("SignerRemove", 11, signer=app_address)],  # so does everything the app signed
            ]
            for batch in batches:
                report = await trio.to_thread.run_sync(store.ingest, batch)
                assert report.accepted

            def in_step() -> bool:
                a.index.seal()
                n = a.index.size()
                return (
                    a.index.keys(0, n) == store.sync_keys()
                    and a.index.fingerprint(0, n) == store.fingerprint()
                )

            await wait_for(in_step, 10, "the sync index to match the store")
            assert post.sync_key not in a.index.keys(0, a.index.size())
            assert all(m.sync_key not in a.index.keys(0, a.index.size()) for m in by_app)
            assert a.gossip.index_rebuilds == 0
            assert a.status()["gossip"]["index_rebuilds"] == 0
        finally:
            nodes.close()


@pytest.mark.parametrize("session_running", [False, True], ids=["idle", "while a session runs"])
async def test_a_service_behind_its_feed_rebuilds_the_index_off_the_loop_and_syncs_what_gossip_missed(
    tmp_path: Path, shared_messages: list[bytes], session_running: bool
) -> None:
    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            a = await nodes.start("a", feed_buffer=1)
            b = await nodes.start("b", bootstrap=(a.addrs[0],))
            await wait_for(lambda: a.peers.get(b.peer_id).last_sync_ok > 0, 10, "the first sync")
            await wait_mesh(a, b)
            sa, sb = nodes.store("a"), nodes.store("b")
            if session_running:  # B opens a session with A and holds it
                held = await b.host.new_stream(ID.from_base58(a.peer_id), [TProtocol(SYNC_PROTOCOL)])
                await open_sync(held)
                await wait_for(lambda: a.peers.get(b.peer_id).active_sessions == 1, 10, "the held session")
            # Three commits of this node's own messages hop onto the loop together: a feed
            # buffer of one report cannot hold them, so the service misses at least one report
            # (and the gossip of its messages).
            for start in (0, 2, 4):
                sa.ingest(shared_messages[start : start + 2])
            await wait_for(lambda: a.gossip.index_rebuilds == 1, 10, "the index rebuilt")
            assert a.gossip.published_messages < 6
            if session_running:  # the sync A asks for waits for the held session to end
                await wait_for(lambda: a.peers.get(b.peer_id).sync_again, 10, "a sync asked for")
                await held.close()
            # the sync it starts (the periodic one is an hour away) carries the rest
            await wait_for(lambda: sb.fingerprint() == sa.fingerprint(), 20, "B to have everything")
            assert not a.peers.get(b.peer_id).sync_again
            n = a.index.size()
            assert a.index.keys(0, n) == sa.sync_keys() and a.index.fingerprint(0, n) == sa.fingerprint()
        finally:
            nodes.close()


def test_the_scoped_index_keeps_each_scopes_keys_and_fingerprint() -> None:
    one, two = b"\x01" * 32, b"\x02" * 32
    keyed = [((1000 + i, os.urandom(32)), (b"", one, two)[i % 3]) for i in range(300)]
    scoped = ScopedIndex(keyed[:200])
    scoped.add(keyed[200:])
    gone = [key for key, _ in keyed[::7]]
    scoped.remove(gone)  # keys alone: the index knows each one's scope
    scoped.seal()
    kept = [(key, scope) for key, scope in keyed if key not in set(gone)]
    for scope in (b"", one, two):
        expected = SyncIndex([key for key, s in kept if s == scope])
        assert scoped.summary()[scope] == (expected.size(), expected.fingerprint(0, expected.size()))
    assert sum(n for n, _ in scoped.summary().values()) == len(kept)
    assert scoped.index(b"\x03" * 32).size() == 0 and b"\x03" * 32 not in scoped.summary()
