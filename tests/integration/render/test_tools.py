"""Running tools: which binary (the scope's tools, never the environment), failures that
carry stderr, WAV files joined with exact silences."""

from __future__ import annotations

import shutil
import struct
import sys
import threading
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from highlights.render.cores import ToolPool
from highlights.render.errors import ToolError
from highlights.render.ffmpeg import ffmpeg_path, filter_script_option
from highlights.render.process import current_tools, run_tool, start_tool, tool_scope
from highlights.render.tools import Tools
from highlights.render.voices import espeak_path
from highlights.render.wav import WavFormat, concat_wav, wav_duration


def test_a_tool_setting_that_points_nowhere_is_a_clear_error() -> None:
    with tool_scope(tools=Tools(ffmpeg="/nonexistent/ffmpeg")), pytest.raises(ToolError) as caught:
        ffmpeg_path()
    assert "ffmpeg" in str(caught.value) and "/nonexistent/ffmpeg" in str(caught.value)
    with tool_scope(tools=Tools(espeak=None)), pytest.raises(ToolError, match="espeak-ng"):
        espeak_path()


def test_the_scope_says_which_tool_runs_never_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HIGHLIGHTS_FFMPEG", "/nonexistent/ffmpeg")
    monkeypatch.setenv("HIGHLIGHTS_TESSERACT", "/nonexistent/tesseract")
    with tool_scope(tools=Tools(ffmpeg=sys.executable, ffprobe=sys.executable)):
        assert ffmpeg_path() == sys.executable
        with tool_scope(cancel=threading.Event()):  # a nested scope keeps the tools
            assert ffmpeg_path() == sys.executable
        with ToolPool(1) as pool:  # and so do the threads tools run from
            assert pool.submit(ffmpeg_path).result() == sys.executable
    # Outside any scope (a plain thread starts without one): what PATH offers, whatever the
    # environment says.
    with ThreadPoolExecutor(1) as plain:
        assert plain.submit(current_tools).result() == Tools.on_path()
        assert plain.submit(ffmpeg_path).result() == shutil.which("ffmpeg")


def test_failure_carries_the_last_stderr_lines() -> None:
    script = "import sys\nfor i in range(40): print('line', i, file=sys.stderr)\nsys.exit(3)"
    with pytest.raises(ToolError) as caught:
        run_tool([sys.executable, "-c", script], what="demo")
    error = caught.value
    assert "exited with status 3" in str(error)
    assert "line 39" in error.stderr_tail
    assert "line 5\n" not in error.stderr_tail
    assert error.command[0] == sys.executable


def test_missing_executable_and_timeout() -> None:
    with pytest.raises(ToolError, match="cannot run"):
        run_tool(["/nonexistent/tool"], what="demo")
    with pytest.raises(ToolError, match="timed out"):
        run_tool([sys.executable, "-c", "import time; time.sleep(5)"], what="demo", timeout=0.2)


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
def test_filter_script_option_follows_the_version(tmp_path: Path, line: str, option: str) -> None:
    with tool_scope(tools=Tools(ffmpeg=str(fake_ffmpeg(tmp_path, line)))):
        assert filter_script_option() == option


def test_a_background_tool_reports_failure_and_can_be_stopped() -> None:
    failing = start_tool(
        [sys.executable, "-c", "import sys; print('bad input', file=sys.stderr); sys.exit(4)"],
        what="sound",
    )
    with pytest.raises(ToolError) as caught:
        failing.finish(timeout=30)
    assert "sound" in str(caught.value) and "bad input" in str(caught.value)
    slow = start_tool([sys.executable, "-c", "import time; time.sleep(60)"], what="picture")
    assert slow.poll() is None
    with pytest.raises(ToolError, match="timed out"):
        slow.finish(timeout=0.2)
    assert slow.poll() is not None  # killed, not left running
    slow.kill()  # harmless once finished
