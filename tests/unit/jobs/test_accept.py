from __future__ import annotations

import dataclasses
import json
import threading

import pytest

from highlights.jobs.accept import accept
from highlights.jobs.identity import job_id_for
from highlights.jobs.observe import observe
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.reconcile import reconcile
from highlights.jobs.states import JobState
from highlights.ports import PermanentError, ServiceRefused, TransientError
from highlights.producers.fake import FakeProducer
from highlights.storage.memory import MemoryStore

from .conftest import Clock, keys, manifest, read_json, upload


def test_valid_manifest_is_submitted_once(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    ref = upload(store)
    outcome = accept(pipeline, ref)
    assert outcome.state is JobState.SUBMITTED and not outcome.duplicate
    [submission] = producer.submissions
    assert submission.client_token.startswith("hl-")
    assert submission.notify_url == f"https://cb.example.com/ice?job={outcome.job_id}"
    assert submission.user_data["HighlightsJobId"] == outcome.job_id
    assert submission.user_data["campaign"] == "test"
    assert json.loads(submission.request.output_config)["Count"] == 2
    record = pipeline.records.load(outcome.job_id)
    assert record.producer_job_id == producer.submissions[0].job_id
    assert keys(store, ".highlights/inflight/") == [record.marker]
    request = read_json(store, pipeline.request_key(outcome.job_id))
    assert request["notify_url"] == submission.notify_url
    assert request["user_data"] == submission.request.user_data
    assert request["input_config"] == submission.request.input_config


def test_the_same_event_three_times_is_one_job(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    ref = upload(store)
    outcomes = [accept(pipeline, ref) for _ in range(3)]
    assert [o.duplicate for o in outcomes] == [False, True, True]
    assert producer.submit_calls == 1
    assert keys(store, ".highlights/jobs/") == [f".highlights/jobs/{outcomes[0].job_id}.json"]


def test_concurrent_deliveries_are_one_job(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    ref = upload(store)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def deliver() -> None:
        barrier.wait()
        try:
            accept(pipeline, ref)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(producer.submissions) == 1
    assert len(keys(store, ".highlights/jobs/")) == 1
    assert len(keys(store, ".highlights/inflight/")) == 1


def test_a_changed_manifest_is_a_new_job(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    first = accept(pipeline, upload(store))
    doc = manifest(UserData={"campaign": "v2"})
    doc["OutputConfig"]["MediaURL"] = doc["OutputConfig"]["MediaURL"].replace("night", "v2")
    second = accept(pipeline, upload(store, doc=doc))
    assert first.job_id != second.job_id
    assert len(producer.submissions) == 2  # other outputs: nothing to wait for


def test_invalid_manifest_is_rejected_with_a_report(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    doc = manifest()
    doc["OutputConfig"]["Count"] = 0
    doc["InputConfig"]["ScripText"] = "typo"
    outcome = accept(pipeline, upload(store, "manifests/team/bad.json", doc))
    assert outcome.state is JobState.REJECTED
    assert producer.submit_calls == 0
    report = read_json(store, ".highlights/rejected/manifests/team/bad.json.errors.json")
    assert report["kind"] == "highlights.rejection"
    assert {e["path"] for e in report["errors"]} == {"OutputConfig.Count", "InputConfig.ScripText"}
    assert keys(store, ".highlights/inflight/") == []
    assert (
        pipeline.records.load(outcome.job_id).result_key
        == ".highlights/rejected/manifests/team/bad.json.errors.json"
    )


def test_syntax_error_report_has_line_and_column(pipeline: Pipeline, store: MemoryStore) -> None:
    outcome = accept(pipeline, upload(store, doc=b'{\n  "InputConfig": {\n}'))
    assert outcome.state is JobState.REJECTED
    [error] = read_json(store, ".highlights/rejected/manifests/night.json.errors.json")["errors"]
    assert error["line"] == 3


def test_transient_submit_error_raises_and_leaves_received(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    ref = upload(store)
    producer.fail_next_submit(TransientError("throttled", code="Throttling.User"))
    with pytest.raises(TransientError):
        accept(pipeline, ref)
    record = pipeline.records.load(job_id_for(ref))
    assert record.state is JobState.RECEIVED
    assert len(keys(store, ".highlights/inflight/")) == 1
    assert accept(pipeline, ref).state is JobState.SUBMITTED  # Function Compute's retry
    assert len(producer.submissions) == 1


def test_lost_submit_answer_reuses_the_token(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    ref = upload(store)
    producer.fail_next_submit(TransientError("read timeout", code="Timeout"), after_accept=True)
    with pytest.raises(TransientError):
        accept(pipeline, ref)
    assert accept(pipeline, ref).state is JobState.SUBMITTED
    assert len(producer.submissions) == 1
    assert producer.submit_calls == 2


def test_resubmission_sends_the_stored_request_byte_for_byte(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    """A lost answer, then a redeploy with another callback URL and key: the job's resubmission
    still sends what ICE already has, so ICE answers with that job, not a mismatch."""
    ref = upload(store)
    producer.fail_next_submit(TransientError("read timeout", code="Timeout"), after_accept=True)
    with pytest.raises(TransientError):
        accept(pipeline, ref)
    first = producer.submissions[0]
    redeployed = dataclasses.replace(
        pipeline, callback_url="https://new.example.com/cb", callback_keys=("Rotated9x",)
    )
    assert accept(redeployed, ref).state is JobState.SUBMITTED
    assert len(producer.submissions) == 1  # ICE's idempotency: no mismatch, no second job
    assert producer.submit_calls == 2
    assert producer.last_submit == (first.request, first.client_token, first.notify_url)


def test_a_refused_caller_leaves_the_job_received_without_raising(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, clock: Clock
) -> None:
    ref = upload(store)
    producer.fail_next_submit(ServiceRefused("denied", code="Forbidden.RAM"))
    outcome = accept(pipeline, ref)
    assert outcome.state is JobState.RECEIVED
    assert keys(store, ".highlights/rejected/") == []
    assert producer.submissions == []
    clock.advance(pipeline.received_lease + 1)
    tick = reconcile(pipeline)
    assert tick.resubmitted == 1
    assert pipeline.records.load(outcome.job_id).state is JobState.SUBMITTED


def test_permanent_submit_error_fails_with_a_result(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    producer.fail_next_submit(PermanentError("a bad request", code="InvalidParameter.InputConfig"))
    outcome = accept(pipeline, upload(store))
    assert outcome.state is JobState.FAILED
    result = read_json(store, "out/night/night.result.json")
    assert result["job"]["state"] == "FAILED"
    assert result["job"]["error"] == {
        "code": "InvalidParameter.InputConfig",
        "message": "a bad request",
    }
    assert result["summary"] == {"requested": 2, "succeeded": 0, "failed": 2}
    assert keys(store, ".highlights/inflight/") == []


def test_deleted_manifest_is_rejected(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    ref = upload(store)
    store.delete(ref.key)
    assert accept(pipeline, ref).state is JobState.REJECTED
    assert producer.submit_calls == 0


def test_replaced_manifest_is_not_submitted_under_the_old_version(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    old = upload(store)
    upload(store, doc=manifest(UserData={"v": 2}))
    outcome = accept(pipeline, old)
    assert outcome.state is JobState.REJECTED
    report = read_json(store, ".highlights/rejected/manifests/night.json.errors.json")
    assert "replaced" in report["errors"][0]["message"]
    assert producer.submit_calls == 0


def test_a_manifest_over_the_size_cap_is_rejected_without_being_read(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline.max_manifest_bytes = 1000
    ref = upload(store, doc=json.dumps(manifest(Padding="x" * 5000)).encode())
    reads: list[str] = []
    real_get = store.get
    monkeypatch.setattr(store, "get", lambda key: reads.append(key) or real_get(key))
    outcome = accept(pipeline, ref)
    assert outcome.state is JobState.REJECTED
    assert ref.key not in reads
    [problem] = read_json(store, ".highlights/rejected/manifests/night.json.errors.json")["errors"]
    assert problem["path"] == "$" and "1,000" in problem["message"]
    assert "HIGHLIGHTS_MAX_MANIFEST_BYTES" in problem["message"]
    assert producer.submit_calls == 0


def test_if_validation_ever_raises_the_job_is_rejected_not_stuck(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("highlights.jobs.accept.validate_manifest", explode)
    outcome = accept(pipeline, upload(store))
    assert outcome.state is JobState.REJECTED
    [problem] = read_json(store, ".highlights/rejected/manifests/night.json.errors.json")["errors"]
    assert "RecursionError" in problem["message"]
    assert keys(store, ".highlights/inflight/") == []


@pytest.mark.parametrize(
    "media_url",
    [
        "https://films.oss-cn-shanghai.aliyuncs.com/out//night/h_{index}.mp4",
        "https://films.oss-cn-shanghai.aliyuncs.com/.highlights/jobs/h_{index}.mp4",
        "https://films.oss-cn-shanghai.aliyuncs.com/manifests/h_{index}.mp4",
    ],
    ids=["empty-segment", "state-prefix", "inbox"],
)
def test_a_result_the_store_refuses_beside_the_videos_lands_under_the_state_prefix(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, media_url: str
) -> None:
    """Validation refuses such outputs; were one to get through, the job must still end."""
    job_id = accept(pipeline, upload(store)).job_id
    request = pipeline.stored_request(job_id)
    assert request is not None
    output = {**json.loads(request.output_config), "MediaURL": media_url}
    changed = request.model_copy(update={"output_config": json.dumps(output)})
    store.put(pipeline.request_key(job_id), changed.encode())
    producer.advance(producer.submissions[0].job_id)
    record = observe(pipeline, job_id)
    assert record is not None and record.state is JobState.SUCCEEDED
    assert record.result_key == f".highlights/results/{job_id}.result.json"
    assert read_json(store, record.result_key)["job"]["state"] == "SUCCEEDED"


def test_newest_version_wins_and_waits_for_the_older_one_rendering_the_same_outputs(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, clock: Clock
) -> None:
    """ICE cannot be stopped: v2 waits for v1 (same outputs), v1's result goes aside, v2's lands
    next to the videos."""
    v1 = accept(pipeline, upload(store)).job_id
    clock.advance(5)
    v2 = accept(pipeline, upload(store, doc=manifest(UserData={"v": 2}))).job_id
    assert pipeline.records.load(v2).state is JobState.RECEIVED  # waiting
    assert len(producer.submissions) == 1
    producer.advance(producer.submissions[0].job_id)
    for _ in range(6):
        clock.advance(pipeline.poll_max)
        reconcile(pipeline)
        if len(producer.submissions) == 2:
            producer.advance(producer.submissions[1].job_id)
    first, second = pipeline.records.load(v1), pipeline.records.load(v2)
    assert first.state is JobState.SUPERSEDED and first.error is not None
    assert v2 in first.error.message
    assert first.result_key == f".highlights/results/{v1}.result.json"
    assert second.state is JobState.SUCCEEDED
    assert read_json(store, "out/night/night.result.json")["job"]["id"] == v2
    # v2 was submitted only once v1 had ended
    assert producer.submissions[1].request.user_data["v"] == 2


def test_an_older_version_not_yet_submitted_is_never_submitted(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, clock: Clock
) -> None:
    producer.fail_next_submit(TransientError("throttled", code="Throttling.User"))
    ref1 = upload(store)
    with pytest.raises(TransientError):
        accept(pipeline, ref1)  # v1 validated and claimed, its submit failed
    clock.advance(5)
    v2 = accept(pipeline, upload(store, doc=manifest(UserData={"v": 2}))).job_id
    # v1 may be mid-submit somewhere: v2 waits until v1 has ended, which it does unsubmitted
    assert pipeline.records.load(v2).state is JobState.RECEIVED
    for _ in range(4):
        clock.advance(pipeline.poll_max)
        reconcile(pipeline)
    assert pipeline.records.load(job_id_for(ref1)).state is JobState.SUPERSEDED
    assert pipeline.records.load(v2).state in (
        JobState.SUBMITTED,
        JobState.PROCESSING,
        JobState.SUCCEEDED,
    )
    assert len(producer.submissions) == 1 and producer.submissions[0].request.user_data["v"] == 2


def test_two_versions_handled_at_once_never_lose_each_others_claim(
    pipeline: Pipeline,
    store: MemoryStore,
    producer: FakeProducer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """v2 is uploaded, accepted and submitted while v1 is being validated (two instances at
    once): v1's claim lands after v2's and v1 ends unsubmitted."""
    from highlights.jobs import accept as accept_module

    real_validate = accept_module.validate_manifest
    v2: list[str] = []
    arrived = False

    def validate_while_v2_arrives(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        nonlocal arrived
        if not arrived:
            arrived = True
            clock.advance(2)
            v2.append(accept(pipeline, upload(store, doc=manifest(UserData={"v": 2}))).job_id)
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(accept_module, "validate_manifest", validate_while_v2_arrives)
    v1 = accept(pipeline, upload(store)).job_id
    assert pipeline.records.load(v1).state is JobState.SUPERSEDED
    assert pipeline.records.load(v2[0]).state is JobState.SUBMITTED
    assert len(producer.submissions) == 1 and producer.submissions[0].request.user_data["v"] == 2


def test_uploads_in_the_same_second_are_ordered_by_acceptance(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, clock: Clock
) -> None:
    v1 = accept(pipeline, upload(store)).job_id
    clock.advance(0.3)  # the same second on OSS's clock
    v2 = accept(pipeline, upload(store, doc=manifest(UserData={"v": 2}))).job_id
    from highlights.jobs import versions

    assert [v.job_id for v in versions.versions(pipeline, "manifests/night.json")] == [v1, v2]
    assert versions.superseded_by(pipeline, pipeline.records.load(v1)) == v2


def test_a_producer_that_can_stop_a_job_is_told_to(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, clock: Clock
) -> None:
    cancelled: list[str] = []
    producer.cancel = cancelled.append  # type: ignore[attr-defined]
    accept(pipeline, upload(store))
    clock.advance(5)
    v2 = accept(pipeline, upload(store, doc=manifest(UserData={"v": 2}))).job_id
    assert cancelled == [producer.submissions[0].job_id]
    assert pipeline.records.load(v2).state is JobState.SUBMITTED  # no need to wait


def test_putting_an_earlier_version_back_makes_it_the_newest(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer, clock: Clock
) -> None:
    """A, then B, then A again: the last upload stands, though its bytes (and ETag) are A's."""
    a = accept(pipeline, upload(store)).job_id
    producer.advance(producer.submissions[0].job_id)
    reconcile(pipeline)
    clock.advance(pipeline.poll_max)
    reconcile(pipeline)
    assert pipeline.records.load(a).state is JobState.SUCCEEDED
    clock.advance(5)
    b = accept(pipeline, upload(store, doc=manifest(UserData={"v": "B"}))).job_id
    clock.advance(5)
    ref = upload(store)
    again = accept(pipeline, ref)
    assert again.job_id not in (a, b) and not again.duplicate
    assert pipeline.records.load(again.job_id).manifest.attempt == 1
    assert accept(pipeline, ref).job_id == again.job_id  # the event delivered twice: one job
    from highlights.jobs import versions

    newest = [v.job_id for v in versions.versions(pipeline, "manifests/night.json")][-1]
    assert newest == again.job_id
    assert versions.superseded_by(pipeline, pipeline.records.load(b)) == again.job_id


def test_an_invalid_manifest_with_a_name_near_the_limits_is_rejected_at_once(
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
) -> None:
    key = "manifests/" + "p" * 250 + ".json"  # a legal key whose report key would not be
    outcome = accept(pipeline, upload(store, key, doc={"InputConfig": 1}))
    assert outcome.state is JobState.REJECTED
    record = pipeline.records.load(outcome.job_id)
    assert record.result_key == f".highlights/rejected/{outcome.job_id}.errors.json"
    assert read_json(store, record.result_key)["errors"]
