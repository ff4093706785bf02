"""The merge-rule table: one rule per type, the merge order, and re-deriving an author after a
revocation by the same rules as ingest."""

from __future__ import annotations

from node.messages import TYPES, sign_message
from node.store import Store
from node.store._rules import RULES, Stage, merge_order

from .conftest import CHAIN, T0


def test_every_type_has_a_rule():
    assert set(RULES) == set(TYPES)


def test_a_batch_merges_signers_then_deletes_then_the_rest_and_the_authors_copy_first(users):
    a, b, app = users[0], users[1], users[4]
    fields = {"author": a.address, "target": b.address, "timestamp": T0 + 5}
    by_app, own = sign_message("Follow", fields, app.key, CHAIN), sign_message("Follow", fields, a.key, CHAIN)
    add = a.sign("SignerAdd", 9, signer=app.address)
    delete = a.sign("PostDelete", 1, post=bytes(32))
    ordered = sorted([by_app, delete, own, add], key=merge_order)
    assert ordered == [add, delete, own, by_app]
    assert [RULES[m.type].stage for m in ordered] == [Stage.SIGNERS, Stage.DELETES, Stage.REST, Stage.REST]


def _by(delegate, author, ts, type_, **fields):
    return sign_message(
        type_, {"author": author.address, "timestamp": T0 + ts, **fields}, delegate.key, CHAIN
    )


def test_a_revocation_leaves_the_state_of_a_node_that_never_saw_the_delegate(tmp_path, users):
    """Re-deriving the author after a revocation (profile, follows, reactions, tombstones) gives
    exactly the rows that ingesting the author's remaining messages gives."""
    a, b, c, _, app = users
    target = b.sign("Post", 1, text="b's post")
    add, remove = a.sign("SignerAdd", 2, signer=app.address), a.sign("SignerRemove", 30, signer=app.address)
    own = [
        a.sign("Profile", 3, field="name", value="Mine"),
        a.sign("Follow", 4, target=b.address),
        a.sign("Reaction", 5, post=target.id, kind="like"),
        a.sign("Post", 6, text="kept"),
        a.sign("PostDelete", 7, post=bytes(range(32))),
    ]
    delegated = [
        _by(app, a, 10, "Profile", field="name", value="Via app"),
        _by(app, a, 10, "Profile", field="bio", value="app bio"),
        _by(app, a, 11, "Follow", target=b.address, active=False),
        _by(app, a, 11, "Follow", target=c.address),
        _by(app, a, 12, "Reaction", post=target.id, kind="like", active=False),
        _by(app, a, 13, "PostDelete", post=bytes(range(1, 33))),
        _by(app, a, 14, "Post", text="via app"),
    ]
    revoked, fresh = Store(tmp_path / "revoked.sqlite", CHAIN), Store(tmp_path / "fresh.sqlite", CHAIN)
    revoked.ingest([target, add, *own, *delegated])
    assert revoked.profile(a.address).fields == {"name": "Via app", "bio": "app bio"}
    revoked.ingest([remove])
    fresh.ingest([target, add, remove, *own])
    assert revoked.state() == fresh.state()
    assert revoked.summary() == fresh.summary()
    revoked.close()
    fresh.close()
