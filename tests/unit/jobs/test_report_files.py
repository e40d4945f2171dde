"""The report page lands beside every result and rejection, under the same fallback rules, and
never keeps a job from ending."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from highlights.jobs.accept import accept
from highlights.jobs.observe import observe
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.report_files import report_key
from highlights.jobs.states import JobState
from highlights.pages import result as result_pages
from highlights.ports import StoredObject, TransientError, UnsafeKey
from highlights.producers.fake import FakeProducer, plan_partial
from highlights.storage.memory import MemoryStore

from .conftest import keys, manifest, upload


def run_to_end(pipeline: Pipeline, job_id: str) -> None:
    for _ in range(5):
        record = observe(pipeline, job_id)
        if record is not None and record.state.terminal:
            return
    raise AssertionError("the job did not end")


def test_a_result_gets_its_page_beside_it(pipeline: Pipeline, store: MemoryStore) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    run_to_end(pipeline, job_id)
    page = store.get("out/night/night.report.html").decode()
    assert "SUCCEEDED" in page and job_id in page
    # ICE's outputs play from their URL
    assert "src='https://films.oss-cn-shanghai.aliyuncs.com/out/night/h_1.mp4'" in page


def test_a_partial_result_page_names_the_failed_output(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    producer.script_next(plan_partial({2: ("InvalidMedia", "cannot decode")}, processing_steps=0))
    job_id = accept(pipeline, upload(store)).job_id
    run_to_end(pipeline, job_id)
    page = store.get("out/night/night.report.html").decode()
    assert "PARTIAL" in page and "InvalidMedia" in page and "cannot decode" in page


def test_a_rejection_gets_its_page_with_the_manifests_lines(
    pipeline: Pipeline, store: MemoryStore
) -> None:
    doc = manifest()
    doc["OutputConfig"]["Count"] = 0
    accept(pipeline, upload(store, "manifests/team/bad.json", doc))
    page = store.get(".highlights/rejected/manifests/team/bad.json.report.html").decode()
    assert "OutputConfig.Count" in page and "class=bad" in page
    assert "&quot;Count&quot;: 0" in page  # the manifest's own line, escaped


def test_where_pages_go() -> None:
    assert report_key("out/night.result.json") == "out/night.report.html"
    assert report_key(".highlights/rejected/m/x.json.errors.json") == (
        ".highlights/rejected/m/x.json.report.html"
    )
    assert len(report_key("a/b.result.json")) == len("a/b.result.json")


class Refusing(MemoryStore):
    """A store that refuses HTML outside the state prefix (as a folder store refuses a key
    where it holds a folder)."""

    def put(self, key: str, data: bytes, **kwargs: Any) -> StoredObject:
        if key.endswith(".html") and not key.startswith(".highlights/"):
            raise UnsafeKey(key)
        return super().put(key, data, **kwargs)


def test_a_refused_place_falls_back_with_the_results(producer: FakeProducer) -> None:
    store = Refusing("films")
    pipeline = Pipeline(store=store, producer=producer, region="cn-shanghai")
    job_id = accept(pipeline, upload(store)).job_id
    run_to_end(pipeline, job_id)
    assert store.exists("out/night/night.result.json")
    assert keys(store, ".highlights/results/") == [f".highlights/results/{job_id}.report.html"]


def test_a_page_that_cannot_be_built_never_keeps_a_job_from_ending(
    pipeline: Pipeline,
    store: MemoryStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("a bug in the page")

    monkeypatch.setattr(result_pages, "result_page", broken)
    job_id = accept(pipeline, upload(store)).job_id
    with caplog.at_level(logging.ERROR):
        run_to_end(pipeline, job_id)
    assert pipeline.records.load(job_id).state is JobState.SUCCEEDED
    assert not store.exists("out/night/night.report.html")
    assert "report page not written" in caplog.text


def test_a_store_down_for_now_fails_the_step_and_its_replay_writes_both(
    pipeline: Pipeline, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    while pipeline.records.load(job_id).state is not JobState.PROCESSING:
        observe(pipeline, job_id)
    real = store.put
    failures = [1]

    def flaky(key: str, data: bytes, **kwargs: Any) -> StoredObject:
        if key.endswith(".report.html") and failures:
            failures.pop()
            raise TransientError("store busy")
        return real(key, data, **kwargs)

    monkeypatch.setattr(store, "put", flaky)
    with pytest.raises(TransientError):
        observe(pipeline, job_id)
    assert pipeline.records.load(job_id).state is JobState.PROCESSING
    run_to_end(pipeline, job_id)
    assert store.exists("out/night/night.report.html")
    assert pipeline.records.load(job_id).state is JobState.SUCCEEDED
