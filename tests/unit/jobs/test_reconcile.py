from __future__ import annotations

import contextlib
import itertools
import json

from highlights.jobs.accept import accept
from highlights.jobs.identity import job_id_for
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.reconcile import reconcile
from highlights.jobs.states import JobState
from highlights.ports import TransientError
from highlights.producers.fake import FakeProducer, plan_stuck
from highlights.storage.local import LocalStore

from .conftest import Clock, keys, manifest, read_json, upload


def run_until_quiet(pipeline: Pipeline, clock: Clock, ticks: int = 20) -> None:
    for _ in range(ticks):
        clock.advance(pipeline.poll_max)
        reconcile(pipeline)


def test_a_lost_callback_the_timer_alone_finishes_the_job(
    pipeline: Pipeline, store: LocalStore, clock: Clock
) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    assert reconcile(pipeline).due == 0  # nothing is due yet
    clock.advance(31)
    tick = reconcile(pipeline)
    assert tick.due == 1 and tick.observed == 1
    run_until_quiet(pipeline, clock)
    assert pipeline.records.load(job_id).state is JobState.SUCCEEDED
    assert read_json(store, "out/night/night.result.json")["job"]["state"] == "SUCCEEDED"
    assert keys(store, ".highlights/inflight/") == []


def test_polls_back_off(
    pipeline: Pipeline, store: LocalStore, clock: Clock, producer: FakeProducer
) -> None:
    producer.script_next(plan_stuck())
    job_id = accept(pipeline, upload(store)).job_id
    start = clock.now
    dues = []
    for _ in range(7):
        [marker] = keys(store, ".highlights/inflight/")
        due, _ = pipeline.layout.parse_inflight(marker)  # type: ignore[misc]
        dues.append(due - start)
        clock.now = due
        reconcile(pipeline)
    gaps = [b - a for a, b in itertools.pairwise(dues)]
    assert gaps[0] == 30 and gaps == sorted(gaps) and gaps[-1] == 600
    assert pipeline.records.load(job_id).polls == 7


def test_stuck_received_job_is_resubmitted_with_the_same_token(
    pipeline: Pipeline, store: LocalStore, clock: Clock, producer: FakeProducer
) -> None:
    ref = upload(store)
    producer.fail_next_submit(TransientError("throttled", code="Throttling.User"), times=5)
    for _ in range(5):
        with contextlib.suppress(TransientError):
            accept(pipeline, ref)
    assert pipeline.records.load(job_id_for(ref)).state is JobState.RECEIVED
    clock.advance(pipeline.received_lease + 1)
    tick = reconcile(pipeline)
    assert tick.resubmitted == 1
    assert pipeline.records.load(job_id_for(ref)).state is JobState.SUBMITTED
    assert len(producer.submissions) == 1


def test_throttled_reconcile_defers_instead_of_spinning(
    pipeline: Pipeline, store: LocalStore, clock: Clock, producer: FakeProducer
) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    producer.fail_next_get(TransientError("throttled", code="Throttling.User"))
    clock.advance(31)
    tick = reconcile(pipeline)
    assert tick.deferred == 1
    [marker] = keys(store, ".highlights/inflight/")
    assert pipeline.layout.parse_inflight(marker)[0] > clock.now  # type: ignore[index]
    assert pipeline.records.load(job_id).state is JobState.SUBMITTED


def test_job_past_the_maximum_age_times_out(
    pipeline: Pipeline, store: LocalStore, clock: Clock, producer: FakeProducer
) -> None:
    producer.script_next(plan_stuck())
    job_id = accept(pipeline, upload(store)).job_id
    clock.advance(pipeline.max_job_age + 1)
    tick = reconcile(pipeline)
    assert tick.timed_out == 1
    assert pipeline.records.load(job_id).state is JobState.TIMED_OUT
    result = read_json(store, "out/night/night.result.json")
    assert result["job"]["state"] == "TIMED_OUT" and result["job"]["error"]["code"] == "TimedOut"
    assert keys(store, ".highlights/inflight/") == []


def test_sweep_accepts_manifests_whose_events_were_lost(
    pipeline: Pipeline, store: LocalStore, producer: FakeProducer
) -> None:
    pipeline.sweep_page = 2
    for i in range(5):
        upload(store, f"manifests/lost-{i}.json", manifest(UserData={"i": i}))
    store.put("manifests/readme.txt", b"not a manifest")
    accepted = [reconcile(pipeline).accepted for _ in range(4)]
    assert sum(accepted) == 5 and max(accepted) <= 2
    assert len(producer.submissions) == 5
    assert reconcile(pipeline).accepted == 0  # a full lap later: nothing new
    assert json.loads(store.get(pipeline.layout.cursor))["after"] in (
        "",
        "manifests/lost-1.json",
        "manifests/lost-3.json",
    )


def test_a_tick_does_bounded_work(
    pipeline: Pipeline, store: LocalStore, clock: Clock, producer: FakeProducer
) -> None:
    pipeline.reconcile_batch = 3
    for i in range(7):
        accept(pipeline, upload(store, f"manifests/m{i}.json", manifest(UserData={"i": i})))
    clock.advance(31)
    assert reconcile(pipeline).due == 3
    assert reconcile(pipeline).due == 3
    assert reconcile(pipeline).due == 1


def test_one_broken_job_does_not_block_the_others(
    pipeline: Pipeline, store: LocalStore, clock: Clock, producer: FakeProducer
) -> None:
    first = accept(pipeline, upload(store, "manifests/a.json")).job_id
    second = accept(pipeline, upload(store, "manifests/b.json")).job_id
    store.put(pipeline.layout.record(first), b"{ corrupt")
    run_until_quiet(pipeline, clock)
    assert pipeline.records.load(second).state is JobState.SUCCEEDED
    assert len(keys(store, ".highlights/inflight/")) == 1  # the broken one waits for a person


def test_stale_markers_are_cleaned(pipeline: Pipeline, store: LocalStore, clock: Clock) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    record = pipeline.records.load(job_id)
    extra = pipeline.put_marker(record.manifest.ref(), job_id, clock.now - 5)
    tick = reconcile(pipeline)
    assert tick.stale_markers == 1
    assert extra not in keys(store, ".highlights/inflight/")
