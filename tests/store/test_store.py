"""Store behaviour: outcomes, merge rules, queries, fingerprint, persistence."""

from __future__ import annotations

import sqlite3

import pytest

from node.errors import InvalidInput, StoreError
from node.gating import Balance, encode_gate
from node.messages import Reason, encode_message, sign_message
from node.store import Outcome, Store, schema
from node.store._body import DECODED_BODY_MAX_BYTES

from .conftest import CHAIN, T0


def outcomes(report):
    return [(r.outcome.value, r.reason) for r in report.results]


def test_outcomes_and_idempotence(store, users):
    a, _b = users[:2]
    m = a.sign("Post", 1, text="hello")
    r = store.ingest([m, encode_message(m), b"garbage"])
    assert outcomes(r) == [("accepted", None), ("duplicate", "duplicate"), ("rejected", "malformed")]
    assert r.accepted == [m] and r.counts == {"accepted": 1, "duplicate": 1, "rejected": 1}
    assert r.rejections()[0][0] == 2
    fp = store.fingerprint()
    assert outcomes(store.ingest([m])) == [("duplicate", "duplicate")]
    assert store.fingerprint() == fp and len(store) == 1


def test_nothing_invalid_is_written(store, users):
    a = users[0]
    fp = store.fingerprint()
    future = sign_message("Post", {"text": "later"}, a.key, CHAIN)  # now; "now" below is earlier
    other_chain = sign_message("Post", {"text": "x", "timestamp": T0}, a.key, 1)
    r = store.ingest([future, other_chain, encode_message(other_chain)], now=T0)
    assert [x.reason for x in r.results] == [Reason.FUTURE_TIMESTAMP, Reason.WRONG_CHAIN, Reason.WRONG_CHAIN]
    assert store.fingerprint() == fp and store.sync_keys() == [] and store.state()["messages"] == []


def test_profile_last_writer_wins(store, users):
    a = users[0]
    new, old = (
        a.sign("Profile", 5, field="name", value="New"),
        a.sign("Profile", 3, field="name", value="Old"),
    )
    store.ingest([new, old, a.sign("Profile", 4, field="bio", value="Painter")])
    p = store.profile(a.address)
    assert p.fields == {"name": "New", "bio": "Painter"} and p.updated == T0 + 5
    # clearing wins on a tie of timestamps
    store.ingest([a.sign("Profile", 5, field="name", value="")])
    assert store.profile(a.address.lower()).fields == {"bio": "Painter"}
    assert store.profile(users[1].address) is None


def test_follow_edges_lww_and_remove_wins_on_tie(store, users):
    a, b, c = users[:3]
    store.ingest([b.sign("Follow", 1, target=a.address), c.sign("Follow", 1, target=a.address)])
    assert [e.follower for e in store.followers(a.address).items] != []
    # same timestamp: unfollow wins whatever the order or the ids
    store.ingest([b.sign("Follow", 2, target=a.address, active=False), b.sign("Follow", 2, target=a.address)])
    assert [e.follower for e in store.followers(a.address).items] == [c.address]
    # an older follow cannot resurrect the edge
    store.ingest([b.sign("Follow", 1, target=a.address)])
    assert [e.target for e in store.following(b.address).items] == []
    store.ingest([b.sign("Follow", 3, target=a.address)])
    assert {e.follower for e in store.followers(a.address).items} == {b.address, c.address}


