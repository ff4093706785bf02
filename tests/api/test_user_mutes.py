"""``GET /v1/users/{address}/mutes``: whom a user mutes or blocks now, as their views apply it
(what a client needs to offer "unmute" and "unblock")."""

from __future__ import annotations

from node.identity import create_key

from .test_moderation import net  # noqa: F401  (the fixture)


def test_a_users_mutes_and_blocks_follow_their_last_messages(net, alice, bob):  # noqa: F811
    carol = create_key()
    mutes = f"/v1/users/{alice.address}/mutes"
    assert net.get(mutes) == []
    net.post(alice, "Mute", 1, target=bob.address)
    net.post(alice, "Block", 2, target=carol.address)
    assert net.get(mutes) == sorted(
        [{"target": bob.address, "kind": "mute"}, {"target": carol.address, "kind": "block"}],
        key=lambda m: m["target"],
    )
    net.post(alice, "Block", 3, target=bob.address)  # a block over a mute: the block is named
    net.post(alice, "Block", 4, target=carol.address, active=False)
    assert net.get(mutes) == [{"target": bob.address, "kind": "block"}]
    net.post(alice, "Block", 5, target=bob.address, active=False)  # the mute shows again
    assert net.get(mutes) == [{"target": bob.address, "kind": "mute"}]
    assert net.get(f"/v1/users/{bob.address}/mutes") == []  # one user's list, not the network's
