"""Every message belongs to exactly one scope, read from the signed message alone; a node's
scopes (``p2p.scopes``) serve the base scope always, and every community or the listed ones."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from node.config import P2PSettings
from node.messages import TYPES, sign_message
from node.messages._crypto import keccak, private_key_to_address
from node.messages.community import community_id
from node.messages.scope import (
    BASE,
    BASE_DESPITE_COMMUNITY,
    COMMUNITY_SCOPED,
    EVERYTHING,
    Scopes,
    community_named,
    scope_name,
    scope_of,
)

CHAIN = 31337
KEY = keccak(b"scope test key")
ME = "0x" + private_key_to_address(KEY).hex()
C1 = community_id(ME, "one")
C2 = community_id(ME, "two")
POST = keccak(b"some post")
OTHER = "0x" + "22" * 20

#: One message of every type, with the fields it needs (a community field names C1).
FIELDS: dict[str, dict[str, object]] = {
    "Profile": {"field": "name", "value": "me"},
    "Follow": {"target": OTHER},
    "Post": {"text": "hello"},
    "PostDelete": {"post": POST},
    "Reaction": {"post": POST, "kind": "like"},
    "SignerAdd": {"signer": "0x" + "11" * 20},
    "SignerRemove": {"signer": "0x" + "11" * 20},
    "KeyGrant": {
        "post": POST,
        "recipient": ME,
        "recipientKey": bytes([9]) + bytes(31),
        "wrappedKey": bytes([2]) + bytes(80),
    },
    "Charter": {"handle": "one", "field": "name", "value": "One"},
    "Membership": {"community": C1},
    "CommunityPost": {"community": C1, "text": "hello"},
    "CommunityReaction": {"community": C1, "post": POST, "kind": "like"},
    "Mute": {"target": OTHER},
    "Block": {"target": OTHER},
    "ReplyHide": {"post": POST},
    "ModHide": {"community": C1, "post": POST, "reason": "spam"},
    "Disclosure": {"post": POST, "paidBy": OTHER},
}

#: The scope each type belongs to, decided type by type.
EXPECTED = {
    name: (C1 if name in {"CommunityPost", "CommunityReaction", "ModHide"} else BASE) for name in FIELDS
}


def test_the_table_covers_every_message_type() -> None:
    assert set(FIELDS) == set(TYPES)


def test_every_type_naming_a_community_is_decided_explicitly() -> None:
    naming = {t.name for t in TYPES.values() if any(f.name == "community" for f in t.fields)}
    assert naming == COMMUNITY_SCOPED | BASE_DESPITE_COMMUNITY
    assert not COMMUNITY_SCOPED & BASE_DESPITE_COMMUNITY


@pytest.mark.parametrize("type_", sorted(FIELDS))
def test_scope_of_each_type(type_: str) -> None:
    message = sign_message(type_, {"timestamp": 1_800_000_000, **FIELDS[type_]}, KEY, CHAIN)
    assert scope_of(message) == EXPECTED[type_]


def test_a_community_message_belongs_to_the_community_it_names() -> None:
    post = sign_message("CommunityPost", {"timestamp": 1, "community": C2, "text": "x"}, KEY, CHAIN)
    assert scope_of(post) == C2


@pytest.mark.parametrize("type_", sorted(FIELDS))
def test_the_community_a_message_names(type_: str) -> None:
    message = sign_message(type_, {"timestamp": 1_800_000_000, **FIELDS[type_]}, KEY, CHAIN)
    names = {"Charter", "Membership", "CommunityPost", "CommunityReaction", "ModHide"}
    assert community_named(message) == (C1 if type_ in names else None)


def test_serving_everything() -> None:
    assert EVERYTHING.everything
    assert all(EVERYTHING.serves(s) for s in (BASE, C1, C2))
    assert EVERYTHING.names() == ["all"]


def test_serving_some_communities_serves_the_base_scope_and_those_alone() -> None:
    scopes = Scopes.of([C1])
    assert not scopes.everything
    assert scopes.serves(BASE) and scopes.serves(C1) and not scopes.serves(C2)
    assert Scopes.of([]).serves(BASE) and not Scopes.of([]).serves(C1)
    assert scopes.names() == ["base", scope_name(C1)]


def test_one_scope_alone_is_what_its_topic_carries() -> None:
    assert Scopes.only(C1).serves(C1) and not Scopes.only(C1).serves(BASE)
    assert not Scopes.only(C1).serves(C2)
    assert Scopes.only(BASE).serves(BASE) and not Scopes.only(BASE).serves(C1)


def test_admits_reads_the_message() -> None:
    inside = sign_message("CommunityPost", {"timestamp": 1, "community": C1, "text": "x"}, KEY, CHAIN)
    outside = sign_message("CommunityPost", {"timestamp": 1, "community": C2, "text": "x"}, KEY, CHAIN)
    member = sign_message("Membership", {"timestamp": 1, "community": C2}, KEY, CHAIN)
    scopes = Scopes.of([C1])
    assert scopes.admits(inside) and not scopes.admits(outside) and scopes.admits(member)


def test_a_community_id_is_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Scopes.of([b"short"])


def test_the_setting_defaults_to_all_and_reads_ids_canonically() -> None:
    assert P2PSettings().scopes == "all" and P2PSettings().communities is None
    assert P2PSettings(scopes="").communities is None
    assert P2PSettings(scopes=" ALL ").communities is None
    both = P2PSettings(
        scopes=f"{scope_name(C2).upper().replace('0X', '0x')}, {scope_name(C1)},{scope_name(C1)}"
    )
    assert both.communities == {C1, C2}
    assert both.scopes == ",".join(sorted({scope_name(C1), scope_name(C2)}))
    assert P2PSettings(scopes=" Base ").communities == frozenset()  # the base scope alone


@pytest.mark.parametrize(
    "bad", ["0x1234", "c1", "0x" + "g" * 64, f"all,{scope_name(C1)}", f"base,{scope_name(C1)}"]
)
def test_the_setting_refuses_what_is_not_a_community_id(bad: str) -> None:
    with pytest.raises(ValidationError, match="not a community id"):
        P2PSettings(scopes=bad)


def test_the_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from node.config import Settings

    monkeypatch.setenv("MECENATE_P2P__SCOPES", f"{scope_name(C1)},{scope_name(C2)}")
    assert Settings().p2p.communities == {C1, C2}
