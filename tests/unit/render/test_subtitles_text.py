"""Subtitle parsing (SRT, WebVTT, ASS) and text similarity: no file, no ffmpeg."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from highlights.render.errors import RenderError
from highlights.render.probe import SubtitleStream
from highlights.render.subtitles import (
    Cue,
    decode_text,
    dialogue,
    extract_embedded,
    normalise,
    parse_srt,
    parse_subtitles,
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


def test_srt_cues_with_tags_stripped() -> None:
    assert parse_srt(SRT) == [
        Cue(1.5, 3.25, "Hello, world\nsecond line"),
        Cue(62.0, 64.1, "你好，世界"),
    ]


def test_webvtt_cues_without_voices_inline_timestamps_identifiers_or_notes() -> None:
    vtt = (
        "WEBVTT\n\nSTYLE\n::cue { color: red }\n\nintro\n00:01.000 --> 00:02.500 align:start\n"
        "<v Anna>Hi <00:00:01.800>there <c.yellow>friend</c>\n\nscene-2\n"
        "00:00:03.000 --> 00:00:04.000\nSecond <b>line</b>\n\nNOTE not said\nby anyone\n\n"
        "01:00:05.000 --> 01:00:06.250\nThird\n"
    )
    assert parse_subtitles(vtt, ".vtt") == [
        Cue(1.0, 2.5, "Hi there friend"),
        Cue(3.0, 4.0, "Second line"),
        Cue(3605.0, 3606.25, "Third"),
    ]


def test_ass_dialogue_lines_in_time_order() -> None:
    assert parse_subtitles(ASS, ".ass") == [
        Cue(1.5, 3.25, "Hello, world\nsecond line"),
        Cue(4.0, 5.0, "你好世界"),
    ]


def test_ass_drawings_are_never_dialogue() -> None:
    events = (
        "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100 0 100{\\p0}\n"
        "Dialogue: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,"
        "{\\an8}Look{\\p2\\pos(10,20)}m 0 0 b 10 0 20 5 20 10{\\p0} out!\n"
    )
    ass = (
        ASS.split("[Events]")[0]
        + "[Events]\nFormat: Layer, Start, End, Style, Name, "
        + ("MarginL, MarginR, MarginV, Effect, Text\n" + events)
    )
    assert parse_subtitles(ass, ".ssa") == [Cue(2.0, 3.0, "Look out!")]
    assert dialogue("{\\p1}m 0 0 l 1 1{\\p0}") == ""


def test_unknown_suffixes_are_read_as_subrip_and_garbage_gives_nothing() -> None:
    assert parse_subtitles(SRT, ".txt") == parse_srt(SRT)
    assert parse_subtitles("[Events]\nDialogue: nonsense\n", ".ass") == []
    assert parse_subtitles(" \n\r\n", ".srt") == []  # blank: no dialogue, not an error
    assert parse_subtitles("WEBVTT\n\nNOTE nothing said yet\n", ".vtt") == []


def test_text_that_is_no_subtitles_is_refused_rather_than_read_as_none() -> None:
    for text in ("no timing lines at all\n\n\n", "\x89PNG\r\n\x1a\n\x00\x00\rIHDR"):
        with pytest.raises(RenderError, match="not SubRip, ASS/SSA or WebVTT"):
            parse_subtitles(text, ".srt")


def test_the_content_says_the_format_whatever_the_suffix() -> None:
    vtt = "WEBVTT\r\n\r\n00:00:01.000 --> 00:00:02.500\r\nHello <00:00:01.500>there\r\n"
    assert parse_subtitles(vtt, ".srt") == [Cue(1.0, 2.5, "Hello there")]
    assert parse_subtitles(ASS, ".srt") == parse_subtitles(ASS, ".ass")
    assert parse_subtitles(SRT, ".vtt") == parse_srt(SRT)


@pytest.mark.parametrize(
    "raw",
    [
        SRT.encode("utf-8"),
        SRT.lstrip("\ufeff").encode("gb18030"),  # older Chinese files
        SRT.encode("utf-16"),  # with its byte-order mark: Windows "Unicode"
        SRT.encode("utf-16-be"),
        SRT.lstrip("\ufeff").encode("utf-16-le"),  # no mark
        SRT.lstrip("\ufeff").encode("utf-16-be"),
        SRT.encode("utf-32"),
    ],
)
def test_subtitle_files_are_decoded_whatever_their_encoding(raw: bytes) -> None:
    assert parse_srt(decode_text(raw)) == parse_srt(SRT)


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
