"""Ingest admits the scopes it is given: a message of another scope is refused as
``out_of_scope`` and never written; by default every scope is admitted."""

from __future__ import annotations

from node.messages import Reason
from node.messages.community import community_id
from node.messages.scope import BASE, Scopes, scope_of
from node.store import Outcome


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
    assert store.scope_counts() == {BASE: 0}
    assert store.ingest(messages).counts["accepted"] == len(messages)
    assert store.scope_counts() == {BASE: 4, one: 3, two: 1}
    assert sum(store.scope_counts().values()) == len(store)


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
