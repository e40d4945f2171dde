from __future__ import annotations

import contextlib
import itertools
import json
import logging

import pytest

from highlights import budget
from highlights.jobs.accept import accept
from highlights.jobs.identity import job_id_for
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.reconcile import MAX_FAILURES, reconcile
from highlights.jobs.states import JobState
from highlights.ports import ServiceRefused, TransientError
from highlights.producers.fake import FakeProducer, plan_stuck
from highlights.storage.memory import MemoryStore

from .conftest import Clock, keys, manifest, read_json, upload


def run_until_quiet(pipeline: Pipeline, clock: Clock, ticks: int = 20) -> None:
    for _ in range(ticks):
        clock.advance(pipeline.poll_max)
        reconcile(pipeline)


def test_a_lost_callback_the_timer_alone_finishes_the_job(
    pipeline: Pipeline, store: MemoryStore, clock: Clock
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
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
) -> None:
    producer.script_next(plan_stuck())
    job_id = accept(pipeline, upload(store)).job_id
    start = clock.now
    dues = []
    for _ in range(7):
        [marker] = keys(store, ".highlights/inflight/")
        due = pipeline.layout.parse_inflight(marker).due  # type: ignore[union-attr]
        dues.append(due - start)
        clock.now = due
        reconcile(pipeline)
    gaps = [b - a for a, b in itertools.pairwise(dues)]
    assert gaps[0] == 30 and gaps == sorted(gaps) and gaps[-1] == 600
    assert pipeline.records.load(job_id).polls == 7


def test_stuck_received_job_is_resubmitted_with_the_same_token(
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
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
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
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
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
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
    pipeline: Pipeline, store: MemoryStore, producer: FakeProducer
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
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
) -> None:
    pipeline.reconcile_batch = 3
    for i in range(7):
        accept(pipeline, upload(store, f"manifests/m{i}.json", manifest(UserData={"i": i})))
    clock.advance(31)
    assert reconcile(pipeline).due == 3
    assert reconcile(pipeline).due == 3
    assert reconcile(pipeline).due == 1


def test_one_broken_job_does_not_block_the_others(
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
) -> None:
    first = accept(pipeline, upload(store, "manifests/a.json")).job_id
    second = accept(pipeline, upload(store, "manifests/b.json")).job_id
    store.put(pipeline.layout.record(first), b"{ corrupt")
    run_until_quiet(pipeline, clock)
    assert pipeline.records.load(second).state is JobState.SUCCEEDED
    # the broken one waits for a person, out of the queue: no tick spends itself on it again
    assert keys(store, ".highlights/inflight/") == []
    [aside] = keys(store, ".highlights/set-aside/")
    assert first in aside and "ValidationError" in read_json(store, aside)["error"]


def poison(producer: FakeProducer, pipeline: Pipeline, *job_ids: str) -> None:
    """Reading these jobs raises an unexpected error, every time."""
    ice_ids = {pipeline.records.load(j).producer_job_id for j in job_ids}
    original_get = producer.get

    def get(job_id: str):  # type: ignore[no-untyped-def]
        if job_id in ice_ids:
            raise RuntimeError("a bug")
        return original_get(job_id)

    producer.get = get  # type: ignore[method-assign]


def test_a_job_that_keeps_failing_backs_off_then_ends_failed_internal(
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
) -> None:
    poisoned = accept(pipeline, upload(store, "manifests/a.json")).job_id
    good = accept(pipeline, upload(store, "manifests/b.json")).job_id
    poison(producer, pipeline, poisoned)
    ticks = []
    for _ in range(12):
        clock.advance(pipeline.poll_max)
        ticks.append(reconcile(pipeline))
    assert pipeline.records.load(good).state is JobState.SUCCEEDED
    record = pipeline.records.load(poisoned)
    assert record.state is JobState.FAILED and record.error is not None
    assert record.error.code == "Internal" and "RuntimeError: a bug" in record.error.message
    assert sum(t.failed for t in ticks) == MAX_FAILURES
    assert sum(t.poisoned for t in ticks) == 1
    assert read_json(store, "out/night/a.result.json")["job"]["state"] == "FAILED"
    assert keys(store, ".highlights/inflight/") == []


