"""A gated community's view against a real chain: a member counts, and their posts show, only
while the gate holds in the node's chain index; acceptance never depended on it."""

from __future__ import annotations

from node.communities import CommunityView
from node.gating import Balance, encode_gate
from node.messages.community import community_id
from node.store import Outcome, Store, Why

from .conftest import WAD

T0 = 1_767_225_600


def test_a_gated_communitys_view_follows_the_chain_index(client, keys, make_indexer, tmp_path):
    founder, holder, stranger = keys[2], keys[3], keys[4]
    token = client.launch_token(founder, "Synth Token", "SYN").token
    client.buy(holder, token, 2 * WAD)
    indexer = make_indexer()
    indexer.poll_once()
    chain_id = client.chain_id
    gate = encode_gate(Balance(chain_id, token, WAD)).decode()
    synth = community_id(founder.address, "synth")

    def sign(key, type_, ts, **fields):
        return key.sign(type_, {"timestamp": T0 + ts, **fields}, chain_id=chain_id)

    held = sign(holder, "CommunityPost", 3, community=synth, text="I hold the token")
    unheld = sign(stranger, "CommunityPost", 3, community=synth, text="I do not")
    messages = [
        sign(founder, "Charter", 0, handle="synth", field="gate", value=gate),
        sign(holder, "Membership", 1, community=synth),
        sign(stranger, "Membership", 1, community=synth),
        held,
        unheld,
    ]
    with Store(tmp_path / "store.sqlite", chain_id) as store:
        report = store.ingest(messages, now=T0 + 10)
        assert all(r.outcome is Outcome.ACCEPTED for r in report.results)  # stored whatever the chain says
        view = CommunityView(store, chain_id, indexer.balance)

        shown = view.posts(synth)
        assert [m.id for m in shown.items] == [held.id] and shown.hidden_count == 1
        every = view.posts(synth, show_hidden=True)
        assert [h.why for h in every.hidden[unheld.id]] == [Why.GATE_NOT_MET]
        assert {(m.address, m.counts) for m in view.members(synth).items} == {
            (holder.address, True),
            (stranger.address, False),
        }

        # the stranger buys in and the holder sells out: the index moves, and the view with it
        client.buy(stranger, token, 3 * WAD)
        client.sell(holder, token, 2 * WAD)
        indexer.poll_once()
        assert [m.id for m in view.posts(synth).items] == [unheld.id]

        # a node without a chain index knows nobody meets the gate: only the founder's posts show
        founders = sign(founder, "CommunityPost", 4, community=synth, text="welcome")
        store.ingest([founders], now=T0 + 10)
        blind = CommunityView(store, chain_id, None)
        assert [m.id for m in blind.posts(synth).items] == [founders.id]
        assert blind.posts(synth).hidden_count == 2
