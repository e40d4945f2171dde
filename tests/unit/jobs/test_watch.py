"""Observe by difference: a tick lists the producer's unfinished jobs and reads only ours that
left that list; due jobs the list still shows are pushed on without a read."""

from __future__ import annotations

import logging
import threading

import pytest

from highlights import budget
from highlights.jobs.accept import accept
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.reconcile import reconcile
from highlights.jobs.states import JobState
from highlights.ports import ServiceRefused, SubmitRequest, TransientError
from highlights.producers.fake import FakeProducer
from highlights.storage.memory import MemoryStore

from .conftest import Clock, keys, manifest, read_json, upload

SHORT, LONG = 300.0, 3000.0


@pytest.fixture
def renders() -> dict[str, float]:
    """Render time of each fake job ("fake-1", …); LONG unless set."""
    return {}


@pytest.fixture
def producer(clock: Clock, renders: dict[str, float]) -> FakeProducer:
    def render_seconds(job_id: str, request: SubmitRequest) -> float:
        return renders.get(job_id, LONG)

    return FakeProducer(clock=clock, listing=True, render_seconds=render_seconds)


def start(pipeline: Pipeline, store: MemoryStore, n: int, prefix: str = "m") -> list[str]:
    return [
        accept(
            pipeline, upload(store, f"manifests/{prefix}{i}.json", manifest(UserData={"i": i}))
        ).job_id
        for i in range(n)
    ]


def watched(store: MemoryStore, pipeline: Pipeline) -> dict[str, str]:
    document = read_json(store, pipeline.layout.watched)
    assert isinstance(document["jobs"], dict)
    return document["jobs"]


def test_only_jobs_that_left_the_list_are_read(
    pipeline: Pipeline,
    store: MemoryStore,
    clock: Clock,
    producer: FakeProducer,
    renders: dict[str, float],
) -> None:
    renders.update({"fake-2": SHORT, "fake-5": SHORT, "fake-9": SHORT})
    jobs = start(pipeline, store, 10)
    clock.advance(31)
    first = reconcile(pipeline)
    assert (first.listing, first.listed, first.due, first.vouched) == (True, 10, 10, 10)
    assert producer.get_calls == 0  # the list vouched for every due job: no reads
    assert len(watched(store, pipeline)) == 10
    assert pipeline.records.load(jobs[0]).polls == 1  # pushed on, as a poll would have been
    clock.advance(SHORT)
    second = reconcile(pipeline)
    assert (second.listed, second.left_list, second.observed, second.due) == (7, 3, 3, 0)
    assert producer.get_calls == 3
    ended = {j for j in jobs if pipeline.records.load(j).state is JobState.SUCCEEDED}
    assert ended == {jobs[1], jobs[4], jobs[8]}
    assert read_json(store, "out/night/m4.result.json")["job"]["state"] == "SUCCEEDED"
    assert sorted(watched(store, pipeline).values()) == sorted(set(jobs) - ended)
    clock.advance(LONG)
    while any(not pipeline.records.load(j).state.terminal for j in jobs):
        reconcile(pipeline)
        clock.advance(120)
    assert producer.get_calls == 10  # one read per job, over its whole life
    assert watched(store, pipeline) == {} and keys(store, ".highlights/inflight/") == []


def test_a_job_that_ends_between_ticks_is_found_within_one_tick(
    pipeline: Pipeline,
    store: MemoryStore,
    clock: Clock,
    producer: FakeProducer,
    renders: dict[str, float],
) -> None:
    renders["fake-1"] = 400.0
    [job] = start(pipeline, store, 1)
    clock.advance(31)
    reconcile(pipeline)
    clock.advance(400 - 31)  # it ends now; its marker is not due for minutes
    record = pipeline.records.load(job)
    assert record.marker is not None
    due = pipeline.layout.parse_inflight(record.marker)
    assert due is not None and due.due > clock.now + 60
    tick = reconcile(pipeline)
    assert (tick.due, tick.left_list, tick.observed) == (0, 1, 1)
    assert pipeline.records.load(job).state is JobState.SUCCEEDED


