"""The HTTP API against a real store file, through the ASGI app (trio backend)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from node.api import ApiContext, create_app
from node.identity import Key
from node.messages import message_to_json
from node.store import Store

from .conftest import ADMIN_TOKEN, CHAIN_ID


def wire(key: Key, type: str, **fields: object) -> dict:
    return message_to_json(key.sign(type, fields, chain_id=CHAIN_ID))


def test_submit_then_read_back(client: TestClient, alice: Key) -> None:
    post = wire(alice, "Post", text="hello patrons")
    r = client.post("/v1/messages", json=post)
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "accepted"
    post_id = r.json()["id"]

    again = client.post("/v1/messages", json=post)
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"

    got = client.get(f"/v1/messages/{post_id}").json()
    assert got["message"]["text"] == "hello patrons" and got["signer"] == alice.address
    assert client.get(f"/v1/users/{alice.address}/posts").json()["items"][0]["id"] == post_id
    assert client.get(f"/v1/posts/{post_id}").json()["reactions"] == {}


def test_tampered_message_is_refused_and_not_stored(client: TestClient, store: Store, alice: Key) -> None:
    post = wire(alice, "Post", text="original")
    post["message"]["text"] = "forged"
    r = client.post("/v1/messages", json=post)
    assert r.status_code == 422
    assert r.json()["reason"] == "bad_signature"
    assert len(store) == 0


def test_wrong_chain_and_malformed_input(client: TestClient, store: Store, alice: Key) -> None:
    other = message_to_json(alice.sign("Post", {"text": "elsewhere"}, chain_id=1))
    assert client.post("/v1/messages", json=other).json()["reason"] == "wrong_chain"
    assert (
        client.post(
            "/v1/messages", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert client.post("/v1/messages", json={"type": "Post"}).status_code == 422
    assert client.get("/v1/users/not-an-address/profile").status_code == 422
    assert client.get("/v1/messages/0x1234").status_code == 422
    assert len(store) == 0


def test_huge_body_is_refused(client: TestClient, store: Store, alice: Key) -> None:
    post = wire(alice, "Post", text="x")
    post["message"]["text"] = "x" * 300_000
    r = client.post(
        "/v1/messages", content=json.dumps(post).encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert len(store) == 0


def test_batch_reports_each_message(client: TestClient, store: Store, alice: Key, bob: Key) -> None:
    good = [wire(alice, "Post", text=f"post {i}") for i in range(3)]
    bad = wire(bob, "Profile", field="name", value="Bob")
    bad["message"]["value"] = "Mallory"
    r = client.post("/v1/messages/batch", json={"messages": [*good, bad, good[0]]})
    assert r.status_code == 200
    body = r.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (3, 1, 1)
    assert [x["outcome"] for x in body["results"]] == ["accepted"] * 3 + ["rejected", "duplicate"]
    assert len(store) == 3


def test_graph_queries(client: TestClient, alice: Key, bob: Key) -> None:
    msgs = [
        wire(alice, "Profile", field="name", value="Alice"),
        wire(bob, "Follow", target=alice.address),
        wire(alice, "Post", text="first", timestamp=1_700_000_000),
        wire(alice, "Post", text="second", timestamp=1_700_000_100),
    ]
    assert client.post("/v1/messages/batch", json={"messages": msgs}).json()["accepted"] == 4
    assert client.get(f"/v1/users/{alice.address}/profile").json()["fields"] == {"name": "Alice"}
    assert [e["follower"] for e in client.get(f"/v1/users/{alice.address}/followers").json()["items"]] == [
        bob.address
    ]
    assert [e["target"] for e in client.get(f"/v1/users/{bob.address}/following").json()["items"]] == [
        alice.address
    ]

    page1 = client.get(f"/v1/users/{bob.address}/feed", params={"limit": 1}).json()
    assert page1["items"][0]["message"]["text"] == "second"
    page2 = client.get(
        f"/v1/users/{bob.address}/feed", params={"limit": 1, "cursor": page1["next_cursor"]}
    ).json()
    assert page2["items"][0]["message"]["text"] == "first" and page2["next_cursor"] is None

    root = page2["items"][0]["id"]
    reply = wire(bob, "Post", text="reply", replyTo=root)
    client.post("/v1/messages", json=reply)
    thread = client.get(f"/v1/posts/{root}/thread").json()
    assert [m["message"]["text"] for m in thread["items"]] == ["first", "reply"] and thread[
        "next_cursor"
    ] is None
    assert client.get(f"/v1/users/{bob.address}/profile").status_code == 404


def test_status_health_metrics(client: TestClient, alice: Key) -> None:
    client.post("/v1/messages", json=wire(alice, "Post", text="counted"))
    assert client.get("/health").json() == {"status": "ok", "chain_id": CHAIN_ID}
    status = client.get("/v1/status").json()
    assert status["messages"] == 1 and len(status["fingerprint"]) == 34
    metrics = client.get("/metrics").text
    assert 'mecenate_messages_ingested_total{outcome="accepted"} 1.0' in metrics
    assert "mecenate_messages_stored 1.0" in metrics
    assert "mecenate_http_request_seconds_bucket" in metrics


def test_admin_needs_the_token(client: TestClient) -> None:
    assert client.get("/v1/admin/peers").status_code == 401
    assert client.get("/v1/admin/peers", headers={"Authorization": "Bearer wrong"}).status_code == 401
    # Right token, but this node runs without libp2p.
    assert (
        client.get("/v1/admin/peers", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 404
    )


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/messages" in spec["paths"] and "/v1/users/{address}/feed" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_out_of_range_cursors_are_refused(client: TestClient, alice: Key, bob: Key) -> None:
    client.post(
        "/v1/messages/batch",
        json={
            "messages": [
                wire(alice, "Post", text="hi"),
                wire(alice, "Follow", target=bob.address),
                wire(bob, "Follow", target=alice.address),
            ]
        },
    )
    for path in ("followers", "following", "posts", "feed", "messages"):
        for cursor in ("9" * 40, "9" * 30 + ".00", "-" + "9" * 30 + ".00", "-1", "1.zz"):
            r = client.get(f"/v1/users/{alice.address}/{path}", params={"cursor": cursor})
            assert r.status_code == 400, (path, cursor, r.text)


def test_admin_token_needs_the_bearer_scheme(client: TestClient) -> None:
    assert client.get("/v1/admin/peers", headers={"Authorization": ADMIN_TOKEN}).status_code == 401
    assert (
        client.get("/v1/admin/peers", headers={"Authorization": f"bearer {ADMIN_TOKEN}"}).status_code == 404
    )


def test_odd_methods_do_not_grow_the_metrics(client: TestClient) -> None:
    client.request("FOO", "/health")
    client.request("BAR", "/health")
    metrics = client.get("/metrics").text
    assert 'method="FOO"' not in metrics and 'method="BAR"' not in metrics
    assert 'method="OTHER"' in metrics


def test_every_error_has_one_shape(client: TestClient) -> None:
    missing = client.get("/v1/messages/0x" + "00" * 32)
    assert missing.status_code == 404
    assert missing.json()["error"] == "NotFound" and "no such message" in missing.json()["detail"]
    invalid = client.post("/v1/messages", json={"type": "Post"})
    assert invalid.status_code == 422
    body = invalid.json()
    assert body["error"] == "InvalidRequest" and "body.chainId" in body["detail"]
    assert all(set(f) == {"type", "loc", "msg"} for f in body["fields"])


def _raw(obj: object) -> dict:
    """A request body as JSON text with ASCII escapes, so a lone surrogate travels as ``\\ud800``."""
    return {"content": json.dumps(obj).encode(), "headers": {"content-type": "application/json"}}


def test_a_lone_surrogate_is_refused_as_malformed(client: TestClient, store: Store, alice: Key) -> None:
    """``"\\ud800"`` is valid JSON syntax but not Unicode: 422 ``malformed``, never a 500."""
    for type_, fields, name in (
        ("Post", {"text": "x"}, "text"),
        ("Profile", {"field": "name", "value": "x"}, "value"),
        ("Reaction", {"post": "0x" + "11" * 32, "kind": "like"}, "kind"),
    ):
        bad = wire(alice, type_, **fields)
        bad["message"][name] = "a\ud800b"
        r = client.post("/v1/messages", **_raw(bad))
        assert r.status_code == 422, r.text
        assert r.json()["reason"] == "malformed"
    assert len(store) == 0
    assert 'mecenate_messages_ingested_total{outcome="rejected"} 3.0' in client.get("/metrics").text


def test_a_lone_surrogate_fails_only_its_own_message_in_a_batch(store: Store, alice: Key) -> None:
    batch = [wire(alice, "Post", text=f"post {i}", timestamp=1_700_000_000 + i) for i in range(1000)]
    batch[500]["message"]["text"] = "\udfff"
    with TestClient(create_app(ApiContext(store, CHAIN_ID)), backend="trio") as client:  # default body limit
        r = client.post("/v1/messages/batch", **_raw({"messages": batch}))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (999, 1)
    assert body["results"][500]["outcome"] == "rejected" and body["results"][500]["reason"] == "malformed"
    assert all(x["outcome"] == "accepted" for i, x in enumerate(body["results"]) if i != 500)
    assert len(store) == 999


def test_a_deep_thread_is_served_in_pages(client: TestClient, alice: Key) -> None:
    """A long reply chain is paged like every list (it used to come back whole: 2.6 MB for 5,000)."""
    chain = [alice.sign("Post", {"text": "root", "timestamp": 1_700_000_000}, chain_id=CHAIN_ID)]
    for i in range(1, 260):
        chain.append(
            alice.sign(
                "Post",
                {"text": f"r{i}", "timestamp": 1_700_000_000 + i, "replyTo": chain[-1].id},
                chain_id=CHAIN_ID,
            )
        )
    for start in range(0, len(chain), 100):
        batch = {"messages": [message_to_json(m) for m in chain[start : start + 100]]}
        assert client.post("/v1/messages/batch", json=batch).json()["accepted"] == len(batch["messages"])
    root = "0x" + chain[0].id.hex()
    first = client.get(f"/v1/posts/{root}/thread").json()
    assert len(first["items"]) == 100 and first["next_cursor"]  # the default page, not the whole thread
    seen, cursor = [], None
    while True:
        page = client.get(
            f"/v1/posts/{root}/thread", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        seen += [m["id"] for m in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == ["0x" + m.id.hex() for m in chain]
    assert client.get(f"/v1/posts/{root}/thread", params={"limit": 201}).status_code == 422
    assert client.get(f"/v1/posts/{root}/thread", params={"cursor": "up.-1"}).status_code == 400
    schema = client.get("/openapi.json").json()["paths"]["/v1/posts/{post_id}/thread"]["get"]
    assert {p["name"] for p in schema["parameters"]} == {
        "post_id",
        "limit",
        "cursor",
        "viewer",
        "show_hidden",
    }
    assert schema["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/PostPage")
