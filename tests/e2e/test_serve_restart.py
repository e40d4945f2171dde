"""`highlights serve` as a process: a dropped manifest renders with no further command, and killing
serve mid-render then starting it again completes the job with no duplicate outputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import narration_manifest, write

pytestmark = pytest.mark.media

LONG = (
    "The last train pulls out of the station. It crosses the iron bridge in the dark. "
    "Snow starts to fall over the river. At sunrise the doors slide open and people head home."
)


def start_serve(bucket: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIGHLIGHTS_")}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "highlights.cli",
            "serve",
            "--bucket",
            str(bucket),
            "--port",
            "0",
            "--reconcile-every",
            "2",
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # so the kill takes its ffmpeg children with it
    )


def engine_states(bucket: Path) -> list[dict[str, object]]:
    folder = bucket / ".highlights" / "engine"
    return [json.loads(p.read_text()) for p in folder.glob("*.json")] if folder.exists() else []


def wait_for(predicate, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_kill_mid_render_then_restart_completes_without_duplicates(
    bucket: Path, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    # Long enough (two ~30 s 1080x1920 outputs) for the engine's 5 s heartbeat to report the
    # render before it ends, however fast the composition gets.
    manifest = narration_manifest(Width=1080, Height=1920)
    manifest["InputConfig"]["SpeechTextArray"] = [f"{LONG} {LONG}"]
    result = bucket / "out" / "e2e" / "night.result.json"

    first = start_serve(bucket, log)
    try:
        assert wait_for(
            lambda: (bucket / "manifests").is_dir() and "serving" in log.read_text(), 60
        ), log.read_text()
        write(bucket / "manifests" / "night.json", manifest)
        composing = lambda: any(  # noqa: E731
            s.get("status") == "Processing" and "render" in str(s.get("message", ""))
            for s in engine_states(bucket)
        )
        assert wait_for(composing, 120), log.read_text()
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    assert not result.exists(), "the render finished before the kill: the test proved nothing"

    second = start_serve(bucket, log)
    try:
        assert wait_for(result.exists, 180), log.read_text()[-3000:]
    finally:
        os.killpg(second.pid, signal.SIGINT)
        second.wait(20)
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
