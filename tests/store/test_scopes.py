"""Ingest admits the scopes it is given: a message of another scope is refused as
``out_of_scope`` and never written; by default every scope is admitted. The scopes a store
keeps (``Store.served``) survive a restart until the configured ones change; dropping a scope
leaves exactly what a store that never held it holds."""

from __future__ import annotations

import sqlite3
from typing import Any

from node.fingerprint import fingerprint_of
from node.messages import Reason
from node.messages.community import community_id
from node.messages.scope import BASE, EVERYTHING, Scopes, scope_of
from node.store import Outcome, Store

from .conftest import CHAIN


def test_ingest_refuses_messages_outside_its_scopes_and_writes_nothing_of_them(store, users):
    alice, bob = users[0], users[1]
    one, two = community_id(alice.address, "one"), community_id(alice.address, "two")
    inside = bob.sign("CommunityPost", 1, community=one, text="inside")
    outside = bob.sign("CommunityPost", 2, community=two, text="outside")
    hide = alice.sign("ModHide", 3, community=two, post=outside.id, reason="spam")
    member = bob.sign("Membership", 4, community=two)
    base = bob.sign("Post", 5, text="base")

    report = store.ingest([inside, outside, hide, member, base], scopes=Scopes.of([one]))

    assert [r.outcome for r in report.results] == [
        Outcome.ACCEPTED,
        Outcome.REJECTED,
        Outcome.REJECTED,
        Outcome.ACCEPTED,
        Outcome.ACCEPTED,
    ]
    refused = report.results[1]
    assert refused.reason == Reason.OUT_OF_SCOPE and refused.id == outside.id
    assert "0x" + two.hex() in (refused.detail or "")
    assert len(store) == 3 and store.get(outside.id) is None and store.get(hide.id) is None
    assert store.ingest([outside, hide]).counts["accepted"] == 2  # everything, by default


def test_one_scope_alone_refuses_the_base_scope(store, users):
    one = community_id(users[0].address, "one")
    base = users[1].sign("Post", 1, text="base")
    post = users[1].sign("CommunityPost", 2, community=one, text="in one")
    report = store.ingest([base, post], scopes=Scopes.only(one))
    assert [r.reason for r in report.results] == [Reason.OUT_OF_SCOPE, None]
    assert store.ingest([base], scopes=Scopes.only(BASE)).counts["accepted"] == 1


def test_the_store_counts_its_messages_per_scope(store, users):
    alice, bob = users[0], users[1]
    one, two = community_id(alice.address, "one"), community_id(alice.address, "two")
    post = bob.sign("CommunityPost", 1, community=one, text="in one")
    messages = [
        post,
        bob.sign("CommunityReaction", 2, community=one, post=post.id, kind="like"),
        alice.sign("ModHide", 3, community=one, post=post.id, reason="spam"),
        bob.sign("CommunityPost", 4, community=two, text="in two"),
        bob.sign("Membership", 6, community=two),
        alice.sign("Charter", 7, handle="one", field="name", value="One"),
        bob.sign("Post", 8, text="base"),
        bob.sign("Reaction", 9, post=post.id, kind="like"),
    ]
    assert store.scope_summary() == {BASE: (0, fingerprint_of(0, 0))}
    assert store.ingest(messages).counts["accepted"] == len(messages)
    summary = store.scope_summary()
    assert {scope: n for scope, (n, _) in summary.items()} == {BASE: 4, one: 3, two: 1}
    for scope, (n, fingerprint) in summary.items():
        ids = [m.id for m in messages if scope_of(m) == scope]
        assert fingerprint == fingerprint_of(sum(int.from_bytes(i, "little") for i in ids), n)


def test_the_sync_keys_come_with_each_messages_scope(store, users):
    alice, bob = users[0], users[1]
    one = community_id(alice.address, "one")
    post = bob.sign("CommunityPost", 1, community=one, text="in one")
    messages = [
        post,
        alice.sign("ModHide", 2, community=one, post=post.id, reason="spam"),
        bob.sign("Post", 3, text="b"),
    ]
    store.ingest(messages)
    assert sorted(store.scoped_sync_keys()) == sorted((m.sync_key, scope_of(m)) for m in messages)
    assert sorted(key for key, _ in store.scoped_sync_keys()) == store.sync_keys()


def test_a_message_of_a_scope_no_longer_served_is_refused_as_such(store, users):
    one = community_id(users[0].address, "one")
    post = users[1].sign("CommunityPost", 1, community=one, text="late")
    assert store.serve(Scopes.of([]))
    report = store.ingest([post], scopes=Scopes.of([one]))  # a session negotiated before
    assert report.results[0].reason == Reason.NO_LONGER_SERVED and store.get(post.id) is None


