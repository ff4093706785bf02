"""Communities, user-owned moderation and disclosures from the command line, against a real
node process: each command signs with a user's keystore key and submits over HTTP, and each
view prints what the node's view shows, hidden posts counted and, on request, listed with who
hid them and why.

The CLI runs in this process (``main``: its one-line errors and exit codes), each user with a
keys directory of their own; one node serves the module, and each test founds its own
communities and users, so the tests share nothing but the process.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from benchmarks._processes import node_env, running_node
from node.cli import main
from node.identity import Keyring
from node.messages.community import community_id

runner = CliRunner()
PASSPHRASE = "correct horse"


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class User:
    """One person at the command line: their keys directory and the node's environment."""

    env: dict[str, str]
    address: str

    def run(self, *args: str, **env: str) -> Ran:
        """``mecenate *args`` as this user, in this process."""
        argv = sys.argv
        with runner.isolation(env={**self.env, **env}) as (stdout, stderr, _):
            sys.argv = ["mecenate", *args]
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            finally:
                sys.argv = argv
            return Ran(code, stdout.getvalue().decode(), stderr.getvalue().decode())

    def ok(self, *args: str) -> str:
        ran = self.run(*args)
        assert ran.code == 0, ran.stderr
        return ran.stdout


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return node_env(tmp_path_factory.mktemp("community-cli"))


@pytest.fixture(scope="module")
def node(env: dict[str, str]) -> Iterator[str]:
    with running_node(env):
        yield env["MECENATE_NODE_URL"]


