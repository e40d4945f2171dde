"""Splitting narration into sentences: Chinese and English punctuation, and what must not split."""

from __future__ import annotations

import pytest

from highlights.render.sentences import split_sentences, spoken_units


def test_chinese_punctuation_ends_sentences_and_stays_with_them() -> None:
    text = "他走进房间。她笑了起来！这是为什么？因为……他回来了；一切都变了。"
    assert split_sentences(text) == [
        "他走进房间。",
        "她笑了起来！",
        "这是为什么？",
        "因为……他回来了；",
        "一切都变了。",
    ]


def test_english_punctuation_needs_a_following_space() -> None:
    text = "The train left at dawn. Nobody saw it go! Did anyone care? Visit example.com later."
    assert split_sentences(text) == [
        "The train left at dawn.",
        "Nobody saw it go!",
        "Did anyone care?",
        "Visit example.com later.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The budget was 3.5 million dollars. It was spent.", 2),
        ("Mr. Smith met Dr. Jones at noon. They talked for hours.", 2),
        ("J. K. Rowling wrote the book here. Then she left town.", 2),
        ("He moved to the U.S. in spring and stayed there.", 1),
        ("票价是3.5元，很便宜。第二句话在这里。", 2),
    ],
)
def test_decimals_abbreviations_and_initials_do_not_split(text: str, expected: int) -> None:
    sentences = split_sentences(text)
    assert len(sentences) == expected
    assert "".join(sentences).replace(" ", "") == text.replace(" ", "")


def test_closing_quotes_stay_with_their_sentence() -> None:
    assert split_sentences("她说：“我不走了。”然后她离开了。") == [
        "她说：“我不走了。”",
        "然后她离开了。",
    ]
    assert split_sentences('He said "stop it now." Then he ran away.') == [
        'He said "stop it now."',
        "Then he ran away.",
    ]


def test_newlines_end_sentences_without_punctuation() -> None:
    assert split_sentences("第一行没有标点\n第二行也没有标点\r\nThe third line here") == [
        "第一行没有标点",
        "第二行也没有标点",
        "The third line here",
    ]


def test_short_fragments_merge_into_the_next_sentence_or_the_previous_at_the_end() -> None:
    assert split_sentences("好。我们走吧，天黑了。") == ["好。我们走吧，天黑了。"]
    assert split_sentences("Yes. I will come with you. Fine.") == [
        "Yes. I will come with you. Fine."
    ]
    assert split_sentences("我们走吧，天黑了。好。") == ["我们走吧，天黑了。好。"]
    assert split_sentences("Yes. No.", min_units=1) == ["Yes.", "No."]


def test_ssml_tags_are_never_split_and_stay_in_place() -> None:
    text = '<speak>第一句话很长。<break time="1.5s"/>第二句话也很长。</speak>'
    assert split_sentences(text) == [
        "<speak>第一句话很长。",
        '<break time="1.5s"/>第二句话也很长。</speak>',
    ]


def test_blank_input_gives_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences("  \n\n ") == []


def test_spoken_units_count_cjk_characters_and_words() -> None:
    assert spoken_units("你好 world, 3 times") == 5
    assert spoken_units('<break time="1s"/>') == 0