def test_failing_jobs_back_off_so_a_good_one_behind_120_of_them_is_served(
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
) -> None:
    """A tick takes the oldest due jobs; failing ones move later and stop crowding it."""
    pipeline.reconcile_batch = 100
    bad = [accept(pipeline, upload(store, f"manifests/bad{i}.json")).job_id for i in range(120)]
    clock.advance(1)
    good = accept(pipeline, upload(store, "manifests/good.json")).job_id
    producer.advance(pipeline.records.load(good).producer_job_id or "")
    poison(producer, pipeline, *bad)
    clock.advance(31)
    first = reconcile(pipeline)
    assert (first.due, first.failed) == (100, 100)  # the hundred oldest fill the tick
    second = reconcile(pipeline)
    assert second.failed == 20 and second.observed == 1  # they backed off: the good one is next
    assert pipeline.records.load(good).state is JobState.SUCCEEDED
    run_until_quiet(pipeline, clock)
    states = {pipeline.records.load(j).state for j in bad}
    assert states == {JobState.FAILED}
    assert read_json(store, "out/night/bad7.result.json")["job"]["error"]["code"] == "Internal"


def test_stale_markers_are_cleaned(pipeline: Pipeline, store: MemoryStore, clock: Clock) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    record = pipeline.records.load(job_id)
    extra = pipeline.put_marker(record.manifest.ref(), job_id, clock.now - 5)
    tick = reconcile(pipeline)
    assert tick.stale_markers == 1
    assert extra not in keys(store, ".highlights/inflight/")


def test_refusals_wait_with_back_off_and_one_error_line_per_tick(
    pipeline: Pipeline,
    store: MemoryStore,
    clock: Clock,
    producer: FakeProducer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    jobs = [accept(pipeline, upload(store, f"manifests/m{i}.json")).job_id for i in range(3)]
    producer.fail_next_get(ServiceRefused("denied", code="Forbidden.RAM"), times=3)
    clock.advance(31)
    caplog.set_level(logging.INFO)
    tick = reconcile(pipeline)
    assert (tick.due, tick.refused, tick.failed) == (3, 3, 0)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "Forbidden.RAM" in errors[0].getMessage()
    assert "3 job(s)" in errors[0].getMessage()
    for job_id in jobs:
        record = pipeline.records.load(job_id)
        assert record.state is JobState.SUBMITTED and record.polls == 1  # backed off
    assert reconcile(pipeline).due == 0  # not due again at once
    run_until_quiet(pipeline, clock)
    assert {pipeline.records.load(j).state for j in jobs} == {JobState.SUCCEEDED}


def test_a_doorbell_makes_the_job_due_at_once_and_goes(
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    producer.advance(producer.submissions[0].job_id)
    bell = pipeline.ring(job_id)
    assert bell.endswith(".bell")
    tick = reconcile(pipeline)  # the job's own marker is not due for 30 s
    assert (tick.doorbells, tick.observed) == (1, 1)
    assert pipeline.records.load(job_id).state is JobState.SUCCEEDED
    assert keys(store, ".highlights/inflight/") == []
    pipeline.ring(job_id)  # a late callback for a finished job: the bell just goes
    assert reconcile(pipeline).doorbells == 1
    assert keys(store, ".highlights/inflight/") == []
    pipeline.ring("ghost-000000000000")
    assert reconcile(pipeline).doorbells == 1
    assert keys(store, ".highlights/inflight/") == []


def test_a_doorbell_whose_read_fails_leaves_the_job_on_its_back_off(
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
) -> None:
    job_id = accept(pipeline, upload(store)).job_id
    pipeline.ring(job_id)
    producer.fail_next_get(TransientError("slow", code="Timeout"))
    tick = reconcile(pipeline)
    assert (tick.doorbells, tick.deferred) == (1, 1)
    [marker] = keys(store, ".highlights/inflight/")
    assert not marker.endswith(".bell")
    assert pipeline.records.load(job_id).marker == marker


def test_a_tick_stops_taking_work_when_its_budget_is_spent(
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
) -> None:
    for i in range(5):
        accept(pipeline, upload(store, f"manifests/m{i}.json"))
    clock.advance(31)
    spent = [0.0]

    def fake_monotonic() -> float:
        return spent[0]

    original_get = producer.get

    def slow_get(job_id: str):  # type: ignore[no-untyped-def]
        spent[0] += 3.5  # each read takes 3.5 s of the tick's budget
        return original_get(job_id)

    producer.get = slow_get  # type: ignore[method-assign]
    with budget.budget(10.0, clock=fake_monotonic):
        tick = reconcile(pipeline)
    assert tick.out_of_time and tick.observed == 3 and tick.swept == 0
    assert reconcile(pipeline).observed == 2  # the rest were still due: nothing lost


def test_a_tick_never_raises_for_a_slow_store(
    pipeline: Pipeline, store: MemoryStore, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put("manifests/lost.json", json.dumps(manifest()).encode())

    def slow(*args: object, **kwargs: object) -> bool:
        raise budget.DeadlineExceeded("OSS head")

    monkeypatch.setattr(store, "exists", slow)
    tick = reconcile(pipeline)  # the sweep meets the end of its time
    assert tick.out_of_time and tick.accepted == 0
