"""The node side of exclusive content through the HTTP API: a real store and vault, a chain
faked by a balance table (the anvil end-to-end test runs the real one).

Covers handing a key to the node, automatic grants, online unlock and its refusals, and that
no content key shows in logs or in any response to a refused request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient
from pydantic import SecretStr

from node.api import ApiContext, create_app
from node.errors import DecryptionFailed
from node.gating import (
    Balance,
    ContentKey,
    GrantBinding,
    decrypt_content,
    encode_gate,
    encrypt_content,
    keypair_from_eth_key,
    unwrap,
)
from node.grants import Gatekeeper, Vault
from node.identity import Key, import_key
from node.messages import gate, message_from_json, message_to_json
from node.store import Store
from tests.gating.test_no_key_leaks import _assert_clean

from .conftest import CHAIN, TOKEN_A, TOKEN_B, FakeClock

ADMIN = "admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


class Chain:
    """Balances by (token, holder); what ``ChainClient.balance_of`` would answer."""

    def __init__(self) -> None:
        self.balances: dict[tuple[str, str], int] = {}

    def balance_of(self, token: str, holder: str) -> int:
        return self.balances.get((token, holder), 0)

    def holders(self, token: str) -> list[str]:
        return [h for (t, h), b in self.balances.items() if t == token and b > 0]


@pytest.fixture
def chain() -> Chain:
    return Chain()


@pytest.fixture
def node(tmp_path: Path, chain: Chain, clock: FakeClock) -> Iterator[tuple[TestClient, Gatekeeper, Store]]:
    store = Store(tmp_path / "store.sqlite", CHAIN)
    vault = Vault(tmp_path / "gating.sqlite", nonce_capacity=3, clock=clock)
    keeper = Gatekeeper(
        store,
        vault,
        import_key(b"\x07" * 32),
        chain_id=CHAIN,
        balance_of=chain.balance_of,
        holders=chain.holders,
        challenge_ttl=timedelta(minutes=5),
        clock=clock,
    )
    keeper.bind("http://testserver")
    app = create_app(ApiContext(store, CHAIN, admin_token=SecretStr(ADMIN), gating=keeper))
    with TestClient(app, backend="trio") as client:
        yield client, keeper, store
    vault.close()
    store.close()


def user() -> Key:
    return import_key(bytes(Account.create().key))


def publish_encryption_key(client: TestClient, key: Key) -> None:
    value = "0x" + keypair_from_eth_key(key.private_key).public_key.hex()
    msg = key.sign("Profile", {"field": "encryptionKey", "value": value}, chain_id=CHAIN)
    assert client.post("/v1/messages", json=message_to_json(msg)).status_code == 201


def token_holder(client: TestClient, chain: Chain, balance: int) -> Key:
    """A fresh user who published an encryption key and holds ``balance`` of ``TOKEN_A``."""
    holder = user()
    publish_encryption_key(client, holder)
    chain.balances[(TOKEN_A, holder.address)] = balance
    return holder


def gated_post(creator: Key, body: bytes, g=None):  # type: ignore[no-untyped-def]
    g = g or Balance(CHAIN, TOKEN_A, 100)
    key = ContentKey.generate()
    blob = encrypt_content(body, key, chain_id=CHAIN, author=creator.address, gate=g)
    post = creator.sign(
        "Post", {"text": "for holders", "gate": encode_gate(g).decode(), "ciphertext": blob}, chain_id=CHAIN
    )
    return post, key


def hand_over(client: TestClient, keeper: Gatekeeper, creator: Key, post, key: ContentKey):  # type: ignore[no-untyped-def]
    delegate = creator.sign("SignerAdd", {"signer": keeper.signer_address, "label": "node"}, chain_id=CHAIN)
    client.post("/v1/messages", json=message_to_json(delegate))
    return client.post(
        "/v1/admin/gated-posts",
        headers=AUTH,
        json={"post": message_to_json(post), "contentKey": "0x" + key.to_bytes().hex()},
    )


def bound(post, holder: Key) -> GrantBinding:  # type: ignore[no-untyped-def]
    """What a grant of ``post`` to ``holder`` on the test chain is bound to."""
    return GrantBinding(CHAIN, post.id, post.author, holder.address)


def read_with_grant(store: Store, holder: Key, post) -> bytes:  # type: ignore[no-untyped-def]
    grant = store.grant(post.id, holder.address)
    assert grant is not None, "no grant"
    key = unwrap(grant.wrappedKey, keypair_from_eth_key(holder.private_key), bound(post, holder))
    from node.gating import parse_gate

    return decrypt_content(
        post.ciphertext, key, chain_id=CHAIN, author=post.author, gate=parse_gate(post.gate)
    )


def sign_challenge(client: TestClient, post_id: bytes, holder: Key) -> tuple[str, str]:
    r = client.post(f"/v1/posts/0x{post_id.hex()}/unlock/challenge", json={"address": holder.address})
    assert r.status_code == 200, r.text
    text = r.json()["message"]
    sig = Account.sign_message(encode_defunct(text=text), holder.private_key).signature
    return text, "0x" + bytes(sig).hex()


def test_the_key_is_checked_and_kept_then_granted_to_holders(node, chain: Chain) -> None:  # type: ignore[no-untyped-def]
    client, keeper, store = node
    creator, holder, other = user(), user(), user()
    for k in (holder, other):
        publish_encryption_key(client, k)
    chain.balances[(TOKEN_A, holder.address)] = 100
    chain.balances[(TOKEN_A, other.address)] = 99  # one short
    post, key = gated_post(creator, b"the secret track")

    wrong = client.post(
        "/v1/admin/gated-posts",
        headers=AUTH,
        json={"post": message_to_json(post), "contentKey": "0x" + ContentKey.generate().to_bytes().hex()},
    )
    assert wrong.status_code == 400 and "does not decrypt" in wrong.text
    assert store.get(post.id) is None and not keeper.holds(post.id)
    assert (
        client.post(
            "/v1/admin/gated-posts",
            json={"post": message_to_json(post), "contentKey": "0x" + key.to_bytes().hex()},
        ).status_code
        == 401
    )

    r = hand_over(client, keeper, creator, post, key)
    assert r.status_code == 201 and r.json()["delegated"] is True
    assert key.to_bytes().hex() not in r.text
    issued = keeper.grant_post(post.id)
    assert [g.recipient for g in issued] == [holder.address]
    assert issued[0].signer == keeper.signer_address and issued[0].author == creator.address
    assert read_with_grant(store, holder, post) == b"the secret track"
    assert store.grant(post.id, other.address) is None
    assert keeper.grant_post(post.id) == []  # nothing new to grant

    # the holder's grant is useless to anyone else, and a tampered ciphertext does not open
    grant = store.grant(post.id, holder.address)
    with pytest.raises(DecryptionFailed):
        unwrap(grant.wrappedKey, keypair_from_eth_key(other.private_key), bound(post, holder))
    with pytest.raises(DecryptionFailed):  # nor can it be passed off as a grant to anyone else
        unwrap(grant.wrappedKey, keypair_from_eth_key(holder.private_key), bound(post, other))
    opened = unwrap(grant.wrappedKey, keypair_from_eth_key(holder.private_key), bound(post, holder))
    tampered = post.ciphertext[:-1] + bytes([post.ciphertext[-1] ^ 1])
    with pytest.raises(DecryptionFailed):
        decrypt_content(
            tampered, opened, chain_id=CHAIN, author=creator.address, gate=gate.parse_gate(post.gate)
        )

    # the other buys one more token: a transfer event grants them too
    chain.balances[(TOKEN_A, other.address)] = 100
    assert [g.recipient for g in keeper.grant_holders({other.address: frozenset({TOKEN_A})})] == [
        other.address
    ]
    assert (
        keeper.grant_holders({other.address: frozenset({TOKEN_B})}) == []
    )  # that token's gate is not this post's
    r = client.get(f"/v1/posts/0x{post.id.hex()}/grants/{other.address}")
    assert r.status_code == 200 and r.json()["type"] == "KeyGrant"
    assert read_with_grant(store, other, post) == b"the secret track"


def test_grants_need_the_creators_delegation(node, chain: Chain) -> None:  # type: ignore[no-untyped-def]
    client, keeper, _store = node
    creator = user()
    token_holder(client, chain, 500)  # who would qualify, were the node a delegate
    post, key = gated_post(creator, b"x")
    r = client.post(
        "/v1/admin/gated-posts",
        headers=AUTH,
        json={"post": message_to_json(post), "contentKey": "0x" + key.to_bytes().hex()},
    )
    assert r.status_code == 201 and r.json()["delegated"] is False
    assert keeper.grant_post(post.id) == []
    client.post(
        "/v1/messages",
        json=message_to_json(creator.sign("SignerAdd", {"signer": keeper.signer_address}, chain_id=CHAIN)),
    )
    assert len(keeper.grant_post(post.id)) == 1


def test_and_or_gates_over_several_tokens(node, chain: Chain) -> None:  # type: ignore[no-untyped-def]
    client, keeper, _store = node
    creator, both, only_a, only_b = user(), user(), user(), user()
    for k in (both, only_a, only_b):
        publish_encryption_key(client, k)
    for k, a, b in ((both, 10, 10), (only_a, 10, 0), (only_b, 0, 10)):
        chain.balances[(TOKEN_A, k.address)] = a
        chain.balances[(TOKEN_B, k.address)] = b
    all_gate = gate.All([Balance(CHAIN, TOKEN_A, 10), Balance(CHAIN, TOKEN_B, 10)])
    any_gate = gate.Any([Balance(CHAIN, TOKEN_A, 10), Balance(CHAIN, TOKEN_B, 10)])
    p_all, k_all = gated_post(creator, b"and", all_gate)
    p_any, k_any = gated_post(creator, b"or", any_gate)
    hand_over(client, keeper, creator, p_all, k_all)
    hand_over(client, keeper, creator, p_any, k_any)
    assert {g.recipient for g in keeper.grant_post(p_all.id)} == {both.address}
    assert {g.recipient for g in keeper.grant_post(p_any.id)} == {
        both.address,
        only_a.address,
        only_b.address,
    }


def test_online_unlock_and_its_refusals(node, chain: Chain, clock: FakeClock, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    client, keeper, store = node
    creator, holder, raw_holder, outsider = user(), user(), user(), user()
    publish_encryption_key(client, holder)
    chain.balances[(TOKEN_A, holder.address)] = 100
    chain.balances[(TOKEN_A, raw_holder.address)] = 100
    post, key = gated_post(creator, b"unlocked body")
    hand_over(client, keeper, creator, post, key)
    url = f"/v1/posts/0x{post.id.hex()}/unlock"
    refused: list[str] = []

    # a holder with a profile key gets the key wrapped to it
    text, sig = sign_challenge(client, post.id, holder)
    r = client.post(url, json={"message": text, "signature": sig})
    assert r.status_code == 200, r.text
    assert r.json()["encryption"] == "x25519" and r.json()["holder"] == holder.address
    wrapped = bytes.fromhex(r.json()["key"][2:])
    assert unwrap(wrapped, keypair_from_eth_key(holder.private_key), bound(post, holder)) == key

    # replayed
    r = client.post(url, json={"message": text, "signature": sig})
    assert (r.status_code, r.json()["reason"]) == (401, "replayed")
    refused.append(r.text)

    # a holder without a profile key gets the raw key, and says so
    text, sig = sign_challenge(client, post.id, raw_holder)
    r = client.post(url, json={"message": text, "signature": sig})
    assert r.status_code == 200 and r.json()["encryption"] == "none"
    assert ContentKey(bytes.fromhex(r.json()["key"][2:])) == key

    # not a holder
    text, sig = sign_challenge(client, post.id, outsider)
    r = client.post(url, json={"message": text, "signature": sig})
    assert (r.status_code, r.json()["reason"]) == (403, "gate_not_met")
    refused.append(r.text)

    # signed by someone else than the address in the challenge
    text, _ = sign_challenge(client, post.id, holder)
    forged = (
        "0x" + bytes(Account.sign_message(encode_defunct(text=text), outsider.private_key).signature).hex()
    )
    r = client.post(url, json={"message": text, "signature": forged})
    assert (r.status_code, r.json()["reason"]) == (401, "wrong_signer")
    refused.append(r.text)

    # expired
    text, sig = sign_challenge(client, post.id, holder)
    clock.advance(timedelta(minutes=6))
    r = client.post(url, json={"message": text, "signature": sig})
    assert (r.status_code, r.json()["reason"]) == (401, "expired")
    refused.append(r.text)

    # a challenge for another post
    other_post, other_key = gated_post(creator, b"other")
    hand_over(client, keeper, creator, other_post, other_key)
    text, sig = sign_challenge(client, other_post.id, holder)
    r = client.post(url, json={"message": text, "signature": sig})
    assert (r.status_code, r.json()["reason"]) == (401, "wrong_resource")
    refused.append(r.text)

    # too many outstanding challenges (capacity 3 in this fixture)
    statuses = [
        client.post(f"/v1/posts/0x{post.id.hex()}/unlock/challenge", json={"address": user().address})
        for _ in range(4)
    ]
    assert statuses[-1].status_code == 429 and statuses[-1].json()["reason"] == "too_many_pending"

    # a post this node holds no key for
    stranger, _stranger_key = gated_post(creator, b"elsewhere")
    store.ingest([stranger])
    r = client.post(f"/v1/posts/0x{stranger.id.hex()}/unlock/challenge", json={"address": holder.address})
    assert r.status_code == 404
    refused.append(r.text)

    # the holder sold: new unlocks are refused
    chain.balances[(TOKEN_A, holder.address)] = 0
    clock.advance(timedelta(minutes=6))
    text, sig = sign_challenge(client, post.id, holder)
    r = client.post(url, json={"message": text, "signature": sig})
    assert (r.status_code, r.json()["reason"]) == (403, "gate_not_met")
    refused.append(r.text)

    secrets = [key.to_bytes(), other_key.to_bytes()]
    _assert_clean("\n".join(refused), secrets)
    _assert_clean(caplog.text + "\n".join(repr(r.args) for r in caplog.records), secrets)


def test_a_refused_hand_over_never_echoes_the_key(node) -> None:  # type: ignore[no-untyped-def]
    client, keeper, _store = node
    post, key = gated_post(user(), b"x")
    secret = key.to_bytes()
    bodies = [
        {"contentKey": "0x" + secret.hex()},  # post missing: the whole body is the "input"
        {"post": message_to_json(post), "contentKey": "0x" + secret.hex()[:-2]},  # too short
        {"post": message_to_json(post), "contentKey": "0x" + secret.hex(), "extra": 1},
        {"post": {**message_to_json(post), "signature": "0x" + "00" * 65}, "contentKey": "0x" + secret.hex()},
    ]
    for body in bodies:
        for headers in (AUTH, {}):
            r = client.post("/v1/admin/gated-posts", headers=headers, json=body)
            assert r.status_code in (400, 401, 422), r.text
            _assert_clean(r.text, [secret])
    assert not keeper.holds(post.id)


def test_the_message_log_and_exports_never_hold_a_content_key(node, chain: Chain) -> None:  # type: ignore[no-untyped-def]
    client, keeper, store = node
    creator = user()
    token_holder(client, chain, 100)  # so that a grant is made, and could leak the key
    post, key = gated_post(creator, b"body")
    hand_over(client, keeper, creator, post, key)
    keeper.grant_post(post.id)
    exported = b"\n".join(store.export()).decode()
    assert message_from_json  # the wire form is what peers and exports carry
    _assert_clean(exported, [key.to_bytes()])
    raw = (Path(store.path)).read_bytes()
    assert key.to_bytes() not in raw
