"""Shot rules on hand-made measurements: cuts, black gaps, credits, merging of short shots."""

from __future__ import annotations

import math

import pytest

from highlights.render.shot_rules import (
    Interval,
    RawAnalysis,
    Shot,
    ShotRules,
    build_analysis,
    coverage,
    normalise_intervals,
    select_cuts,
    still_analysis,
)

RULES = ShotRules(threshold=0.3, min_shot=1.0)


def spans(shots: tuple[Shot, ...]) -> list[tuple[float, float]]:
    return [(s.start, s.end) for s in shots]


def test_strong_scores_are_cuts_and_weak_ones_only_when_isolated() -> None:
    scores = [
        (2.0, 0.9),  # strong
        (5.0, 0.16),  # weak but isolated: a cut between similar shots
        (8.0, 0.16),  # weak amid motion: neighbours score high too
        (8.2, 0.12),
        (8.4, 0.10),
        (11.0, 0.08),  # below adaptive_min
    ]
    assert [t for t, _ in select_cuts(scores, RULES)] == [2.0, 5.0]
    off = ShotRules(adaptive_ratio=math.inf)
    assert [t for t, _ in select_cuts(scores, off)] == [2.0]


def test_plain_cuts_make_shots() -> None:
    raw = RawAnalysis(duration=10.0, scores=((3.0, 0.8), (6.5, 0.5)))
    result = build_analysis(raw, RULES)
    assert spans(result.shots) == [(0.0, 3.0), (3.0, 6.5), (6.5, 10.0)]
    assert result.cuts == (3.0, 6.5)
    assert result.dropped == ()
    assert result.opening_credits is None
    assert result.closing_credits is None


def test_black_gap_is_dropped_and_its_edges_are_boundaries() -> None:
    raw = RawAnalysis(
        duration=12.0,
        scores=((4.0, 0.9), (5.0, 0.9)),
        black=(Interval(4.0, 5.0),),
        dark=(Interval(4.0, 5.0),),
    )
    result = build_analysis(raw, RULES)
    assert spans(result.shots) == [(0.0, 4.0), (5.0, 12.0)]
    assert result.dropped == (Shot(4.0, 5.0, "black"),)


def test_very_short_black_is_a_dip_not_a_gap() -> None:
    raw = RawAnalysis(duration=10.0, black=(Interval(5.0, 5.1),))
    assert spans(build_analysis(raw, RULES).shots) == [(0.0, 10.0)]


def test_opening_and_closing_credits_are_left_out() -> None:
    raw = RawAnalysis(
        duration=30.0,
        scores=((3.0, 0.9), (10.0, 0.6), (20.0, 0.6), (27.0, 0.9)),
        black=(Interval(0.0, 0.5), Interval(26.5, 27.0)),
        dark=(Interval(0.0, 3.0), Interval(26.5, 30.0)),
    )
    result = build_analysis(raw, RULES)
    assert spans(result.shots) == [(3.0, 10.0), (10.0, 20.0), (20.0, 26.5)]
    assert result.opening_credits == Interval(0.5, 3.0)
    assert result.closing_credits == Interval(27.0, 30.0)
    kinds = {(s.start, s.end): s.kind for s in result.dropped}
    assert kinds == {
        (0.0, 0.5): "black",
        (0.5, 3.0): "credits",
        (26.5, 27.0): "black",
        (27.0, 30.0): "credits",
    }


def test_dark_scene_in_the_middle_is_not_credits() -> None:
    raw = RawAnalysis(duration=30.0, scores=((10.0, 0.9), (14.0, 0.9)), dark=(Interval(10, 14),))
    result = build_analysis(raw, RULES)
    assert spans(result.shots) == [(0.0, 10.0), (10.0, 14.0), (14.0, 30.0)]
    assert result.opening_credits is None


def test_dark_opening_too_long_for_the_window_is_kept() -> None:
    # A dark first scene running past the first 20% of the film is a scene, not credits.
    raw = RawAnalysis(duration=20.0, scores=((5.0, 0.9),), dark=(Interval(0, 5),))
    result = build_analysis(raw, RULES)
    assert spans(result.shots) == [(0.0, 5.0), (5.0, 20.0)]


def test_short_shot_merges_across_its_weaker_cut() -> None:
    raw = RawAnalysis(duration=10.0, scores=((4.0, 0.9), (4.5, 0.4)))
    result = build_analysis(raw, RULES)
    # The 0.5 s piece [4.0, 4.5] joins the right neighbour: 0.4 is the weaker cut.
    assert spans(result.shots) == [(0.0, 4.0), (4.0, 10.0)]


def test_short_piece_between_gaps_is_a_dropped_fragment() -> None:
    raw = RawAnalysis(
        duration=20.0,
        black=(Interval(8.0, 9.0), Interval(9.5, 11.0)),
        dark=(Interval(8.0, 9.0), Interval(9.5, 11.0)),
    )
    result = build_analysis(raw, RULES)
    assert spans(result.shots) == [(0.0, 8.0), (11.0, 20.0)]
    assert Shot(9.0, 9.5, "fragment") in result.dropped


def test_boundaries_within_two_frames_are_one() -> None:
    raw = RawAnalysis(duration=10.0, scores=((5.0, 0.9), (5.04, 0.9)))
    assert build_analysis(raw, RULES).cuts == (5.0,)


def test_threshold_is_a_rule_not_a_measurement() -> None:
    raw = RawAnalysis(duration=10.0, scores=((5.0, 0.35),))
    assert len(build_analysis(raw, ShotRules(threshold=0.3)).shots) == 2
    assert len(build_analysis(raw, ShotRules(threshold=0.5, adaptive_min=0.5)).shots) == 1


def test_still_is_one_shot() -> None:
    result = still_analysis("/x.png", 4.0)
    assert result.shots == (Shot(0.0, 4.0, "still"),)
    with pytest.raises(ValueError, match="positive"):
        still_analysis("/x.png", 0)


def test_raw_analysis_json_round_trip() -> None:
    raw = RawAnalysis(
        duration=9.5,
        scores=((1.0, 0.5),),
        black=(Interval(2.0, 3.0),),
        dark=(Interval(2.0, 3.5),),
        floor=0.04,
    )
    assert RawAnalysis.from_json(raw.to_json()) == raw


def test_interval_helpers() -> None:
    merged = normalise_intervals(
        [Interval(-1, 1), Interval(0.5, 2), Interval(5, 5.1), Interval(8, 12)], 10.0, 0.2
    )
    assert merged == [Interval(0, 2), Interval(8, 10)]
    assert coverage(0, 4, merged) == pytest.approx(0.5)
    assert coverage(3, 3, merged) == 0.0