def test_the_scopes_served_last_across_a_restart_until_the_configured_ones_change(tmp_path, users):
    one, two = (community_id(users[0].address, h) for h in ("one", "two"))
    path = tmp_path / "store.sqlite"
    with Store(path, CHAIN) as store:
        assert store.served == EVERYTHING
        assert store.serve_configured(Scopes.of([one])) == Scopes.of([one])  # first start
        assert store.serve(Scopes.of([one, two])) and not store.serve(Scopes.of([one, two]))
    with Store(path, CHAIN) as store:
        assert store.served == Scopes.of([one, two])
        assert store.serve_configured(Scopes.of([one])) == Scopes.of([one, two])  # same configuration
    with Store(path, CHAIN) as store:
        assert store.serve_configured(EVERYTHING) == EVERYTHING  # the configuration changed: it wins
    with Store(path, CHAIN) as store:
        assert store.served == EVERYTHING


def _derived_state(store: Store) -> dict[str, Any]:
    """Every table but the log's bookkeeping, with log positions as message ids and account
    numbers as addresses (two stores number them in their own order), and the posts' search
    entries: what a store derived from its log."""
    db = sqlite3.connect(store.path)
    try:
        ids = dict(db.execute("SELECT seq, id FROM messages"))
        accounts = dict(db.execute("SELECT n, address FROM accounts"))
        tables = [
            t
            for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if t not in ("meta", "accounts") and "search_" not in t and not t.endswith("_search")
        ]
        people = {"author", "target", "founder", "member", "recipient", "paid_by", "signer"}
        state: dict[str, Any] = {}
        for table in tables:
            names = [c[1] for c in db.execute(f"PRAGMA table_info({table})")]
            rows = []
            for row in db.execute(f"SELECT * FROM {table}"):
                rows.append(
                    tuple(
                        ids[v] if name == "seq" else accounts.get(v) if name in people else v
                        for name, v in zip(names, row, strict=True)
                    )
                )
            state[table] = sorted(rows, key=repr)
        state["post_search"] = sorted(
            (ids[r], text) for r, text in db.execute("SELECT rowid, text FROM post_search")
        )
        return state
    finally:
        db.close()


def test_dropping_a_scope_leaves_what_a_store_that_never_held_it_holds(tmp_path, users):
    alice, bob, carol = users[0], users[1], users[2]
    one, two = community_id(alice.address, "one"), community_id(alice.address, "two")
    base_post = bob.sign("Post", 1, text="a base post about apples")
    in_one = carol.sign("CommunityPost", 2, community=one, text="apples in one")
    kept = [
        base_post,
        alice.sign("Charter", 3, handle="one", field="name", value="One"),
        bob.sign("Membership", 4, community=one),
        bob.sign("Reaction", 5, post=in_one.id, kind="like"),  # base: it names the post by id
        carol.sign("CommunityPost", 6, community=two, text="apples in two"),
        bob.sign("Follow", 7, target=carol.address, active=True),
        alice.sign("ReplyHide", 8, post=in_one.id),
    ]
    dropped = [
        in_one,
        carol.sign("CommunityPost", 9, community=one, replyTo=base_post.id, text="a reply in one"),
        bob.sign("CommunityReaction", 10, community=one, post=in_one.id, kind="like", active=False),
        alice.sign("CommunityReaction", 11, community=one, post=base_post.id, kind="like"),
        alice.sign("ModHide", 12, community=one, post=in_one.id, reason="spam"),
    ]
    with Store(tmp_path / "dropped.sqlite", CHAIN) as store, Store(tmp_path / "never.sqlite", CHAIN) as never:
        assert store.ingest([*kept, *dropped]).counts["accepted"] == len(kept) + len(dropped)
        assert store.reactions(in_one.id) == {}  # bob's later CommunityReaction took his like back
        assert never.ingest(kept).counts["accepted"] == len(kept)
        reports = []
        store.add_listener(reports.append)
        before = store.scope_summary()

        assert store.serve(Scopes.of([two]))
        assert store.drop_unserved(chunk=2) == len(dropped)

        assert sorted(k for r in reports for k in r.removed) == sorted(m.sync_key for m in dropped)
        assert [r.count for r in reports][-1] == len(store) == len(kept)
        assert store.fingerprint() == never.fingerprint()
        assert store.scope_summary() == {BASE: before[BASE], two: before[two]}
        assert _derived_state(store) == _derived_state(never)
        assert store.reactions(in_one.id) == {"like": 1}  # bob's base like holds the row again
        assert [h.post.id for h in store.search_posts("apples").items] == [
            h.post.id for h in never.search_posts("apples").items
        ]
        assert store.drop_unserved() == 0
