"""Text layout: wrapping (CJK by character, Latin by word), sizes and positions."""

from __future__ import annotations

import pytest

from highlights.render.text import (
    LINE_HEIGHT,
    MARGIN,
    default_font_size,
    glyph_em,
    layout_lines,
    layout_text,
    paginate,
    parse_alignment,
    resolve_y,
    split_window,
    text_width,
    wrap_text,
)


def test_glyph_widths_lean_wide_and_cjk_is_one_em() -> None:
    assert glyph_em("中") == 1.0
    assert glyph_em("，") == 1.0  # full-width punctuation
    assert glyph_em("あ") == 1.0
    assert glyph_em(" ") < glyph_em("i") < glyph_em("a") < glyph_em("M")
    assert text_width("中文", 40) == 80
    assert text_width("", 40) == 0


def test_cjk_wraps_by_character() -> None:
    text = "我们明天一早出发去看那片海"  # 13 characters
    lines = wrap_text(text, 10, 50)  # 5 characters per line
    assert lines == ["我们明天一", "早出发去看", "那片海"]
    assert "".join(lines) == text


def test_latin_wraps_by_word_and_keeps_single_spaces() -> None:
    lines = wrap_text("The storm is   coming tonight and nobody leaves", 20, 200)
    assert all(text_width(line, 20) <= 200 for line in lines)
    assert " ".join(lines) == "The storm is coming tonight and nobody leaves"
    assert all(not line.startswith(" ") and not line.endswith(" ") for line in lines)
    # No word is cut.
    assert {w for line in lines for w in line.split()} == {
        "The",
        "storm",
        "is",
        "coming",
        "tonight",
        "and",
        "nobody",
        "leaves",
    }


def test_a_word_longer_than_the_line_is_cut_by_characters() -> None:
    lines = wrap_text("Supercalifragilisticexpialidocious ok", 20, 150)
    assert len(lines) >= 3
    assert all(text_width(line, 20) <= 150 for line in lines)
    assert "".join(lines).replace(" ", "") == "Supercalifragilisticexpialidociousok"


def test_mixed_chinese_and_latin() -> None:
    lines = wrap_text("他说：Hello world，我们走吧。", 20, 140)
    assert all(text_width(line, 20) <= 140 for line in lines)
    assert "".join(lines).replace(" ", "") == "他说：Helloworld，我们走吧。"
    assert "Hello" in "".join(lines)  # the word is whole on one line
    assert any("Hello" in line for line in lines)


def test_closing_punctuation_never_starts_a_line_and_opening_never_ends_one() -> None:
    # Width for exactly four characters: a greedy cut would put "。" alone at the next start.
    lines = wrap_text("一二三四。五六「七八」", 10, 40)
    assert all(line[0] not in "。，」" for line in lines)
    assert all(line[-1] != "「" for line in lines)


def test_explicit_line_breaks_are_kept_and_blank_lines_dropped() -> None:
    assert wrap_text("第一行\n\nSecond line", 20, 1000) == ["第一行", "Second line"]


def test_balanced_wrap_keeps_the_line_count_and_evens_the_lines() -> None:
    text = "The best moments of the year in one short film"
    greedy = wrap_text(text, 20, 400)
    balanced = wrap_text(text, 20, 400, balance=True)
    assert len(balanced) == len(greedy) == 2
    widths = [text_width(line, 20) for line in balanced]
    assert max(widths) - min(widths) < max(text_width(x, 20) for x in greedy) - min(
        text_width(x, 20) for x in greedy
    )


def test_wrap_rejects_nonsense_sizes() -> None:
    with pytest.raises(ValueError, match="positive"):
        wrap_text("x", 0, 100)


def test_default_font_sizes_follow_the_width_and_are_capped_by_the_height() -> None:
    assert default_font_size("title", 1080, 1920) == 68
    assert default_font_size("caption", 1080, 1920) == 49
    assert default_font_size("sub_heading", 1080, 1920) == 54
    assert default_font_size("title", 1920, 1080) == 77  # capped: height / 14
    double = default_font_size("title", 2160, 3840)
    assert abs(double - 2 * default_font_size("title", 1080, 1920)) <= 1


def test_y_is_a_fraction_or_pixels() -> None:
    assert resolve_y(0.1, 1920) == pytest.approx(192)
    assert resolve_y(1.5, 1000) == pytest.approx(1500)  # still a fraction below 2
    assert resolve_y(300, 1920) == 300


def test_alignment_names() -> None:
    assert parse_alignment("TopCenter") == ("top", "center")
    assert parse_alignment("BottomRight") == ("bottom", "right")
    assert parse_alignment("CenterLeft") == ("center", "left")
    assert parse_alignment("nonsense") == ("top", "center")


def test_layout_top_center_puts_the_block_top_at_y() -> None:
    block = layout_lines(["一行", "两行"], canvas=(1080, 1920), y=0.1, font_size=50)
    assert block.top == 192
    pitch = round(50 * LINE_HEIGHT)
    assert [line.baseline for line in block.lines] == [192 + 44, 192 + 44 + pitch]
    assert block.bottom == 192 + pitch + 50
    assert all(line.x == "(w-text_w)/2" for line in block.lines)
    assert block.left == (1080 - 100) // 2 and block.right == block.left + 100


@pytest.mark.parametrize(
    ("alignment", "top"),
    [("TopCenter", 960), ("CenterCenter", 960 - 25), ("BottomCenter", 960 - 50)],
)
def test_layout_vertical_anchor(alignment: str, top: int) -> None:
    block = layout_lines(["x"], canvas=(1080, 1920), y=0.5, font_size=50, alignment=alignment)
    assert block.top == top


def test_layout_left_and_right_keep_a_margin() -> None:
    margin = round(1080 * MARGIN)
    left = layout_lines(["abc"], canvas=(1080, 1920), y=10, font_size=40, alignment="TopLeft")
    right = layout_lines(["abc"], canvas=(1080, 1920), y=10, font_size=40, alignment="TopRight")
    assert left.lines[0].x == str(margin) and left.left == margin
    assert right.lines[0].x == f"w-text_w-{margin}" and right.right == 1080 - margin


def test_layout_is_clamped_inside_the_canvas() -> None:
    block = layout_lines(["a", "b", "c"], canvas=(320, 180), y=0.99, font_size=40)
    assert block.bottom <= 180 and block.top >= 0


def test_layout_text_wraps_to_the_width_less_margins() -> None:
    block = layout_text(
        "这是一个很长很长的标题，需要换行才能放得下", canvas=(360, 640), y=0.1, font_size=30
    )
    assert len(block.lines) >= 2
    assert all(text_width(line.text, 30) <= 360 * (1 - 2 * MARGIN) for line in block.lines)


def test_paginate_and_split_window() -> None:
    pages = paginate(["a", "b", "c"], 2)
    assert pages == [["a", "b"], ["c"]]
    windows = split_window([["aaaa"], ["aaaa"]], 1.0, 3.0)
    assert windows == [(1.0, 2.0), (2.0, 3.0)]
    windows = split_window([["aaaaaa"], ["aa"]], 0.0, 4.0)
    assert windows[0] == (0.0, 3.0) and windows[1] == (3.0, 4.0)
    with pytest.raises(ValueError, match="at least 1"):
        paginate(["a"], 0)
