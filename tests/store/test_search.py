"""Search over posts and profiles (FTS5): what a user types is only ever words, the index follows
every way a post or a profile field leaves or changes, and a version-3 file gets its index."""

from __future__ import annotations

import contextlib
import sqlite3
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.errors import InvalidInput
from node.messages import sign_message
from node.messages.community import community_id
from node.store import SearchRules, Store, schema

from .conftest import CHAIN, T0, undo_to


def _ids(page):
    return [hit.post.id for hit in page.items]


def _addresses(page):
    return [hit.address for hit in page.items]


def assert_index_matches_live_posts(store):
    """The search index holds exactly the live posts: nothing stale for bm25's statistics to
    count, nor for a later post to inherit (a post's row number can be used again)."""
    db = sqlite3.connect(store.path)
    try:
        indexed = db.execute("SELECT rowid FROM post_search ORDER BY rowid").fetchall()
        assert indexed == db.execute("SELECT seq FROM posts ORDER BY seq").fetchall()
    finally:
        db.close()


def test_posts_are_found_by_word_prefixes_best_first(store, users):
    a, b = users[0], users[1]
    once = a.sign("Post", 1, text="A watercolour of the harbour at dawn")
    thrice = b.sign("Post", 2, text="Watercolour, watercolour, watercolours: my watercolour month")
    other = a.sign("Post", 3, text="Oil painting notes")
    store.ingest([once, thrice, other])
    assert _ids(store.search_posts("waterc")) == [thrice.id, once.id]
    assert _ids(store.search_posts("WATERCOLOUR harb")) == [once.id]  # every word, any case
    assert _ids(store.search_posts("oil")) == [other.id]
    assert store.search_posts("acrylic").items == []
    hit = store.search_posts("harbour").items[0]
    assert hit.post == once and hit.score > 0


def test_a_common_query_ranks_only_the_posts_stored_last(store, users):
    a = users[0]
    # stored in this order (seq), timestamps the other way round: "last" is this node's order
    posts = [a.sign("Post", 10 - i, text="kite " * (i + 1) + "string") for i in range(5)]
    store.ingest(posts[:2])
    store.ingest(posts[2:])
    capped = SearchRules(max_candidates=3)
    # the three stored last, best first (more "kite": better), never the two stored first
    assert _ids(store.search_posts("kite", rules=capped)) == [posts[4].id, posts[3].id, posts[2].id]
    assert len(store.search_posts("kite", rules=capped, limit=2).items) == 2
    # a query matching no more than the cap ranks every match, however few
    assert _ids(store.search_posts("kite", rules=SearchRules(max_candidates=5))) == [
        p.id for p in posts[::-1]
    ]
    assert sorted(_ids(store.search_posts("kit string"))) == sorted(p.id for p in posts)  # default: 1,000


def test_pages_keep_their_candidates_while_posts_arrive(store, users):
    a = users[0]
    posts = [a.sign("Post", i, text="kite " * (i + 1)) for i in range(5)]
    store.ingest(posts)
    capped = SearchRules(max_candidates=3)
    first = store.search_posts("kite", rules=capped, limit=2)
    assert _ids(first) == [posts[4].id, posts[3].id]
    # newer matches arrive between the pages: they would push posts[2] out of the candidates
    store.ingest([a.sign("Post", 10 + i, text="kite " * 9) for i in range(3)])
    second = store.search_posts("kite", rules=capped, limit=2, cursor=first.next_cursor)
    assert _ids(second) == [posts[2].id] and second.next_cursor is None
    # a cursor naming a ceiling of its own still ranks at most max_candidates
    forged = store.search_posts("kite", rules=capped, limit=20, cursor="0.999999")
    assert len(forged.items) == 3


def test_diacritics_do_not_matter(store, users):
    post = users[0].sign("Post", 1, text="Crème brûlée au café")
    store.ingest([post])
    assert _ids(store.search_posts("creme brulee")) == [post.id]
    assert _ids(store.search_posts("CAFÉ")) == [post.id]


