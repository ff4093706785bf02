"""What an ingest report says about the id set: added, removed, origin, count and fingerprint,
enough for a listener to keep a set index of :meth:`Store.sync_keys` in step without reading it."""

from __future__ import annotations

from node.messages import sign_message
from node.store import Store

from .conftest import CHAIN, T0
from .test_grants import gated, grant


class SetIndex:
    """A listener's copy of the store's key set, kept only from reports, in the stated order."""

    def __init__(self, store: Store) -> None:
        self.keys = set(store.sync_keys())
        self.reports = []
        store.add_listener(self.apply)

    def apply(self, report) -> None:
        self.reports.append(report)
        self.keys.difference_update(report.removed)
        self.keys.update(report.added)


def by(delegate, author, ts, type_="Post", **fields):
    """A message for ``author`` signed by ``delegate``."""
    return sign_message(
        type_, {"author": author.address, "timestamp": T0 + ts, **fields}, delegate.key, CHAIN
    )


def test_a_delete_reports_the_post_and_its_grants_as_removed(store, users):
    alice, bob = users[:2]
    post, other = gated(alice), alice.sign("Post", 2, text="stays")
    g = grant(alice, post, bob)
    store.ingest([post, other, g])
    index = SetIndex(store)
    delete = alice.sign("PostDelete", 3, post=post.id)
    report = store.ingest([delete], origin="gossip")
    assert sorted(report.removed) == sorted([post.sync_key, g.sync_key])
    assert report.accepted == [delete] and report.origin == "gossip"
    assert index.keys == set(store.sync_keys())
    assert (report.count, report.fingerprint) == store.summary() == (len(store), store.fingerprint())


def test_a_revocation_reports_every_message_of_the_delegate_as_removed(store, users):
    alice, bob, app = users[0], users[1], users[4]
    delegated = [
        by(app, alice, 2, text="via app"),
        by(app, alice, 3, "Follow", target=bob.address),
        by(app, alice, 4, "Profile", field="name", value="App"),
    ]
    own = alice.sign("Post", 5, text="mine")
    store.ingest([alice.sign("SignerAdd", 1, signer=app.address), *delegated, own])
    index = SetIndex(store)
    remove = alice.sign("SignerRemove", 6, signer=app.address)
    report = store.ingest([remove])
    assert sorted(report.removed) == sorted(m.sync_key for m in delegated)
    assert report.added == [remove.sync_key] and report.origin is None
    assert index.keys == set(store.sync_keys()) and own.sync_key in index.keys
    assert (report.count, report.fingerprint) == store.summary()


def test_the_authors_copy_survives_a_revocation_in_the_same_batch(tmp_path, users):
    """Revoking a delegate drops its copy of a message; the author's own copy of that message,
    in the same batch, is then new: the log keeps it (as a node that got it first does)."""
    alice, bob, app = users[0], users[1], users[4]
    add, remove = (
        alice.sign("SignerAdd", 1, signer=app.address),
        alice.sign("SignerRemove", 9, signer=app.address),
    )
    by_app = by(app, alice, 5, "Follow", target=bob.address)
    own = alice.sign("Follow", 5, target=bob.address)
    assert own.id == by_app.id
    late, early = Store(tmp_path / "late.sqlite", CHAIN), Store(tmp_path / "early.sqlite", CHAIN)
    late.ingest([add, by_app])
    index = SetIndex(late)
    report = late.ingest([own, remove])
    assert own.sync_key in report.removed and own.sync_key in report.added
    early.ingest([add, own, by_app, remove])
    assert late.get(own.id) == own and late.state() == early.state()
    assert index.keys == set(late.sync_keys()) and late.fingerprint() == early.fingerprint()
    late.close()
    early.close()


def test_a_rebuild_reports_what_no_longer_merges(store, users):
    alice, app = users[0], users[4]
    add = alice.sign("SignerAdd", 1, signer=app.address)
    post = by(app, alice, 2, text="via app")
    store.ingest([add, post])
    store._db.execute("DELETE FROM messages WHERE type = 6")  # the log loses the SignerAdd
    index = SetIndex(store)
    store.rebuild()
    assert index.reports[-1].removed == [post.sync_key] and index.reports[-1].accepted == []
    assert store.sync_keys() == [] and index.keys == set()


def test_listeners_see_every_commit_in_order_with_the_whole_report(store, users):
    alice = users[0]
    index = SetIndex(store)
    posts = [alice.sign("Post", i, text=str(i)) for i in range(6)]
    store.ingest(posts[:3], origin="sync")
    store.ingest([posts[0]])  # nothing new: no report
    store.ingest([alice.sign("PostDelete", 10, post=posts[1].id), *posts[3:]])
    assert [r.origin for r in index.reports] == ["sync", None]
    assert [len(r.removed) for r in index.reports] == [0, 1]
    assert index.keys == set(store.sync_keys())
