"""Two real nodes on 127.0.0.1: a community and its moderation, written at A, reach B (the charter
and memberships by the on-connect sync, the posts and moderation by gossip, or by the sync A
asks for when the community's topic has no mesh yet), and both nodes then hold the same store
state and show the same community view, hidden posts and reasons alike."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import trio

from node.communities import CommunityView
from node.identity import Key, create_key
from node.messages import SignedMessage
from node.messages.community import community_id
from node.store import Store, View, Why

from .conftest import CHAIN, Nodes, wait_for, wait_mesh

pytestmark = pytest.mark.trio


def _view(store: Store, community: bytes, viewer: str | None) -> tuple:
    """What a community view shows, in a form two nodes' views compare by: the posts listed,
    the hidden ones with who hid them and why, and who paid for which."""
    view: View = CommunityView(store, CHAIN).posts(community, viewer=viewer, show_hidden=True)
    return (
        [m.id for m in view.items],
        {post: [(h.why, h.by, h.detail) for h in why] for post, why in view.hidden.items()},
        view.hidden_count,
        view.paid_by,
    )


async def test_community_and_moderation_reach_the_other_node_and_both_show_the_same(tmp_path: Path) -> None:
    founder, mod, bob, hater, outsider, sponsor = (create_key() for _ in range(6))
    now = int(time.time())

    def sign(key: Key, type_: str, age: int, **fields: object) -> SignedMessage:
        return key.sign(type_, {"timestamp": now - age, **fields}, chain_id=CHAIN)

    synth = community_id(founder.address, "synth")
    founding = [  # before B exists: only the on-connect sync can carry these
        sign(founder, "Charter", 100, handle="synth", field="name", value="Synth makers"),
        sign(founder, "Charter", 100, handle="synth", field="topics", value="modular,music"),
        sign(founder, "Charter", 100, handle="synth", field="moderators", value=mod.address),
        *(sign(k, "Membership", 90, community=synth) for k in (bob, hater)),
    ]
    root = sign(bob, "CommunityPost", 50, community=synth, text="patch notes")
    hate = sign(hater, "CommunityPost", 40, community=synth, text="this is awful", replyTo=root.id)
    spam = sign(hater, "CommunityPost", 40, community=synth, text="buy my course")
    stranger = sign(outsider, "CommunityPost", 40, community=synth, text="hello, not a member")
    later = [  # once B is connected: gossip carries these
        root,
        hate,
        spam,
        stranger,
        sign(mod, "ModHide", 30, community=synth, post=spam.id, reason="spam"),
        sign(bob, "ReplyHide", 30, post=hate.id),
        sign(bob, "Mute", 30, target=hater.address),
        sign(bob, "Disclosure", 30, post=root.id, paidBy=sponsor.address),
    ]

    async with trio.open_nursery() as nursery:
        nodes = Nodes(nursery, tmp_path)
        try:
            sa, sb = nodes.store("a"), nodes.store("b")
            assert sa.ingest(founding).counts["accepted"] == len(founding)
            a = await nodes.start("a")
            b = await nodes.start("b", bootstrap=(a.addrs[0],))
            await wait_mesh(a, b)
            await wait_for(lambda: sb.charter(synth) is not None and len(sb) == len(sa), 10, "sync to B")
            report = await trio.to_thread.run_sync(sa.ingest, later)  # as the API does
            assert report.counts["accepted"] == len(later)
            await wait_for(lambda: sb.fingerprint() == sa.fingerprint(), 10, "gossip to B")
            assert b.status()["gossip"]["accepted_messages"] >= 1
            assert len(sb) == len(founding) + len(later)

            assert sb.state() == sa.state()
            for viewer in (None, bob.address, hater.address):
                assert _view(sb, synth, viewer) == _view(sa, synth, viewer)
            # and the view is the one the messages call for, on B as on A
            listed, hidden, count, paid_by = _view(sb, synth, bob.address)
            assert set(listed) == {root.id, hate.id, spam.id, stranger.id}
            assert hidden == {
                spam.id: [(Why.HIDDEN_BY_MODERATOR, mod.address, "spam"), (Why.MUTED, bob.address, "")],
                hate.id: [(Why.HIDDEN_BY_POST_AUTHOR, bob.address, ""), (Why.MUTED, bob.address, "")],
                stranger.id: [(Why.NOT_A_MEMBER, None, "the author was not a member when this was posted")],
            }
            assert count == 3
            assert paid_by == {root.id: [sponsor.address]}
            assert CommunityView(sb, CHAIN).posts(synth, viewer=hater.address).items == [root]
        finally:
            nodes.close()
