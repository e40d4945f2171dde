"""retry(): bounded attempts and time budget, full-jitter backoff, and what is not retried."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from highlights.ports import HighlightsError, NotFound, PermanentError, TransientError
from highlights.retry import backoff_ceiling, full_jitter, retry
from tests.support import Clock


class Boom(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def classify(exc: BaseException) -> HighlightsError | None:
    if not isinstance(exc, Boom):
        return None
    if exc.kind == "transient":
        return TransientError("try again", code="Throttling.User")
    if exc.kind == "missing":
        return NotFound("gone")
    error = PermanentError("no", code="InvalidParameter")
    error.__cause__ = exc  # this classifier chooses to chain permanent errors
    return error


def failing(kinds: list[str], result: str = "ok") -> tuple[list[int], Callable[[], str]]:
    calls = [0]

    def call() -> str:
        calls[0] += 1
        if kinds:
            raise Boom(kinds.pop(0))
        return result

    return calls, call


# -- backoff ----------------------------------------------------------------------------------------


def test_ceiling_doubles_up_to_the_cap() -> None:
    ceilings = [backoff_ceiling(n, base=0.2, cap=5.0) for n in range(1, 9)]
    assert ceilings == pytest.approx([0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0])
    assert backoff_ceiling(10_000, base=0.2, cap=5.0) == 5.0
    with pytest.raises(ValueError, match="failures"):
        backoff_ceiling(0)


@given(
    failures=st.integers(min_value=1, max_value=200),
    draw=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    base=st.floats(min_value=0.001, max_value=2.0),
    spread=st.floats(min_value=1.0, max_value=100.0),
)
def test_full_jitter_stays_in_bounds(
    failures: int, draw: float, base: float, spread: float
) -> None:
    cap = base * spread
    delay = full_jitter(failures, base=base, cap=cap, rng=lambda: draw)
    ceiling = min(cap, base * 2 ** min(failures - 1, 62))
    assert 0.0 <= delay < ceiling
    assert delay == pytest.approx(draw * ceiling)


def test_full_jitter_uses_the_whole_range() -> None:
    assert full_jitter(3, base=0.2, cap=5.0, rng=lambda: 0.0) == 0.0
    assert full_jitter(3, base=0.2, cap=5.0, rng=lambda: 0.5) == pytest.approx(0.4)
    assert full_jitter(3, base=0.2, cap=5.0, rng=lambda: 0.999) == pytest.approx(0.7992)


# -- retry ------------------------------------------------------------------------------------------


def test_success_first_time_does_not_sleep() -> None:
    t = Clock()
    calls, call = failing([])
    assert retry(call, classify=classify, max_attempts=3, sleep=t.sleep, clock=t.clock) == "ok"
    assert calls == [1]
    assert t.sleeps == []


def test_transient_errors_are_retried_with_growing_jittered_delays() -> None:
    t = Clock()
    calls, call = failing(["transient"] * 4)
    result = retry(
        call,
        classify=classify,
        max_attempts=10,
        base=0.2,
        cap=5.0,
        sleep=t.sleep,
        clock=t.clock,
        rng=lambda: 0.5,
    )
    assert result == "ok"
    assert calls == [5]
    assert t.sleeps == pytest.approx([0.1, 0.2, 0.4, 0.8])


def test_max_attempts_bounds_the_calls() -> None:
    t = Clock()
    calls, call = failing(["transient"] * 10)
    with pytest.raises(TransientError) as caught:
        retry(call, classify=classify, max_attempts=3, sleep=t.sleep, clock=t.clock)
    assert calls == [3]
    assert len(t.sleeps) == 2
    assert caught.value.code == "Throttling.User"
    assert caught.value.__cause__ is None  # not chained: classify did not ask for it
    assert caught.value.__suppress_context__


@pytest.mark.parametrize("budget", [0.5, 1.0, 3.0, 10.0, 20.0])
@pytest.mark.parametrize("draw", [0.001, 0.3, 0.999])
def test_budget_is_respected(budget: float, draw: float) -> None:
    t = Clock()
    start = t.now
    calls, call = failing(["transient"] * 100_000)
    with pytest.raises(TransientError):
        retry(
            call,
            classify=classify,
            budget_seconds=budget,
            sleep=t.sleep,
            clock=t.clock,
            rng=lambda: draw,
        )
    assert t.now - start < budget
    assert sum(t.sleeps) < budget
    assert calls[0] == len(t.sleeps) + 1


def test_budget_counts_time_spent_in_calls() -> None:
    t = Clock()
    calls = [0]

    def slow() -> str:
        calls[0] += 1
        t.now += 4.0  # e.g. a read timeout
        raise Boom("transient")

    with pytest.raises(TransientError):
        retry(
            slow,
            classify=classify,
            budget_seconds=10.0,
            sleep=t.sleep,
            clock=t.clock,
            rng=lambda: 0.5,
        )
    assert calls == [3]  # 4 s + 0.1 + 4 s + 0.2 + 4 s: a fourth call would start past the budget


def test_both_bounds_apply() -> None:
    t = Clock()
    calls, call = failing(["transient"] * 100)
    with pytest.raises(TransientError):
        retry(
            call,
            classify=classify,
            max_attempts=4,
            budget_seconds=1000.0,
            sleep=t.sleep,
            clock=t.clock,
        )
    assert calls == [4]


def test_permanent_errors_are_not_retried_and_may_be_chained() -> None:
    t = Clock()
    calls, call = failing(["permanent", "transient"])
    with pytest.raises(PermanentError) as caught:
        retry(call, classify=classify, max_attempts=5, sleep=t.sleep, clock=t.clock)
    assert calls == [1]
    assert t.sleeps == []
    assert isinstance(caught.value.__cause__, Boom)


def test_other_port_errors_are_raised_at_once() -> None:
    t = Clock()
    calls, call = failing(["transient", "missing"])
    with pytest.raises(NotFound):
        retry(call, classify=classify, max_attempts=5, sleep=t.sleep, clock=t.clock)
    assert calls == [2]
    assert len(t.sleeps) == 1


def test_unclassified_exceptions_propagate_unchanged() -> None:
    t = Clock()

    def bug() -> str:
        raise KeyError("a bug")

    with pytest.raises(KeyError, match="a bug"):
        retry(bug, classify=classify, max_attempts=5, sleep=t.sleep, clock=t.clock)
    assert t.sleeps == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"max_attempts": 0},
        {"budget_seconds": 0.0},
        {"max_attempts": 1, "base": 0.0},
        {"max_attempts": 1, "base": 1.0, "cap": 0.5},
    ],
)
def test_bad_bounds_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"max_attempts|budget|base"):
        retry(lambda: "x", classify=classify, **kwargs)
