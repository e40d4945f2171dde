"""Bars, text lines, titles and title cards from hand-made samples; the sampled branch's graph and
its parsing, without ffmpeg."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from highlights.render.picture_rules import (
    GRID_COLUMNS,
    GRID_ROWS,
    PictureRules,
    Sample,
    is_card,
    picture_area,
    subtitle_rows,
    text_band,
    text_lines,
    title_regions,
    titles_in,
)
from highlights.render.samples import GRID_BYTES, SampleParams, branch, parse_samples, text_size
from highlights.render.shot_rules import RawAnalysis, ShotRules, build_analysis
from highlights.render.shots import DecodeParams, decode_graph

FULL = (1 << GRID_COLUMNS) - 1


def sample(
    t: float = 0.0,
    bounds: tuple[int, int, int, int] | None = (0, 0, 319, 179),
    *,
    lines: dict[int, tuple[int, int]] | None = None,
    edges: int = 0,
    line_edges: int = 6,
    boost: int = 2,
    texture: bool = False,
) -> Sample:
    """A sample whose rows ``lines`` ({row: (first column, last column)}) hold crisp strokes,
    over a picture with ``edges`` detail everywhere (or a texture filling every cell)."""
    strokes = [FULL if texture else 0] * GRID_ROWS
    row_edges = [edges] * GRID_ROWS
    stroke_edges = [edges if texture else 0] * GRID_ROWS
    for row, (a, b) in (lines or {}).items():
        strokes[row] = sum(1 << c for c in range(a, b + 1))
        row_edges[row] = edges + boost
        stroke_edges[row] = line_edges
    return Sample(t, bounds, tuple(strokes), tuple(row_edges), tuple(stroke_edges))


SUBTITLE = {21: (3, 12), 22: (3, 12)}
TITLE = {11: (4, 11), 12: (4, 11)}


# -- bars -------------------------------------------------------------------------------------


def test_pillarbox_and_letterbox_are_found_and_rounded_outwards() -> None:
    pillar = [sample(k, (40, 0, 279, 179)) for k in range(10)]
    assert picture_area(pillar, (320, 180)) == (40, 0, 240, 180)
    letter = [sample(k, (0, 23, 319, 156)) for k in range(10)]
    assert picture_area(letter, (320, 180)) == (0, 22, 320, 136)  # odd edges widen the crop


def test_a_dark_scene_never_narrows_the_picture() -> None:
    bright = [sample(k, (40, 0, 279, 179)) for k in range(6)]
    night = [sample(6 + k, (120, 70, 200, 110)) for k in range(20)]  # a lamp in the dark
    assert picture_area(bright + night, (320, 180)) == (40, 0, 240, 180)
    nobars = [sample(k) for k in range(6)] + night
    assert picture_area(nobars, (320, 180)) is None


def test_one_stray_sample_is_ignored_but_a_recurring_one_widens_the_picture() -> None:
    letter = [sample(k, (0, 22, 319, 157)) for k in range(40)]
    flash = sample(40, (0, 0, 319, 179))
    assert picture_area([*letter, flash], (320, 180)) == (0, 22, 320, 136)
    subtitles_in_the_bar = [sample(50 + k, (0, 22, 319, 170)) for k in range(10)]
    assert picture_area([*letter, *subtitles_in_the_bar], (320, 180)) == (0, 22, 320, 150)


def test_no_bars_thin_bars_black_films_and_mostly_dark_films_are_left_alone() -> None:
    assert picture_area([sample(k) for k in range(5)], (320, 180)) is None
    assert picture_area([sample(k, (2, 0, 317, 179)) for k in range(5)], (320, 180)) is None
    assert picture_area([sample(k, None) for k in range(5)], (320, 180)) is None
    assert picture_area([sample(k, (150, 80, 170, 100)) for k in range(5)], (320, 180)) is None
    assert picture_area([sample(0, (40, 0, 279, 179))], (320, 180)) is None  # one sample


# -- text -------------------------------------------------------------------------------------


def test_subtitles_and_titles_are_lines_told_apart_by_where_they_are() -> None:
    lines = text_lines(sample(lines={**SUBTITLE, **TITLE}))
    assert [(x.top, x.bottom, x.left, x.right) for x in lines] == [(11, 12, 4, 11), (21, 22, 3, 12)]
    assert [x.top for x in titles_in(lines)] == [11]
    rows = subtitle_rows([sample(1.0, lines=SUBTITLE), sample(1.5, lines=TITLE)])
    assert rows == ((1.0, round(21 / GRID_ROWS, 4), round(23 / GRID_ROWS, 4)),)


@pytest.mark.parametrize(
    ("what", "made"),
    [
        ("a texture fills every cell", sample(lines=TITLE, texture=True, edges=4)),
        ("a corner logo is not centred", sample(lines={2: (0, 4), 3: (0, 4)})),
        ("too narrow", sample(lines={11: (7, 9), 12: (7, 9)})),
        ("one row needs a wider run", sample(lines={11: (5, 9)})),
        ("a blob taller than a block of lines", sample(lines=dict.fromkeys(range(4, 16), (5, 10)))),
        ("soft: the outline of a shape", sample(lines=TITLE, line_edges=1)),
        ("no more edges than the rest", sample(lines=TITLE, edges=5, boost=0)),
    ],
)
def test_what_is_not_a_line_of_text(what: str, made: Sample) -> None:
    assert text_lines(made) == [], what


def test_a_line_needs_quiet_rows_around_it() -> None:
    noisy = sample(lines={**TITLE, 10: (4, 11)})
    noisy = Sample(0.0, noisy.bounds, (*noisy.strokes[:13], 0b11111 << 4, *noisy.strokes[14:]),
                   noisy.edges, noisy.stroke_edges)  # fmt: skip
    assert [(x.top, x.bottom) for x in text_lines(noisy)] == [(10, 13)]  # one block of rows
    rules = PictureRules(max_line_rows=3)
    assert text_lines(noisy, rules) == []


def test_a_card_is_a_title_on_a_plain_ground() -> None:
    card = sample(lines=TITLE)
    assert is_card(card, text_lines(card))
    over_a_picture = sample(lines=TITLE, edges=1, line_edges=6)
    busy = Sample(0.0, over_a_picture.bounds, over_a_picture.strokes,
                  tuple(3 if r == 2 else e for r, e in enumerate(over_a_picture.edges)),
                  over_a_picture.stroke_edges)  # fmt: skip
    assert not is_card(busy, text_lines(busy))
    subtitle_only = sample(lines=SUBTITLE)
    assert not is_card(subtitle_only, text_lines(subtitle_only))


def test_text_band_covers_the_samples_of_a_range() -> None:
    rows = ((1.0, 0.8, 0.9), (1.5, 0.75, 0.85), (9.0, 0.1, 0.2))
    assert text_band(rows, 1.2, 2.0) == (0.75, 0.9)
    assert text_band(rows, 2.0, 8.0) is None
    assert text_band(rows, 8.8, 9.5) == (0.1, 0.2)


def test_samples_round_trip_through_json() -> None:
    made = sample(3.5, (40, 0, 279, 179), lines=TITLE, edges=2)
    assert Sample.from_json(made.to_json()) == made
    black = sample(4.0, None)
    assert Sample.from_json(black.to_json()) == black


# -- shots -------------------------------------------------------------------------------------


def raw_with(samples: list[Sample], duration: float, cuts: list[float]) -> RawAnalysis:
    return RawAnalysis(
        duration=duration,
        scores=tuple((t, 0.9) for t in cuts),
        samples=tuple(samples),
        frame=(320, 180),
    )


def every_half_second(start: float, end: float, **kw: object) -> list[Sample]:
    return [sample(start + k / 2, **kw) for k in range(int((end - start) * 2))]  # type: ignore[arg-type]


def test_titles_over_pictures_at_either_end_are_left_out_but_not_in_the_middle() -> None:
    titled = {"lines": TITLE, "edges": 2}
    samples = [
        *every_half_second(0, 4, **titled),  # opening titles over a picture
        *every_half_second(4, 20, lines=SUBTITLE, edges=2),  # dialogue is not credits
        *every_half_second(20, 24, **titled),  # a sign in the middle of the film
        *every_half_second(24, 40, edges=2),
        *every_half_second(40, 44, **titled),  # end credits over a picture
    ]
    result = build_analysis(raw_with(samples, 44.0, [4.0, 20.0, 24.0, 40.0]), ShotRules())
    assert [(s.start, s.end) for s in result.shots] == [(4.0, 20.0), (20.0, 24.0), (24.0, 40.0)]
    assert [(s.start, s.end, s.kind) for s in result.dropped] == [
        (0.0, 4.0, "titles"),
        (40.0, 44.0, "titles"),
    ]
    assert result.cards == ()
    assert result.subtitle_rows[0][0] == 4.0


def test_text_shown_all_through_the_film_is_not_titles() -> None:
    # Dialogue set at the top of the frame, in every shot: the shots at either end are not
    # opening titles or end credits.
    top = {"lines": {2: (3, 12), 3: (3, 12)}, "edges": 2}
    samples = every_half_second(0, 30, **top)
    result = build_analysis(raw_with(samples, 30.0, [6.0, 12.0, 18.0, 24.0]), ShotRules())
    assert [(s.start, s.end) for s in result.shots] == [
        (0.0, 6.0), (6.0, 12.0), (12.0, 18.0), (18.0, 24.0), (24.0, 30.0)
    ]  # fmt: skip
    assert result.dropped == ()


def test_title_cards_are_kept_but_listed_and_bars_are_measured() -> None:
    samples = [
        *every_half_second(0, 10, bounds=(40, 0, 279, 179), edges=1),
        *every_half_second(10, 14, bounds=(40, 0, 279, 179), lines=TITLE),  # an intertitle
        *every_half_second(14, 30, bounds=(40, 0, 279, 179), edges=1),
    ]
    result = build_analysis(raw_with(samples, 30.0, [10.0, 14.0]), ShotRules())
    assert [(s.start, s.end) for s in result.shots] == [(0.0, 10.0), (10.0, 14.0), (14.0, 30.0)]
    assert [(s.start, s.end) for s in result.cards] == [(10.0, 14.0)]
    assert result.picture == (40, 0, 240, 180)


class Reader:
    """A title reader that answers ``words`` and remembers what it was asked."""

    def __init__(self, words: bool) -> None:
        self.words = words
        self.asked: list[tuple[float, float, tuple[tuple[float, float, float], ...]]] = []

    def __call__(
        self, start: float, end: float, regions: Sequence[tuple[float, float, float]]
    ) -> bool:
        self.asked.append((start, end, tuple(regions)))
        return self.words


def titled_film() -> RawAnalysis:
    titled = {"lines": TITLE, "edges": 2}
    samples = [
        *every_half_second(0, 4, **titled),
        *every_half_second(4, 40, edges=2),
        *every_half_second(40, 44, **titled),
    ]
    return raw_with(samples, 44.0, [4.0, 20.0, 40.0])


@pytest.mark.parametrize("words", [True, False])
def test_a_reader_confirms_titles_or_keeps_the_shot(words: bool) -> None:
    reader = Reader(words)
    result = build_analysis(titled_film(), ShotRules(), read_titles=reader)
    ends = [(0.0, 4.0), (40.0, 44.0)]
    if words:
        assert [(s.start, s.end, s.kind) for s in result.dropped] == [(*e, "titles") for e in ends]
        assert [(s.start, s.end) for s in result.shots] == [(4.0, 20.0), (20.0, 40.0)]
    else:  # no words read: bright shapes, not titles, kept as content (and not cards)
        assert result.dropped == ()
        assert [(s.start, s.end) for s in result.shots] == [
            ends[0],
            (4.0, 20.0),
            (20.0, 40.0),
            ends[1],
        ]
        assert result.cards == ()
    # Only the candidates are read, each at two samples spread over the shot, at the rows of
    # their title lines (grid rows 11-12 of 24).
    rows = (round(11 / 24, 4), round(13 / 24, 4))
    assert reader.asked == [
        (0.0, 4.0, ((1.0, *rows), (2.5, *rows))),
        (40.0, 44.0, ((41.0, *rows), (42.5, *rows))),
    ]


def test_reading_is_capped_and_the_look_decides_beyond_the_cap() -> None:
    reader = Reader(False)
    result = build_analysis(titled_film(), ShotRules(title_reads=1), read_titles=reader)
    assert [(s, e) for s, e, _ in reader.asked] == [(0.0, 4.0)]
    assert [(s.start, s.end, s.kind) for s in result.dropped] == [(40.0, 44.0, "titles")]


def test_title_regions_spread_over_the_shot_s_titled_samples() -> None:
    samples = [*every_half_second(0, 3, lines=TITLE, edges=2), *every_half_second(3, 4, edges=2)]
    rules = PictureRules()
    regions = title_regions(samples, 0.0, 4.0, rules)
    assert [t for t, _, _ in regions] == [1.0, 2.0]  # of the six titled: the 3rd and the 5th
    assert {(top, bottom) for _, top, bottom in regions} == {(round(11 / 24, 4), round(13 / 24, 4))}
    assert title_regions(samples, 3.0, 4.0, rules) == ()
    assert len(title_regions(samples, 0.0, 4.0, PictureRules(read_count=1))) == 1


def test_without_samples_nothing_changes() -> None:
    result = build_analysis(RawAnalysis(duration=10.0, scores=((5.0, 0.9),)), ShotRules())
    assert [(s.start, s.end) for s in result.shots] == [(0.0, 5.0), (5.0, 10.0)]
    assert (result.picture, result.cards, result.subtitle_rows) == (None, (), ())


# -- the sampled branch ----------------------------------------------------------------------


def test_the_branch_samples_crops_and_grids() -> None:
    graph = branch("in", "out", (1280, 720), SampleParams())
    assert graph.startswith("[in]select='isnan(prev_selected_t)+gte(t-prev_selected_t,0.5)'")
    assert "cropdetect=limit=0.094118:round=2:reset_count=1:skip=0" in graph  # 24 of 255
    assert "scale=320:180:flags=area" in graph
    assert graph.endswith("hstack=inputs=2,format=gray[out]")
    assert text_size((320, 180), SampleParams()) == (320, 180)
    assert text_size((1080, 1920), SampleParams()) == (180, 320)
    assert text_size((160, 90), SampleParams()) == (160, 90)  # never enlarged


def test_the_whole_graph_shifts_the_main_chain_s_printers_by_the_split() -> None:
    graph, chain = decode_graph(DecodeParams(), (320, 180))
    assert graph.startswith("[0:v]split=2[decoded][sampled];[decoded]scale=160:-2")
    assert (chain.black_printer, chain.dark_printer, chain.score_printer) == (5, 8, 11)
    assert "[main];[sampled]select=" in graph


def test_parse_samples_pairs_cropdetect_lines_with_grid_frames() -> None:
    stderr = "\n".join(
        [
            "[Parsed_cropdetect_14 @ 0x5] x1:40 x2:279 y1:0 y2:179 w:240 h:180 x:40 y:0 "
            "pts:0 t:0.000000 crop=240:180:40:0",
            "[Parsed_metadata_5 @ 0x6] lavfi.black_start=0",
            "[Parsed_cropdetect_14 @ 0x5] x1:319 x2:0 y1:179 y2:0 w:-318 h:-178 x:320 y:180 "
            "pts:12800 t:0.520000 limit:0.094 crop=-318:-178:320:180",
            "[Parsed_cropdetect_14 @ 0x5] x1:0 x2:319 y1:0 y2:179 pts:25600 t:1.040000",
        ]
    )
    first = bytearray(GRID_BYTES)
    row = 11 * 2 * GRID_COLUMNS
    first[row + 4 : row + 12] = bytes([200] * 8)  # stroke cells of row 11, columns 4-11
    first[row + GRID_COLUMNS : row + 2 * GRID_COLUMNS] = bytes([51] * GRID_COLUMNS)  # 20 %
    found = parse_samples(stderr, bytes(first) + bytes(GRID_BYTES), SampleParams())
    assert [s.time for s in found] == [0.0, 0.52]  # the third line has no grid frame
    assert found[0].bounds == (40, 0, 279, 179)
    assert found[1].bounds is None  # all black
    assert found[0].strokes[11] == 0b0000111111110000
    assert found[0].edges[11] == 10 and found[0].stroke_edges[11] == 10
    assert found[0].strokes[10] == 0 and found[0].stroke_edges[10] == 0
