"""The pure parts of burned-in subtitle OCR: TSV lines to bands, cleaning, merging, sizes."""

from __future__ import annotations

import pytest

from highlights.render import ocr, title_ocr
from highlights.render.ocr import (
    Line,
    frame_size,
    join_words,
    keep_line,
    merge_samples,
    parse_tsv,
    sample_of,
    sample_texts,
    samples_with_words,
)
from highlights.render.process import tool_scope
from highlights.render.subtitles import Cue
from highlights.render.tools import Tools

HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)


def tsv(*words: tuple[int, int, int, float, str]) -> str:
    """Rows for (line_num, left, top, conf, text) words, 40 px tall, as tesseract writes them."""
    rows = [HEADER, "1\t1\t0\t0\t0\t0\t0\t0\t1280\t2000\t-1\t"]
    for n, (line, left, top, conf, text) in enumerate(words, start=1):
        rows.append(f"5\t1\t1\t1\t{line}\t{n}\t{left}\t{top}\t60\t40\t{conf}\t{text}")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("top", "height", "expected"),
    [
        (0, 40, 0),
        (180, 40, 0),
        (200, 40, 0),
        (220, 40, 1),
        (216, 16, 0),
        (232, 40, 1),
        (2000, 40, 8),
    ],
)
def test_a_line_belongs_to_the_band_that_holds_its_centre(
    top: int, height: int, expected: int
) -> None:
    assert sample_of(top, height, band_height=216, gap=16) == expected


def test_words_join_with_spaces_except_between_cjk() -> None:
    assert join_words(["We", "leave", "now."]) == "We leave now."
    assert join_words(["他", "终于", "找到", "了"]) == "他终于找到了"
    assert join_words(["他说", "OK", "了"]) == "他说 OK 了"


def test_tsv_lines_are_mapped_to_their_bands_and_junk_words_dropped() -> None:
    text = tsv(
        (1, 300, 100, 96, "The"),
        (1, 380, 102, 95, "storm."),
        (1, 900, 98, 89, "|"),  # a box edge: no letter
        (2, 300, 560, 96, "他"),
        (2, 340, 560, 90, "找到"),
        (2, 420, 560, 10, "~x"),  # doubtful word
    )
    lines = parse_tsv(text, band_height=216, gap=16)
    assert [(line.sample, line.text) for line in lines] == [(0, "The storm."), (2, "他找到")]
    assert lines[0].confidence == pytest.approx(95.5)
    assert samples_with_words(text, band_height=216, gap=16) == {0, 2}


def test_non_word_rows_and_broken_rows_are_ignored() -> None:
    text = HEADER + "\n4\t1\t1\t1\t1\t0\t0\t0\t10\t10\t-1\t\n5\t1\t1\t1\t1\t1\tx\t0\t1\t1\t90\tHi\n"
    assert parse_tsv(text, band_height=216) == []


@pytest.mark.parametrize(
    ("text", "confidence", "kept"),
    [
        ("The storm is coming.", 90.0, True),
        ("他找到", 80.0, True),
        ("钥", 95.0, False),  # one CJK character
        ("ab", 95.0, False),  # two letters
        ("The storm is coming.", 20.0, False),  # unsure
        ("a =|=|=|=|-~", 90.0, False),  # mostly symbols
    ],
)
def test_keep_line(text: str, confidence: float, kept: bool) -> None:
    assert keep_line(Line(0, text, confidence)) is kept


def test_sample_texts_joins_a_band_s_lines_and_reports_its_weakest_line() -> None:
    lines = [Line(0, "Hello there", 90), Line(0, "general Kenobi", 70), Line(2, "xx", 99)]
    assert sample_texts(lines, 3) == [("Hello there\ngeneral Kenobi", 70), ("", 0.0), ("", 0.0)]


def test_similar_consecutive_samples_merge_into_one_cue() -> None:
    texts = ["", "We leave at dawn.", "We leave at dawn", "We Ieave at dawn.", "", "",
             "The storm is coming.", "", "The storm is coming.", "他找到了钥匙"]  # fmt: skip
    assert merge_samples(texts, 1.0, duration=9.5) == [
        Cue(1.0, 4.0, "We leave at dawn."),
        Cue(6.0, 9.0, "The storm is coming."),  # one missed read is bridged
        Cue(9.0, 9.5, "他找到了钥匙"),  # clipped to the film
    ]


def test_a_long_gap_or_different_text_starts_a_new_cue() -> None:
    texts = ["Run!", "", "", "Run!", "Hide!"]
    cues = merge_samples(texts, 0.5)
    assert [(c.start, c.end, c.text) for c in cues] == [
        (0.0, 0.5, "Run!"),
        (1.5, 2.0, "Run!"),
        (2.0, 2.5, "Hide!"),
    ]
    assert merge_samples(["", ""], 1.0) == []


@pytest.mark.parametrize(
    ("size", "expected"),
    [((320, 180), (1280, 720)), ((480, 270), (1280, 720)), ((1280, 720), (1280, 720)),
     ((1920, 1080), (1920, 1080)), ((3840, 2160), (1920, 1080)), ((720, 576), (900, 720))],
)  # fmt: skip
def test_frames_are_scaled_so_subtitle_text_is_large_enough(
    size: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert frame_size(*size) == expected


def test_ocr_is_unavailable_when_the_setting_points_nowhere_or_is_not_set() -> None:
    for tesseract in ("/nonexistent/tesseract", None):
        with tool_scope(tools=Tools(tesseract=tesseract)):
            assert ocr.ocr_available() is False


def test_ocr_needs_both_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "tesseract_path", lambda: "/bin/tesseract")
    monkeypatch.setattr(ocr, "_languages", lambda exe: frozenset({"eng", "osd"}))
    assert ocr.ocr_available() is False
    monkeypatch.setattr(ocr, "_languages", lambda exe: frozenset({"eng", "chi_sim"}))
    assert ocr.ocr_available() is True


# -- titles confirmed by reading -------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ([Line(0, "DIRECTED BY A. PERSON", 64.0)], True),
        ([Line(0, "这就是", 70.0)], True),
        (
            [Line(0, "no,", 52.0), Line(0, "Po", 41.0), Line(0, "7307 ne.", 33.0)],
            False,
        ),  # a fractal
        ([Line(0, "12:04", 90.0)], False),  # digits are not words
        ([Line(0, "THE END", 30.0)], False),  # too doubtful
        ([], False),
    ],
)
def test_a_title_shows_words_a_fractal_only_specks(lines: list[Line], words: bool) -> None:
    assert title_ocr.has_words(lines) is words


def test_a_title_band_has_a_grid_row_of_margin_and_even_edges() -> None:
    assert title_ocr.band_rows((1.0, 11 / 24, 13 / 24), 720) == (300, 420)
    assert title_ocr.band_rows((1.0, 0.0, 1 / 24), 720) == (0, 60)
    assert title_ocr.band_rows((1.0, 0.3, 0.4), 101) == (26, 46)  # 26.1 and 44.6: 26 and 45 → 46
    assert title_ocr.band_rows((1.0, 22 / 24, 1.0), 720) == (630, 720)