def test_profiles_are_found_by_name_before_bio(store, users):
    a, b, c = users[0], users[1], users[2]
    store.ingest(
        [
            a.sign("Profile", 1, field="bio", value="I collect prints by Hokusai"),
            b.sign("Profile", 1, field="name", value="Hokusai Fan Club"),
            c.sign("Profile", 1, field="name", value="Carol"),
            c.sign("Profile", 1, field="location", value="Hokusai street"),  # not searched
        ]
    )
    page = store.search_profiles("hokus")
    assert _addresses(page) == [b.address, a.address]
    assert (page.items[0].name, page.items[0].bio) == ("Hokusai Fan Club", "")
    assert (page.items[1].name, page.items[1].bio) == ("", "I collect prints by Hokusai")


def test_a_profile_change_replaces_what_is_found(store, users):
    a = users[0]
    store.ingest([a.sign("Profile", 1, field="name", value="Old Name")])
    store.ingest([a.sign("Profile", 2, field="name", value="Fresh Name")])
    assert store.search_profiles("old").items == []
    assert _addresses(store.search_profiles("fresh")) == [a.address]
    store.ingest([a.sign("Profile", 1, field="name", value="Older write loses")])  # last writer wins
    assert store.search_profiles("older").items == []
    store.ingest([a.sign("Profile", 3, field="name", value="")])  # cleared
    assert store.search_profiles("fresh").items == []
    assert store.search_profiles("name").items == []


def test_a_deleted_post_vanishes_from_search(store, users):
    a = users[0]
    post, kept = a.sign("Post", 1, text="ephemeral thought"), a.sign("Post", 2, text="ephemeral but kept")
    store.ingest([post, kept])
    store.ingest([a.sign("PostDelete", 3, post=post.id)])
    assert _ids(store.search_posts("ephemeral")) == [kept.id]
    store.ingest([post])  # refused: deleted
    assert _ids(store.search_posts("thought")) == []
    assert_index_matches_live_posts(store)


def _by(delegate, author, ts, type_, **fields):
    return sign_message(
        type_, {"author": author.address, "timestamp": T0 + ts, **fields}, delegate.key, CHAIN
    )


def test_a_revoked_signers_posts_and_profile_writes_vanish_from_search(store, users):
    a, app = users[0], users[4]
    store.ingest(
        [
            a.sign("SignerAdd", 1, signer=app.address),
            a.sign("Profile", 2, field="name", value="Alice Original"),
            a.sign("Post", 3, text="my own words about gardens"),
        ]
    )
    store.ingest(
        [
            _by(app, a, 4, "Profile", field="name", value="Hijacked Alias"),
            _by(app, a, 5, "Post", text="spam about gardens and casinos"),
        ]
    )
    assert len(store.search_posts("gardens").items) == 2
    assert _addresses(store.search_profiles("hijacked")) == [a.address]
    store.ingest([a.sign("SignerRemove", 6, signer=app.address)])
    assert [h.post.fields["text"] for h in store.search_posts("gardens").items] == [
        "my own words about gardens"
    ]
    assert store.search_posts("casinos").items == []
    assert store.search_profiles("hijacked").items == []
    assert _addresses(store.search_profiles("original")) == [a.address]
    assert_index_matches_live_posts(store)


def test_a_rebuild_gives_the_same_search(store, users):
    a, b = users[0], users[1]
    store.ingest(
        [
            a.sign("Profile", 1, field="name", value="Anna Painter"),
            b.sign("Post", 2, text="painter of small boats"),
            a.sign("Post", 3, text="a painter's diary"),
        ]
    )
    before = (_ids(store.search_posts("paint")), _addresses(store.search_profiles("paint")))
    store.rebuild()
    assert (_ids(store.search_posts("paint")), _addresses(store.search_profiles("paint"))) == before
    assert len(before[0]) == 2
    assert_index_matches_live_posts(store)


HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "a*",
    "AND",
    "OR NOT",
    "foo AND",
    "NEAR(a b, 1)",
    "text: foo",
    "name:x",
    "^start",
    "foo\"bar'baz",
    "(((((",
    "- -foo",
    "{text bio}: x",
    "x\x00y",
    "🎨 paint 🎨",
    "NOT NOT NOT paint",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_fts_syntax_in_a_query_is_only_words(store, users, query):
    post = users[0].sign("Post", 1, text="paint foo bar baz start x y a b AND OR NOT NEAR text name")
    store.ingest([post])
    for search in (store.search_posts, store.search_profiles):
        with contextlib.suppress(InvalidInput):  # a clear refusal: nothing to search for
            assert isinstance(search(query).items, list)


