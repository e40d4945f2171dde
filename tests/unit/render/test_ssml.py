"""SSML: breaks become silence of the given length, every other tag is dropped, text kept."""

from __future__ import annotations

import pytest

from highlights.render.ssml import MAX_BREAK, Break, parse_ssml, strip_ssml


@pytest.mark.parametrize(
    ("tag", "seconds"),
    [
        ('<break time="500ms"/>', 0.5),
        ('<break time="1s"/>', 1.0),
        ("<break time='1.5s' />", 1.5),
        ('<break time="250"/>', 0.25),
        ('<break strength="strong"/>', 0.75),
        ("<break/>", 0.5),
        ('<break time="60s"/>', MAX_BREAK),
    ],
)
def test_break_lengths(tag: str, seconds: float) -> None:
    assert parse_ssml(f"a{tag}b") == ["a", Break(seconds), "b"]


def test_other_tags_are_stripped_keeping_inner_text() -> None:
    text = (
        '<speak><s>他<phoneme alphabet="py" ph="zhong4">重</phoneme>新开始。</s>'
        '<prosody rate="fast">Fast &amp; loud</prosody><unknown x="1">!</unknown></speak>'
    )
    assert parse_ssml(text) == ["他重新开始。Fast & loud!"]


def test_breaks_next_to_each_other_add_up() -> None:
    assert parse_ssml('Hi <break time="1s"/> <break time="200ms"/> there') == [
        "Hi",
        Break(1.2),
        "there",
    ]


def test_text_that_only_looks_like_a_tag_is_kept() -> None:
    assert parse_ssml("3 < 5 and 7 > 2") == ["3 < 5 and 7 > 2"]


def test_partial_documents_from_sentence_splitting_parse() -> None:
    assert parse_ssml("<speak>开头。") == ["开头。"]
    assert parse_ssml('<break time="1s"/>结尾。</speak>') == [Break(1.0), "结尾。"]


def test_strip_ssml_joins_words_with_spaces_but_not_chinese() -> None:
    assert strip_ssml('你好<break time="1s"/>世界') == "你好世界"
    assert strip_ssml('Hello<break time="1s"/>world') == "Hello world"
    assert strip_ssml('<break time="1s"/>') == ""
