"""The local engine's job mechanics (idempotency, state, callbacks, takeover), with a stand-in
renderer; the real renderer has its own tests under tests/integration/render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from highlights.ports import NotFound, PermanentError, SubmitRequest
from highlights.producers.local import STALE_AFTER, LocalProducer, OutputResult, RenderOutcome
from highlights.storage.local import LocalStore

REQUEST = SubmitRequest(
    input_config='{"MediaArray":["a"]}',
    output_config='{"MediaURL":"https://b.oss-cn-shanghai.aliyuncs.com/out/v_{index}.mp4","Count":2,"Width":128,"Height":128}',
    user_data={"HighlightsJobId": "night-1"},
)


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Renderer:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail

    def __call__(
        self, job_id: str, request: SubmitRequest, store: LocalStore, work: Path, progress: Any
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
    assert status.extra["timelines"] == [{"index": 1}]
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
