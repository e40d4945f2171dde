"""The request rate the cloud adapters share (highlights.rate) and the bounded concurrency of the
timer's work (highlights.parallel): on the fake clock, without a network."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from highlights import budget, credentials, parallel
from highlights.rate import TokenBucket, shared
from tests.support import Clock


def test_a_bucket_lets_a_burst_through_then_keeps_its_rate() -> None:
    clock = Clock(0.0)
    bucket = TokenBucket(30, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(30)]
    assert waits == [0.0] * 30 and clock.now == 0.0  # a second's worth at once
    for _ in range(90):
        bucket.acquire()
    assert clock.now == pytest.approx(3.0)  # then 30 a second
    clock.advance(10)  # a quiet spell refills it, up to the burst only
    for _ in range(30):
        bucket.acquire()
    assert clock.now == pytest.approx(13.0)
    bucket.acquire()
    assert clock.now == pytest.approx(13.0 + 1 / 30)


def test_waiters_queue_up_however_many_threads_ask() -> None:
    """Tokens are reserved under the lock: ten threads at once on an empty bucket wait 0, 1, … 9
    periods, whatever order they come in."""
    clock = Clock(0.0)
    slept: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            slept.append(seconds)

    bucket = TokenBucket(2.0, burst=1, clock=clock, sleep=sleep)
    threads = [threading.Thread(target=bucket.acquire) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(slept) == pytest.approx([0.5 * n for n in range(1, 10)])
    assert bucket.waited == pytest.approx(sum(0.5 * n for n in range(1, 10)))


def test_a_wait_that_would_outlast_the_budget_raises_at_once_and_takes_nothing() -> None:
    clock = Clock(0.0)
    bucket = TokenBucket(0.5, burst=1, clock=clock, sleep=clock.sleep)
    bucket.acquire()  # the burst
    with budget.budget(1.5, clock=clock), pytest.raises(budget.DeadlineExceeded) as caught:
        bucket.acquire("ICE GetBatchMediaProducingJob")
    assert "request rate" in str(caught.value) and clock.now == 0.0
    with budget.budget(5.0, clock=clock):
        assert bucket.acquire() == pytest.approx(2.0)  # the refused call took no token


def test_one_bucket_per_service_and_rate_in_a_process() -> None:
    assert shared("ice", 30.0) is shared("ice", 30.0)
    assert shared("ice", 30.0) is not shared("oss", 30.0)
    assert shared("ice", None) is None
    with pytest.raises(ValueError, match="at least"):
        TokenBucket(0)


def test_bounded_runs_at_most_its_workers_at_once() -> None:
    workers = 4
    together = threading.Barrier(workers, timeout=10)
    lock = threading.Lock()
    running = peak = 0

    def task(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        if n < workers:
            together.wait()  # the first four meet: they ran at the same time
        with lock:
            running -= 1
        return n

    tasks = [lambda n=n: task(n) for n in range(20)]
    results = list(parallel.bounded(tasks, workers=workers))
    assert sorted(results) == list(range(20))
    assert peak == workers


def test_budget_and_credentials_reach_the_worker_threads() -> None:
    context = SimpleNamespace(
        credentials=SimpleNamespace(
            access_key_id="invocation-id", access_key_secret="invocation-secret"
        )
    )

    def seen() -> tuple[str, budget.Budget | None, credentials.Credentials | None]:
        return threading.current_thread().name, budget.current(), credentials.current()

    with credentials.for_invocation(context), budget.budget(42.0) as outer:
        results = list(parallel.bounded([seen] * 8, workers=3, name="tick"))
    assert {name.startswith("tick") for name, _, _ in results} == {True}
    assert {b for _, b, _ in results} == {outer}
    assert {c.key_id if c else None for _, _, c in results} == {"invocation-id"}
    assert budget.current() is None  # and nothing leaked back out


def test_bounded_stops_taking_tasks_when_told_and_leaves_the_rest_untouched() -> None:
    taken: list[int] = []
    done = threading.Event()

    def tasks():  # type: ignore[no-untyped-def]
        for n in range(100):
            taken.append(n)
            yield lambda n=n: n

    results = []
    for result in parallel.bounded(tasks(), workers=3, stop=done.is_set):
        results.append(result)
        if len(results) == 5:
            done.set()
    assert len(taken) <= 5 + 3  # what was already handed over, at most one per worker
    assert sorted(results) == sorted(taken)  # everything taken ran to its end


def test_one_worker_runs_inline_and_in_order() -> None:
    names: list[str] = []

    def task(n: int) -> int:
        names.append(threading.current_thread().name)
        return n

    assert list(parallel.bounded([lambda n=n: task(n) for n in range(5)], workers=1)) == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert set(names) == {threading.current_thread().name}
    with pytest.raises(ValueError, match="at least 1"):
        list(parallel.bounded([], workers=0))


def test_the_rates_and_the_workers_are_settings_that_name_their_variable() -> None:
    from highlights.config import Settings, SettingsError

    base = {"HIGHLIGHTS_STORE": "oss://films", "HIGHLIGHTS_REGION": "cn-shanghai"}
    s = Settings.from_env(base)
    assert (s.ice_qps, s.oss_qps, s.reconcile_workers) == (30.0, 1000.0, 10)
    s = Settings.from_env(
        {**base, "HIGHLIGHTS_ICE_QPS": "12.5", "HIGHLIGHTS_RECONCILE_WORKERS": "4"}
    )
    assert (s.ice_qps, s.reconcile_workers) == (12.5, 4)
    for name, value in (
        ("HIGHLIGHTS_ICE_QPS", "0"),
        ("HIGHLIGHTS_OSS_QPS", "fast"),
        ("HIGHLIGHTS_RECONCILE_WORKERS", "0"),
        ("HIGHLIGHTS_RECONCILE_WORKERS", "65"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({**base, name: value})
