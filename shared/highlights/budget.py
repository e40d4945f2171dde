"""Time budgets that the adapters honour.

Some work has a deadline the platform imposes: ICE counts a callback only if it is answered within
3 s, and Function Compute kills a timer tick at its function's timeout. The handler sets a budget
around that work (`with budget(seconds, ...)`), and every ICE or OSS call made inside it fits in
the time left: attempts, back-off and socket timeouts are clipped to it, and a call that cannot
start in time raises `DeadlineExceeded` (a TransientError, so the use cases leave the job for
later) instead of overrunning.

A context variable carries the budget, so the ports keep their signatures and the use cases never
see it. Budgets nest: an inner one never extends an outer one.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from highlights.ports import TransientError

MIN_CALL_SECONDS = 0.05  # no network call is worth starting with less than this left


class DeadlineExceeded(TransientError):
    """The budget of the work in progress is spent; the job is left for a later tick."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}: the time budget is spent", code="DeadlineExceeded")


@dataclass(frozen=True)
class Budget:
    """Until when (monotonic seconds), how many attempts a call may make, how long one attempt
    may wait for an answer."""

    ends: float
    attempts: int | None = None
    attempt_seconds: float | None = None
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float:
        return self.ends - self.clock()


_current: ContextVar[Budget | None] = ContextVar("highlights_budget", default=None)


@contextlib.contextmanager
def budget(
    seconds: float,
    *,
    attempts: int | None = None,
    attempt_seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Budget]:
    """Bound every adapter call inside the block; see the module docstring."""
    outer = _current.get()
    ends = clock() + max(0.0, seconds)
    if outer is not None:
        ends = min(ends, outer.ends)
        attempts = _least(attempts, outer.attempts)
        attempt_seconds = _least(attempt_seconds, outer.attempt_seconds)
    current = Budget(ends, attempts, attempt_seconds, clock)
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)


def current() -> Budget | None:
    return _current.get()


def remaining() -> float | None:
    """Seconds left in the current budget (None: no budget)."""
    found = _current.get()
    return None if found is None else found.remaining()


def attempts(own: int | None = None) -> int | None:
    """The number of attempts a call may make: its own (None: as many as its time allows), or
    fewer if the budget says so."""
    found = _current.get()
    if found is None or found.attempts is None:
        return own
    return max(1, found.attempts if own is None else min(own, found.attempts))


def call_seconds(own: float, what: str) -> float:
    """How long one attempt may take: its own timeout, clipped to the budget. Raises
    DeadlineExceeded when too little time is left to start a call at all."""
    found = _current.get()
    if found is None:
        return own
    left = found.remaining()
    if left < MIN_CALL_SECONDS:
        raise DeadlineExceeded(what)
    cap = found.attempt_seconds if found.attempt_seconds is not None else own
    return max(MIN_CALL_SECONDS, min(own, cap, left))


def _least(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
