"""A community owned by a collective, against a real chain: its moderators are the ones the
members voted on, from the block the decision executed in; its charter is approved while its
fields hash to what the collective approved, drifted when the founder changes them alone."""

from __future__ import annotations

from node.chain import charter_hash
from node.communities import CommunityView
from node.messages.community import community_id
from node.store import Outcome, Store, Why

from .collective_steps import decide, launch

T0 = 1_767_225_600


def test_moderators_and_charter_follow_the_collective(
    w3, accounts, artifacts, deployed, keys, make_indexer, tmp_path
):
    deployment = deployed[0]
    chain_id = deployment.chain_id
    founder, _, carol, old_mod, new_mod, fan = keys[2:8]
    founder_a, bob_a, carol_a = accounts[2:5]
    synth = community_id(founder.address, "synth")
    fields = {"name": "Synth makers", "about": "Patches and modules"}
    shares, governor, _ = launch(
        w3,
        artifacts,
        deployment,
        founder_a,
        synth,
        {founder_a: 4, bob_a: 3, carol_a: 3},
        moderators=[old_mod.address],
        charter=charter_hash(synth, fields),
    )
    indexer = make_indexer()
    indexer.poll_once()

    def sign(key, type_, ts, **body):
        return key.sign(type_, {"timestamp": T0 + ts, **body}, chain_id=chain_id)

    post = sign(fan, "CommunityPost", 3, community=synth, text="off topic")
    messages = [
        *(sign(founder, "Charter", 0, handle="synth", field=k, value=v) for k, v in fields.items()),
        sign(founder, "Charter", 0, handle="synth", field="collective", value=shares.address),
        # the charter's own list names someone the collective does not: it does not count
        sign(founder, "Charter", 0, handle="synth", field="moderators", value=carol.address),
        sign(fan, "Membership", 1, community=synth),
        post,
        sign(old_mod, "ModHide", 4, community=synth, post=post.id, reason="off topic"),
        sign(carol, "ModHide", 4, community=synth, post=post.id, reason="not the collective's"),
    ]
    with Store(tmp_path / "store.sqlite", chain_id) as store:
        report = store.ingest(messages, now=T0 + 10)
        assert all(r.outcome is Outcome.ACCEPTED for r in report.results)
        view = CommunityView(store, chain_id, indexer)
        charter = store.charter(synth)
        held = view.collective_standing(charter)
        assert held.status == "approved" and held.approved_hash == held.charter_hash
        assert view.moderators(charter) == {old_mod.address}

        # the old moderator's hide counts, the charter-listed one's does not
        every = view.posts(synth, show_hidden=True)
        assert [(h.why, h.by) for h in every.hidden[post.id]] == [(Why.HIDDEN_BY_MODERATOR, old_mod.address)]

        # the members replace the moderator: from the block it executed in, the old one's hide
        # no longer counts and the new one's does
        calldata = shares.encode_abi("setModerators", args=[[new_mod.address]])
        decide(w3, governor, founder_a, [founder_a, bob_a], shares, calldata, "Replace the moderator")
        executed = w3.eth.block_number
        indexer.poll_once()
        assert view.moderators(charter) == {new_mod.address}
        assert view.collective_standing(charter).moderators_since == executed
        assert [m.id for m in view.posts(synth).items] == [post.id]
        store.ingest([sign(new_mod, "ModHide", 5, community=synth, post=post.id, reason="spam")], now=T0 + 10)
        every = view.posts(synth, show_hidden=True)
        assert [(h.why, h.by) for h in every.hidden[post.id]] == [(Why.HIDDEN_BY_MODERATOR, new_mod.address)]

        # the founder changes the charter alone: drifted, and the moderators stay the collective's
        store.ingest(
            [sign(founder, "Charter", 6, handle="synth", field="about", value="Anything")], now=T0 + 10
        )
        drifted = view.collective_standing(store.charter(synth))
        assert drifted.status == "drifted" and drifted.approved_hash != drifted.charter_hash
        assert view.moderators(store.charter(synth)) == {new_mod.address}

        # a node without a chain index cannot verify the collective: nobody's hides count
        blind = CommunityView(store, chain_id, None)
        assert blind.collective_standing(store.charter(synth)).status == "unverifiable"
        assert blind.moderators(store.charter(synth)) == frozenset()


def test_a_collective_of_another_community_is_unverifiable(
    w3, accounts, artifacts, deployed, keys, make_indexer, tmp_path
):
    deployment = deployed[0]
    founder = keys[2]
    other = community_id(keys[3].address, "elsewhere")
    shares, _, _ = launch(
        w3, artifacts, deployment, accounts[3], other, {accounts[3]: 1}, moderators=[keys[4].address]
    )
    indexer = make_indexer()
    indexer.poll_once()
    synth = community_id(founder.address, "synth")
    charter = founder.sign(
        "Charter",
        {"timestamp": T0, "handle": "synth", "field": "collective", "value": shares.address},
        chain_id=deployment.chain_id,
    )
    with Store(tmp_path / "store.sqlite", deployment.chain_id) as store:
        store.ingest([charter], now=T0 + 10)
        view = CommunityView(store, deployment.chain_id, indexer)
        held = view.collective_standing(store.charter(synth))
        assert held.status == "unverifiable" and "another community" in held.detail
        assert view.moderators(store.charter(synth)) == frozenset()
