"""Changing the scopes of a running node, and a node offline while its scopes moved on: real
node processes on loopback (``tests.support.network``), each with its own SQLite store.

A node told at run time to serve a community (``mecenate node scopes add``) catches up on it
from a peer that serves it, without a restart; told to stop (``remove``), it drops exactly
that community's messages (its posts leave the node's search and the community's view; every
other scope keeps its count and fingerprint), keeps the change across a restart, and refuses
to remove the base scope. A node killed while 5,000 messages landed converges on its scopes
once restarted, with no manual step, and never receives the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks._processes import cli, wait_for
from node.identity import Key, import_key
from node.messages import SignedMessage, keccak, message_to_json
from node.messages.community import community_id
from node.messages.scope import scope_name
from tests.support.network import NetNode, Network, line

CHAIN_ID = 31337
ADMIN = {"MECENATE_API__ADMIN_TOKEN": "scope changes"}
#: Periodic sync every few seconds (a restarted node also syncs as soon as it reconnects).
FAST = {"MECENATE_P2P__SYNC_INTERVAL_SECONDS": "3", **ADMIN}
#: No periodic sync within a test: a node syncs when it connects, and when told to catch up.
NO_PERIODIC_SYNC = {"MECENATE_P2P__SYNC_INTERVAL_SECONDS": "3600", **ADMIN}
FOUNDER = import_key(keccak(b"scope changes founder"))
C1, C2 = community_id(FOUNDER.address, "one"), community_id(FOUNDER.address, "two")
ONE, TWO = scope_name(C1), scope_name(C2)


def _author(name: str) -> Key:
    return import_key(keccak(f"scope changes {name}".encode()))


def _post_all(node: NetNode, messages: list[SignedMessage], batch: int = 500) -> None:
    """Submit ``messages`` to ``node`` in batches; every one must be accepted."""
    for start in range(0, len(messages), batch):
        part = [message_to_json(m) for m in messages[start : start + batch]]
        answer = node.http.post("/v1/messages/batch", json={"messages": part}, timeout=60).json()
        assert answer["accepted"] == len(part), answer


def _scopes(node: NetNode) -> dict[str, Any]:
    """``scope: (messages, fingerprint)`` of the node's status (``scopes``)."""
    held = node.status()["scopes"]
    return {scope: (n, held["fingerprints"][scope]) for scope, n in held["messages"].items()}


def _searched(node: NetNode, words: str) -> set[str]:
    items = node.http.get("/v1/search", params={"q": words, "limit": 100}).json()["items"]
    return {item["post"]["id"] for item in items}


