"""A node serving some communities refuses, through its API, a message of a community it does
not serve: 422 ``out_of_scope``, nothing stored (it would neither keep it nor gossip it)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from node.api import ApiContext, create_app
from node.fingerprint import fingerprint_of
from node.identity import Key
from node.messages import message_to_json
from node.messages.community import community_id
from node.messages.scope import Scopes, scope_name
from node.store import Store

from .conftest import CHAIN_ID


def test_a_message_of_a_community_not_served_is_refused_422_out_of_scope(store: Store, alice: Key) -> None:
    served, other = community_id(alice.address, "served"), community_id(alice.address, "other")
    inside = alice.sign("CommunityPost", {"community": served, "text": "in"}, chain_id=CHAIN_ID)
    outside = alice.sign("CommunityPost", {"community": other, "text": "out"}, chain_id=CHAIN_ID)
    member = alice.sign("Membership", {"community": other}, chain_id=CHAIN_ID)
    store.serve(Scopes.of([served]))
    app = create_app(ApiContext(store, CHAIN_ID))
    with TestClient(app, backend="trio") as client:
        refused = client.post("/v1/messages", json=message_to_json(outside))
        assert refused.status_code == 422
        assert refused.json()["reason"] == "out_of_scope"
        assert "0x" + other.hex() in refused.json()["detail"]
        assert client.post("/v1/messages", json=message_to_json(inside)).status_code == 201
        assert client.post("/v1/messages", json=message_to_json(member)).status_code == 201  # base scope

        batch = client.post("/v1/messages/batch", json={"messages": [message_to_json(outside)]}).json()
        assert batch["rejected"] == 1 and batch["results"][0]["reason"] == "out_of_scope"
    assert store.get(outside.id) is None and len(store) == 2


def test_a_node_serving_everything_takes_every_community(
    client: TestClient, store: Store, alice: Key
) -> None:
    post = alice.sign(
        "CommunityPost", {"community": community_id(alice.address, "any"), "text": "x"}, chain_id=CHAIN_ID
    )
    assert client.post("/v1/messages", json=message_to_json(post)).status_code == 201
    assert store.get(post.id) is not None


def test_status_shows_the_scopes_served_and_the_messages_held_per_scope(store: Store, alice: Key) -> None:
    served, unserved = community_id(alice.address, "served"), community_id(alice.address, "empty")
    other = community_id(alice.address, "other")
    held = [
        alice.sign("CommunityPost", {"community": served, "text": "in"}, chain_id=CHAIN_ID),
        alice.sign(
            "CommunityPost", {"community": other, "text": "from before a scope change"}, chain_id=CHAIN_ID
        ),
        alice.sign("Post", {"text": "base"}, chain_id=CHAIN_ID),
        alice.sign("Membership", {"community": other}, chain_id=CHAIN_ID),
    ]
    assert store.ingest(held).counts["accepted"] == 4
    scopes = Scopes.of([served, unserved])
    store.serve(scopes)
    with TestClient(create_app(ApiContext(store, CHAIN_ID)), backend="trio") as client:
        status = client.get("/v1/status").json()
    assert status["scopes"]["served"] == scopes.names()
    assert status["scopes"]["messages"] == {
        "base": 2,
        **{"0x" + c.hex(): n for c, n in sorted({served: 1, unserved: 0, other: 1}.items())},
    }
    assert next(iter(status["scopes"]["messages"])) == "base"
    fingerprints = {scope_name(s): "0x" + fp.hex() for s, (_, fp) in store.scope_summary().items()}
    empty = "0x" + fingerprint_of(0, 0).hex()
    assert status["scopes"]["fingerprints"] == {**fingerprints, "0x" + unserved.hex(): empty}


def test_status_of_a_node_serving_everything(client: TestClient, alice: Key) -> None:
    status = client.get("/v1/status").json()
    assert status["scopes"] == {
        "served": ["all"],
        "messages": {"base": 0},
        "fingerprints": {"base": "0x" + fingerprint_of(0, 0).hex()},
    }
