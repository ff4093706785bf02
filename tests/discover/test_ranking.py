"""The ranking as a pure function: each engager counts once by their strongest signal, costly
signals weigh more, fresh keys pool logarithmically, scores are per follower with a prior, and
the explanation adds up to the score."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.discover import (
    Band,
    CreatorFacts,
    RankingWeights,
    Signal,
    SignalKind,
    Vouching,
    band_of,
    rank_creators,
    score_creator,
)

W = RankingWeights()
DAY = 86_400


def _fresh_likes(creator: str, n: int) -> CreatorFacts:
    return CreatorFacts(creator, 0, tuple(Signal(f"fresh{i}", SignalKind.REACTION, 0) for i in range(n)))


def _tippers(creator: str, n: int, followers: int) -> CreatorFacts:
    signals = [Signal(f"fan{i}", kind, 0) for i in range(n) for kind in (SignalKind.TIP, SignalKind.HOLD)]
    return CreatorFacts(creator, followers, tuple(signals))


@pytest.mark.parametrize(
    ("followers", "band"),
    [
        (0, Band.NANO),
        (999, Band.NANO),
        (1000, Band.MICRO),
        (9999, Band.MICRO),
        (10_000, Band.MID),
        (99_999, Band.MID),
        (100_000, Band.MACRO),
        (5_000_000, Band.MACRO),
    ],
)
def test_follower_bands(followers, band):
    assert band_of(followers) == band


def test_an_engager_counts_once_by_their_strongest_signal_and_the_creator_never():
    facts = CreatorFacts(
        "c",
        0,
        (
            Signal("fan", SignalKind.REACTION, 0),
            Signal("fan", SignalKind.TIP, 0),
            Signal("fan", SignalKind.REPLY, 0),
            Signal("c", SignalKind.TIP, 0),  # the creator tipping themself
        ),
    )
    s = score_creator(facts, Vouching(on_chain={"fan"}), W)
    assert s.engagers == 1
    assert set(s.by_kind) == {SignalKind.TIP}
    assert s.by_kind[SignalKind.TIP].engagers == 1 and s.by_kind[SignalKind.TIP].points == W.tip
    assert s.score == pytest.approx(W.tip / (0 + W.follower_prior))


def test_signals_halve_over_the_half_life():
    old = score_creator(CreatorFacts("c", 0, (Signal("fan", SignalKind.TIP, 14 * DAY),)), Vouching(), W)
    assert old.engagement == pytest.approx(W.tip / 4)  # two half-lives of 7 days


def test_score_is_per_follower_with_a_prior():
    facts = [_tippers("small", 3, followers=20), _tippers("big", 3, followers=2000)]
    small, big = (score_creator(f, Vouching(), W) for f in facts)
    assert small.engagement == big.engagement == 3 * W.tip
    assert small.score == pytest.approx(15 / 30) and big.score == pytest.approx(15 / 2010)


def test_fresh_keys_pool_logarithmically():
    s = score_creator(_fresh_likes("c", 1000), Vouching(), W)
    assert s.fresh_engagers == 1000 and s.fresh_pool == pytest.approx(1000 * W.reaction)
    assert s.fresh_points == pytest.approx(W.fresh_weight * math.log2(1 + 500))  # about 4.5
    assert s.by_kind == {}


def test_a_thousand_fresh_likes_do_not_outrank_a_few_real_tippers():
    """The adversarial case in numbers: 1,000 fresh keys liking a creator with no followers give
    0.5 * log2(501) / 10 = 0.45; three fans who tip and hold, of a creator they follow, give
    3 * 5 / (3 + 10) = 1.15."""
    ranked = rank_creators([_fresh_likes("sybil", 1000), _tippers("real", 3, followers=3)], Vouching(), W)
    assert [r.creator for r in ranked] == ["real", "sybil"]
    assert ranked[0].score == pytest.approx(15 / 13) and ranked[1].score == pytest.approx(0.448, abs=1e-3)


def test_likes_count_by_the_likers_standing():
    likes = CreatorFacts(
        "c", 0, tuple(Signal(u, SignalKind.REACTION, 0) for u in ("chain", "vouched", "half"))
    )
    vouching = Vouching(on_chain={"chain"}, vouches={"vouched": 3, "half": 1})
    s = score_creator(likes, vouching, W)
    part = s.by_kind[SignalKind.REACTION]
    assert part.engagers == 3
    assert part.points == pytest.approx(W.reaction * (1 + 0.5 + 0.5 / 3))
    assert s.fresh_engagers == 2  # what vouching did not cover went to the pool
    assert s.fresh_pool == pytest.approx(W.reaction * (0.5 + (1 - 0.5 / 3)))


def test_the_explanation_adds_up():
    facts = CreatorFacts(
        "c",
        42,
        (
            Signal("a", SignalKind.TIP, DAY),
            Signal("b", SignalKind.BUY, 3 * DAY),
            Signal("d", SignalKind.REPLY, 0),
            Signal("e", SignalKind.REACTION, 2 * DAY),
        ),
    )
    s = score_creator(facts, Vouching(on_chain={"d"}), W)
    assert s.engagement == pytest.approx(sum(p.points for p in s.by_kind.values()) + s.fresh_points)
    assert s.score == pytest.approx(s.engagement / (s.followers + s.follower_prior))


def test_bands_filter_and_creators_without_engagement_are_left_out():
    facts = [_tippers("nano", 2, 10), _tippers("micro", 2, 5000), CreatorFacts("quiet", 100, ())]
    assert [r.creator for r in rank_creators(facts, Vouching(), W)] == ["nano", "micro"]
    assert [r.creator for r in rank_creators(facts, Vouching(), W, bands=[Band.MICRO])] == ["micro"]


_signal = st.builds(
    Signal,
    engager=st.sampled_from(["a", "b", "c", "d", "e"]),
    kind=st.sampled_from(list(SignalKind)),
    age=st.floats(min_value=0, max_value=90 * DAY),
)
_facts = st.lists(
    st.builds(
        CreatorFacts,
        creator=st.sampled_from(["x", "y", "z", "a"]),
        followers=st.integers(min_value=0, max_value=10**6),
        signals=st.lists(_signal, max_size=12).map(tuple),
    ),
    max_size=4,
    unique_by=lambda f: f.creator,
)


@given(facts=_facts, seed=st.integers())
@settings(max_examples=200)
def test_the_ranking_depends_on_the_facts_not_their_order(facts, seed):
    vouching = Vouching(on_chain={"a"}, vouches={"b": 2})
    shuffled = [
        CreatorFacts(f.creator, f.followers, tuple(random.Random(seed).sample(f.signals, len(f.signals))))
        for f in facts
    ]
    random.Random(seed).shuffle(shuffled)
    expected = rank_creators(facts, vouching, W)
    got = rank_creators(shuffled, vouching, W)
    assert [(r.creator, r.engagers) for r in got] == [(r.creator, r.engagers) for r in expected]
    assert [r.score for r in got] == pytest.approx([r.score for r in expected])
    assert all(r.score > 0 for r in got)