def test_a_query_of_operators_finds_the_words(store, users):
    post = users[0].sign("Post", 1, text="NOT a NEAR miss AND more")
    store.ingest([post])
    assert _ids(store.search_posts("NOT NEAR")) == [post.id]  # words, not operators


@given(text=st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_any_text_is_results_or_a_clear_refusal(tmp_path_factory, text):
    with Store(tmp_path_factory.mktemp("fuzz") / "store.sqlite", CHAIN) as store:
        for search in (store.search_posts, store.search_profiles):
            with contextlib.suppress(InvalidInput):
                assert search(text).items == []


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        ("", "no word"),
        ("!!! ???", "no word"),
        ("x" * 201, "at most 200 characters"),
        ("a b c d e f g h i", "8 words"),
    ],
)
def test_bad_queries_are_refused_clearly(store, query, refusal):
    with pytest.raises(InvalidInput, match=refusal):
        store.search_posts(query)


def test_pages_follow_the_ranking_up_to_the_bound(store, users):
    posts = [users[i % 4].sign("Post", i, text=f"tulip {i}") for i in range(7)]
    store.ingest(posts)
    everything = _ids(store.search_posts("tulip", limit=10))
    first = store.search_posts("tulip", limit=3)
    second = store.search_posts("tulip", limit=3, cursor=first.next_cursor)
    third = store.search_posts("tulip", limit=3, cursor=second.next_cursor)
    assert _ids(first) + _ids(second) + _ids(third) == everything and third.next_cursor is None
    bounded = SearchRules(max_results=4)
    page = store.search_posts("tulip", limit=3, rules=bounded)
    assert store.search_posts("tulip", limit=3, cursor=page.next_cursor, rules=bounded).next_cursor is None
    with pytest.raises(InvalidInput, match="cursor"):
        store.search_posts("tulip", cursor="4", rules=bounded)
    with pytest.raises(InvalidInput, match="cursor"):
        store.search_posts("tulip", cursor="-1")


def test_communities_are_found_by_their_charter_and_follow_its_changes(store, users):
    a, b = users[0], users[1]
    synth, knit = community_id(a.address, "synth"), community_id(b.address, "knit")
    store.ingest(
        [
            a.sign("Charter", 1, handle="synth", field="name", value="Modular synth makers"),
            a.sign("Charter", 1, handle="synth", field="topics", value="modular,music"),
            b.sign("Charter", 1, handle="knit", field="about", value="We knit and talk about synthesizers"),
            b.sign("Charter", 1, handle="knit", field="rules", value="synth talk welcome"),  # not searched
        ]
    )
    found = store.search_communities("synth")
    assert [h.community for h in found.items] == [synth, knit]  # a name match weighs more
    assert (found.items[0].name, found.items[0].topics) == ("Modular synth makers", "modular,music")
    assert [h.community for h in store.search_communities("music").items] == [synth]  # by topic
    store.ingest([a.sign("Charter", 2, handle="synth", field="name", value="Drum machines")])
    assert [h.community for h in store.search_communities("modular").items] == [synth]  # the topic stays
    assert [h.community for h in store.search_communities("drum").items] == [synth]
    assert [h.community for h in store.search_communities("synth").items] == [knit]
    store.ingest([b.sign("Charter", 3, handle="knit", field="about", value="")])
    assert store.search_communities("knit").items == []
    store.rebuild()
    assert [h.community for h in store.search_communities("drum").items] == [synth]


def test_a_version_4_store_gets_its_search_index_community_posts_included(store, users):
    a, b = users[0], users[1]
    post = a.sign("Post", 1, text="lighthouse keeper's log")
    in_community = b.sign(
        "CommunityPost", 2, community=community_id(a.address, "coast"), text="lighthouse photos"
    )
    store.ingest(
        [
            post,
            in_community,
            b.sign("Post", 2, text="nothing to see"),
            a.sign("Profile", 3, field="name", value="Lighthouse Annie"),
            b.sign("Profile", 3, field="avatar", value="ipfs://lighthouse"),
            a.sign("Charter", 3, handle="coast", field="about", value="Lighthouse keepers"),
        ]
    )
    store.close()
    db = sqlite3.connect(store.path)
    undo_to(db, 4)
    db.commit()
    db.close()
    with Store(store.path, CHAIN) as reopened:
        assert sorted(_ids(reopened.search_posts("lighthouse"))) == sorted([post.id, in_community.id])
        assert _addresses(reopened.search_profiles("lighthouse")) == [a.address]
        assert [h.community for h in reopened.search_communities("lighthouse").items] == [
            community_id(a.address, "coast")
        ]
        reopened.ingest([b.sign("Post", 4, text="another lighthouse")])
        assert len(reopened.search_posts("lighthouse").items) == 3
        assert_index_matches_live_posts(reopened)
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION == 8
    db.close()


