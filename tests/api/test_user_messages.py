"""``GET /v1/users/{address}/messages``: every live message a user signed, a page at a time, in
an order another node imports whole (a user's export over HTTP)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from node.api import ApiContext, create_app
from node.identity import Key, create_key
from node.messages import message_to_json
from node.store import Store

from .conftest import CHAIN_ID


def wire(key: Key, type: str, **fields: object) -> dict:
    return message_to_json(key.sign(type, fields, chain_id=CHAIN_ID))


def export_pages(client: TestClient, address: str, limit: int) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        r = client.get(
            f"/v1/users/{address}/messages", params={"limit": limit, **({"cursor": cursor} if cursor else {})}
        )
        assert r.status_code == 200, r.text
        pages.append(
            [{k: m[k] for k in ("type", "chainId", "message", "signature")} for m in r.json()["items"]]
        )
        if (cursor := r.json()["next_cursor"]) is None:
            return pages


def test_a_users_messages_are_exported_and_import_into_a_fresh_node(
    client: TestClient, store: Store, alice: Key, bob: Key, tmp_path: Path
) -> None:
    phone, old = create_key(), create_key()
    t = 1_700_000_000
    delegated = [
        wire(phone, "Post", author=alice.address, text="from the phone", timestamp=t + 5),
        wire(phone, "Follow", author=alice.address, target=bob.address, timestamp=t + 5),
    ]
    revoked = wire(old, "Post", author=alice.address, text="old app", timestamp=t + 2)
    msgs = [
        wire(alice, "SignerAdd", signer=phone.address, label="phone", timestamp=t + 4),
        wire(alice, "SignerAdd", signer=old.address, timestamp=t + 1),
        revoked,
        wire(alice, "Profile", field="name", value="Alice", timestamp=t),
        *(wire(alice, "Post", text=f"post {i}", timestamp=t + 3) for i in range(5)),
        *delegated,
        wire(bob, "Post", text="bob's", timestamp=t + 3),
    ]
    assert client.post("/v1/messages/batch", json={"messages": msgs}).json()["accepted"] == len(msgs)
    assert (
        client.post("/v1/messages", json=wire(alice, "SignerRemove", signer=old.address)).status_code == 201
    )

    pages = export_pages(client, alice.address, limit=2)
    assert len(pages) == 6 and all(len(p) == 2 for p in pages[:-1])
    exported = [m for page in pages for m in page]
    assert [m["type"] for m in exported[:3]] == ["SignerAdd", "SignerAdd", "SignerRemove"]
    assert revoked not in exported and all(m in exported for m in delegated)
    assert {m["message"]["author"] for m in exported} == {alice.address}
    assert export_pages(client, alice.address, limit=200) == [exported]
    lines = list(store.export(alice.address))
    assert [message_to_json(m) for m in store.messages_by(alice.address, limit=200).items] == exported
    assert len(lines) == len(exported) == 11

    with Store(tmp_path / "fresh.sqlite", CHAIN_ID) as fresh:
        with TestClient(create_app(ApiContext(fresh, CHAIN_ID)), backend="trio") as other:
            for page in pages:
                answer = other.post("/v1/messages/batch", json={"messages": page}).json()
                assert answer["accepted"] == len(page), answer
        assert list(fresh.export(alice.address)) == lines
        assert fresh.profile(alice.address) == store.profile(alice.address)
        assert fresh.signers(alice.address) == store.signers(alice.address) == [phone.address]
        assert fresh.following(alice.address) == store.following(alice.address)
        assert fresh.posts(alice.address, limit=200) == store.posts(alice.address, limit=200)


def test_an_unknown_user_has_an_empty_list(client: TestClient, alice: Key) -> None:
    r = client.get(f"/v1/users/{alice.address}/messages")
    assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}


def test_only_cursors_the_node_issues_are_taken(client: TestClient, alice: Key) -> None:
    client.post("/v1/messages", json=wire(alice, "Post", text="hi"))
    zeros = "0" * 64
    for cursor in (f"s.1.{zeros}", f"1.{zeros}"):
        assert client.get(f"/v1/users/{alice.address}/messages", params={"cursor": cursor}).status_code == 200
    for cursor in ("s.", "s.1", f"x.1.{zeros}", f"s.s.1.{zeros}", "up.1", "12", f"1.{zeros[:-1]}"):
        r = client.get(f"/v1/users/{alice.address}/messages", params={"cursor": cursor})
        assert (r.status_code, r.json()["reason"]) == (400, "invalid_input"), cursor
    for limit in (0, 201):
        assert client.get(f"/v1/users/{alice.address}/messages", params={"limit": limit}).status_code == 422