def test_followers_paginate(store, users):
    a = users[0]
    fans = users[1:]
    store.ingest([u.sign("Follow", i, target=a.address) for i, u in enumerate(fans)])
    seen, cursor = [], None
    while True:
        page = store.followers(a.address, limit=2, cursor=cursor)
        seen += [e.follower for e in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(u.address for u in fans) and len(seen) == len(set(seen))


def test_feed_newest_first_with_cursor(store, users):
    a, b, c, d = users[:4]
    msgs = [d.sign("Follow", 0, target=a.address), d.sign("Follow", 0, target=b.address)]
    msgs += [u.sign("Post", ts, text=f"{u} {ts}") for ts in range(1, 8) for u in (a, b, c)]
    store.ingest(msgs)
    got, cursor = [], None
    while True:
        page = store.feed(d.address, limit=3, cursor=cursor)
        got += page.items
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(got) == 14 and {m.author for m in got} == {a.address, b.address}
    keys = [(m.timestamp, m.id) for m in got]
    assert keys == sorted(keys, reverse=True)
    assert [m.id for m in store.posts(c.address, limit=100).items] == [
        m.id
        for m in sorted(
            (m for m in msgs if m.author == c.address and m.type == "Post"),
            key=lambda m: (m.timestamp, m.id),
            reverse=True,
        )
    ]
    with pytest.raises(InvalidInput):
        store.feed(d.address, cursor="nonsense")
    with pytest.raises(InvalidInput):
        store.followers(d.address, cursor="nonsense")


def test_thread_and_reactions(store, users):
    a, b, c = users[:3]
    root = a.sign("Post", 1, text="root")
    r1 = b.sign("Post", 2, text="r1", replyTo=root.id)
    r2 = c.sign("Post", 3, text="r2", replyTo=root.id)
    r11 = a.sign("Post", 4, text="r11", replyTo=r1.id)
    other = a.sign("Post", 5, text="unrelated")
    store.ingest([r11, r2, other, r1, root])
    assert [m.text for m in store.thread(root.id).items] == ["root", "r1", "r2", "r11"]
    assert [m.text for m in store.thread(r1.id).items] == ["root", "r1", "r11"]
    assert store.thread(b"\0" * 32) is None
    store.ingest(
        [
            b.sign("Reaction", 6, post=root.id, kind="like"),
            c.sign("Reaction", 6, post=root.id, kind="like"),
            c.sign("Reaction", 7, post=root.id, kind="like", active=False),
            c.sign("Reaction", 6, post=root.id, kind="fire"),
        ]
    )
    assert store.reactions(root.id) == {"fire": 1, "like": 1}


def test_tombstones_both_orders(store, users):
    a, b = users[:2]
    p1, p2 = a.sign("Post", 1, text="one"), a.sign("Post", 2, text="two")
    d1, d2 = a.sign("PostDelete", 3, post=p1.id), a.sign("PostDelete", 4, post=p2.id)
    store.ingest([p1])
    assert outcomes(store.ingest([d1])) == [("accepted", None)]
    assert store.get(p1.id) is None and store.posts(a.address).items == []
    assert outcomes(store.ingest([p1])) == [("duplicate", "deleted")]
    # delete first, post later (and in one batch, whatever the order)
    store.ingest([d2])
    assert outcomes(store.ingest([p2])) == [("duplicate", "deleted")]
    assert store.posts(a.address).items == []
    # someone else's delete does nothing to the post
    p3 = a.sign("Post", 5, text="three")
    store.ingest([b.sign("PostDelete", 6, post=p3.id), p3])
    assert [m.id for m in store.posts(a.address).items] == [p3.id]
    assert p1.id not in {k[1] for k in store.sync_keys()} and d1.id in {k[1] for k in store.sync_keys()}


def test_delegation_and_revocation_cascade(store, users):
    a, b, _, _, app = users
    add = a.sign("SignerAdd", 1, signer=app.address, label="app")
    by_app = [
        sign_message(
            "Profile",
            {"author": a.address, "field": "name", "value": "Via app", "timestamp": T0 + 5},
            app.key,
            CHAIN,
        ),
        sign_message(
            "Follow", {"author": a.address, "target": b.address, "timestamp": T0 + 5}, app.key, CHAIN
        ),
        sign_message("Post", {"author": a.address, "text": "from app", "timestamp": T0 + 5}, app.key, CHAIN),
    ]
    own = [a.sign("Profile", 2, field="name", value="Mine"), a.sign("Post", 3, text="mine")]
    # before the SignerAdd, the app's messages are not the author's
    r = store.ingest(by_app[:1])
    assert outcomes(r) == [("rejected", Reason.BAD_SIGNATURE)]
    # in one batch the SignerAdd merges first, whatever the order
    r = store.ingest(by_app + own + [add])
    assert r.counts["accepted"] == 6
    assert store.signers(a.address) == [app.address]
    assert store.profile(a.address).fields["name"] == "Via app"
    assert [e.target for e in store.following(a.address).items] == [b.address]
    assert store.get(by_app[2].id).signer == app.address
    # a delegate cannot add signers
    sneaky = sign_message(
        "SignerAdd", {"author": a.address, "signer": b.address, "timestamp": T0 + 6}, app.key, CHAIN
    )
    assert outcomes(store.ingest([sneaky])) == [("rejected", Reason.NOT_AUTHORIZED)]
    # revocation drops everything the app signed and re-derives the author's state
    fp_before = store.fingerprint()
    store.ingest([a.sign("SignerRemove", 10, signer=app.address)])
    assert store.fingerprint() != fp_before
    assert store.signers(a.address) == []
    assert store.profile(a.address).fields["name"] == "Mine"
    assert store.following(a.address).items == []
    assert [m.text for m in store.posts(a.address).items] == ["mine"]
    assert all(store.get(m.id) is None for m in by_app)
    late = sign_message("Post", {"author": a.address, "text": "late", "timestamp": T0 + 11}, app.key, CHAIN)
    assert outcomes(store.ingest([late, by_app[0]])) == [("rejected", Reason.REVOKED_SIGNER)] * 2
    # a SignerAdd after the removal does not bring the key back
    store.ingest([a.sign("SignerAdd", 20, signer=app.address)])
    assert store.signers(a.address) == []


def test_fingerprint_sync_keys_and_get_encoded(tmp_path, users):
    a, b = users[:2]
    msgs = [a.sign("Post", i, text=str(i)) for i in range(5)] + [b.sign("Follow", 2, target=a.address)]
    s1, s2 = Store(tmp_path / "1.sqlite", CHAIN), Store(tmp_path / "2.sqlite", CHAIN)
    s1.ingest(msgs)
    s2.ingest(msgs[::-1][:3])
    assert s1.fingerprint() != s2.fingerprint() and len(s1.fingerprint()) == 16
    keys = s1.sync_keys()
    assert keys == sorted(keys) == sorted(m.sync_key for m in msgs)
    missing = [k[1] for k in keys if k not in set(s2.sync_keys())]
    s2.ingest(s1.get_encoded(missing))
    assert s1.fingerprint() == s2.fingerprint()
    assert s1.get_encoded([msgs[2].id, b"\0" * 32, msgs[0].id]) == [
        encode_message(msgs[2]),
        encode_message(msgs[0]),
    ]
    s1.close()
    s2.close()


def test_fingerprint_matches_negentropy_definition(store, users):
    import hashlib

    msgs = [users[0].sign("Post", i, text=str(i)) for i in range(3)]
    store.ingest(msgs)
    total = sum(int.from_bytes(m.id, "little") for m in msgs) % (1 << 256)
    assert store.fingerprint() == hashlib.sha256(total.to_bytes(32, "little") + bytes([3])).digest()[:16]


def test_listeners(store, users):
    seen = []
    remove = store.add_listener(seen.append)
    store.add_listener(lambda ms: 1 / 0)  # a broken listener does not break ingest
    m = users[0].sign("Post", 1, text="x")
    store.ingest([m, m])
    assert [r.accepted for r in seen] == [[m]]
    remove()
    store.ingest([users[0].sign("Post", 2, text="y")])
    assert len(seen) == 1


def test_reopen_keeps_everything(tmp_path, users):
    path = tmp_path / "s.sqlite"
    s = Store(path, CHAIN)
    s.ingest([users[0].sign("Post", 1, text="x"), users[1].sign("Follow", 1, target=users[0].address)])
    fp, state = s.fingerprint(), s.state()
    s.close()
    s = Store(path, CHAIN)
    assert s.fingerprint() == fp and s.state() == state and len(s) == 2
    assert s.ingest([users[0].sign("Post", 2, text="y")]).counts["accepted"] == 1
    s.close()
    with pytest.raises(StoreError):
        Store(path, 1)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path, CHAIN)