@pytest.fixture
def people(env: dict[str, str], node: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """``people(n)``: ``n`` users, each with one key of their own."""
    numbers = itertools.count()

    def make(n: int) -> list[User]:
        users = []
        for _ in range(n):
            keys = tmp_path / f"keys-{next(numbers)}"
            key = Keyring(keys, scrypt_n=1024).create(PASSPHRASE)
            users.append(User({**env, "MECENATE_KEYS_DIR": str(keys)}, key.address))
        return users

    return make


def posted(stdout: str) -> str:
    """The id a ``post`` printed on its first line (``accepted 0x..``)."""
    outcome, post_id = stdout.splitlines()[0].split()
    assert outcome == "accepted"
    return post_id


def api(node: str, path: str) -> dict:
    r = httpx.get(node + path, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_community_from_its_charter_to_a_moderated_view(people, node: str) -> None:
    founder, mod, member, outsider = people(4)
    created = founder.ok(
        "community",
        "create",
        "synth",
        "--name",
        "Synth makers",
        "--topics",
        "Music, modular,music",
        "--moderators",
        f"{mod.address.lower()},{founder.address}",
    )
    cid = "0x" + community_id(founder.address, "synth").hex()
    first, *fields = created.splitlines()
    assert first == f"community {cid}" and [line.split()[:2] for line in fields] == [
        ["name:", "accepted"],
        ["topics:", "accepted"],
        ["moderators:", "accepted"],
    ]
    # canonical: topics sorted once each; moderators checksummed, the founder left out
    charter = api(node, f"/v1/communities/{cid}")["charter"]
    assert (charter["topics"], charter["moderators"]) == ("modular,music", mod.address)

    shown = founder.ok("community", "show", f"synth@{founder.address.lower()}")
    assert f"synth {cid}" in shown and "name: Synth makers" in shown and "topics: modular, music" in shown
    assert f"moderators: {', '.join(sorted([founder.address, mod.address]))}" in shown
    again = founder.run("community", "create", "synth")
    assert again.code == 65 and "founded 'synth' already" in again.stderr

    assert member.ok("community", "join", f"synth@{founder.address}").startswith("accepted ")
    patch = posted(member.ok("community", "post", cid, "my patch"))
    spam = outsider.run("community", "post", cid, "buy followers")
    assert spam.code == 0 and "you are not a member" in spam.stderr

    view = founder.ok("community", "posts", cid)
    assert "my patch" in view and "buy followers" not in view
    assert "1 hidden (--show-hidden lists them" in view

    assert mod.ok("mod-hide", cid, patch, "--reason", "off topic").startswith("accepted ")
    view = founder.ok("community", "posts", cid)
    assert "my patch" not in view and "2 hidden" in view
    every = founder.ok("community", "posts", cid, "--show-hidden")
    assert "my patch" in every and "buy followers" in every
    assert f'hidden: hidden_by_moderator by {mod.address}: "off topic"' in every
    assert 'hidden: not_a_member: "the author was not a member when this was posted"' in every
    assert "2 hidden\n" in every  # counted, with no hint: they are listed
    # the post is still the author's: their own list has it
    assert patch in [p["id"] for p in api(node, f"/v1/users/{member.address}/posts")["items"]]

    assert mod.ok("mod-unhide", cid, patch).startswith("accepted ")
    assert "my patch" in founder.ok("community", "posts", cid)
    # the member's feeds of their communities: as the community shows it, and ranked, explained
    assert "my patch" in member.ok("feed", "--algorithm", "communities")
    ranked = member.ok("feed", "--algorithm", "engagement")
    assert "my patch" in ranked and "score 0.00: 0 reactors, 0 repliers, 0 tips, 0h old" in ranked

    assert member.address in founder.ok("community", "members", cid)
    found = founder.ok("community", "list", "--topic", "music")
    assert f"synth@{founder.address} {cid}" in found and "Synth makers [modular, music]" in found
    assert "1 member; this week 1 post by 1 author" in found  # its members' posts: not the outsider's
    founder.ok("community", "set", "synth", "about", "patches and modules")
    assert "about: patches and modules" in founder.ok("community", "show", cid)


def test_bad_input_is_refused_before_anything_is_signed(people, node: str) -> None:
    """No passphrase is given: a command that got as far as signing would ask for it. Each
    mistake is named instead, in one line, and the node holds nothing new."""
    (user,) = people(1)
    before = api(node, "/v1/status")["messages"]
    cid = "0x" + community_id(user.address, "synth").hex()
    mistakes = {
        ("community", "create", "Synth_Makers"): "HANDLE: 'Synth_Makers' is not a handle",
        ("community", "create", "synth", "--moderators", "0xnope"): "--moderators '0xnope': ",
        ("community", "create", "synth", "--topics", "synth,lo fi"): "--topics: 'lo fi' is not a topic",
        ("community", "create", "synth", "--gate", '{"type":"every"}'): "--gate: gate.type: must be",
        ("community", "set", "synth", "colour", "red"): "FIELD: unknown charter field 'colour'",
        ("community", "post", "synth@nobody", "hi"): "COMMUNITY: founder: ",
        ("mod-hide", cid, "0x12", "--reason", "spam"): "POST: expected an id",
        ("mod-hide", cid, "0x" + "ab" * 32, "--reason", " "): "--reason: a hide says why",
        ("mute", "nobody"): "ADDRESS: expected a 0x-prefixed",
        (
            "post",
            "sponsored",
            "--paid-by",
            user.address.lower(),
        ): "--paid-by: a paid partnership names who paid",
    }
    for args, said in mistakes.items():
        ran = user.run(*args, MECENATE_PASSPHRASE="")
        assert ran.code == 65, (args, ran.stderr)
        assert ran.stderr.startswith("error[invalid_input]: ") and said in ran.stderr, (args, ran.stderr)
        assert len(ran.stderr.strip().splitlines()) == 1, ran.stderr
    assert api(node, "/v1/status")["messages"] == before


def test_a_mute_takes_the_muted_out_of_the_muters_feed_only(people) -> None:
    creator, troll, fan, other_fan = people(4)
    for who in (fan, other_fan):
        who.ok("follow", creator.address)
        who.ok("follow", troll.address)
    creator.ok("post", "new track out")
    troll.ok("post", "unfollow her")
    assert "unfollow her" in fan.ok("feed")

    assert fan.ok("mute", troll.address.lower()).startswith("accepted ")
    feed = fan.ok("feed")
    assert "new track out" in feed and "unfollow her" not in feed
    assert "unfollow her" in other_fan.ok("feed")

    fan.ok("unmute", troll.address)
    assert "unfollow her" in fan.ok("feed")


def test_a_creator_hides_a_reply_under_her_post_and_shows_it_again(people) -> None:
    creator, hater, fan = people(3)
    root = posted(creator.ok("post", "new track out"))
    # ESC[8m would conceal what follows: the CLI shows the escape instead of acting on it
    hate = posted(hater.ok("post", "this is bad\x1b[8m", "--reply-to", root))
    fan.ok("post", "love it", "--reply-to", root)

    not_hers = fan.run("hide-reply", hate)
    assert not_hers.code == 0 and "someone else's post" in not_hers.stderr
    assert "this is bad" in fan.ok("thread", root)

    assert creator.ok("hide-reply", hate).startswith("accepted ")
    for viewer in (fan, hater):
        thread = viewer.ok("thread", root)
        assert "love it" in thread and "this is bad" not in thread
        assert "1 hidden (--show-hidden lists them" in thread
    listed = fan.ok("thread", root, "--show-hidden")
    assert "this is bad\\x1b[8m" in listed and "\x1b" not in listed
    assert f"hidden: hidden_by_post_author by {creator.address}" in listed

    creator.ok("unhide-reply", hate)
    thread = fan.ok("thread", root)
    assert "this is bad" in thread and "hidden" not in thread


def test_a_paid_partnership_is_disclosed_beside_the_post(people, node: str) -> None:
    creator, sponsor = people(2)
    out = creator.ok("post", "my favourite synth", "--paid-by", sponsor.address.lower())
    post_id = posted(out)
    assert out.splitlines()[1].endswith(f"paid partnership with {sponsor.address}")
    assert api(node, f"/v1/posts/{post_id}")["paid_by"] == [sponsor.address]
    assert f"paid partnership with {sponsor.address}" in creator.ok("thread", post_id)

    creator.ok("community", "create", "gear")
    creator.ok(
        "community", "post", f"gear@{creator.address}", "this week's pedal", "--paid-by", sponsor.address
    )
    view = creator.ok("community", "posts", f"gear@{creator.address}")
    assert "this week's pedal" in view and f"paid partnership with {sponsor.address}" in view


def test_a_gate_typed_loosely_is_signed_in_its_canonical_form(people, node: str, tmp_path: Path) -> None:
    founder, member, token = people(3)
    loose = tmp_path / "gate.json"
    loose.write_text(
        f'{{\n  "type": "balance",\n  "token": "{token.address}",\n  "minBalance": "5",\n  "chainId": "31337"\n}}\n'
    )
    canonical = f'{{"chainId":"31337","minBalance":"5","token":"{token.address}","type":"balance"}}'
    founder.ok("community", "create", "club", "--gate", f"@{loose}")
    cid = "0x" + community_id(founder.address, "club").hex()
    assert api(node, f"/v1/communities/{cid}")["charter"]["gate"] == canonical
    assert f"gate: {canonical}" in founder.ok("community", "show", cid)

    member.ok("community", "join", cid)  # this node has no chain: no member meets the gate
    assert f"{member.address} since " in (listed := founder.ok("community", "members", cid))
    assert "(does not count: the gate is not met)" in listed

    # the shorthand of exclusive posts: TOKEN:MIN in whole tokens (no chain here: TOKEN is the token)
    founder.ok("community", "set", "club", "gate", f"{token.address.lower()}:2.5")
    assert api(node, f"/v1/communities/{cid}")["charter"]["gate"] == canonical.replace(
        '"minBalance":"5"', f'"minBalance":"{25 * 10**17}"'
    )
    founder.ok("community", "set", "club", "gate", "")
    assert "gate: open" in founder.ok("community", "show", cid)
    assert "does not count" not in founder.ok("community", "members", cid)