def test_a_version_5_store_gets_prefix_lists_and_finds_the_same(store, users):
    a, b = users[0], users[1]
    posts = [a.sign("Post", 1, text="crepuscular light"), b.sign("Post", 2, text="crêpe recipe")]
    store.ingest([*posts, b.sign("Post", 3, text="nothing alike")])
    before = {q: _ids(store.search_posts(q)) for q in ("cr", "cre", "crep", "crepus", "light")}
    store.close()
    db = sqlite3.connect(store.path)
    undo_to(db, 5)
    db.commit()
    assert (
        "prefix" not in db.execute("SELECT sql FROM sqlite_master WHERE name = 'post_search'").fetchone()[0]
    )
    db.close()
    with Store(store.path, CHAIN) as reopened:
        assert {q: _ids(reopened.search_posts(q)) for q in before} == before
        assert sorted(before["cre"]) == sorted(p.id for p in posts)
        assert_index_matches_live_posts(reopened)
    db = sqlite3.connect(store.path)
    assert (
        "prefix = '2 3 4'"
        in db.execute("SELECT sql FROM sqlite_master WHERE name = 'post_search'").fetchone()[0]
    )
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    db.close()


def _segments(path) -> int:
    """How many segments the posts' index holds (each has rows in FTS5's ``_idx`` table)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT count(DISTINCT segid) FROM post_search_idx").fetchone()[0]


def test_no_write_merges_the_posts_index_the_merge_thread_does(tmp_path, users):
    path = tmp_path / "store.sqlite"
    posts = [users[i % 3].sign("Post", i + 1, text=f"segment {i} of a growing index") for i in range(20)]
    with Store(path, CHAIN, merge_idle_seconds=3600) as store:  # no merge step in this block
        for post in posts:
            store.ingest([post])  # a commit each: a segment each, none merged by the writes
        assert _segments(path) == len(posts)
        found = _ids(store.search_posts("segm"))
    with Store(path, CHAIN, merge_idle_seconds=0.05) as store:
        deadline = time.monotonic() + 30
        while _segments(path) > len(posts) - 15 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _segments(path) <= len(posts) - 15  # 16 (``usermerge``) merged into one by the merge thread
        assert _ids(store.search_posts("segm")) == found and len(found) == len(posts)
        assert_index_matches_live_posts(store)


def test_a_version_7_store_stops_merging_the_posts_index_in_writes(store, users):
    store.ingest([users[0].sign("Post", 1, text="merging segments")])
    store.close()

    def merging() -> dict[str, int]:
        with contextlib.closing(sqlite3.connect(store.path)) as db:
            return dict(db.execute("SELECT k, v FROM post_search_config WHERE k LIKE '%merge'").fetchall())

    version_8 = {"automerge": 0, "usermerge": 16, "crisismerge": 64}
    assert merging() == version_8
    with contextlib.closing(sqlite3.connect(store.path)) as db:
        undo_to(db, 7)
        db.commit()
    assert merging() == {"automerge": 16, "usermerge": 4, "crisismerge": 16}
    with Store(store.path, CHAIN) as reopened:
        assert _ids(reopened.search_posts("segm")) != []
    assert merging() == version_8


def test_a_version_3_store_migrates_through_to_search(store, users):
    post = users[0].sign("Post", 1, text="migrating geese")
    store.ingest([post])
    store.close()
    db = sqlite3.connect(store.path)
    undo_to(db, 3)
    db.commit()
    db.close()
    with Store(store.path, CHAIN) as reopened:
        assert _ids(reopened.search_posts("geese")) == [post.id]
