"""The hot submit path (``node.api._submit``) answers ``POST /v1/messages`` exactly as FastAPI
does, and leaves every request it does not take to FastAPI, body and all.

Two nodes start from the same state; each request goes to one through the hot path (sent as
``application/json``) and to the other through FastAPI (the same bytes sent as
``application/json; charset=utf-8``, which the hot path declines and FastAPI reads as JSON).
Status, headers and bytes must be the same, and what each store holds after. Which path answered
is read off the node's own counter (``mecenate_http_hot_submits``), so each comparison is known
to compare the two paths.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from node.api import ApiContext, create_app
from node.identity import Key
from node.messages import message_to_json
from node.store import Store

from .conftest import CHAIN_ID

HOT = {"content-type": "application/json"}
FASTAPI = {"content-type": "application/json; charset=utf-8"}
MAX_BODY = 4096


def wire(key: Key, type: str, **fields: object) -> dict:
    return message_to_json(key.sign(type, fields, chain_id=CHAIN_ID))


class Node:
    def __init__(self, path: Path) -> None:
        self.store = Store(path, CHAIN_ID)
        self.client = TestClient(
            create_app(ApiContext(self.store, CHAIN_ID), max_body_bytes=MAX_BODY), backend="trio"
        )

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, list[tuple[str, str]]]:
        r = self.client.post("/v1/messages", content=body, headers=headers)
        return r.status_code, r.content, sorted(r.headers.items())

    def metric(self, pattern: str) -> float:
        found = re.search(pattern, self.client.get("/metrics").text, re.M)
        return float(found.group(1)) if found else 0.0

    def hot_submits(self) -> float:
        return self.metric(r"^mecenate_http_hot_submits_total (\S+)$")


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    hot, plain = Node(tmp_path / "hot.sqlite"), Node(tmp_path / "plain.sqlite")
    with hot.client, plain.client:
        yield hot, plain
    hot.store.close()
    plain.store.close()


def same_answer(nodes: tuple[Node, Node], body: bytes, *, taken: bool) -> tuple[int, dict]:
    """Send ``body`` to both nodes, each by its path; assert the same answer and that the hot
    path took it (``taken``) or left it to FastAPI. Returns the status and the parsed body."""
    hot, plain = nodes
    before = hot.hot_submits(), plain.hot_submits()
    answer = hot.post(body, HOT)
    assert answer == plain.post(body, FASTAPI)
    assert (hot.hot_submits() - before[0], plain.hot_submits() - before[1]) == (int(taken), 0)
    return answer[0], json.loads(answer[1])


def test_new_duplicate_and_refused_messages_are_answered_the_same(
    nodes: tuple[Node, Node], alice: Key, bob: Key
) -> None:
    post = json.dumps(wire(alice, "Post", text='hello ✓ "quoted"')).encode()
    assert same_answer(nodes, post, taken=True)[0] == 201
    status, answer = same_answer(nodes, post, taken=True)
    assert (status, answer["outcome"]) == (200, "duplicate")
    forged = wire(bob, "Profile", field="name", value="Bob")
    forged["message"]["value"] = "Mallory"
    status, answer = same_answer(nodes, json.dumps(forged).encode(), taken=True)
    assert (status, answer["error"], answer["reason"]) == (422, "InvalidMessage", "bad_signature")
    elsewhere = message_to_json(alice.sign("Post", {"text": "elsewhere"}, chain_id=1))
    assert same_answer(nodes, json.dumps(elsewhere).encode(), taken=True)[1]["reason"] == "wrong_chain"
    ahead = wire(alice, "Post", text="from the future", timestamp=4_000_000_000)  # refused by the store
    assert same_answer(nodes, json.dumps(ahead).encode(), taken=True)[1]["reason"] == "future_timestamp"
    hot, plain = nodes
    assert len(hot.store) == len(plain.store) == 1
    assert hot.store.fingerprint() == plain.store.fingerprint()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"type": "Post"}',
        b'{"type": "Nothing", "chainId": 31337, "message": {}, "signature": "0x"}',
        b"\xff\xfe{}",
        b"x" * (MAX_BODY + 1),
    ],
    ids=["empty", "not-json", "array", "missing-fields", "unknown-type", "not-utf8", "too-large"],
)
def test_requests_it_does_not_take_are_left_to_fastapi(nodes: tuple[Node, Node], body: bytes) -> None:
    status, answer = same_answer(nodes, body, taken=False)
    assert status in (413, 422) and set(answer) >= {"error", "reason", "detail"}


def test_a_chunked_body_over_the_limit_is_refused_as_before(nodes: tuple[Node, Node]) -> None:
    hot, plain = nodes

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is met while reading
        yield b'{"type": "Post", "chainId": 31337, "message": {"text": "'
        yield b"x" * (2 * MAX_BODY)
        yield b'"}}'

    answers = [
        (r.status_code, r.content)
        for node, headers in ((hot, HOT), (plain, FASTAPI))
        for r in [node.client.post("/v1/messages", content=chunks(), headers=headers)]
    ]
    assert answers[0] == answers[1] and answers[0][0] == 413
    assert hot.hot_submits() == 0


def test_hot_submits_are_timed_under_the_route(nodes: tuple[Node, Node], alice: Key) -> None:
    hot, _ = nodes
    for i in range(3):
        assert hot.post(json.dumps(wire(alice, "Post", text=f"post {i}")).encode(), HOT)[0] == 201
    count = r'^mecenate_http_request_seconds_count\{method="POST",route="/v1/messages"\} (\S+)$'
    assert hot.metric(count) == 3 == hot.hot_submits()
    assert hot.metric(r'^mecenate_messages_ingested_total\{outcome="accepted"\} (\S+)$') == 3


def test_the_write_lane_is_in_the_metrics(nodes: tuple[Node, Node], alice: Key) -> None:
    hot, _ = nodes
    for i in range(2):
        assert hot.post(json.dumps(wire(alice, "Post", text=f"lane {i}")).encode(), HOT)[0] == 201
    assert hot.metric(r'^mecenate_store_lane\{kind="calls"\} (\S+)$') == 2
    assert 1 <= hot.metric(r'^mecenate_store_lane\{kind="wakes"\} (\S+)$') <= 2
