"""Offline speech: real audio from espeak-ng (and Piper when installed), measured, not guessed."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from highlights.render.probe import probe
from highlights.render.speech import piper_available, synthesize
from highlights.render.wav import wav_format
from tests.integration.render.conftest import NEEDS_FFMPEG

pytestmark = [
    pytest.mark.media,
    NEEDS_FFMPEG,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed"),
]


@pytest.mark.parametrize(
    ("text", "voice"),
    [("他终于找到了那把钥匙。", "espeak:cmn"), ("The storm is coming tonight.", "espeak:en-us")],
)
def test_clip_is_real_audio_with_measured_duration(tmp_path: Path, text: str, voice: str) -> None:
    clip = synthesize(text, tmp_path / "s.wav", engine="espeak")
    assert clip.voice == voice
    assert clip.text == text
    assert clip.duration > 0.5
    info = probe(clip.path)
    assert info.kind == "audio"
    assert info.duration == pytest.approx(clip.duration, abs=0.01)


@pytest.mark.parametrize("engine", ["espeak", "piper"])
def test_longer_text_gives_longer_audio(tmp_path: Path, engine: str) -> None:
    if engine == "piper" and not piper_available():
        pytest.skip("Piper and a Piper voice are not installed")
    short = synthesize("The storm is coming.", tmp_path / "a.wav", engine=engine)
    long = synthesize(
        "The storm is coming tonight, and nobody on this island will sleep until it passes.",
        tmp_path / "b.wav",
        engine=engine,
    )
    assert long.duration > short.duration * 1.5
    chinese_short = synthesize("出发。", tmp_path / "c.wav", engine="espeak")
    chinese_long = synthesize(
        "我们明天一早出发，穿过森林，在天黑之前到达海边。", tmp_path / "d.wav"
    )
    assert chinese_long.duration > chinese_short.duration * 1.5


def test_breaks_add_exactly_their_silence(tmp_path: Path) -> None:
    first = synthesize("Hello there.", tmp_path / "a.wav", engine="espeak")
    second = synthesize("我们出发吧。", tmp_path / "b.wav", engine="espeak", language="en")
    for tag, seconds in [('<break time="500ms"/>', 0.5), ('<break time="1s"/>', 1.0)]:
        joined = synthesize(
            f"<speak>Hello there.{tag}我们出发吧。</speak>",
            tmp_path / "ab.wav",
            engine="espeak",
            language="en",
        )
        assert joined.text == "Hello there. 我们出发吧。"
        expected = first.duration + seconds + second.duration
        assert joined.duration == pytest.approx(expected, abs=0.05)


def test_only_a_break_is_silence(tmp_path: Path) -> None:
    clip = synthesize('<break time="1500ms"/>', tmp_path / "quiet.wav")
    assert clip.duration == pytest.approx(1.5, abs=0.001)
    assert clip.text == ""


def test_speech_rate_changes_the_length(tmp_path: Path) -> None:
    text = "The storm is coming tonight, and nobody will sleep."
    slow = synthesize(text, tmp_path / "slow.wav", rate=-500, engine="espeak")
    normal = synthesize(text, tmp_path / "normal.wav", rate=0, engine="espeak")
    fast = synthesize(text, tmp_path / "fast.wav", rate=500, engine="espeak")
    assert slow.duration > normal.duration > fast.duration
    assert wav_format(slow.path) == wav_format(fast.path)


def test_known_voice_is_used_and_unknown_falls_back_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert synthesize("Hello there.", tmp_path / "gb.wav", voice="en-gb").voice == "espeak:en-gb"
    with caplog.at_level(logging.WARNING, logger="highlights.render.speech"):
        clip = synthesize("你好，世界。", tmp_path / "x.wav", voice="zhixiaobai", engine="espeak")
    assert clip.voice == "espeak:cmn"
    assert "zhixiaobai" in caplog.text


def test_piper_speaks_english_when_installed(tmp_path: Path) -> None:
    if not piper_available():
        pytest.skip("Piper and a Piper voice are not installed")
    clip = synthesize("The storm is coming tonight.", tmp_path / "p.wav", engine="auto")
    assert clip.voice.startswith("piper:")
    assert clip.duration > 0.5
    chinese = synthesize("你好，世界。", tmp_path / "c.wav", engine="auto")
    assert chinese.voice == "espeak:cmn"


def test_nothing_to_say_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing to say"):
        synthesize("<speak>。！</speak>", tmp_path / "n.wav")
