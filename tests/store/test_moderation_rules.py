"""Who was a member when: the last membership message at or before a post's timestamp, by the
per-edge merge rule, read by one lookup whatever else the author joined."""

from __future__ import annotations

from node.messages import sign_message
from node.messages.community import community_id
from node.store import Outcome


def test_membership_at_a_post_is_the_last_writer_at_or_before_it(store, users):
    alice, bob = users[:2]
    synth = community_id(alice.address, "synth")
    other = community_id(alice.address, "other")
    joins = [
        bob.sign("Membership", 10, community=synth),
        bob.sign("Membership", 20, community=synth, active=False),
        bob.sign("Membership", 30, community=synth),
        bob.sign("Membership", 15, community=other, active=False),  # another community: no say
    ]
    posts = [
        bob.sign("CommunityPost", t, community=synth, text=f"at {t}") for t in (9, 10, 19, 20, 29, 30, 99)
    ]
    report = store.ingest(joins + posts, now=10**10)
    assert all(r.outcome is Outcome.ACCEPTED for r in report.results)
    facts = store.moderation_facts(posts, community=synth)
    assert [facts.member_when_posted[p.id] for p in posts] == [False, True, True, False, False, True, True]


def test_on_equal_timestamps_leaving_wins_whatever_the_ids(store, users):
    alice, bob = users[:2]
    synth = community_id(alice.address, "synth")
    store.ingest(
        [
            bob.sign("Membership", 10, community=synth),
            bob.sign("Membership", 10, community=synth, active=False),
        ]
    )
    post = bob.sign("CommunityPost", 10, community=synth, text="same second")
    store.ingest([post])
    assert store.moderation_facts([post], community=synth).member_when_posted[post.id] is False


def test_a_revoked_delegates_membership_leaves_with_it(store, users):
    alice, bob, *_, app = users
    synth = community_id(alice.address, "synth")
    joined = sign_message(
        "Membership", {"author": bob.address, "timestamp": 1_767_225_610, "community": synth}, app.key, 31337
    )
    post = bob.sign("CommunityPost", 20, community=synth, text="hello")
    store.ingest([bob.sign("SignerAdd", 0, signer=app.address), joined, post])
    assert store.moderation_facts([post], community=synth).member_when_posted[post.id] is True
    store.ingest([bob.sign("SignerRemove", 30, signer=app.address)])
    assert store.moderation_facts([post], community=synth).member_when_posted[post.id] is False
    assert store.state()["membership_log"] == []
