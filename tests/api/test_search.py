"""``GET /v1/search`` against a real store file: posts and profiles found by words, pages, and
every query either answered or refused with a 400 (FTS5 syntax from users never reaches FTS5)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from node.identity import Key
from node.messages.community import community_id
from node.store import Store

from .conftest import CHAIN_ID


def _ingest(store: Store, key: Key, type_: str, **fields: object) -> bytes:
    m = key.sign(type_, fields, chain_id=CHAIN_ID)
    assert store.ingest([m]).counts["accepted"] == 1
    return m.id


def test_posts_and_profiles_are_found(client: TestClient, store: Store, alice: Key, bob: Key) -> None:
    post = _ingest(store, alice, "Post", text="Sourdough starter diaries")
    _ingest(store, bob, "Post", text="nothing about bread")
    _ingest(store, bob, "Profile", field="name", value="Bob the Sourdough Baker")
    r = client.get("/v1/search", params={"q": "sourd"})
    assert r.status_code == 200, r.text
    (hit,) = r.json()["items"]
    assert (hit["kind"], hit["post"]["id"]) == ("post", "0x" + post.hex()) and hit["score"] > 0
    r = client.get("/v1/search", params={"q": "sourdough baker", "kind": "profiles"})
    assert [(h["kind"], h["address"], h["name"]) for h in r.json()["items"]] == [
        ("profile", bob.address, "Bob the Sourdough Baker")
    ]


def test_communities_are_found_by_their_charter(client: TestClient, store: Store, alice: Key) -> None:
    _ingest(store, alice, "Charter", handle="bread", field="name", value="Sourdough circle")
    _ingest(store, alice, "Charter", handle="bread", field="topics", value="baking,bread")
    r = client.get("/v1/search", params={"q": "sourdough", "kind": "communities"})
    assert r.status_code == 200, r.text
    (hit,) = r.json()["items"]
    assert (hit["kind"], hit["id"], hit["name"], hit["topics"]) == (
        "community",
        "0x" + community_id(alice.address, "bread").hex(),
        "Sourdough circle",
        ["baking", "bread"],
    )


def test_pages_end_with_a_null_cursor(client: TestClient, store: Store, alice: Key) -> None:
    for i in range(5):
        _ingest(store, alice, "Post", text=f"kite flying day {i}")
    first = client.get("/v1/search", params={"q": "kite", "limit": 3}).json()
    rest = client.get("/v1/search", params={"q": "kite", "limit": 3, "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 3 and len(rest["items"]) == 2 and rest["next_cursor"] is None


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "a* OR b*",
        "NEAR(x y)",
        "text:kite",
        "^kite",
        "kite\"'",
        "((",
        "*",
        "- kite",
        "{text}: x",
        "kite AND",
    ],
)
def test_fts_syntax_is_answered_or_refused_never_a_server_error(
    client: TestClient, store: Store, alice: Key, q: str
) -> None:
    _ingest(store, alice, "Post", text="kite text near x y b")
    for kind in ("posts", "profiles"):
        r = client.get("/v1/search", params={"q": q, "kind": kind})
        assert r.status_code in (200, 400), r.text
        if r.status_code == 400:
            assert r.json()["reason"] == "invalid_input"


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"q": "!!!"}, 400, "no word"),
        ({"q": "x" * 201}, 400, "at most 200 characters"),
        ({"q": "kite", "cursor": "5000"}, 400, "cursor"),
        ({"q": "kite", "cursor": "abc"}, 400, "cursor"),
        ({"q": "kite", "kind": "users"}, 422, "kind"),
        ({}, 422, "q"),
    ],
)
def test_bad_queries_are_refused_clearly(client: TestClient, params: dict, status: int, says: str) -> None:
    r = client.get("/v1/search", params=params)
    assert r.status_code == status, r.text
    assert says in r.json()["detail"]
