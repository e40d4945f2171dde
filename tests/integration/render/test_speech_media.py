"""Offline speech: real audio from Piper (English) and espeak-ng (Chinese, fallback), measured.

`make test` installs Piper and its English voice (the `tts` extra), so the Piper tests run: none
is skipped when Piper is missing, they fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import shutil
import threading
from pathlib import Path

import pytest

from highlights.render import speech, voices
from highlights.render.errors import RenderCancelled
from highlights.render.probe import probe
from highlights.render.process import tool_scope
from highlights.render.speech import synthesize
from highlights.render.wav import wav_format
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import test_tools

pytestmark = [
    pytest.mark.media,
    NEEDS_FFMPEG,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed"),
]

PIPER_VOICE = "en_US-joe-medium"
ENGLISH = "The storm is coming tonight."
CHINESE = "他终于找到了那把钥匙。"


@pytest.fixture(autouse=True)
def _default_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speech, "_logged", set())  # each test sees its own once-per-process log


def settings(**changes: str) -> contextlib.AbstractContextManager[object]:
    """A scope whose tools have these settings (``tts``, ``piper_model``), as Settings gives them."""
    return tool_scope(tools=dataclasses.replace(test_tools(), **changes))


def test_english_is_spoken_by_piper_and_recorded(tmp_path: Path) -> None:
    clip = synthesize(ENGLISH, tmp_path / "en.wav")
    [spoken] = clip.sentences
    assert (spoken.engine, spoken.model, spoken.text) == ("piper", PIPER_VOICE, ENGLISH)
    assert spoken.sample_rate == clip.sample_rate == wav_format(clip.path).rate == 22050
    assert clip.voice == f"piper:{PIPER_VOICE}"
    assert clip.notes == ()
    info = probe(clip.path)
    assert info.kind == "audio"
    assert clip.duration > 0.8
    assert info.duration == pytest.approx(clip.duration, abs=0.01)


def test_chinese_is_spoken_by_espeak(tmp_path: Path) -> None:
    clip = synthesize(CHINESE, tmp_path / "zh.wav")
    [spoken] = clip.sentences
    assert (spoken.engine, spoken.model) == ("espeak", "cmn")
    assert spoken.sample_rate == clip.sample_rate == wav_format(clip.path).rate
    assert clip.duration > 0.8
    assert probe(clip.path).duration == pytest.approx(clip.duration, abs=0.01)


def test_mixed_narration_uses_both_engines_and_each_sentence_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    english = synthesize(ENGLISH, tmp_path / "a.wav", cache_dir=cache_dir)
    chinese = synthesize(CHINESE, tmp_path / "b.wav", cache_dir=cache_dir)

    def fail(*args: object) -> None:
        pytest.fail("synthesised a cached sentence again")

    monkeypatch.setattr(speech, "piper_speak", fail)
    monkeypatch.setattr(speech, "espeak_speak", fail)
    mixed = synthesize(f"{ENGLISH} {CHINESE}", tmp_path / "ab.wav", cache_dir=cache_dir)
    assert [(s.engine, s.model) for s in mixed.sentences] == [
        ("piper", PIPER_VOICE),
        ("espeak", "cmn"),
    ]
    assert mixed.voice == f"piper:{PIPER_VOICE}, espeak:cmn"
    # The same audio, joined: exactly the two durations.
    assert mixed.duration == pytest.approx(english.duration + chinese.duration, abs=1e-3)
    again = synthesize(ENGLISH, tmp_path / "a2.wav", cache_dir=cache_dir)
    assert again.path.read_bytes() == english.path.read_bytes()


def test_a_cache_entry_without_its_audio_is_spoken_again(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    first = synthesize(CHINESE, tmp_path / "a.wav", cache_dir=cache_dir)
    [wav] = cache_dir.glob("speech-*.wav")
    wav.write_bytes(wav.read_bytes()[:100])  # truncated, as by a full disk
    again = synthesize(CHINESE, tmp_path / "b.wav", cache_dir=cache_dir)
    assert again.duration == pytest.approx(first.duration, abs=0.01)
    assert wav.stat().st_size == first.path.stat().st_size


@pytest.mark.parametrize("engine", ["espeak", "piper"])
def test_longer_text_gives_longer_audio(tmp_path: Path, engine: str) -> None:
    short = synthesize("The storm is coming.", tmp_path / "a.wav", engine=engine)
    long = synthesize(
        "The storm is coming tonight, and nobody on this island will sleep until it passes.",
        tmp_path / "b.wav",
        engine=engine,
    )
    assert {s.engine for s in short.sentences + long.sentences} == {engine}
    assert long.duration > short.duration * 1.5
    chinese_short = synthesize("出发。", tmp_path / "c.wav", engine="espeak")
    chinese_long = synthesize(
        "我们明天一早出发，穿过森林，在天黑之前到达海边。", tmp_path / "d.wav"
    )
    assert chinese_long.duration > chinese_short.duration * 1.5


@pytest.mark.parametrize("engine", ["espeak", "piper"])
def test_breaks_add_exactly_their_silence(tmp_path: Path, engine: str) -> None:
    cache_dir = tmp_path / "cache"  # Piper's prosody varies per run: reuse the same audio
    first = synthesize("Hello there.", tmp_path / "a.wav", engine=engine, cache_dir=cache_dir)
    second = synthesize("我们出发吧。", tmp_path / "b.wav", engine=engine, cache_dir=cache_dir)
    for tag, seconds in [('<break time="500ms"/>', 0.5), ('<break time="1s"/>', 1.0)]:
        joined = synthesize(
            f"<speak>Hello there.{tag}我们出发吧。</speak>",
            tmp_path / "ab.wav",
            engine=engine,
            cache_dir=cache_dir,
        )
        assert joined.text == "Hello there. 我们出发吧。"
        assert [s.engine for s in joined.sentences] == [engine, "espeak"]
        expected = first.duration + seconds + second.duration
        assert joined.duration == pytest.approx(expected, abs=1e-3)


def test_only_a_break_is_silence(tmp_path: Path) -> None:
    clip = synthesize('<break time="1500ms"/>', tmp_path / "quiet.wav")
    assert clip.duration == pytest.approx(1.5, abs=0.001)
    assert clip.text == ""
    assert clip.sentences == ()


@pytest.mark.parametrize("engine", ["espeak", "piper"])
def test_speech_rate_changes_the_length(tmp_path: Path, engine: str) -> None:
    text = "The storm is coming tonight, and nobody will sleep."
    slow = synthesize(text, tmp_path / "slow.wav", rate=-500, engine=engine)
    normal = synthesize(text, tmp_path / "normal.wav", rate=0, engine=engine)
    fast = synthesize(text, tmp_path / "fast.wav", rate=500, engine=engine)
    # Half and double speed: well apart, whatever Piper's run-to-run variation.
    assert slow.duration > normal.duration * 1.4
    assert normal.duration > fast.duration * 1.4
    assert wav_format(slow.path) == wav_format(fast.path)
    assert {s.engine for s in slow.sentences + fast.sentences} == {engine}


def test_the_settings_choose_the_engine_never_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIGHLIGHTS_TTS", "piper")
    for name in ("espeak", "espeak-ng"):  # the settings take either name
        with settings(tts=name):
            assert synthesize(ENGLISH, tmp_path / f"{name}.wav").voice == "espeak:en-us"
    with settings(tts="piper"):
        clip = synthesize(f"{ENGLISH} {CHINESE}", tmp_path / "b.wav")
    assert clip.voice == f"piper:{PIPER_VOICE}, espeak:cmn"
    assert clip.notes == ("Piper has no voice for cmn; espeak-ng speaks it",)


def test_voices_a_local_engine_knows_are_used(tmp_path: Path) -> None:
    assert synthesize("Hello there.", tmp_path / "gb.wav", voice="en-gb").voice == "espeak:en-gb"
    assert synthesize("Hello there.", tmp_path / "joe.wav", voice="joe").voice == (
        f"piper:{PIPER_VOICE}"
    )
    clip = synthesize(CHINESE, tmp_path / "zh.wav", voice="joe")
    assert clip.voice == "espeak:cmn"
    assert clip.notes == ("Voice 'joe' does not speak cmn; its default voice does",)


def test_a_cloud_voice_falls_back_per_language_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="highlights.render.speech"):
        clips = [
            synthesize(f"{ENGLISH} {CHINESE}", tmp_path / f"{k}.wav", voice="zhixiaobai")
            for k in range(2)
        ]
    assert clips[0].voice == f"piper:{PIPER_VOICE}, espeak:cmn"
    [record] = caplog.records
    assert "'zhixiaobai' is not available offline" in record.getMessage()
    assert all(clip.notes == (record.getMessage(),) for clip in clips)


def test_a_missing_piper_voice_falls_back_to_espeak_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(voices, "PIPER_VOICE_PACKAGES", {"no_such_voice_package": "xx"})
    with caplog.at_level(logging.WARNING, logger="highlights.render.speech"):
        clips = [
            synthesize(text, tmp_path / f"{k}.wav")
            for k, text in enumerate([ENGLISH, "Nobody leaves this island alive.", ENGLISH])
        ]
    assert {clip.voice for clip in clips} == {"espeak:en-us"}
    [record] = caplog.records
    assert record.getMessage() == (
        "no Piper voice is installed (no-such-voice-package); English is spoken by espeak-ng"
    )
    assert all(clip.notes == (record.getMessage(),) for clip in clips)
    # A model setting that points nowhere is said too, and espeak-ng speaks.
    with settings(piper_model=str(tmp_path / "gone.onnx")):
        clip = synthesize(ENGLISH, tmp_path / "gone.wav")
    assert clip.voice == "espeak:en-us"
    [note] = clip.notes
    assert note.startswith("the Piper model setting: ") and "gone.onnx" in note


def test_a_broken_piper_model_falls_back_to_espeak_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    found = voices.find_piper()
    assert isinstance(found, voices.PiperModel)
    model = tmp_path / "en_US-broken-low.onnx"
    model.write_bytes(b"not an onnx model")
    model.with_name(model.name + ".json").symlink_to(found.config)
    with (
        settings(piper_model=str(model)),
        caplog.at_level(logging.WARNING, logger="highlights.render.speech"),
    ):
        clips = [synthesize(ENGLISH, tmp_path / f"{k}.wav") for k in range(2)]
    assert {clip.voice for clip in clips} == {"espeak:en-us"}
    [record] = caplog.records
    assert record.getMessage().startswith("Piper failed (cannot load en_US-broken-low.onnx: ")
    assert all(clip.notes == (record.getMessage(),) for clip in clips)


def test_the_piper_model_of_the_settings_is_used(tmp_path: Path) -> None:
    found = voices.find_piper()
    assert isinstance(found, voices.PiperModel)
    model = tmp_path / "en_GB-narrator-low.onnx"
    model.symlink_to(found.model)
    model.with_name(model.name + ".json").symlink_to(found.config)
    with settings(piper_model=str(model)):
        clip = synthesize(ENGLISH, tmp_path / "a.wav")
    assert clip.voice == "piper:en_GB-narrator-low"


def test_the_piper_model_loads_once_for_threads_speaking_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voices, "_loaded", type(voices._loaded)())
    loads: list[str] = []
    real_load = voices._load

    def counting_load(model: voices.PiperModel) -> object:
        loads.append(model.name)
        return real_load(model)

    monkeypatch.setattr(voices, "_load", counting_load)
    clips: dict[int, speech.SpeechClip] = {}
    errors: list[BaseException] = []

    def speak(k: int) -> None:
        try:
            clips[k] = synthesize(f"Sentence number {k} is spoken.", tmp_path / f"{k}.wav")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=speak, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert loads == [PIPER_VOICE]
    assert all(
        clips[k].voice == f"piper:{PIPER_VOICE}" and clips[k].duration > 0.5 for k in range(3)
    )


def test_a_cancelled_job_stops_between_sentences_and_leaves_no_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cancel = threading.Event()
    spoken: list[str] = []
    real_speak = speech.piper_speak

    def speak_then_cancel(model: voices.PiperModel, text: str, out: Path, speed: float) -> None:
        real_speak(model, text, out, speed)
        spoken.append(text)
        cancel.set()  # as a newer manifest version would, while the narration is being spoken

    monkeypatch.setattr(speech, "piper_speak", speak_then_cancel)
    scratch = tmp_path / "work"
    with (
        tool_scope(cancel=cancel, scratch=scratch),
        pytest.raises(RenderCancelled, match="speech: cancelled"),
    ):
        synthesize(f"{ENGLISH} Nobody leaves this island alive. {ENGLISH}", tmp_path / "c.wav")
    assert spoken == [ENGLISH]
    assert not (tmp_path / "c.wav").exists()
    assert list(scratch.iterdir()) == []


def test_nothing_to_say_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing to say"):
        synthesize("<speak>。！</speak>", tmp_path / "n.wav")
