"""Running tools: locating them, failures that carry stderr, and filtergraph escaping."""

from __future__ import annotations

import struct
import sys
import wave
from pathlib import Path

import pytest

from highlights.render import ffmpeg as ffmpeg_module
from highlights.render.ffmpeg import (
    RenderError,
    escape_filter_value,
    ffmpeg_path,
    filter_script_option,
    run_tool,
    start_tool,
    stderr_tail,
)
from highlights.render.wav import WavFormat, concat_wav, wav_duration


def test_env_override_that_points_nowhere_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HIGHLIGHTS_FFMPEG", "/nonexistent/ffmpeg")
    with pytest.raises(RenderError, match="HIGHLIGHTS_FFMPEG"):
        ffmpeg_path()


def test_env_override_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIGHLIGHTS_FFMPEG", sys.executable)
    assert ffmpeg_path() == sys.executable


def test_failure_carries_the_last_stderr_lines() -> None:
    script = "import sys\nfor i in range(40): print('line', i, file=sys.stderr)\nsys.exit(3)"
    with pytest.raises(RenderError) as caught:
        run_tool([sys.executable, "-c", script], what="demo")
    error = caught.value
    assert "exited with status 3" in str(error)
    assert "line 39" in error.stderr_tail
    assert "line 5\n" not in error.stderr_tail
    assert error.command[0] == sys.executable


def test_missing_executable_and_timeout() -> None:
    with pytest.raises(RenderError, match="cannot run"):
        run_tool(["/nonexistent/tool"], what="demo")
    with pytest.raises(RenderError, match="timed out"):
        run_tool([sys.executable, "-c", "import time; time.sleep(5)"], what="demo", timeout=0.2)


def test_stderr_tail_skips_blank_lines() -> None:
    assert stderr_tail("a\n\n b \n\nc\n", lines=2) == " b \nc"


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("/tmp/plain.txt", "/tmp/plain.txt"),
        ("C:/a b/x.ttf", "C\\\\:/a b/x.ttf"),
        ("it's,[1];", "it\\\\\\'s\\,\\[1\\]\\;"),
    ],
)
def test_filter_values_are_escaped_for_both_parsing_levels(value: str, escaped: str) -> None:
    assert escape_filter_value(value) == escaped


def _tone(path: Path, seconds: float, fmt: WavFormat) -> Path:
    frames = round(seconds * fmt.rate)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(fmt.channels)
        writer.setsampwidth(fmt.sample_width)
        writer.setframerate(fmt.rate)
        writer.writeframes(struct.pack("<h", 1000) * frames * fmt.channels)
    return path


def test_concat_wav_inserts_exact_silences(tmp_path: Path) -> None:
    fmt = WavFormat(1, 2, 22050)
    a = _tone(tmp_path / "a.wav", 0.5, fmt)
    b = _tone(tmp_path / "b.wav", 0.25, fmt)
    out = tmp_path / "out.wav"
    duration = concat_wav([a, 1.0, b, 0.5], out)
    assert duration == pytest.approx(2.25, abs=1 / fmt.rate)
    assert wav_duration(out) == duration
    with wave.open(str(out), "rb") as reader:
        samples = struct.unpack(f"<{reader.getnframes()}h", reader.readframes(reader.getnframes()))
    silent = samples[round(0.5 * fmt.rate) : round(1.5 * fmt.rate)]
    assert set(silent) == {0}


def test_concat_wav_only_silence_uses_the_default_format(tmp_path: Path) -> None:
    out = tmp_path / "quiet.wav"
    assert concat_wav([1.5], out, default=WavFormat(1, 2, 16000)) == pytest.approx(1.5)


def fake_ffmpeg(tmp_path: Path, version_line: str) -> Path:
    """An executable that answers ``-version`` like an ffmpeg build."""
    exe = tmp_path / "ffmpeg"
    exe.write_text(f"#!/bin/sh\necho '{version_line}'\n", encoding="utf-8")
    exe.chmod(0o755)
    return exe


@pytest.mark.parametrize(
    ("line", "option"),
    [
        ("ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026", "-filter_complex_script"),
        ("ffmpeg version 6.1.1-3ubuntu5 Copyright", "-filter_complex_script"),
        ("ffmpeg version 7.1.1-1 Copyright", "-/filter_complex"),
        ("ffmpeg version n9.0.2-17-g2a571b6068-20260930 Copyright", "-/filter_complex"),
        ("ffmpeg version N-118000-g1234abcd Copyright", "-/filter_complex"),  # a git build
    ],
)
def test_filter_script_option_follows_the_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, option: str
) -> None:
    monkeypatch.setenv("HIGHLIGHTS_FFMPEG", str(fake_ffmpeg(tmp_path, line)))
    ffmpeg_module._major_version.cache_clear()
    try:
        assert filter_script_option() == option
    finally:
        ffmpeg_module._major_version.cache_clear()


def test_a_background_tool_reports_failure_and_can_be_stopped() -> None:
    failing = start_tool(
        [sys.executable, "-c", "import sys; print('bad input', file=sys.stderr); sys.exit(4)"],
        what="sound",
    )
    with pytest.raises(RenderError) as caught:
        failing.finish(timeout=30)
    assert "sound" in str(caught.value) and "bad input" in str(caught.value)
    slow = start_tool([sys.executable, "-c", "import time; time.sleep(60)"], what="picture")
    assert slow.poll() is None
    with pytest.raises(RenderError, match="timed out"):
        slow.finish(timeout=0.2)
    assert slow.poll() is not None  # killed, not left running
    slow.kill()  # harmless once finished