def test_export_orders_signer_messages_first(store, users):
    a, app = users[0], users[4]
    by_app = sign_message("Post", {"author": a.address, "text": "x", "timestamp": T0 + 1}, app.key, CHAIN)
    store.ingest([a.sign("SignerAdd", 5, signer=app.address), by_app, users[1].sign("Post", 0, text="b")])
    lines = list(store.export())
    assert b'"SignerAdd"' in lines[0] and len(lines) == 3
    assert len(list(store.export(a.address))) == 2
    assert list(store.export(users[3].address)) == []


def test_integrity_and_outcome_enum(store):
    assert store.integrity_check() == "ok"
    assert Outcome("accepted") is Outcome.ACCEPTED


def test_id_filter_false_positives_and_growth(store, users):
    a = users[0]
    first = [a.sign("Post", i, text=str(i)) for i in range(5)]
    store.ingest(first)
    # every bit set: every id is a "maybe", and SQLite decides
    ids = store._writer.ids
    ids._bits[:] = b"\xff" * len(ids._bits)
    r = store.ingest([*first[:2], a.sign("Post", 10, text="new")])
    assert [x.outcome.value for x in r.results] == ["duplicate", "duplicate", "accepted"]
    # a full filter is rebuilt larger, from the log
    ids.capacity = 1
    store.ingest([a.sign("Post", 11, text="newer")])
    assert store._writer.ids is not ids and store._writer.ids.capacity > 1
    assert store.ingest(first).counts["duplicate"] == 5


