"""Real node processes joined by the network harness (``tests.support.network``): messages
cross more than one hop, and a node that crashed catches up by itself once restarted."""

from __future__ import annotations

from pathlib import Path

from benchmarks._processes import wait_for
from node.identity import Key, import_key
from node.messages import keccak
from tests.support.network import Network, line, random_topology

CHAIN_ID = 31337
#: Periodic sync every few seconds: a post made before gossipsub has formed its mesh (it forms
#: at heartbeats after the connections) arrives by sync, and the test does not wait 30 s for it.
FAST_SYNC = {"MECENATE_P2P__SYNC_INTERVAL_SECONDS": "3"}


def _author(name: str) -> Key:
    return import_key(keccak(f"network harness {name}".encode()))


def test_random_topology_is_connected_with_degree_three_to_four() -> None:
    edges = random_topology(12, seed=7)
    degree = {n: sum(n in e for e in edges) for n in range(12)}
    assert all(3 <= d <= 4 for d in degree.values())
    reached, frontier = {0}, [0]
    while frontier:
        n = frontier.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == n and y not in reached:
                    reached.add(y)
                    frontier.append(y)
    assert reached == set(range(12))
    assert random_topology(12, seed=7) == edges


def test_a_message_crosses_a_line_of_three_nodes(tmp_path: Path) -> None:
    author = _author("line")
    posts = [author.sign("Post", {"text": f"two hops away {i}"}, chain_id=CHAIN_ID) for i in range(3)]
    with Network(tmp_path, 3, line(3), **FAST_SYNC) as net:
        assert net[0].peer_ids() == {net[1].peer_id}  # no shortcut: 0 and 2 are two hops apart
        for post in posts:
            net[0].post(post)
        wait_for(lambda: all(net[2].holds(p.id) for p in posts), "the far end to hold every post")
        net.wait_converged(count=len(posts))
        assert len(set(net.fingerprints().values())) == 1


def test_a_killed_node_catches_up_after_restart(tmp_path: Path) -> None:
    author = _author("churn")
    before = author.sign("Post", {"text": "before the crash"}, chain_id=CHAIN_ID)
    during = [
        author.sign("Post", {"text": f"while node 2 was down {i}"}, chain_id=CHAIN_ID) for i in range(20)
    ]
    with Network(tmp_path, 3, line(3), **FAST_SYNC) as net:
        net[0].post(before)
        net.wait_converged(count=1)
        net.kill(2)
        assert not net[2].running
        for post in during:
            net[0].post(post)
        wait_for(lambda: net[1].status()["messages"] == 1 + len(during), "node 1 to hold every post")
        net.restart(2)
        net.wait_connected()
        net.wait_converged(count=1 + len(during))  # no sync asked for: the node redials and syncs
        assert all(net[2].holds(p.id) for p in during)
