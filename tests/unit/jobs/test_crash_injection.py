"""Crash between any two steps, then replay the event and reconcile: the same end, one ICE job."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from highlights.jobs.accept import accept
from highlights.jobs.identity import ManifestRef, job_id_for
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.reconcile import reconcile
from highlights.jobs.states import JobState
from highlights.producers.fake import FakeProducer
from highlights.storage.memory import MemoryStore

from .conftest import Clock, keys, read_json, upload


class Crash(BaseException):
    """The process dies: not an Exception, so nothing on the way swallows it."""


class Countdown:
    def __init__(self, fail_at: int | None) -> None:
        self.fail_at = fail_at
        self.calls = 0
        self.crashed_in: str | None = None

    def tick(self, what: str) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            self.crashed_in = what
            raise Crash(f"crash at call {self.calls}: {what}")


class Crashing:
    """Wraps a store or a producer; every call counts towards the shared countdown."""

    def __init__(self, inner: Any, countdown: Countdown) -> None:
        self._inner = inner
        self._countdown = countdown

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self._countdown.tick(name)
            result = attr(*args, **kwargs)
            if name == "list":
                result = list(result)
            return result

        return call


def lifecycle(store: Any, producer: Any, clock: Clock, ref: ManifestRef) -> None:
    pipeline = Pipeline(store=store, producer=producer, region="cn-shanghai", clock=clock)
    accept(pipeline, ref)
    for _ in range(6):
        clock.advance(700)
        reconcile(pipeline)


def calls_in_a_clean_run() -> int:
    store = MemoryStore("films")
    clock = Clock()
    countdown = Countdown(None)
    ref = upload(store)
    lifecycle(
        Crashing(store, countdown), Crashing(FakeProducer(clock=clock), countdown), clock, ref
    )
    return countdown.calls


# Every store and producer call of a whole lifecycle, counted in a clean run: each is crashed at.
CALLS = calls_in_a_clean_run()


def test_a_lifecycle_makes_a_known_number_of_calls() -> None:
    assert 10 < CALLS < 120


@pytest.mark.parametrize("fail_at", range(1, CALLS + 1))
def test_crash_at_every_call_then_replay_and_reconcile(fail_at: int) -> None:
    store = MemoryStore("films")
    clock = Clock()
    producer = FakeProducer(clock=clock)
    ref = upload(store)
    countdown = Countdown(fail_at)
    with contextlib.suppress(Crash):
        lifecycle(Crashing(store, countdown), Crashing(producer, countdown), clock, ref)
    assert countdown.crashed_in is not None, f"no crash at call {fail_at} of {CALLS}"
    # The platform redelivers the event; the timer keeps ticking.
    lifecycle(store, producer, clock, ref)

    job_id = job_id_for(ref)
    assert len(producer.submissions) == 1
    assert pipeline_state(store, job_id) is JobState.SUCCEEDED
    assert read_json(store, "out/night/night.result.json")["job"]["state"] == "SUCCEEDED"
    assert keys(store, ".highlights/inflight/") == []


def pipeline_state(store: MemoryStore, job_id: str) -> JobState:
    return Pipeline(store=store, producer=FakeProducer()).records.load(job_id).state
