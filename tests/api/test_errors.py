"""The one error map, through the real app on a real store: each domain error answers with its
status and its reason code, in the one shape ``{error, reason, detail}``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from node.api import ApiContext, create_app
from node.grants import Gatekeeper, Vault
from node.identity import Key, create_key
from node.messages import message_to_json
from node.store import Store

from .conftest import ADMIN_TOKEN, CHAIN_ID
from .test_no_secret_leaks import TOKEN, _gated_post_body

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def refusal(r, status: int, error: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert (r.status_code, r.json()["error"], r.json()["reason"]) == (status, error, reason), r.text
    assert set(r.json()) == {"error", "reason", "detail"} and r.json()["detail"]


def test_what_is_not_here_is_named(client: TestClient, alice: Key) -> None:
    missing = "0x" + "ab" * 32
    refusal(client.get(f"/v1/messages/{missing}"), 404, "NotFound", "no_message")
    refusal(client.get(f"/v1/posts/{missing}"), 404, "NotFound", "no_post")
    refusal(client.get(f"/v1/posts/{missing}/thread"), 404, "NotFound", "no_post")
    refusal(client.get(f"/v1/users/{alice.address}/profile"), 404, "NotFound", "no_profile")
    refusal(client.get(f"/v1/posts/{missing}/grants/{alice.address}"), 404, "NotFound", "no_grant")
    follow = client.post(
        "/v1/messages", json=message_to_json(alice.sign("Follow", {"target": TOKEN}, chain_id=CHAIN_ID))
    )
    refusal(client.get(f"/v1/posts/{follow.json()['id']}"), 404, "NotFound", "no_post")  # held, not a post


def test_a_node_without_a_part_says_which(client: TestClient) -> None:
    refusal(client.get("/v1/creators"), 404, "NotServed", "no_chain")
    refusal(client.get(f"/v1/tokens/{TOKEN}/holders"), 404, "NotServed", "no_chain")
    refusal(client.get("/v1/gating"), 404, "NotServed", "no_gating")
    refusal(client.get("/v1/admin/peers", headers=AUTH), 404, "NotServed", "no_p2p")
    refusal(
        client.post("/v1/admin/peers", params={"multiaddr": "/ip4/127.0.0.1/tcp/1"}, headers=AUTH),
        404,
        "NotServed",
        "no_p2p",
    )


def test_admin_refusals(client: TestClient, store: Store) -> None:
    wrong = client.get("/v1/admin/peers", headers={"Authorization": "Bearer wrong"})
    refusal(wrong, 401, "WrongAdminToken", "wrong_admin_token")
    assert wrong.headers["WWW-Authenticate"] == "Bearer"
    refusal(client.get("/v1/admin/peers"), 401, "WrongAdminToken", "wrong_admin_token")
    with TestClient(create_app(ApiContext(store, CHAIN_ID)), backend="trio") as no_admin:
        refusal(no_admin.get("/v1/admin/peers", headers=AUTH), 403, "AdminDisabled", "admin_disabled")


def test_the_frameworks_own_refusals_carry_a_reason(client: TestClient) -> None:
    refusal(client.get("/v1/nowhere"), 404, "NotFound", "not_found")
    refusal(client.delete("/v1/messages/batch"), 405, "MethodNotAllowed", "method_not_allowed")


# ---------------------------------------------------------------- exclusive content


def _keeper(tmp_path: Path, store: Store, *, with_chain: bool) -> Gatekeeper:
    vault = Vault(tmp_path / "gating.sqlite")
    return Gatekeeper(
        store,
        vault,
        create_key(),
        chain_id=CHAIN_ID,
        # Never called here: these tests stop before a gate is checked.
        balance_of=(lambda token, holder: 0) if with_chain else None,
        challenge_ttl=timedelta(minutes=5),
    )


@pytest.fixture(params=[False, True], ids=["no_chain", "unbound"])
def gated(tmp_path: Path, store: Store, request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, str]]:
    """A node holding the key of one gated post; its keeper has no chain, or a chain but no
    bound API address yet (unlock challenges name it)."""
    keeper = _keeper(tmp_path, store, with_chain=request.param)
    app = create_app(ApiContext(store, CHAIN_ID, admin_token=SecretStr(ADMIN_TOKEN), gating=keeper))
    with TestClient(app, backend="trio") as client:
        r = client.post("/v1/admin/gated-posts", headers=AUTH, json=_gated_post_body())
        assert r.status_code == 201, r.text
        yield client, r.json()["post"]
    keeper.vault.close()


def test_unlock_refusals(gated: tuple[TestClient, str], request: pytest.FixtureRequest) -> None:
    client, post = gated
    fan = create_key().address
    other = "0x" + "cd" * 32
    refusal(
        client.post(f"/v1/posts/{other}/unlock/challenge", json={"address": fan}),
        404,
        "KeyNotHeld",
        "key_not_held",
    )
    unlock = {"message": "not a challenge", "signature": "0x" + "00" * 65}
    refusal(client.post(f"/v1/posts/{other}/unlock", json=unlock), 404, "KeyNotHeld", "key_not_held")
    challenge = client.post(f"/v1/posts/{post}/unlock/challenge", json={"address": fan})
    if request.node.callspec.id == "no_chain":
        # It was a 503 (ChainError), as if the chain might come back: this node has none.
        refusal(challenge, 404, "NotServed", "no_chain")
    else:
        refusal(challenge, 503, "NotReady", "api_not_bound")
        assert challenge.headers["Retry-After"] == "10"


def test_a_literal_path_is_never_a_parameter_and_405_names_every_method(client: TestClient) -> None:
    """``GET /v1/messages/batch`` used to be a lookup of the message ``batch`` (422); and a path
    with two routes answered 405 with the first route's method only."""
    batch = client.get("/v1/messages/batch")
    refusal(batch, 405, "MethodNotAllowed", "method_not_allowed")
    assert batch.headers["Allow"] == "POST"
    peers = client.delete("/v1/admin/peers", headers=AUTH)
    refusal(peers, 405, "MethodNotAllowed", "method_not_allowed")
    assert peers.headers["Allow"] == "GET, POST"
