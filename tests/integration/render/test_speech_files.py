"""The speech cache's bound and Piper voice discovery, on files (no engine speaks)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from highlights.render import voices
from highlights.render.process import tool_scope
from highlights.render.speech import prune_cache
from highlights.render.tools import Tools


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
    with tool_scope(tools=Tools(piper_model=str(_voice_config(tmp_path)))):
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
    pinyin = Tools(piper_model=str(_voice_config(tmp_path, phoneme_type="pinyin")))
    with tool_scope(tools=pinyin):
        assert "not offline" in str(voices.find_piper())
    model = _voice_config(tmp_path)
    model.with_name(model.name + ".json").write_text("{not json")
    with tool_scope(tools=Tools(piper_model=str(model))):
        assert "is not a Piper voice config" in str(voices.find_piper())
        monkeypatch.setattr(voices.importlib.util, "find_spec", lambda name: None)
        assert voices.find_piper() == "Piper (piper-tts) is not installed"