def test_a_refused_listing_falls_back_to_reading_due_jobs(
    pipeline: Pipeline,
    store: MemoryStore,
    clock: Clock,
    producer: FakeProducer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    jobs = start(pipeline, store, 4)
    clock.advance(31)
    producer.fail_next_list(ServiceRefused("denied", code="Forbidden.RAM"))
    caplog.set_level(logging.WARNING)
    tick = reconcile(pipeline)
    assert (tick.listing, tick.due, tick.observed, tick.failed, tick.refused) == (
        False,
        4,
        4,
        0,
        0,
    )
    assert producer.get_calls == 4
    assert any("ice:ListBatchMediaProducingJobs" in r.getMessage() for r in caplog.records)
    assert {pipeline.records.load(j).state for j in jobs} == {JobState.SUBMITTED}
    assert not store.exists(pipeline.layout.watched)
    producer.fail_next_list(TransientError("slow", code="Timeout"))
    clock.advance(pipeline.poll_max)
    assert reconcile(pipeline).listing is False  # a failed listing is no listing either


def test_a_job_missing_from_a_listing_costs_one_read_and_stays_watched(
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
) -> None:
    jobs = start(pipeline, store, 3)
    clock.advance(31)
    reconcile(pipeline)
    [missing] = [p for p, j in watched(store, pipeline).items() if j == jobs[1]]
    honest = producer.list_unfinished

    def forgetful(since: float):  # type: ignore[no-untyped-def]
        found = dict(honest(since) or {})
        found.pop(missing, None)
        return found

    producer.list_unfinished = forgetful  # type: ignore[method-assign]
    clock.advance(120)
    tick = reconcile(pipeline)
    assert (tick.left_list, tick.observed) == (1, 1)
    assert not pipeline.records.load(jobs[1]).state.terminal  # read: still rendering
    assert missing in watched(store, pipeline)
    producer.list_unfinished = honest  # type: ignore[method-assign]
    clock.advance(120)
    assert reconcile(pipeline).observed == 0


def test_a_lost_watch_list_loses_no_job(
    pipeline: Pipeline,
    store: MemoryStore,
    clock: Clock,
    producer: FakeProducer,
    renders: dict[str, float],
) -> None:
    renders.update({"fake-1": SHORT})
    jobs = start(pipeline, store, 2)
    clock.advance(31)
    reconcile(pipeline)
    store.delete(pipeline.layout.watched)
    clock.advance(SHORT)
    assert reconcile(pipeline).observed == 0  # nothing watched, nothing due yet
    clock.advance(pipeline.poll_max)  # the marker, pushed on by poll_max, is the safety net
    tick = reconcile(pipeline)
    assert tick.observed == 1 and tick.vouched == 1
    assert pipeline.records.load(jobs[0]).state is JobState.SUCCEEDED
    assert list(watched(store, pipeline).values()) == [jobs[1]]


def test_a_doorbell_and_a_departure_of_the_same_job_make_one_read(
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
) -> None:
    [job] = start(pipeline, store, 1)
    clock.advance(31)
    reconcile(pipeline)
    clock.advance(LONG)
    pipeline.ring(job)  # the callback could not read the job in time
    tick = reconcile(pipeline)
    assert (tick.left_list, tick.doorbells, tick.observed) == (1, 1, 1)
    assert producer.get_calls == 1
    assert pipeline.records.load(job).state is JobState.SUCCEEDED
    assert keys(store, ".highlights/inflight/") == []


def test_a_tick_out_of_time_mid_way_loses_and_doubles_nothing(
    pipeline: Pipeline, store: MemoryStore, clock: Clock, producer: FakeProducer
) -> None:
    """Twelve watched jobs end at once; reads take 2 s of a 9 s budget on four threads. What the
    tick does not reach, the next one does; every job is read and ended exactly once."""
    pipeline.workers = 4
    jobs = start(pipeline, store, 12)
    clock.advance(31)
    reconcile(pipeline)
    clock.advance(LONG)
    spent = [0.0]
    lock = threading.Lock()
    reads: list[str] = []
    honest_get = producer.get

    def slow_get(job_id: str):  # type: ignore[no-untyped-def]
        with lock:
            spent[0] += 2.0
            reads.append(job_id)
        return honest_get(job_id)

    producer.get = slow_get  # type: ignore[method-assign]
    ticks = []
    for _ in range(10):
        spent[0] = 0.0
        with budget.budget(9.0, clock=lambda: spent[0]):
            ticks.append(reconcile(pipeline))
        if all(pipeline.records.load(j).state.terminal for j in jobs):
            break
    assert ticks[0].out_of_time and 0 < ticks[0].observed < 12
    assert sorted(reads) == sorted(set(reads)) and len(reads) == 12  # each job read once
    assert {pipeline.records.load(j).state for j in jobs} == {JobState.SUCCEEDED}
    assert len(producer.submissions) == 12
    assert watched(store, pipeline) == {} and keys(store, ".highlights/inflight/") == []
