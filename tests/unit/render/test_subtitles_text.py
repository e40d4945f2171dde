"""Subtitle parsing (SRT, WebVTT, ASS) and text similarity: no file, no ffmpeg."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from highlights.render.errors import RenderError
from highlights.render.probe import SubtitleStream
from highlights.render.subtitles import (
    Cue,
    extract_embedded,
    normalise,
    parse_ass,
    parse_srt,
    parse_time,
    similarity,
)

SRT = (
    "\ufeff1\r\n00:00:01,500 --> 00:00:03,250\r\n<i>Hello,</i> <font color=red>world</font>\r\n"
    "second line\r\n\r\n2\r\n00:01:02,000 --> 00:01:04,100\r\n{\\an8}你好，世界\r\n\r\n"
    "3\r\n00:01:05,000 --> 00:01:05,000\r\nzero length is dropped\r\n"
)

ASS = """[Script Info]
Title: test

[V4+ Styles]
Format: Name, Fontname, Fontsize
Style: Default,Arial,20

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:04.00,0:00:05.00,Default,,0,0,0,,你好{\\b1}世界
Comment: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,not shown
Dialogue: 0,0:00:01.50,0:00:03.25,Default,,0,0,0,,{\\an8\\i1}Hello, world\\Nsecond\\hline
"""


def test_parse_time_forms() -> None:
    assert parse_time("01:02:03,450") == pytest.approx(3723.45)
    assert parse_time("0:00:04.25") == pytest.approx(4.25)  # ASS centiseconds
    assert parse_time("02:03.5") == pytest.approx(123.5)
    assert parse_time("00:00:07") == 7


def test_srt_cues_with_tags_stripped() -> None:
    assert parse_srt(SRT) == [
        Cue(1.5, 3.25, "Hello, world\nsecond line"),
        Cue(62.0, 64.1, "你好，世界"),
    ]


def test_webvtt_subset() -> None:
    vtt = "WEBVTT\n\nintro\n00:01.000 --> 00:02.500 align:start\n<v Anna>Hi there\n"
    assert parse_srt(vtt) == [Cue(1.0, 2.5, "Hi there")]


def test_ass_dialogue_lines_in_time_order() -> None:
    assert parse_ass(ASS) == [
        Cue(1.5, 3.25, "Hello, world\nsecond line"),
        Cue(4.0, 5.0, "你好世界"),
    ]


def test_normalise_drops_case_punctuation_and_width() -> None:
    assert normalise("  Hello,  WORLD！ＡＢＣ “你好”。") == "hello world abc 你好"


def test_similarity_identical_unrelated_and_paraphrase_chinese() -> None:
    assert similarity("他走进了房间。", "他走进了房间") == 1.0
    assert similarity("他走进了房间", "今天天气很好") == 0.0
    paraphrase = similarity("他走进了房间", "他慢慢走进房间")
    assert 0.5 < paraphrase < 1.0


def test_similarity_english_tolerates_inflection_and_order() -> None:
    close = similarity("The detective opens the door.", "Detective opened the door")
    reordered = similarity("the door opens slowly", "slowly the door opens")
    unrelated = similarity("The detective opens the door.", "A cat sleeps on a sofa")
    assert close > 0.7
    assert reordered == pytest.approx(1.0)
    assert unrelated < 0.3 < close


def test_similarity_of_mixed_text_and_empty_text() -> None:
    assert similarity("第3句 Line 3", "第 3 句，line 3!") == 1.0
    assert similarity("", "anything") == 0.0
    assert similarity("！！", "。。") == 0.0


@given(st.text(max_size=40), st.text(max_size=40))
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    value = similarity(a, b)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(similarity(b, a))


def test_bitmap_subtitles_are_refused_before_running_anything() -> None:
    with pytest.raises(RenderError, match="bitmap"):
        extract_embedded("/nowhere/film.mkv", SubtitleStream(3, "hdmv_pgs_subtitle"))
