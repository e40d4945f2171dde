"""`highlights run` and `serve` plumbing: real handlers, a real HTTP callback on 127.0.0.1, signed by
the engine. The renderer is a stand-in here (it writes a small file); the real one is tested in
tests/e2e."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from highlights.bootstrap import view
from highlights.fc import app
from highlights.local import browse, platform
from highlights.local.platform import local_settings
from highlights.local.run import retry, run
from highlights.local.serve import serve
from highlights.ports import SubmitRequest
from highlights.producers import local as engine
from highlights.producers.local import OutputResult, RenderOutcome
from highlights.storage.local import LocalStore
from tests.support import manifest, oss_url

URL = oss_url("demo").rstrip("/")
MANIFEST = manifest("demo", outputs="out", count=1, size=(320, 180))
MANIFEST["InputConfig"]["MediaArray"] = [f"{URL}/media/film.mp4"]


def quick_render(
    job_id: str, request: SubmitRequest, store: LocalStore, work: Path, progress: Any, **_: Any
) -> RenderOutcome:
    progress(0.5, "rendering")
    store.put("out/h_1.mp4", b"not really a video")
    return RenderOutcome(
        outputs=[
            OutputResult(1, True, key="out/h_1.mp4", media_url=f"{URL}/out/h_1.mp4", duration=2.0)
        ]
    )


@pytest.fixture(autouse=True)
def stand_in_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_default_renderer", lambda: quick_render)
    for name in (
        "HIGHLIGHTS_STORE",
        "HIGHLIGHTS_CALLBACK_URL",
        "HIGHLIGHTS_CALLBACK_KEYS",
        "HIGHLIGHTS_PRODUCER",
    ):
        monkeypatch.delenv(name, raising=False)
    yield
    app.reset()


@pytest.fixture
def callbacks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Status codes the callback function answered over HTTP."""
    answered: list[int] = []
    real = platform.handle_callback

    def counting(system: Any, event: bytes, context: Any) -> dict[str, Any]:
        answer = real(system, event, context)
        answered.append(answer["statusCode"])
        return answer

    monkeypatch.setattr(platform, "handle_callback", counting)
    return answered


def test_run_goes_through_the_handlers_and_the_signed_callback(
    tmp_path: Path, callbacks: list[int]
) -> None:
    manifest = tmp_path / "night.json"
    manifest.write_text(json.dumps(MANIFEST))
    out = io.StringIO()
    code = run(manifest, local_settings(tmp_path / "bucket"), out=out)
    text = out.getvalue()
    assert code == 0, text
    assert callbacks == [200]
    assert "SUCCEEDED" in text
    result = json.loads((tmp_path / "bucket" / "out" / "night.result.json").read_text())
    assert result["job"]["state"] == "SUCCEEDED"
    assert f"video   {tmp_path / 'bucket' / 'out' / 'h_1.mp4'}" in text


def test_run_reports_a_rejected_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "bad.json"
    manifest.write_text(json.dumps({**MANIFEST, "OutputConfig": {"Width": 1}}))
    out = io.StringIO()
    assert run(manifest, local_settings(tmp_path / "bucket"), out=out) == 2
    assert "OutputConfig.Width" in out.getvalue()


def test_jobs_status_and_retry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = tmp_path / "night.json"
    manifest.write_text(json.dumps(MANIFEST))
    bucket = tmp_path / "bucket"

    def failing(*args: Any, **kwargs: Any) -> RenderOutcome:
        return RenderOutcome(
            outputs=[OutputResult(1, False, error_code="NoMatch", error_message="x")]
        )

    monkeypatch.setattr(engine, "_default_renderer", lambda: failing)
    assert run(manifest, local_settings(bucket), out=io.StringIO()) == 1
    out = io.StringIO()
    browse.jobs(view(local_settings(bucket)), out=out)
    [row] = out.getvalue().splitlines()[1:]
    job_id = row.split()[0]
    assert "FAILED" in row
    out = io.StringIO()
    assert (
        browse.status(
            view(local_settings(bucket)), bucket, str(bucket / "manifests" / "night.json"), out=out
        )
        == 0
    )
    assert job_id in out.getvalue()
    monkeypatch.setattr(engine, "_default_renderer", lambda: quick_render)
    out = io.StringIO()
    assert retry(local_settings(bucket), job_id, out=out) == 0
    assert "SUCCEEDED" in out.getvalue()
    retried = out.getvalue().split("job ", 2)[1].split()[0]
    assert retried != job_id
    assert (
        retry(local_settings(bucket), retried, out=io.StringIO()) == 2
    )  # a success is not retried


