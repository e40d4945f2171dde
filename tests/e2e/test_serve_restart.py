"""`highlights serve` as a process: a dropped manifest renders with no further command, and killing
serve mid-render then starting it again completes the job with no duplicate outputs.

The renderer is a stand-in that takes a few seconds, reports progress and writes its videos the
way the engine does (whole files, renamed into place): what is tested is serve's and the local
engine's handling of a killed process, not composition (tests/e2e/test_handlers_local_engine.py
renders for real)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.processes import until as wait_for
from tests.support import manifest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = manifest("e2e-bucket", outputs="out/e2e")
# A test runner started in the background by a script has SIGINT ignored, and its children
# inherit that: the command under test gets Ctrl-C's handler back, as a terminal gives it.
WRAPPER = """
import signal; signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C as on a terminal
import sys
from highlights.producers import local as engine
from highlights.producers.local import OutputResult, RenderOutcome

def slow_render(job_id, request, store, work, progress, *, cancel, **_):
    for step in range(24):  # about 6 s: past the engine's 5 s heartbeat
        progress(step / 24, f"render 1: {step * 4}%")
        if cancel.wait(0.25):
            return RenderOutcome(outputs=[], error_code="Cancelled", error_message="cancelled")
    outputs = []
    for index in (1, 2):
        key = f"out/e2e/h_{index}.mp4"
        store.put(key, b"a video")
        outputs.append(OutputResult(index, True, key=key, duration=6.0))
    return RenderOutcome(outputs=outputs)

engine._default_renderer = lambda: slow_render
from highlights.cli import main
sys.exit(main(sys.argv[1:]))
"""


def start_serve(bucket: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIGHLIGHTS_")}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            WRAPPER,
            "serve",
            "--bucket",
            str(bucket),
            "--port",
            "0",
            "--reconcile-every",
            "2",
        ],
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env=env,
    )


def engine_states(bucket: Path) -> list[dict[str, object]]:
    folder = bucket / ".highlights" / "engine"
    return [json.loads(p.read_text()) for p in folder.glob("*.json")] if folder.exists() else []


def test_kill_mid_render_then_restart_completes_without_duplicates(tmp_path: Path) -> None:
    bucket = tmp_path / "bucket"
    log = tmp_path / "serve.log"
    result = bucket / "out" / "e2e" / "night.result.json"

    first = start_serve(bucket, log)
    try:
        assert wait_for(
            lambda: (bucket / "manifests").is_dir() and "serving" in log.read_text(), 60
        ), log.read_text()
        (bucket / "manifests" / "night.json").write_text(json.dumps(MANIFEST))
        rendering = lambda: any(  # noqa: E731
            s.get("status") == "Processing" and "render" in str(s.get("message", ""))
            for s in engine_states(bucket)
        )
        assert wait_for(rendering, 60), log.read_text()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert not result.exists(), "the render finished before the kill: the test proved nothing"

    second = start_serve(bucket, log)
    try:
        assert wait_for(result.exists, 60), log.read_text()[-3000:]
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(20)
        finally:
            if second.poll() is None:  # it did not stop: the test fails, nothing is left running
                second.kill()
                second.wait()
    document = json.loads(result.read_text())
    assert document["job"]["state"] == "SUCCEEDED"
    videos = sorted(p.name for p in (bucket / "out" / "e2e").iterdir() if p.suffix == ".mp4")
    assert videos == ["h_1.mp4", "h_2.mp4"]
    leftovers = [
        p.name
        for p in (bucket / "out" / "e2e").iterdir()
        if ".tmp" in p.name or p.name.startswith(".")
    ]
    assert leftovers == []
    assert "resumed" in log.read_text()
    assert len(list((bucket / ".highlights" / "jobs").glob("*.json"))) == 1
