"""The local engine's job mechanics (idempotency, state, callbacks, takeover), with a stand-in
renderer; the real renderer has its own tests under tests/integration/render."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from highlights.ports import NotFound, PermanentError, SubmitRequest
from highlights.producers import local as local_module
from highlights.producers.local import STALE_AFTER, LocalProducer
from highlights.render.contract import OutputResult, RenderOutcome
from highlights.render.keys import EngineKeys
from highlights.render.process import run_tool, tool_scope
from highlights.render.tools import Tools
from highlights.storage.local import LocalStore
from tests.processes import alive, until
from tests.support import Clock

REQUEST = SubmitRequest(
    input_config='{"MediaArray":["a"]}',
    output_config='{"MediaURL":"https://b.oss-cn-shanghai.aliyuncs.com/out/v_{index}.mp4","Count":2,"Width":128,"Height":128}',
    user_data={"HighlightsJobId": "night-1"},
)


class Renderer:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail

    def __call__(
        self,
        job_id: str,
        request: SubmitRequest,
        store: LocalStore,
        work: Path,
        progress: Any,
        **_: Any,
    ) -> RenderOutcome:
        self.calls.append(job_id)
        if self.fail:
            raise RuntimeError("boom")
        progress(0.5, "half")
        store.put("out/v_1.mp4", b"video")
        return RenderOutcome(
            outputs=[
                OutputResult(
                    1,
                    True,
                    key="out/v_1.mp4",
                    media_url="https://b.oss-cn-shanghai.aliyuncs.com/out/v_1.mp4",
                    duration=4.0,
                ),
                OutputResult(2, False, error_code="NoMatch", error_message="nothing matched"),
            ],
            timelines=[{"index": 1}],
        )


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "bucket")


def test_submit_is_idempotent_and_renders_once(store: LocalStore) -> None:
    renderer = Renderer()
    engine = LocalProducer(store, renderer=renderer)
    first = engine.submit(REQUEST, "hl-token", None)
    assert engine.submit(REQUEST, "hl-token", None) == first
    engine.wait(5)
    assert renderer.calls == [first]
    with pytest.raises(PermanentError) as info:
        engine.submit(SubmitRequest(input_config="{}", output_config="{}"), "hl-token", None)
    assert info.value.code == "IdempotentParameterMismatch"


def test_get_answers_in_the_ice_shape(store: LocalStore) -> None:
    engine = LocalProducer(store, renderer=Renderer())
    job_id = engine.submit(REQUEST, "hl-token", None)
    engine.wait(5)
    status = engine.get(job_id)
    assert status.status == "Finished" and status.terminal
    assert [(s.index, s.status) for s in status.sub_jobs] == [(1, "Success"), (2, "Failed")]
    assert status.sub_jobs[0].media_url == "https://b.oss-cn-shanghai.aliyuncs.com/out/v_1.mp4"
    assert status.sub_jobs[1].error_code == "NoMatch"
    assert status.timelines == ({"index": 1},)
    with pytest.raises(NotFound):
        engine.get("local-nope")


def test_completion_is_called_back_at_the_notify_address_unsigned(store: LocalStore) -> None:
    """Like ICE may do for a job's NotifyAddress: the address's token is the credential."""
    posts: list[tuple[str, bytes, dict[str, str]]] = []
    engine = LocalProducer(
        store, renderer=Renderer(), post=lambda u, b, h: posts.append((u, b, h)) or 200
    )
    url = "http://127.0.0.1:9/ice?job=night-1&t=abc"
    engine.submit(REQUEST, "hl-token", url)
    engine.wait(5)
    [(to, body, headers)] = posts
    assert to == url
    assert not {"X-ICE-TIMESTAMP", "X-ICE-SIGNATURE"} & set(headers)
    message = json.loads(body)
    assert message["EventType"] == "BatchProduceMediaComplete"
    assert json.loads(message["MessageBody"]["UserData"])["HighlightsJobId"] == "night-1"


def test_a_crashed_render_fails_the_job_with_a_code(store: LocalStore) -> None:
    engine = LocalProducer(store, renderer=Renderer(fail=True))
    job_id = engine.submit(REQUEST, "hl-token", None)
    engine.wait(5)
    status = engine.get(job_id)
    assert status.status == "Failed" and status.error_code == "InternalError"


def test_an_orphaned_job_is_taken_over_after_its_heartbeat_goes_stale(store: LocalStore) -> None:
    clock = Clock()
    dead = LocalProducer(store, renderer=Renderer(), clock=clock)
    dead._start = lambda job_id: None  # type: ignore[method-assign]  # the process dies before rendering
    job_id = dead.submit(REQUEST, "hl-token", None)
    renderer = Renderer()
    alive = LocalProducer(store, renderer=renderer, clock=clock)
    assert alive.get(job_id).status == "Init"  # the old worker might still be alive
    assert renderer.calls == []
    clock.now += STALE_AFTER + 1
    assert alive.resume() == [job_id]
    alive.wait(5)
    assert renderer.calls == [job_id]
    assert alive.get(job_id).status == "Finished"
    assert alive.resume() == []


# -- cancellation and work folders ------------------------------------------------------------


class ToolRenderer:
    """Runs a real tool that starts a child, notes both pids, and sleeps: as ffmpeg would."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.works: list[Path] = []
        self.seconds = 60

    def pids(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.pids"

    def __call__(
        self,
        job_id: str,
        request: SubmitRequest,
        store: LocalStore,
        work: Path,
        progress: Any,
        *,
        cancel: threading.Event,
    ) -> RenderOutcome:
        self.works.append(work)
        (work / "scratch.txt").write_text("temp")
        pids = self.pids(job_id)
        script = (
            "import os, subprocess, sys, time\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
            f"open({str(pids)!r} + '.tmp', 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
            f"os.rename({str(pids)!r} + '.tmp', {str(pids)!r})\n"
            f"time.sleep({self.seconds})\n"
        )
        with tool_scope(cancel=cancel):
            run_tool([sys.executable, "-c", script], what="slow tool", timeout=300)
        return RenderOutcome(outputs=[OutputResult(1, True, key="out/v_1.mp4")])


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")
def test_cancel_kills_the_render_and_the_worker_goes_on(store: LocalStore, tmp_path: Path) -> None:
    renderer = ToolRenderer(tmp_path)
    engine = LocalProducer(store, renderer=renderer)
    first = engine.submit(REQUEST, "token-1", None)
    queued = engine.submit(REQUEST, "token-2", None)
    assert until(renderer.pids(first).exists)
    pids = [int(p) for p in renderer.pids(first).read_text().split()]
    assert all(alive(p) for p in pids)
    assert engine.cancel(queued, "superseded by a newer version")  # before it ever started
    assert engine.cancel(first, "superseded by a newer version")
    engine.wait(10)
    assert until(lambda: not any(alive(p) for p in pids))
    for job_id in (first, queued):
        status = engine.get(job_id)
        assert (status.status, status.error_code) == ("Failed", "Cancelled")
        assert status.error_message == "cancelled: superseded by a newer version"
        assert status.terminal and not status.sub_jobs
    assert len(renderer.works) == 1 and not renderer.works[0].exists()  # its work folder went
    assert not renderer.pids(queued).exists()
    assert not engine.cancel(first)  # over: nothing to cancel
    # The same worker renders the next job as before.
    worker = engine._worker
    renderer.seconds = 0
    done = engine.submit(REQUEST, "token-3", None)
    engine.wait(10)
    assert engine.get(done).status == "Finished" and engine._worker is worker


def test_work_folders_are_removed_when_jobs_end_and_swept_after_a_crash(
    store: LocalStore,
) -> None:
    seen: list[Path] = []

    class Keeping(Renderer):
        def __call__(self, job_id: str, request: SubmitRequest, store: LocalStore, work: Path,
                     progress: Any, **_: Any) -> RenderOutcome:  # fmt: skip
            (work / "speech").mkdir()
            (work / "speech" / "a.wav").write_bytes(b"RIFF")
            seen.append(work)
            return super().__call__(job_id, request, store, work, progress)

    engine = LocalProducer(store, renderer=Keeping())
    job_id = engine.submit(REQUEST, "token-1", None)
    engine.wait(5)
    assert seen and not seen[0].exists()
    # A process killed mid-render leaves its folder; the next engine's resume removes it once
    # the job has ended (and a folder whose job is unknown).
    left = store.root / ".highlights" / "engine" / "work"
    (left / job_id / "tmp" / "contact-x").mkdir(parents=True)
    (left / "local-unknown").mkdir()
    LocalProducer(store, renderer=Renderer()).resume()
    assert list(left.iterdir()) == []


def test_the_real_renderer_gets_the_tools_the_state_prefix_and_the_region(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the settings give LocalProducer reaches every render: its tools, its state prefix
    (record, work folder, and the renderer's keys), the region its OSS URLs map from."""
    seen: dict[str, Any] = {}

    def renderer(job_id: str, request: SubmitRequest, folder: Any, work: Path, progress: Any,
                 **settings: Any) -> RenderOutcome:  # fmt: skip
        seen.update(settings, work=work)
        return Renderer()(job_id, request, folder, work, progress)

    monkeypatch.setattr(local_module, "_default_renderer", lambda: renderer)
    tools = Tools(ffmpeg="/opt/ffmpeg-9/ffmpeg", tts="espeak")
    engine = LocalProducer(store, state_prefix="_state/", region="cn-beijing", tools=tools)
    job_id = engine.submit(REQUEST, "token-1", None)
    engine.wait(5)
    assert seen["tools"] is tools and seen["keys"] == EngineKeys("_state/")
    assert seen["work"] == store.root / "_state" / "engine" / "work" / job_id
    key_for_url = seen["key_for_url"]
    assert key_for_url("https://any.oss-cn-beijing.aliyuncs.com/films/a.mp4") == "films/a.mp4"
    assert key_for_url("https://any.oss-cn-shanghai.aliyuncs.com/films/a.mp4") is None
    assert store.exists(f"_state/engine/{job_id}.json")
    assert not (store.root / ".highlights").exists()
    assert LocalProducer(store).tools == Tools.on_path()  # no tools given: what PATH offers
