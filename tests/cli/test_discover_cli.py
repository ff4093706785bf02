"""``mecenate discover`` and ``mecenate search`` against a real node process: discovery lists a
small creator whose few fans engage, each score with the numbers that made it, and leaves out a
creator nobody engaged with; search finds a post, a profile and a community; input the node
would refuse is refused before anything is sent.

Users (``people``, see conftest), their CLI runs and the node are those of ``test_community_cli`` (this module starts its
own node, whose rankings are never reused from a cache, so each answer is computed from the data
the test just wrote).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from benchmarks._processes import node_env, running_node
from node.cli.discover import explanation_line
from node.config import Settings
from node.identity import Keyring
from node.messages import message_to_json
from node.messages.community import community_id
from tests.cli.test_community_cli import PASSPHRASE, User, posted

#: A port nothing listens on: a command that sent anything there would fail with NodeUnreachable (69).
DEAD_NODE = "http://127.0.0.1:1"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return node_env(tmp_path_factory.mktemp("discover-cli"), MECENATE_DISCOVER__CACHE_SECONDS="0")


@pytest.fixture(scope="module")
def node(env: dict[str, str]) -> Iterator[str]:
    with running_node(env):
        yield env["MECENATE_NODE_URL"]


def like(node: str, user: User, post_id: str) -> None:
    """``user`` likes a post (the CLI has no command for a reaction: signed here, sent over HTTP)."""
    key = Keyring(user.env["MECENATE_KEYS_DIR"], scrypt_n=1024).unlock(user.address, PASSPHRASE)
    signed = key.sign("Reaction", {"post": post_id, "kind": "like"}, chain_id=Settings().chain_id)
    r = httpx.post(node + "/v1/messages", json=message_to_json(signed), timeout=10)
    assert r.status_code == 201 and r.json()["outcome"] == "accepted", r.text


def ranked(stdout: str) -> list[str]:
    """The creators a ``discover`` printed, in rank order (``1. 0x.. score ...``)."""
    return [line.split()[1] for line in stdout.splitlines() if re.match(r"[0-9]+\. ", line)]


def test_discover_ranks_a_small_creator_whose_fans_engage_and_explains_the_score(people, node: str) -> None:
    maker, quiet, once, fan1, fan2, passerby = people(6)
    made = posted(maker.ok("post", "a new patch for the little synth"))
    posted(quiet.ok("post", "nobody reads this"))
    posted(quiet.ok("post", "nor this"))
    one_like = posted(once.ok("post", "liked once"))
    for fan in (fan1, fan2):
        assert fan.ok("follow", maker.address).startswith("accepted ")
        posted(fan.ok("post", "love it", "--reply-to", made))
        like(node, fan, made)
    like(node, passerby, one_like)

    shown = passerby.ok("discover", "--band", "nano")
    order = ranked(shown)
    assert order.index(maker.address) < order.index(once.address)
    assert quiet.address not in order  # no engagement: not ranked at all
    # No chain index on this node: fresh keys, all pooled. The maker: 2 fans with a reply each
    # (weight 1), so pool 2.00 and 0.5 x log2(3) = 0.79 points over 2 followers + prior 10.
    lines = shown.splitlines()
    at = next(i for i, line in enumerate(lines) if maker.address in line)
    assert lines[at].endswith("score 0.0660 (nano, 2 followers)")
    assert lines[at + 1].strip() == (
        "engagement 0.79 / audience 12 (2 followers + prior 10); 2 engagers: none credited; "
        "fresh keys: 2, pool 2.00 -> 0.79"
    )
    assert "no chain index on this node" in lines[0]
    assert maker.address not in ranked(passerby.ok("discover", "--band", "micro"))


def test_an_explanation_holds_the_numbers_that_made_the_score() -> None:
    """The example of docs/discovery.md (three tippers of a creator with three followers), and a fresh key."""
    creator = {
        "followers": 3,
        "explanation": {
            "engagement": 15.2925,
            "audience": 13.0,
            "follower_prior": 10.0,
            "engagers": 4,
            "by_kind": {"tip": {"engagers": 3, "points": 15.0}},
            "fresh_engagers": 1,
            "fresh_pool": 0.5,
            "fresh_points": 0.2925,
        },
    }
    assert explanation_line(creator) == (
        "engagement 15.29 / audience 13 (3 followers + prior 10); 4 engagers: 3 by tip 15.00; "
        "fresh keys: 1, pool 0.50 -> 0.29"
    )


def test_discover_within_a_community(people, node: str) -> None:
    founder, member, fan, outsider = people(4)
    founder.ok("community", "create", "knitters", "--topics", "craft")
    member.ok("community", "join", f"knitters@{founder.address}")
    post = posted(member.ok("community", "post", f"knitters@{founder.address}", "a cable stitch"))
    fan.ok("community", "post", f"knitters@{founder.address}", "lovely", "--reply-to", post)
    outside = posted(outsider.ok("post", "elsewhere"))
    like(node, fan, outside)

    assert ranked(fan.ok("discover", "--community", f"knitters@{founder.address.lower()}")) == [
        member.address
    ]
    assert ranked(fan.ok("discover", "--topic", "Craft")) == [member.address]
    assert outsider.address in ranked(fan.ok("discover"))


def test_search_finds_a_post_a_profile_and_a_community(people, node: str) -> None:
    weaver, other = people(2)
    weaver.ok("profile", "set", "name", "Wren Loomwright")
    weaver.ok("profile", "set", "bio", "tablet weaving, \x1b[2Jslowly")
    weaver.ok("community", "create", "tapestry", "--name", "Tapestry weavers", "--topics", "textile")
    cid = "0x" + community_id(weaver.address, "tapestry").hex()
    first = posted(weaver.ok("post", "warp-weighted loom, part one"))
    second = posted(other.ok("post", "a warp-weighted loom of my own"))

    found = other.ok("search", "warp loom")
    assert first in found and second in found and "warp-weighted loom, part one" in found

    profiles = other.ok("search", "loomw", "--kind", "profiles")
    assert weaver.address in profiles and "Wren Loomwright" in profiles
    assert "\\x1b[2Jslowly" in profiles and "\x1b" not in profiles  # others' text cannot drive the terminal

    communities = other.ok("search", "TAPES", "--kind", "communities")
    assert cid in communities and "Tapestry weavers" in communities and "[textile]" in communities

    page = other.ok("search", "warp", "--limit", "1")
    more = page.splitlines()[-1]
    assert more.startswith("(more: --cursor 1.") and more.endswith(")")  # one served, then the page's ceiling
    rest = other.ok("search", "warp", "--limit", "1", "--cursor", more.removeprefix("(more: --cursor ")[:-1])
    assert {first, second} == {posted_id(page), posted_id(rest)}
    assert "(more:" not in rest

    for kind in ("posts", "profiles", "communities"):
        assert other.ok("search", "zzyzx", "--kind", kind).strip() == "(nothing found)"


def posted_id(stdout: str) -> str:
    """The id of the one post a page printed (its first line: when, author, id)."""
    return stdout.splitlines()[0].split()[-1]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("search", ""), "error[invalid_input]: QUERY: no word to search for (letters or digits), got ''"),
        (
            ("search", " ?! "),
            "error[invalid_input]: QUERY: no word to search for (letters or digits), got ' ?! '",
        ),
        (
            ("search", "loom", "--kind", "people"),
            "error[invalid_input]: --kind: 'people' is not one of posts, profiles, communities",
        ),
        (
            ("discover", "--band", "huge"),
            "error[invalid_input]: --band: 'huge' is not a band (one of: nano, micro, mid, macro)",
        ),
        (
            ("discover", "--topic", "no topic"),
            "error[invalid_input]: --topic: 'no topic' is not a topic (1-32 letters, digits and inner hyphens)",
        ),
        (
            ("discover", "--community", "0x12"),
            "error[invalid_input]: --community (an id, or HANDLE@FOUNDER): expected an id (0x and 64 hex digits), got '0x12'",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line_before_anything_is_sent(
    people, args: tuple[str, ...], error: str
) -> None:
    (user,) = people(1)
    ran = user.run(*args, "--node", DEAD_NODE)
    assert (ran.code, ran.stdout, ran.stderr) == (65, "", error + "\n")


def test_good_input_is_sent(people) -> None:
    """The dead node of the test above would have been noticed: a valid command reaches for it."""
    (user,) = people(1)
    for args in (("search", "loom"), ("discover", "--band", "NANO")):
        ran = user.run(*args, "--node", DEAD_NODE)
        assert ran.code == 69 and ran.stderr.startswith("error[node_unreachable]: no node answers"), (
            ran.stderr
        )
