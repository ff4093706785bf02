"""The engagement-ranked feed's rule: costly signals weigh more, age decays, order is total."""

from __future__ import annotations

from node.communities._ranking import Engagement, rank, score

NOW = 1_800_000_000
DAY = 24 * 3600


def test_one_tip_outweighs_several_likes_and_a_day_halves_a_score():
    tipped = Engagement(b"\x01" * 32, NOW, tips=1)
    liked = Engagement(b"\x02" * 32, NOW, reactors=4)
    assert [s.engagement for s in rank([liked, tipped], NOW)] == [tipped, liked]
    assert (
        score(Engagement(b"\x03" * 32, NOW - DAY, reactors=2), NOW).score
        == score(Engagement(b"\x03" * 32, NOW, reactors=1), NOW).score
    )


def test_ties_are_broken_by_newer_then_id_so_every_node_ranks_alike():
    a, b, c = (Engagement(bytes([i]) * 32, NOW - i, reactors=0) for i in (2, 1, 3))
    assert [s.engagement for s in rank([a, b, c], NOW)] == [b, a, c]
    assert rank([a, b, c], NOW) == rank([c, b, a], NOW)