def test_serve_picks_up_a_dropped_manifest(tmp_path: Path, callbacks: list[int]) -> None:
    bucket = tmp_path / "bucket"
    stop = threading.Event()
    out = io.StringIO()
    thread = threading.Thread(
        target=serve,
        args=(local_settings(bucket),),
        kwargs={"port": 0, "interval": 0.1, "out": out, "stop": stop},
    )
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not (bucket / "manifests").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        (bucket / "manifests" / "dropped.json").write_text(json.dumps(MANIFEST))
        result = bucket / "out" / "dropped.result.json"
        # the callback writes the result before it answers: wait for its answer too
        while not (result.exists() and callbacks) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert result.exists(), out.getvalue()
        assert json.loads(result.read_text())["job"]["state"] == "SUCCEEDED"
        assert 200 in callbacks
    finally:
        stop.set()
        thread.join(10)
    assert "dropped.json: job" in out.getvalue()


def versioned_render(
    job_id: str,
    request: SubmitRequest,
    store: LocalStore,
    work: Path,
    progress: Any,
    *,
    cancel: threading.Event,
    **_: Any,
) -> RenderOutcome:
    """Takes a moment (or until cancelled), then writes the version it rendered."""
    progress(0.2, "rendering")
    if cancel.wait(0.6):
        return RenderOutcome(outputs=[], error_code="Cancelled", error_message="cancelled")
    version = request.user_data["v"]
    store.put("out/h_1.mp4", f"version {version}".encode())
    return RenderOutcome(
        outputs=[
            OutputResult(1, True, key="out/h_1.mp4", media_url=f"{URL}/out/h_1.mp4", duration=2.0)
        ]
    )


def test_rewriting_a_manifest_five_times_the_newest_version_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "_default_renderer", lambda: versioned_render)
    bucket = tmp_path / "bucket"
    stop = threading.Event()
    out = io.StringIO()
    thread = threading.Thread(
        target=serve,
        args=(local_settings(bucket),),
        kwargs={"port": 0, "interval": 0.05, "reconcile_every": 0.3, "out": out, "stop": stop},
    )
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not (bucket / "manifests").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        for version in range(1, 6):
            (bucket / "manifests" / "k1.json").write_text(
                json.dumps({**MANIFEST, "UserData": {"v": version}})
            )
            time.sleep(0.25)
        result = bucket / "out" / "k1.result.json"
        while time.monotonic() < deadline + 40:
            jobs = [
                json.loads(p.read_text()) for p in (bucket / ".highlights" / "jobs").glob("*.json")
            ]
            # serve polls the folder: two quick rewrites may reach it as one version
            if (
                result.exists()
                and jobs
                and all(j["state"] not in ("RECEIVED", "SUBMITTED", "PROCESSING") for j in jobs)
            ):
                break
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(20)
    states = sorted(j["state"] for j in jobs)
    assert len(jobs) >= 2, "at least two versions were seen"
    assert states.count("SUCCEEDED") == 1, (states, out.getvalue())
    assert set(states) <= {"SUCCEEDED", "SUPERSEDED", "REJECTED"}
    [newest] = [j for j in jobs if j["state"] == "SUCCEEDED"]
    request = json.loads(
        (bucket / ".highlights" / "requests" / f"{newest['job_id']}.json").read_text()
    )
    assert request["user_data"]["v"] == 5
    assert (bucket / "out" / "h_1.mp4").read_bytes() == b"version 5"
    assert json.loads(result.read_text())["job"]["id"] == newest["job_id"]