def test_two_writers_on_one_file(tmp_path, users):
    a = users[0]
    one, two = Store(tmp_path / "s.sqlite", CHAIN), Store(tmp_path / "s.sqlite", CHAIN)
    m = a.sign("Post", 1, text="x")
    assert one.ingest([m]).counts["accepted"] == 1
    # the second store's memory (counters, id filter) predates that write: it reloads
    assert two.ingest([m]).counts["duplicate"] == 1
    assert two.ingest([a.sign("Post", 2, text="y")]).counts["accepted"] == 1
    assert one.ingest([a.sign("Post", 3, text="z")]).counts["accepted"] == 1
    fresh = Store(tmp_path / "s.sqlite", CHAIN)
    assert fresh.fingerprint() == one.fingerprint() and len(fresh) == 3
    for s in (one, two, fresh):
        s.close()


def test_copies_of_one_message_settle_on_the_authors_signature(tmp_path, users):
    a, app = users[0], users[4]
    add = a.sign("SignerAdd", 0, signer=app.address)
    fields = {"author": a.address, "target": users[1].address, "timestamp": T0 + 5}
    by_app = sign_message("Follow", fields, app.key, CHAIN)
    own = sign_message("Follow", fields, a.key, CHAIN)
    assert by_app.id == own.id and by_app.signature != own.signature
    s1, s2 = Store(tmp_path / "1.sqlite", CHAIN), Store(tmp_path / "2.sqlite", CHAIN)
    s1.ingest([add, by_app])
    assert s1.ingest([own]).results[0].outcome is Outcome.DUPLICATE
    s2.ingest([add, own, by_app])
    for s in (s1, s2):
        assert s.get(own.id).signer == a.address and s.get_encoded([own.id]) == [encode_message(own)]
    assert s1.state() == s2.state()
    # the author's copy is not the delegate's: revoking the delegate keeps it
    s1.ingest([a.sign("SignerRemove", 9, signer=app.address)])
    assert s1.get(own.id) is not None
    s1.close()
    s2.close()