def test_a_node_adds_a_scope_catches_up_then_removes_it_and_keeps_the_change(tmp_path: Path) -> None:
    alice, bob = _author("alice"), _author("bob")
    in_one = [
        alice.sign("CommunityPost", {"community": C1, "text": f"pumpkin {i}"}, chain_id=CHAIN_ID)
        for i in range(30)
    ]
    in_two = [
        alice.sign("CommunityPost", {"community": C2, "text": f"squash {i}"}, chain_id=CHAIN_ID)
        for i in range(10)
    ]
    base = [
        FOUNDER.sign("Charter", {"handle": "one", "field": "name", "value": "One"}, chain_id=CHAIN_ID),
        alice.sign("Membership", {"community": C1}, chain_id=CHAIN_ID),
        bob.sign("Post", {"text": "a base post about pumpkin soup"}, chain_id=CHAIN_ID),
        bob.sign("Reaction", {"post": in_one[0].id, "kind": "like"}, chain_id=CHAIN_ID),
    ]
    around_one = [
        bob.sign(
            "CommunityReaction", {"community": C1, "post": in_one[1].id, "kind": "like"}, chain_id=CHAIN_ID
        ),
        FOUNDER.sign(
            "ModHide", {"community": C1, "post": in_one[2].id, "reason": "off topic"}, chain_id=CHAIN_ID
        ),
    ]
    with Network(tmp_path, 2, line(2), scopes=[None, [C2]], **NO_PERIODIC_SYNC) as net:
        full, node = net[0], net[1]
        net.kill(1)  # the node takes what it serves by the sync it runs when it reconnects
        _post_all(full, [*base, *in_one, *around_one, *in_two])
        net.restart(1)
        net.wait_converged()
        assert ONE not in _scopes(node) and _scopes(node)[TWO][0] == len(in_two)

        added = cli(node.env, "node", "scopes", "add", ONE)
        assert added.returncode == 0, added.stderr
        assert f"now serves {ONE}" in added.stdout
        wait_for(
            lambda: _scopes(node).get(ONE) == _scopes(full)[ONE], "the added scope to catch up", 60
        )  # no restart, no periodic sync: the add started it
        assert _scopes(node)[ONE][0] == len(in_one) + len(around_one)
        assert {"0x" + m.id.hex() for m in in_one} <= _searched(node, "pumpkin")
        assert node.status()["scopes"]["served"] == ["base", ONE, TWO]

        refused = cli(node.env, "node", "scopes", "remove", "base")
        assert refused.returncode != 0 and "base_scope" in refused.stdout + refused.stderr
        before = _scopes(node)
        removed = cli(node.env, "node", "scopes", "remove", ONE)
        assert removed.returncode == 0, removed.stderr
        assert f"no longer serves {ONE}: {len(in_one) + len(around_one)} messages dropped" in removed.stdout

        after = _scopes(node)
        assert after == {"base": before["base"], TWO: before[TWO]}  # the rest untouched
        assert node.status()["p2p"]["by_scope"].keys() == {"base", TWO}
        assert _searched(node, "pumpkin") == {"0x" + base[2].id.hex()}
        assert not any(node.holds(m.id) for m in [*in_one, *around_one])
        view = node.http.get(f"/v1/communities/{ONE}/posts", params={"show_hidden": "true"}).json()
        assert view["items"] == []

        net.kill(1)
        net.restart(1)
        net.wait_connected()
        wait_for(
            lambda: [p["sync"]["state"] for p in node.status()["p2p"]["peers"]] == ["ok"],
            "a sync session after the restart",
            30,
        )
        assert node.status()["scopes"]["served"] == ["base", TWO]  # the change outlived the restart
        assert _scopes(node) == after
        peer = node.status()["p2p"]["peers"][0]
        assert peer["scopes"] == ["base", TWO]  # in common with a node serving everything
        shown = cli(node.env, "status").stdout
        assert f"{full.peer_id}  scopes in common: base, {TWO}" in shown
        assert f"  {TWO}  {len(in_two)} messages  fingerprint {after[TWO][1]}" in shown


def test_a_node_offline_while_5000_messages_landed_converges_on_its_scopes_alone(tmp_path: Path) -> None:
    authors = [_author(f"burst {i}") for i in range(5)]
    messages = [
        authors[i % 5].sign(
            *(
                ("Post", {"text": f"base {i}"})
                if i % 5 < 2
                else ("CommunityPost", {"community": C1 if i % 5 < 4 else C2, "text": f"burst {i}"})
            ),
            chain_id=CHAIN_ID,
        )
        for i in range(5000)
    ]
    mine = [m for m in messages if m.type == "Post" or m.fields["community"] == C1]
    with Network(tmp_path, 2, line(2), scopes=[None, [C1]], **FAST) as net:
        full, node = net[0], net[1]
        net.kill(1)
        _post_all(full, messages)
        assert full.status()["messages"] == len(messages)

        net.restart(1)
        net.wait_connected()
        wait_for(lambda: node.status()["messages"] == len(mine), "the restarted node to catch up", 60)
        net.wait_converged()
        held = _scopes(node)
        assert held.keys() == {"base", ONE} and held == {s: _scopes(full)[s] for s in ("base", ONE)}
        assert TWO not in node.status()["p2p"]["by_scope"]
        assert not any(node.holds(m.id) for m in messages[4::5][:50])  # community 2's, never here
