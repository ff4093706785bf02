"""The hot read path answers exactly what FastAPI answers, and leaves everything else to it.

A request the hot path takes and the same request spelled so that it declines it (an extra
query parameter, which the routes ignore, or a percent-escape) must get the same status,
headers and bytes; which path answered is read off the node's own counter
(``mecenate_http_hot_reads``), so each comparison is known to compare the two paths.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from node.identity import Key
from node.messages import message_to_json

from .conftest import CHAIN_ID


def wire(key: Key, type: str, **fields: object) -> dict:
    return message_to_json(key.sign(type, fields, chain_id=CHAIN_ID))


def hot_reads(client: TestClient) -> float:
    metrics = client.get("/metrics").text
    return float(re.search(r"^mecenate_http_hot_reads_total (\S+)$", metrics, re.M).group(1))


def answer(client: TestClient, url: str) -> tuple[int, bytes, list[tuple[str, str]]]:
    r = client.get(url)
    return r.status_code, r.content, sorted(r.headers.items())


@pytest.fixture
def graph(client: TestClient, alice: Key, bob: Key) -> dict[str, str]:
    """Alice with a profile and 30 posts, one with a reply and a like; Bob following her."""
    msgs = [
        wire(alice, "Profile", field="name", value='Alice ✓ "quoted"\n'),
        wire(bob, "Follow", target=alice.address),
    ]
    msgs += [wire(alice, "Post", text=f"post {i}", timestamp=1_700_000_000 + i) for i in range(30)]
    assert client.post("/v1/messages/batch", json={"messages": msgs}).json()["accepted"] == 32
    root = client.get(f"/v1/users/{alice.address}/posts", params={"limit": 1}).json()["items"][0]["id"]
    for m in (
        wire(bob, "Post", text="reply", replyTo=root),
        wire(bob, "Reaction", post=root, kind="like", active=True),
    ):
        assert client.post("/v1/messages", json=m).status_code == 201
    feed = client.get(f"/v1/users/{bob.address}/feed", params={"limit": 5}).json()
    followers = client.get(f"/v1/users/{alice.address}/followers", params={"limit": 1}).json()
    messages = client.get(f"/v1/users/{alice.address}/messages", params={"limit": 4}).json()
    return {
        "alice": alice.address,
        "bob": bob.address,
        "root": root,
        "feed_cursor": feed["next_cursor"],
        "edge_cursor": followers["next_cursor"] or "1",
        "message_cursor": messages["next_cursor"],
    }


HOT_URLS = [
    "/health",
    "/v1/users/{alice}/profile",
    "/v1/users/{bob}/feed",
    "/v1/users/{bob}/feed?limit=5",
    "/v1/users/{bob}/feed?limit=5&cursor={feed_cursor}",
    "/v1/users/{bob}/feed?cursor={feed_cursor}&limit=200",
    "/v1/users/{alice}/posts?limit=1",
    "/v1/users/{alice}/followers",
    "/v1/users/{alice}/followers?cursor={edge_cursor}",
    "/v1/users/{bob}/following?limit=3",
    "/v1/users/{alice}/messages",
    "/v1/users/{alice}/messages?limit=4&cursor={message_cursor}",
    "/v1/users/{alice}/messages?cursor=s.{message_cursor}",
    "/v1/users/{bob}/messages?limit=1",
    "/v1/messages/{root}",
    "/v1/posts/{root}",
    "/v1/posts/{root}/thread",
    "/v1/posts/{root}/thread?limit=1",
    "/v1/users/{bob}/profile",  # 404 no_profile: the hot path declines, FastAPI answers
]


@pytest.mark.parametrize("template", HOT_URLS)
def test_the_hot_path_answers_as_fastapi_does(
    client: TestClient, graph: dict[str, str], template: str
) -> None:
    url = template.format(**graph)
    before = hot_reads(client)
    hot = answer(client, url)
    served_hot = hot_reads(client) - before
    declined = answer(client, url + ("&" if "?" in url else "?") + "unrelated=1")
    assert hot_reads(client) - before == served_hot, "an unknown parameter must send the request to FastAPI"
    assert hot == declined
    assert served_hot == (0 if hot[0] == 404 else 1)


@pytest.mark.parametrize(
    ("template", "status", "reason"),
    [
        ("/v1/users/{bob}/feed?limit=0", 422, "invalid_request"),
        ("/v1/users/{bob}/feed?limit=201", 422, "invalid_request"),
        ("/v1/users/{bob}/feed?limit=", 422, "invalid_request"),
        ("/v1/users/{bob}/feed?cursor={edge_cursor}", 400, "invalid_input"),  # another list's cursor
        ("/v1/users/{alice}/followers?cursor={feed_cursor}", 400, "invalid_input"),
        ("/v1/users/{alice}/messages?cursor={edge_cursor}", 400, "invalid_input"),
        ("/v1/users/{alice}/messages?cursor=up.1", 400, "invalid_input"),
        ("/v1/users/0xnothex/feed", 422, "invalid_request"),
        ("/v1/posts/0x{zeros}", 404, "no_post"),
        ("/v1/posts/0x{zeros}/thread", 404, "no_post"),
        ("/v1/messages/0x{zeros}", 404, "no_message"),
    ],
)
def test_what_the_hot_path_refuses_fastapi_answers(
    client: TestClient, graph: dict[str, str], template: str, status: int, reason: str
) -> None:
    before = hot_reads(client)
    r = client.get(template.format(**graph, zeros="0" * 64))
    assert (r.status_code, r.json()["reason"]) == (status, reason)
    assert hot_reads(client) == before


def test_spellings_the_hot_path_leaves_to_fastapi_mean_the_same(
    client: TestClient, graph: dict[str, str]
) -> None:
    """A repeated parameter (FastAPI takes the last) and an escaped digit are FastAPI's to
    answer, and mean what they mean there; a lower-case address is answered by both the same."""
    bob = graph["bob"]
    before = hot_reads(client)
    for url, same_as in [
        (f"/v1/users/{bob}/feed?limit=7&limit=2", f"/v1/users/{bob}/feed?limit=2"),
        (f"/v1/users/{bob}/feed?limit=%32", f"/v1/users/{bob}/feed?limit=2"),
    ]:
        assert answer(client, url) == answer(client, same_as)
    assert hot_reads(client) == before + 2  # the plain spellings only
    lower = answer(client, f"/v1/users/{bob.lower()}/feed?limit=2")
    assert lower == answer(client, f"/v1/users/{bob}/feed?limit=2")


def test_hot_requests_are_timed_under_their_route(client: TestClient, graph: dict[str, str]) -> None:
    client.get(f"/v1/users/{graph['bob']}/feed?limit=2")
    metrics = client.get("/metrics").text
    assert 'mecenate_http_request_seconds_count{method="GET",route="/v1/users/{address}/feed"}' in metrics
