"""Convergence: any order, any duplication, any batching of a message set gives one state.

Random message sets cover every type with deliberately colliding timestamps (so the tie
rules decide), replies, deletes before and after their posts, deletes of someone else's post,
and a delegate whose key is added and then revoked. The delegate signs profiles, follows,
posts, reactions, charters, mutes and blocks, not deletes (see the known corner in
``node/store/_rules.py``). Community and moderation messages (charters, memberships, community
posts and reactions, mutes, blocks, reply and moderator hides, disclosures) are in the mix,
hides and disclosures aimed at any post, by anyone: what counts is decided by reads, so the
stored state must converge whatever they say.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.gating import Balance, encode_gate, keypair_from_eth_key
from node.messages import POST_TYPES, sign_message
from node.messages.community import community_id
from node.store import Store

from .conftest import CHAIN, T0, User

USERS = [User(n) for n in ("alice", "bob", "carol")]
GATE = encode_gate(Balance(CHAIN, "0x5FbDB2315678afecb367f032d93F642f64180aa3", 1)).decode()
RECIPIENT_KEYS = [keypair_from_eth_key(u.key).public_key for u in USERS]
APP = User("app")  # becomes alice's delegate
HANDLES = ("synth", "knit")
#: The communities alice and bob found, one per handle each.
COMMUNITIES = [community_id(u.address, h) for u in USERS[:2] for h in HANDLES]

_action = st.tuples(
    st.sampled_from(
        [
            "Profile",
            "Follow",
            "Post",
            "PostDelete",
            "Reaction",
            "SignerAdd",
            "SignerRemove",
            "Delegated",
            "Gated",
            "KeyGrant",
            "Charter",
            "Membership",
            "CommunityPost",
            "CommunityReaction",
            "Mute",
            "Block",
            "ReplyHide",
            "ModHide",
            "Disclosure",
        ]
    ),
    st.integers(0, 2),  # author
    st.integers(0, 4),  # timestamp offset: few values, many ties
    st.integers(0, 1000),  # a free choice for the type's fields
    st.integers(0, 1000),
)


def build(actions) -> list:
    msgs, posts = [], []
    for kind, a, ts, x, y in actions:
        u = USERS[a]
        t = T0 + ts
        if kind == "Profile":
            m = u.sign("Profile", ts, field=["name", "bio"][x % 2], value=["", "A", "B"][y % 3])
        elif kind == "Follow":
            target = USERS[(a + 1 + x % 2) % 3].address
            m = u.sign("Follow", ts, target=target, active=bool(y % 2))
        elif kind == "Post":
            reply = posts[x % len(posts)].id if posts and y % 2 else bytes(32)
            m = u.sign("Post", ts, text=f"post {x}", replyTo=reply)
            posts.append(m)
        elif kind == "Gated":
            m = u.sign("Post", ts, text="", gate=GATE, ciphertext=b"\x01" + x.to_bytes(2, "big") * 20)
            posts.append(m)
        elif kind == "KeyGrant":
            if not posts:
                continue
            # mostly the post's author (or alice's delegate for alice); sometimes a stranger
            target = posts[x % len(posts)]
            recipient = USERS[y % 3]
            fields = {
                "post": target.id,
                "recipient": recipient.address,
                "recipientKey": RECIPIENT_KEYS[y % 3],
                "wrappedKey": b"\x02" + bytes([x % 7]) * 80,
            }
            if target.author == USERS[0].address and y % 4 == 0:
                m = sign_message(
                    "KeyGrant", {"author": target.author, "timestamp": t, **fields}, APP.key, CHAIN
                )
            else:
                granter = next(v for v in USERS if v.address == target.author) if y % 5 else u
                m = granter.sign("KeyGrant", ts, **fields)
        elif kind == "PostDelete":
            target = posts[x % len(posts)] if posts else None
            if target is None:
                continue
            # mostly the author's own delete; sometimes someone else's (which must do nothing)
            deleter = next(v for v in USERS if v.address == target.author) if y % 3 else u
            m = deleter.sign("PostDelete", ts + 1, post=target.id)
        elif kind == "Reaction":
            if not posts:
                continue
            m = u.sign(
                "Reaction",
                ts,
                post=posts[x % len(posts)].id,
                kind=["like", "fire"][y % 2],
                active=bool(x % 3),
            )
        elif kind in ("Charter", "Membership", "CommunityPost", "CommunityReaction", "Mute", "Block"):
            m = community_message(u, kind, ts, x, y, posts)
            if m is None:
                continue
            if kind == "CommunityPost":
                posts.append(m)
        elif kind in ("ReplyHide", "ModHide", "Disclosure"):
            if not posts:
                continue
            target = posts[x % len(posts)]
            if kind == "ReplyHide":
                m = u.sign("ReplyHide", ts, post=target.id, active=bool(y % 3))
            elif kind == "ModHide":
                reason = ["spam", "off topic"][y % 2] if y % 3 else ""
                m = u.sign(
                    "ModHide",
                    ts,
                    community=COMMUNITIES[y % 4],
                    post=target.id,
                    reason=reason,
                    active=bool(reason),
                )
            else:
                payer = USERS[(a + 1 + y % 2) % 3].address
                m = u.sign("Disclosure", ts, post=target.id, paidBy=payer)
        elif kind == "SignerAdd":
            m = USERS[0].sign("SignerAdd", ts, signer=APP.address)
        elif kind == "SignerRemove":
            if y % 3:  # revocations are rarer than adds
                continue
            m = USERS[0].sign("SignerRemove", ts, signer=APP.address)
        else:  # the delegate acting for alice
            author = USERS[0].address
            sub = x % 6
            if sub >= 4:  # the community types that share a table or need the author's address
                delegated = community_message(
                    USERS[0], ["Charter", "Mute", "Block"][y % 3], ts, x, y, posts, APP
                )
                if delegated is not None:
                    msgs.append(delegated)
                continue
            if sub == 0:
                fields = {"field": "name", "value": ["", "App", "Z"][y % 3]}
                m = sign_message("Profile", {"author": author, "timestamp": t, **fields}, APP.key, CHAIN)
            elif sub == 1:
                fields = {"target": USERS[1 + y % 2].address, "active": bool(y % 2)}
                m = sign_message("Follow", {"author": author, "timestamp": t, **fields}, APP.key, CHAIN)
            elif sub == 2:
                m = sign_message(
                    "Post", {"author": author, "timestamp": t, "text": f"app {y}"}, APP.key, CHAIN
                )
                posts.append(m)
            else:
                if not posts:
                    continue
                fields = {"post": posts[y % len(posts)].id, "kind": "like", "active": bool(y % 2)}
                m = sign_message("Reaction", {"author": author, "timestamp": t, **fields}, APP.key, CHAIN)
        msgs.append(m)
    return msgs


def community_message(u: User, kind: str, ts: int, x: int, y: int, posts: list, signer: User | None = None):
    """A community or moderation message by ``u`` (signed by ``signer``, a delegate, if given),
    or ``None`` when there is nothing to react to yet."""
    if kind == "Charter":
        field, values = [("name", ["", "Synth", "Knit"]), ("topics", ["", "music", "craft,music"])][x % 2]
        fields = {"handle": HANDLES[y % 2], "field": field, "value": values[y % 3]}
    elif kind == "Membership":
        fields = {"community": COMMUNITIES[x % 4], "active": bool(y % 2)}
    elif kind == "CommunityPost":
        reply = posts[x % len(posts)].id if posts and y % 2 else bytes(32)
        fields = {"community": COMMUNITIES[x % 4], "text": f"community post {x}", "replyTo": reply}
    elif kind == "CommunityReaction":
        if not posts:
            return None
        fields = {
            "community": COMMUNITIES[y % 4],
            "post": posts[x % len(posts)].id,
            "kind": ["like", "fire"][y % 2],
        }
        fields["active"] = bool(x % 3)
    else:  # Mute, Block
        fields = {"target": USERS[(USERS.index(u) + 1 + x % 2) % 3].address, "active": bool(y % 2)}
    key = (signer or u).key
    return sign_message(kind, {"author": u.address, "timestamp": T0 + ts, **fields}, key, CHAIN)


def fresh(tmp: Path, name: str) -> Store:
    return Store(tmp / f"{name}.sqlite", CHAIN, synchronous="OFF")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=st.lists(_action, min_size=1, max_size=40), data=st.data())
def test_any_order_duplication_and_batching_converge(actions, data):
    msgs = build(actions)
    perm = data.draw(st.permutations(msgs))
    dups = data.draw(st.lists(st.sampled_from(msgs), max_size=10)) if msgs else []
    shuffled = data.draw(st.permutations(perm + dups))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), max_size=5)))
    chunks = [shuffled[i:j] for i, j in zip([0, *cuts], [*cuts, len(shuffled)], strict=False)]

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        reference, one_batch, chunked = fresh(tmp, "ref"), fresh(tmp, "one"), fresh(tmp, "chunked")
        try:
            reference.ingest(msgs)
            one_batch.ingest(shuffled)
            for chunk in chunks:
                chunked.ingest(chunk)
            # A message refused because its delegate was not known yet comes again, as sync would.
            chunked.ingest(perm)

            expected = reference.state()
            post_ids = [m.id for m in msgs if m.type in POST_TYPES]
            grants = [[reference.grant(p, u.address) for u in USERS] for p in post_ids]
            for other in (one_batch, chunked):
                assert other.state() == expected
                assert [[other.grant(p, u.address) for u in USERS] for p in post_ids] == grants
                assert other.fingerprint() == reference.fingerprint()
                assert other.sync_keys() == reference.sync_keys()
            # a second full delivery changes nothing
            reference.ingest(shuffled)
            assert reference.state() == expected
        finally:
            for s in (reference, one_batch, chunked):
                s.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=st.lists(_action, min_size=1, max_size=40), data=st.data())
def test_rebuild_from_the_log_gives_the_same_state(actions, data):
    msgs = build(actions)
    shuffled = data.draw(st.permutations(msgs))
    with tempfile.TemporaryDirectory() as d:
        store = fresh(Path(d), "s")
        try:
            for i in range(0, len(shuffled), 7):
                store.ingest(shuffled[i : i + 7])
            store.ingest(msgs)
            before, fp = store.state(), store.fingerprint()
            store.rebuild()
            assert store.state() == before and store.fingerprint() == fp
            assert store.integrity_check() == "ok"
        finally:
            store.close()
