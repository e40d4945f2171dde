"""Matching on hand-made candidates: alignment, assignment, subtitles, fallbacks, reproducibility."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from highlights.render.matching import (
    EDGE,
    Candidate,
    Footage,
    MatchError,
    MatchOptions,
    Need,
    _Bag,
    align,
    assign,
    build_candidates,
    match,
)
from highlights.render.subtitles import Cue, similarity

EXACT = MatchOptions(jitter=0.0)


def cand(order: int, start: float, end: float, text: str = "", **kw: object) -> Candidate:
    cues = (Cue(start, end, text),) if text else ()
    return Candidate(
        source=str(kw.pop("source", "film.mp4")),
        start=start,
        end=end,
        order=order,
        shot=order,
        position=float(kw.pop("position", 0.5)),
        cues=cues,
        **kw,  # type: ignore[arg-type]
    )


def row_of(n: int, length: float = 5.0, texts: list[str] | None = None) -> list[Candidate]:
    texts = texts or [""] * n
    return [
        cand(k, 10.0 * k, 10.0 * k + length, texts[k], position=(k + 0.5) / n) for k in range(n)
    ]


# -- candidates -------------------------------------------------------------------------------------


def test_long_shots_are_tiled_short_ones_kept_whole_and_edges_trimmed() -> None:
    film = Footage("a.mp4", 30.0, shots=((0.0, 3.0), (3.0, 15.0), (20.0, 30.0)))
    found = build_candidates([film], window=4.0)
    spans = [(round(c.start, 3), round(c.end, 3), c.shot) for c in found]
    trim = EDGE
    assert spans[0] == (trim, 3.0 - trim, 0)
    tiny = build_candidates([Footage("b.mp4", 1.0, shots=((0.0, 1.0),))], window=4.0)
    assert (tiny[0].start, tiny[0].end) == pytest.approx((0.05, 0.95))  # 5 % of a short shot
    middle = [s for s in spans if s[2] == 1]
    assert len(middle) == 2  # 12 s at window 4 -> floor(11.76 / 4) = 2 windows of 5.88 s
    assert middle[0][0] == round(3.0 + trim, 3)
    assert middle[-1][1] == round(15.0 - trim, 3)
    assert all(b - a >= 4.0 for a, b, _ in middle)
    assert spans[-1][1] <= 30.0
    assert [c.order for c in found] == list(range(len(found)))
    positions = [c.position for c in found]
    assert positions == sorted(positions)
    assert positions[0] > 0 and positions[-1] < 1


def test_candidates_never_leave_the_source_and_tiny_pieces_are_dropped() -> None:
    # A shot list that runs past the container's end (a frequent off-by-a-frame).
    film = Footage("a.mp4", 9.0, shots=((0.0, 0.3), (0.3, 9.5)))
    found = build_candidates([film], window=2.0)
    assert all(0.0 <= c.start < c.end <= 9.0 for c in found)
    assert all(c.shot == 1 for c in found)  # the 0.3 s piece is not worth offering


def test_cues_and_faces_belong_to_the_windows_they_overlap() -> None:
    cues = (Cue(0.5, 2.0, "first line"), Cue(5.0, 6.0, "second line"), Cue(9.9, 12, "edge"))
    film = Footage(
        "a.mp4", 12.0, shots=((0.0, 4.0), (4.0, 10.0)), cues=cues, faces=((1.0, 0), (6.0, 2))
    )
    first, second = build_candidates([film], window=10.0)
    assert first.dialogue == "first line" and first.faces == 0
    assert second.dialogue == "second line" and second.faces == 2  # "edge" overlaps < 0.3 s


def test_a_still_is_one_candidate_that_fits_anything() -> None:
    found = build_candidates(
        [Footage("p.png", None), Footage("a.mp4", 10.0, shots=((0.0, 10.0),))], 3.0
    )
    assert found[0].still and found[0].fits(99.0)
    result = match([Need(7.5)], found[:1], EXACT)
    (pick,) = result.picks
    assert (pick.source_in, pick.source_out, pick.hold) == (0.0, 7.5, 0.0)


# -- solvers ----------------------------------------------------------------------------------------

matrices = st.integers(1, 4).flatmap(
    lambda n: st.integers(n, 6).flatmap(
        lambda m: st.lists(
            st.lists(st.floats(-2, 2, allow_nan=False), min_size=m, max_size=m),
            min_size=n,
            max_size=n,
        )
    )
)


def total(scores: list[list[float]], cols: list[int]) -> float:
    return sum(scores[i][j] for i, j in enumerate(cols))


@settings(max_examples=150, deadline=None)
@given(matrices)
def test_alignment_is_the_best_monotonic_choice(scores: list[list[float]]) -> None:
    n, m = len(scores), len(scores[0])
    best = max(total(scores, list(c)) for c in itertools.combinations(range(m), n))
    cols = align(scores)
    assert all(a < b for a, b in itertools.pairwise(cols))
    assert total(scores, cols) == pytest.approx(best)
    loose = align(scores, strict=False)
    best_loose = max(
        total(scores, list(c)) for c in itertools.combinations_with_replacement(range(m), n)
    )
    assert all(a <= b for a, b in itertools.pairwise(loose))
    assert total(scores, loose) == pytest.approx(best_loose)


@settings(max_examples=150, deadline=None)
@given(matrices)
def test_assignment_is_the_best_one_to_one_choice(scores: list[list[float]]) -> None:
    n, m = len(scores), len(scores[0])
    best = max(total(scores, list(p)) for p in itertools.permutations(range(m), n))
    cols = assign(scores)
    assert len(set(cols)) == n
    assert total(scores, cols) == pytest.approx(best)


def test_solvers_refuse_impossible_shapes() -> None:
    with pytest.raises(MatchError):
        align([[1.0], [1.0]])
    with pytest.raises(MatchError):
        assign([[1.0], [1.0]])
    with pytest.raises(MatchError):
        match([Need(1.0)], [])


def greedy_monotonic(scores: list[list[float]]) -> list[int]:
    """What a greedy matcher does: each segment takes its best candidate after the last one."""
    cols, after = [], -1
    for row in scores:
        j = max(range(after + 1, len(row)), key=lambda c: row[c])
        cols.append(j)
        after = j
    return cols


def test_alignment_beats_greedy_on_a_crafted_case() -> None:
    # Segment 0's best (0.6 at candidate 2) would push segment 1 past its only good match.
    scores = [[0.5, 0.1, 0.6, 0.0], [0.0, 0.9, 0.0, 0.0]]
    greedy = greedy_monotonic(scores)
    assert greedy == [2, 3] and total(scores, greedy) == pytest.approx(0.6)
    assert align(scores) == [0, 1]
    assert total(scores, align(scores)) == pytest.approx(1.4)


def test_temporal_subtitle_match_beats_greedy_with_real_text() -> None:
    texts = [
        "The old keeper climbs the lighthouse to light its lamp",
        "A storm breaks the harbour wall at midnight",
        "The lighthouse keeper lights the old lamp",
        "",
    ]
    needs = [Need(3.0, "The lighthouse keeper lights the old lamp."), Need(3.0, texts[1])]
    cands = row_of(4, texts=texts)
    result = match(needs, cands, MatchOptions(temporal=True, subtitle=True, jitter=0.0))
    assert [p.candidate for p in result.picks] == [0, 1]
    assert [p.match for p in result.picks] == ["subtitle", "subtitle"]
    assert result.picks[1].score == pytest.approx(1.0)
    assert result.picks[1].matched_text == texts[1]
    sims = [[similarity(n.text, t) for t in texts] for n in needs]
    assert total(sims, greedy_monotonic(sims)) < total(sims, [0, 1])


# -- match ------------------------------------------------------------------------------------------


def test_subtitle_match_finds_shuffled_lines_in_chinese_and_english() -> None:
    texts = [
        "我们明天一早就出发去海边。",
        "The storm is coming tonight, close the shutters.",
        "他终于在抽屉里找到了那把旧钥匙。",
        "Nobody leaves this island alive.",
        "这就是我们故事的结局。",
        "",
    ]
    needs = [
        Need(2.0, "他在抽屉里找到钥匙"),
        Need(2.0, "nobody can leave the island"),
        Need(2.0, "明天一早，他们出发去海边"),
        Need(2.0, "a storm is coming"),
    ]
    result = match(needs, row_of(6, texts=texts), MatchOptions(subtitle=True, jitter=0.0))
    assert [p.candidate for p in result.picks] == [2, 3, 0, 1]
    assert all(p.match == "subtitle" for p in result.picks)


def test_no_candidate_is_used_twice_unless_allowed() -> None:
    texts = ["the red door opens", "", "", ""]
    needs = [Need(2.0, "the red door opens"), Need(2.0, "the red door opens again")]
    cands = row_of(4, texts=texts)
    once = match(needs, cands, MatchOptions(subtitle=True, jitter=0.0))
    assert len({p.candidate for p in once.picks}) == 2
    twice = match(needs, cands, MatchOptions(subtitle=True, allow_duplicate=True, jitter=0.0))
    assert [p.candidate for p in twice.picks] == [0, 0]
    assert twice.picks[1].reused


def test_temporal_alone_spreads_an_in_order_narration_over_the_film() -> None:
    cands = row_of(10)
    needs = [Need(2.0) for _ in range(5)]
    result = match(needs, cands, MatchOptions(temporal=True, jitter=0.0))
    chosen = [p.candidate for p in result.picks]
    assert chosen == [1, 3, 5, 7, 9] or chosen == [0, 2, 4, 6, 8]
    assert all(p.match == "temporal" for p in result.picks)


def test_random_mode_is_reproducible_and_varies_with_the_seed() -> None:
    cands = row_of(30)
    needs = [Need(2.0) for _ in range(6)]
    runs = {
        seed: [p.candidate for p in match(needs, cands, MatchOptions(seed=seed)).picks]
        for seed in range(5)
    }
    again = [p.candidate for p in match(needs, cands, MatchOptions(seed=3)).picks]
    assert again == runs[3]
    assert len({tuple(r) for r in runs.values()}) > 1
    for chosen in runs.values():
        assert len(set(chosen)) == len(chosen)
    assert all(p.match == "random" and p.score is None for p in match(needs, cands).picks)


@pytest.mark.parametrize(
    "options",
    [
        MatchOptions(),
        MatchOptions(temporal=True),
        MatchOptions(subtitle=True),
        MatchOptions(temporal=True, subtitle=True),
    ],
)
def test_short_candidates_only_when_nothing_fits_and_then_held(options: MatchOptions) -> None:
    lengths = [1.0, 6.0, 1.5, 6.0, 2.0]
    cands = [cand(k, 10.0 * k, 10.0 * k + n, position=(k + 0.5) / 5) for k, n in enumerate(lengths)]
    needs = [Need(4.0), Need(4.0), Need(3.0)]
    result = match(needs, cands, options)
    used = [p.candidate for p in result.picks]
    assert {1, 3} <= set(used)
    held = [p for p in result.picks if p.hold > 0]
    assert len(held) == 1
    (short,) = held
    assert short.candidate == 4  # the longest of what is left
    assert short.source_out - short.source_in == pytest.approx(2.0)
    assert short.hold == pytest.approx(needs[short.segment].duration - 2.0)
    assert any("holds its last frame" in w for w in result.warnings)
    for p in result.picks:
        c = cands[p.candidate]
        assert c.start <= p.source_in < p.source_out <= c.end


def test_ranges_have_the_needed_length_and_stay_inside_the_window() -> None:
    cues = (Cue(17.5, 19.0, "look at the lighthouse"),)
    c = Candidate("a.mp4", 10.0, 19.2, 0, 0, 0.5, cues=cues)
    result = match([Need(3.3, "look at the lighthouse")], [c], MatchOptions(subtitle=True))
    (pick,) = result.picks
    assert pick.source_out - pick.source_in == pytest.approx(3.3)
    assert pick.source_out <= 19.2  # centred on the cue, pushed back inside the window
    assert pick.source_in <= 17.5 and pick.source_out >= 19.0
    plain = match([Need(3.0)], [c], EXACT).picks[0]
    assert (plain.source_in + plain.source_out) / 2 == pytest.approx(14.6)


def test_too_few_candidates_reuses_with_a_warning() -> None:
    cands = row_of(2)
    needs = [Need(1.0)] * 3
    for options in (MatchOptions(), MatchOptions(temporal=True), MatchOptions(subtitle=True)):
        result = match(needs, cands, options)
        assert len(result.picks) == 3
        assert any("used more than once" in w for w in result.warnings)
        assert any(p.reused for p in result.picks)


def test_shots_with_faces_are_preferred_for_shots_that_name_characters() -> None:
    cands = [
        cand(k, 10.0 * k, 10.0 * k + 5, faces=(2 if k == 3 else 0), position=0.5) for k in range(6)
    ]
    for options in (MatchOptions(seed=s) for s in range(5)):
        (pick,) = match([Need(2.0, characters=2)], cands, options).picks
        assert pick.candidate == 3
    subtitle = MatchOptions(subtitle=True, jitter=0.0)
    assert match([Need(2.0, characters=1)], cands, subtitle).picks[0].candidate == 3


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The storm is coming tonight.", "a storm is coming"),
        ("他终于找到了那把钥匙。", "他找到钥匙"),
        ("Same words", "same words!"),
        ("abc", "xyz"),
        ("", "anything"),
    ],
)
def test_precomputed_bags_agree_with_similarity(a: str, b: str) -> None:
    assert _Bag(a).cosine(_Bag(b)) == pytest.approx(similarity(a, b), abs=1e-9)


def test_jitter_only_breaks_ties() -> None:
    texts = ["the red door opens", "a blue car drives away", ""]
    needs = [Need(1.0, "a blue car drives"), Need(1.0, "the red door")]
    for seed in range(5):
        result = match(needs, row_of(3, texts=texts), MatchOptions(subtitle=True, seed=seed))
        assert [p.candidate for p in result.picks] == [1, 0]
    assert math.isclose(0.02, MatchOptions().jitter)


# -- title cards and the outputs of a Count ------------------------------------------------------------


@pytest.mark.parametrize("mode", [{}, {"temporal": True}, {"subtitle": True}])
def test_title_cards_are_used_only_when_nothing_else_fits(mode: dict[str, bool]) -> None:
    cards = [cand(k, 10.0 * k, 10.0 * k + 5, card=True, position=(k + 0.5) / 4) for k in range(2)]
    pictures = [cand(2 + k, 20.0 + 10 * k, 25.0 + 10 * k, position=(k + 2.5) / 4) for k in range(2)]
    options = MatchOptions(jitter=0.0, **mode)
    two = match([Need(3.0), Need(3.0)], [*cards, *pictures], options)
    assert {p.candidate for p in two.picks} == {2, 3}
    assert not any("title card" in w for w in two.warnings)
    three = match([Need(3.0)] * 3, [*cards, *pictures], options)
    assert sum(p.candidate < 2 for p in three.picks) == 1
    assert sum("only a title card was left" in w for w in three.warnings) == 1


def test_footage_marks_candidates_cut_from_title_cards() -> None:
    film = Footage("a.mp4", 30.0, shots=((0.0, 10.0), (10.0, 14.0)), cards=((10.0, 14.0),))
    found = build_candidates([film], window=4.0)
    assert [c.card for c in found] == [False, False, True]


@pytest.mark.parametrize("mode", [{}, {"temporal": True}])
def test_later_outputs_take_other_ranges_and_keep_the_order(mode: dict[str, bool]) -> None:
    candidates = row_of(12, length=6.0)
    needs = [Need(2.0)] * 4
    used: list[tuple[str, float, float]] = []
    picks = []
    for k in range(3):
        options = MatchOptions(seed=f"{k}:match", used=tuple(used), **mode)
        result = match(needs, candidates, options)
        ranges = [(p.source, p.source_in, p.source_out) for p in result.picks]
        picks.append(ranges)
        used += ranges
        if mode:
            assert [r[1] for r in ranges] == sorted(r[1] for r in ranges)  # in source order
    assert len({tuple(p) for p in picks}) == 3
    # Three outputs of four 2 s ranges fit in twelve 6 s windows without sharing a frame.
    assert all(
        a[2] <= b[1] or b[2] <= a[1] for a, b in itertools.combinations(used, 2) if a[0] == b[0]
    )


def test_a_range_moves_within_its_window_when_the_window_was_used() -> None:
    (only,) = row_of(1, length=9.0)
    first = match([Need(3.0)], [only], EXACT).picks[0]
    assert (first.source_in, first.source_out) == (3.0, 6.0)  # centred
    again = match([Need(3.0)], [only], MatchOptions(jitter=0.0, used=(("film.mp4", 3.0, 6.0),)))
    second = again.picks[0]
    assert second.source_out <= 3.0 or second.source_in >= 6.0


def test_a_moved_range_still_holds_the_matched_line() -> None:
    long = cand(0, 0.0, 12.0)
    long = Candidate(**{**long.__dict__, "cues": (Cue(4.0, 6.0, "the storm is coming"),)})
    options = MatchOptions(jitter=0.0, subtitle=True, used=(("film.mp4", 3.5, 6.5),))
    pick = match([Need(3.0, "a storm is coming")], [long], options).picks[0]
    assert pick.source_in <= 5.0 <= pick.source_out  # the line's middle
    assert pick.matched_text == "the storm is coming"
