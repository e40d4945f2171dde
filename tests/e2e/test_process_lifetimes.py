"""Nothing outlives `highlights serve` or `run`: Ctrl-C, SIGTERM or kill -9 of the command takes its
renders' ffmpeg with it. The renderer is a stand-in that runs one real, long ffmpeg through the
engine's tool runner, so the process handling is the real one and the test takes seconds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import need_ffmpeg
from tests.processes import alive as _alive
from tests.processes import descendants as _descendants
from tests.support import manifest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = manifest("e2e-bucket", outputs="out", count=1, size=(320, 180))
# The command, with a renderer that runs a ten-minute ffmpeg (in real time: -re) as a real render would.
# A test runner started in the background by a script has SIGINT ignored, and its children
# inherit that: the command under test gets Ctrl-C's handler back, as a terminal gives it.
WRAPPER = """
import signal; signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C as on a terminal
import sys
from highlights.producers import local as engine
from highlights.render.ffmpeg import ffmpeg_path
from highlights.render.process import run_tool

def long_render(job_id, request, store, work, progress, *, cancel, **_):
    progress(0.1, "rendering")
    run_tool(
        [ffmpeg_path(), "-nostdin", "-re", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=5",
         "-t", "600", "-f", "null", "-"],
        what="a long render", timeout=900, cancel=cancel,
    )

engine._default_renderer = lambda: long_render
from highlights.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _wait_for_ffmpeg(command: subprocess.Popen[str]) -> set[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert command.poll() is None, command.communicate()
        found = {p for p in _descendants(command.pid) if _name(p) == "ffmpeg"}
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("no render started")


def _start(args: list[str], bucket: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIGHLIGHTS_")}
    return subprocess.Popen(
        [sys.executable, "-c", WRAPPER, *args, "--bucket", str(bucket)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
@pytest.mark.parametrize("command", ["serve", "run"])
def test_no_ffmpeg_outlives_the_command(tmp_path: Path, command: str, sig: signal.Signals) -> None:
    need_ffmpeg()
    bucket = tmp_path / "bucket"
    (bucket / "manifests").mkdir(parents=True)
    manifest = bucket / "manifests" / "long.json"
    manifest.write_text(json.dumps(MANIFEST))
    args = ["serve", "--port", "0"] if command == "serve" else ["run", str(manifest)]
    process = _start(args, bucket)
    try:
        renders = _wait_for_ffmpeg(process)
        process.send_signal(sig)
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in renders) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in renders), f"ffmpeg outlived `{command}` after {sig.name}"
        if sig is not signal.SIGKILL:
            _, err = process.communicate()
            assert "Traceback" not in err, err
            assert process.returncode in (0, 130, 128 + sig.value, -sig.value), err
            # stopped, not failed: no work folder left, the job unfinished for the next start
            work = bucket / ".highlights" / "engine" / "work"
            assert not work.exists() or not any(work.iterdir())
            [state] = (bucket / ".highlights" / "engine").glob("local-*.json")
            assert json.loads(state.read_text())["status"] == "Processing"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
