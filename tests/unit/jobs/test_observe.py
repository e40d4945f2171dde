from __future__ import annotations

import logging

import pytest

from highlights.jobs.accept import accept
from highlights.jobs.observe import observe
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.states import JobState
from highlights.ports import JobStatus, NotFound, PermanentError, ServiceRefused, TransientError
from highlights.producers.fake import FakeProducer, plan_failed, plan_partial, plan_steps
from highlights.storage.memory import MemoryStore

from .conftest import Clock, keys, read_json, upload


def test_job_moves_to_processing_then_succeeds(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, clock: Clock
) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    assert observe(pipeline, job_id).state is JobState.SUBMITTED  # type: ignore[union-attr]  # Init
    record = observe(pipeline, job_id)
    assert record is not None and record.state is JobState.PROCESSING
    [marker] = keys(store, ".highlights/inflight/")
    assert marker == record.marker
    record = observe(pipeline, job_id)
    assert record is not None and record.state is JobState.SUCCEEDED
    assert keys(store, ".highlights/inflight/") == []
    result = read_json(store, "out/night/night.result.json")
    assert result["kind"] == "highlights.result" and result["version"] == 1
    assert result["job"]["state"] == "SUCCEEDED"
    assert result["job"]["ice_job_id"] == record.producer_job_id
    assert [o["index"] for o in result["outputs"]] == [1, 2]
    assert result["outputs"][0]["media_url"].endswith("/out/night/h_1.mp4")
    assert result["summary"] == {"requested": 2, "succeeded": 2, "failed": 0}
    assert result["request"]["OutputConfig"]["Count"] == 2
    assert result["request"]["UserData"]["HighlightsJobId"] == job_id


def test_partial_result_carries_each_sub_job_error(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    producer.script_next(
        plan_partial({2: ("InvalidMedia", "the source cannot be decoded")}, processing_steps=0)
    )
    job_id = accept(pipeline, upload(store)).job_id
    observe(pipeline, job_id)
    record = observe(pipeline, job_id)
    assert record is not None and record.state is JobState.PARTIAL
    result = read_json(store, "out/night/night.result.json")
    failed = [o for o in result["outputs"] if o["status"] == "Failed"]
    assert failed == [
        {
            "index": 2,
            "status": "Failed",
            "error_code": "InvalidMedia",
            "error_message": "the source cannot be decoded",
        }
    ]
    assert result["summary"] == {"requested": 2, "succeeded": 1, "failed": 1}


def test_failed_result_carries_the_errors(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    producer.script_next(
        plan_failed("MaterialTooShort", "the films are too short", processing_steps=0)
    )
    job_id = accept(pipeline, upload(store)).job_id
    observe(pipeline, job_id)
    record = observe(pipeline, job_id)
    assert record is not None and record.state is JobState.FAILED
    result = read_json(store, "out/night/night.result.json")
    assert result["job"]["error"]["code"] == "MaterialTooShort"
    assert {o["error_code"] for o in result["outputs"]} == {"MaterialTooShort"}


def test_observing_a_finished_job_again_changes_nothing(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    producer.advance(producer.submissions[0].job_id)
    observe(pipeline, job_id)
    before = store.get("out/night/night.result.json")
    calls = producer.get_calls
    record = observe(pipeline, job_id)
    assert record is not None and record.state is JobState.SUCCEEDED
    assert producer.get_calls == calls
    assert store.get("out/night/night.result.json") == before


def test_unknown_job_is_none(pipeline: Pipeline) -> None:
    assert observe(pipeline, "nobody-123") is None


def test_backoff_grows_and_is_capped(pipeline: Pipeline) -> None:
    delays = [pipeline.poll_delay(n) for n in range(8)]
    assert delays[0] == 30 and delays == sorted(delays) and delays[-1] == 600


def test_result_and_rejection_match_their_schemas(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    import json
    from pathlib import Path

    import jsonschema

    schemas = Path(__file__).resolve().parents[3] / "schema"
    job_id = accept(pipeline, upload(store)).job_id
    producer.advance(producer.submissions[0].job_id)
    observe(pipeline, job_id)
    result = read_json(store, "out/night/night.result.json")
    jsonschema.validate(result, json.loads((schemas / "result.schema.json").read_text()))
    accept(pipeline, upload(store, "manifests/bad.json", {"InputConfig": {}}))
    report = read_json(store, ".highlights/rejected/manifests/bad.json.errors.json")
    jsonschema.validate(report, json.loads((schemas / "rejection.schema.json").read_text()))


@pytest.mark.parametrize(
    "error",
    [
        ServiceRefused("denied", code="Forbidden.RAM"),
        ServiceRefused("expired", code="InvalidSecurityToken.Expired"),
        TransientError("slow", code="Timeout"),
    ],
)
def test_a_refused_or_slow_read_never_ends_the_job(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, error: Exception
) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    producer.fail_next_get(error)
    with pytest.raises(type(error)):
        observe(pipeline, job_id)
    record = pipeline.records.load(job_id)
    assert record.state is JobState.SUBMITTED and not record.result_key


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFound("no such job"), "JobNotFound"),
        (PermanentError("bad", code="InvalidParameter.JobId"), "InvalidParameter.JobId"),
    ],
)
def test_what_is_wrong_with_the_job_itself_ends_it(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, error: Exception, code: str
) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    producer.fail_next_get(error)
    record = observe(pipeline, job_id)
    assert record is not None and record.state is JobState.FAILED
    assert record.error is not None and record.error.code == code


def test_an_undocumented_status_is_in_progress_and_logged_once(
    pipeline: Pipeline,
    store: MemoryStore,
    producer: FakeProducer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    odd = JobStatus("", "Processing", raw_status="Queuing")
    producer.script_next(plan_steps(odd, odd, odd, JobStatus("", "Finished")))
    job_id = accept(pipeline, upload(store)).job_id
    caplog.set_level(logging.WARNING)
    for _ in range(3):
        record = observe(pipeline, job_id)
        assert record is not None and record.state is JobState.PROCESSING
    warnings = [r for r in caplog.records if "unknown batch status" in r.getMessage()]
    assert len(warnings) == 1 and "Queuing" in warnings[0].getMessage()
    assert pipeline.records.load(job_id).producer_status == "Queuing"
