"""KeyGrant merge rules: which grant counts, whatever order messages arrive in."""

from __future__ import annotations

import sqlite3

from node.gating import Balance, encode_gate, keypair_from_eth_key
from node.messages import sign_message
from node.store import Outcome, Store, schema

from .conftest import CHAIN, T0

GATE = encode_gate(Balance(CHAIN, "0x5FbDB2315678afecb367f032d93F642f64180aa3", 1)).decode()


def gated(user, ts=0):
    return user.sign("Post", ts, text="teaser", gate=GATE, ciphertext=b"\x01" + bytes(40))


def grant(signer, post, recipient, ts=1, author=None, fill=0):
    fields = {
        "post": post.id,
        "recipient": recipient.address,
        "recipientKey": keypair_from_eth_key(recipient.key).public_key,
        "wrappedKey": b"\x02" + bytes([fill]) * 80,
    }
    if author is None:
        return signer.sign("KeyGrant", ts, **fields)
    return sign_message("KeyGrant", {"author": author, "timestamp": T0 + ts, **fields}, signer.key, CHAIN)


def test_grant_before_its_post_counts_once_the_post_arrives(store, users):
    alice, bob = users[0], users[1]
    post = gated(alice)
    g = grant(alice, post, bob)
    assert store.ingest([g]).results[0].outcome is Outcome.ACCEPTED
    assert store.grant(post.id, bob.address) is None
    store.ingest([post])
    assert store.grant(post.id, bob.address) == g
    assert set(store.grant_recipients(post.id)) == {bob.address}


def test_only_the_post_authors_grants_count_newest_first(store, users):
    alice, bob, carol = users[0], users[1], users[2]
    post = gated(alice)
    older, newer = grant(alice, post, bob, ts=1, fill=1), grant(alice, post, bob, ts=2, fill=2)
    forged = grant(carol, post, bob, ts=9, fill=3)  # carol is not the author: inert
    store.ingest([post, newer, forged, older])
    assert store.grant(post.id, bob.address) == newer
    public = alice.sign("Post", 0, text="public")
    store.ingest([public, grant(alice, public, bob)])
    assert store.grant(public.id, bob.address) is None  # an ungated post has no grants


def test_delete_drops_the_authors_grants_and_refuses_later_ones(store, users):
    alice, bob = users[0], users[1]
    post = gated(alice)
    store.ingest([post, grant(alice, post, bob)])
    count = len(store)
    store.ingest([alice.sign("PostDelete", 5, post=post.id)])
    assert len(store) == count - 2 + 1
    late = store.ingest([grant(alice, post, bob, ts=7)]).results[0]
    assert (late.outcome, late.reason) == (Outcome.DUPLICATE, "deleted")
    assert store.state()["grants"] == []


def test_revoking_the_granting_delegate_drops_its_grants(store, users):
    alice, bob, node = users[0], users[1], users[4]
    post = gated(alice)
    store.ingest([alice.sign("SignerAdd", 0, signer=node.address), post])
    g = grant(node, post, bob, author=alice.address)
    assert store.ingest([g]).results[0].outcome is Outcome.ACCEPTED
    assert store.grant(post.id, bob.address) == g and store.grant(post.id, bob.address).signer == node.address
    store.ingest([alice.sign("SignerRemove", 9, signer=node.address)])
    assert store.grant(post.id, bob.address) is None and store.state()["grants"] == []


def test_a_version_1_store_is_migrated(tmp_path, users):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    for stmt in schema.MIGRATIONS[1]:
        db.execute(stmt)
    db.execute("INSERT INTO meta VALUES (?, ?)", (schema.META_CHAIN_ID, CHAIN))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Store(path, CHAIN) as store:
        post = gated(users[0])
        store.ingest([post, grant(users[0], post, users[1])])
        assert store.grant(post.id, users[1].address) is not None
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