def test_compiled_body_packer_matches_the_generic_one():
    import json
    from pathlib import Path

    from node.messages import TYPES, decode_message
    from node.store._body import _pack_body_generic, pack_body, unpack_body

    for path in sorted((Path(__file__).parent.parent / "vectors").glob("*.json")):
        m = decode_message(json.loads(path.read_text())["wire"])
        packed = pack_body(m.type, m.fields)
        assert packed == _pack_body_generic(m.type, m.fields)
        assert (
            unpack_body(TYPES[m.type].code, packed, {"author": m.author, "timestamp": m.timestamp})
            == m.fields
        )
    for n in (127, 128, 300, 1024):  # one- and two-byte length prefixes
        m = sign_message("Post", {"text": "é" * (n // 2) + "x" * (n % 2), "timestamp": T0}, b"\5" * 32, CHAIN)
        assert pack_body("Post", m.fields) == _pack_body_generic("Post", m.fields)
        assert unpack_body(3, pack_body("Post", m.fields), {"author": m.author, "timestamp": T0}) == m.fields


def test_a_message_read_again_is_kept_until_its_signature_changes(tmp_path, users):
    """Reads keep what they decoded (the pages clients poll repeat), by the whole row: a copy
    with another signature is read afresh, and a large body is never kept."""
    a, app = users[0], users[4]
    fields = {"author": a.address, "target": users[1].address, "timestamp": T0 + 5}
    by_app = sign_message("Follow", fields, app.key, CHAIN)
    own = sign_message("Follow", fields, a.key, CHAIN)
    gate = encode_gate(Balance(CHAIN, "0x5FbDB2315678afecb367f032d93F642f64180aa3", 1)).decode()
    large = a.sign("Post", 6, text="teaser", gate=gate, ciphertext=b"\x01" + bytes(DECODED_BODY_MAX_BYTES))
    with Store(tmp_path / "s.sqlite", CHAIN) as s:
        s.ingest([a.sign("SignerAdd", 0, signer=app.address), by_app, large])
        first = s.get(own.id)
        assert first.signer == app.address and s.get(own.id) is first
        s.ingest([own])  # the author's signature is preferred: it replaces the delegate's
        assert (s.get(own.id).signer, s.get(own.id).signature) == (a.address, own.signature)
        assert s.get(large.id) == large and s.get(large.id) is not s.get(large.id)


def test_rebuild_recomputes_derived_tables(store, users):
    a, b = users[:2]
    store.rebuild()  # empty is fine
    store.ingest([a.sign("Profile", 1, field="name", value="A"), b.sign("Follow", 2, target=a.address)])
    before = store.state()
    store._db.execute("DELETE FROM profiles")  # damage a derived table
    store._db.execute("UPDATE follows SET active = 0")
    store.rebuild()
    assert store.state() == before and len(store) == 2


def _whole_thread(store, post_id, limit):
    items, cursor, pages = [], None, 0
    while True:
        page = store.thread(post_id, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        items += page.items
        pages += 1
        if page.next_cursor is None:
            return items, pages
        assert len(page.items) == limit  # only the last page is short
        cursor = page.next_cursor


@pytest.mark.parametrize("limit", [1, 7, 31, 32, 33, 200])
def test_a_deep_thread_is_paged(store, users, limit):
    """A 300-deep reply chain with side replies, read from its middle: ancestors root first,
    the post, then the replies below it oldest first, never more than ``limit`` per page."""
    a, b = users[:2]
    chain = [a.sign("Post", 0, text="root")]
    for i in range(1, 300):
        chain.append((a if i % 2 else b).sign("Post", i, text=f"r{i}", replyTo=chain[-1].id))
    side = [b.sign("Post", 1000 + i, text=f"side {i}", replyTo=chain[150 + i].id) for i in range(5)]
    store.ingest(chain + side)
    middle = chain[31]  # 31 ancestors and the post: 32 rows before the first reply
    below = sorted(chain[32:] + side, key=lambda m: (m.timestamp, m.id))
    items, pages = _whole_thread(store, middle.id, limit)
    assert [m.id for m in items] == [m.id for m in chain[:32] + below]
    assert pages == -(-len(items) // limit)  # no empty last page
    with pytest.raises(InvalidInput):
        store.thread(middle.id, cursor="up.x")
