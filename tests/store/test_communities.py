"""Community and moderation messages in the store: what each writes, and what a revocation and
a migration do to it. (Whether a row counts in a view is decided by reads, not here.)"""

from __future__ import annotations

import sqlite3

from node.messages import sign_message
from node.messages.community import community_id
from node.store import Outcome, Store, schema

from .conftest import CHAIN, T0, undo_to


def raw(user) -> bytes:
    """An address as the store's state lists it: 20 bytes."""
    return bytes.fromhex(user.address[2:])


def _ingest(store: Store, *messages) -> None:
    results = store.ingest(list(messages), now=T0 + 100).results
    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * len(messages), results


def test_a_charter_is_set_field_by_field_by_its_founder_last_writer_wins(store, users):
    alice, bob = users[:2]
    synth = community_id(alice.address, "synth")
    _ingest(
        store,
        alice.sign("Charter", 2, handle="synth", field="name", value="Synth makers"),
        alice.sign("Charter", 1, handle="synth", field="name", value="Older name"),
        alice.sign("Charter", 1, handle="synth", field="topics", value="modular,music"),
        # the same handle by bob names another community: nobody can write alice's charter
        bob.sign("Charter", 3, handle="synth", field="name", value="Hijack"),
    )
    charters = store.state()["charters"]
    assert (synth, "name", raw(alice), "synth", "Synth makers") in [r[:5] for r in charters]
    assert (synth, "topics", raw(alice), "synth", "modular,music") in [r[:5] for r in charters]
    hijack = [r for r in charters if r[4] == "Hijack"]
    assert [r[0] for r in hijack] == [community_id(bob.address, "synth")] != [synth]


def test_a_community_post_is_a_post_of_its_community_and_is_deleted_like_one(store, users):
    alice, bob = users[:2]
    synth = community_id(alice.address, "synth")
    root = bob.sign("CommunityPost", 1, community=synth, text="patch notes")
    reply = alice.sign("Post", 2, text="nice", replyTo=root.id)
    _ingest(store, root, reply)
    assert {(r[0], r[4]) for r in store.state()["posts"]} == {(root.id, synth), (reply.id, None)}
    assert [m.id for m in store.thread(reply.id).items] == [root.id, reply.id]
    _ingest(store, bob.sign("PostDelete", 3, post=root.id))
    assert store.get(root.id) is None
    again = store.ingest([root], now=T0 + 100).results[0]
    assert (again.outcome, again.reason) == (Outcome.DUPLICATE, "deleted")


def test_a_revocation_re_derives_mutes_and_blocks_both(store, users):
    """Mutes and blocks share one table: re-deriving one type must not clear the other's rows."""
    alice, bob, carol, _, app = users
    before = [
        alice.sign("SignerAdd", 0, signer=app.address),
        alice.sign("Mute", 1, target=bob.address),
        alice.sign("Block", 1, target=carol.address),
    ]
    _ingest(store, *before)
    by_app = sign_message(
        "Block", {"author": alice.address, "timestamp": T0 + 2, "target": bob.address}, app.key, CHAIN
    )
    _ingest(store, by_app)
    assert len(store.state()["mutes"]) == 3
    _ingest(store, alice.sign("SignerRemove", 3, signer=app.address))
    mutes = {(r[1], r[2], r[3]) for r in store.state()["mutes"]}
    assert mutes == {(raw(bob), "mute", 1), (raw(carol), "block", 1)}


def test_moderation_rows_are_last_writer_wins_and_disclosures_are_kept(store, users):
    alice, bob, carol = users[:3]
    synth = community_id(alice.address, "synth")
    post = bob.sign("CommunityPost", 1, community=synth, text="buy my course")
    _ingest(
        store,
        post,
        alice.sign("ModHide", 2, community=synth, post=post.id, reason="spam"),
        alice.sign("ModHide", 3, community=synth, post=post.id, active=False),
        carol.sign("ReplyHide", 2, post=post.id),
        bob.sign("Disclosure", 2, post=post.id, paidBy=carol.address),
        bob.sign("Disclosure", 3, post=post.id, paidBy=alice.address),
    )
    state = store.state()
    assert [(r[2], r[3], r[4]) for r in state["mod_hides"]] == [(raw(alice), "", 0)]
    assert [(r[1], r[2]) for r in state["reply_hides"]] == [(raw(carol), 1)]
    assert sorted(r[2] for r in state["disclosures"]) == sorted([raw(carol), raw(alice)])


def test_a_version_3_store_gains_the_community_tables_and_keeps_its_posts(tmp_path, users):
    alice, bob = users[:2]
    path = tmp_path / "v3.sqlite"
    with Store(path, CHAIN) as store:
        _ingest(
            store,
            alice.sign("Post", 1, text="hello"),
            bob.sign("Follow", 1, target=alice.address),
            bob.sign("Reaction", 2, post=alice.sign("Post", 1, text="hello").id, kind="like"),
        )
        before = store.state()
    db = sqlite3.connect(path)
    undo_to(db, 3)
    db.commit()
    assert "community" not in [c[1] for c in db.execute("PRAGMA table_info(posts)")]
    db.close()
    with Store(path, CHAIN) as store:
        assert store.state() == before
        assert store.integrity_check() == "ok"
        synth = community_id(alice.address, "synth")
        _ingest(store, bob.sign("CommunityPost", 3, community=synth, text="first"))
        assert [r[4] for r in store.state()["posts"] if r[4] is not None] == [synth]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION == 8
    db.close()
