"""ffmpeg dies with the process that started it: a `kill -9` of `highlights run` or `serve` leaves
no render behind (the parent-death signal; a process group alone would not do it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.processes import alive as running
from tests.processes import children, until

pytestmark = [NEEDS_FFMPEG, pytest.mark.skipif(sys.platform != "linux", reason="Linux only")]

ROOT = Path(__file__).resolve().parents[3]
LONG_ENCODE = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "3600",
               "-c:v", "libx264", "-preset", "ultrafast", "-f", "null", "-"]  # fmt: skip

PROGRAMS = {
    # run_tool, from a thread of a pool as the engine's analysis does
    "run_tool": (
        "from highlights.render.cores import ToolPool\n"
        "from highlights.render.ffmpeg import run_ffmpeg\n"
        f"with ToolPool(1) as pool:\n    pool.submit(run_ffmpeg, {LONG_ENCODE!r}).result()\n"
    ),
    # a background pass, as compose runs the picture and the sound
    "run_at_once": (
        "from highlights.render.runner import Pass, run_at_once\n"
        "from highlights.render.ffmpeg import ffmpeg_path\n"
        f"run_at_once([Pass([ffmpeg_path(), '-nostdin', *{LONG_ENCODE!r}], 'long', 1.0)],"
        " progress=None, what='long', timeout=3600)\n"
    ),
}


@pytest.mark.parametrize("runner", sorted(PROGRAMS))
def test_kill_9_of_the_engine_takes_its_ffmpeg_along(runner: str) -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'shared'}{os.pathsep}{ROOT}"}
    program = subprocess.Popen([sys.executable, "-c", PROGRAMS[runner]], env=env)
    started: list[int] = []
    try:
        assert until(lambda: bool(children(program.pid)), 15.0), "ffmpeg never started"
        started += children(program.pid)
        (ffmpeg,) = started
        assert "testsrc" in Path(f"/proc/{ffmpeg}/cmdline").read_text()
        program.send_signal(signal.SIGKILL)
        program.wait(10)
        assert until(lambda: not running(ffmpeg), 15.0), f"ffmpeg {ffmpeg} outlived its parent"
    finally:
        if program.poll() is None:
            program.kill()
            program.wait()
        for pid in started:  # a failed test must not leave its ffmpeg running either
            if running(pid):
                os.kill(pid, signal.SIGKILL)
