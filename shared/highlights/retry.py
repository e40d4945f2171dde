"""Bounded retries with exponential backoff and full jitter, shared by the cloud adapters.

`retry(call, classify=...)` runs `call` until it succeeds, the error is not worth retrying, or the
bounds are spent: `max_attempts` calls, or `budget_seconds` of `clock` time (whichever comes first;
at least one must be given). Between attempts it sleeps a full-jitter delay, uniform in
`[0, min(cap, base * 2**(failures - 1)))`, and never sleeps past the budget: when the next delay
would end after it, the last error is raised at once.

`classify(exc)` maps what `call` raised to the error to raise instead:

- a `TransientError`: retried while the bounds allow, then raised;
- any other `HighlightsError` (`PermanentError`, `NotFound`, `AlreadyExists`…): raised at once;
- `None`: not ours (a programming error): the original exception propagates unchanged.

The mapped error is raised with the original as its `__cause__` only if `classify` set one
(`error.__cause__ = exc`); otherwise the original is hidden (`from None`). SDK exceptions can carry
signed requests and headers, so adapters decide what may show up in a traceback.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import NoReturn, TypeVar

from highlights.ports import HighlightsError, TransientError

T = TypeVar("T")

Classify = Callable[[BaseException], "HighlightsError | None"]

DEFAULT_BASE = 0.2
DEFAULT_CAP = 5.0
_MAX_EXPONENT = 62  # keeps 2**n finite; the cap is reached long before

logger = logging.getLogger(__name__)


def backoff_ceiling(
    failures: int, *, base: float = DEFAULT_BASE, cap: float = DEFAULT_CAP
) -> float:
    """The upper bound of the delay after `failures` consecutive failures (1 for the first)."""
    if failures < 1:
        raise ValueError("failures must be at least 1")
    return min(cap, base * 2 ** min(failures - 1, _MAX_EXPONENT))


def full_jitter(
    failures: int,
    *,
    base: float = DEFAULT_BASE,
    cap: float = DEFAULT_CAP,
    rng: Callable[[], float] = random.random,
) -> float:
    """A delay uniform in [0, backoff_ceiling(failures)) ("full jitter")."""
    return rng() * backoff_ceiling(failures, base=base, cap=cap)


def retry(
    call: Callable[[], T],
    *,
    classify: Classify,
    max_attempts: int | None = None,
    budget_seconds: float | None = None,
    base: float = DEFAULT_BASE,
    cap: float = DEFAULT_CAP,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: Callable[[], float] = random.random,
    what: str = "call",
) -> T:
    """Run `call` with bounded retries of transient errors; see the module docstring."""
    if max_attempts is None and budget_seconds is None:
        raise ValueError("retry needs max_attempts or budget_seconds (or both)")
    if max_attempts is not None and max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if budget_seconds is not None and budget_seconds <= 0:
        raise ValueError("budget_seconds must be positive")
    if base <= 0 or cap < base:
        raise ValueError("need 0 < base <= cap")
    start = clock()
    failures = 0
    while True:
        try:
            return call()
        except Exception as exc:
            error = classify(exc)
            if error is None:
                raise
            failures += 1
            if not isinstance(error, TransientError) or _spent(max_attempts, failures):
                _raise(error)
            delay = full_jitter(failures, base=base, cap=cap, rng=rng)
            if budget_seconds is not None and clock() - start + delay >= budget_seconds:
                _raise(error)
            logger.info(
                "retrying %s after %s (attempt %d failed, next in %.3f s)",
                what,
                error.code,
                failures,
                delay,
            )
            sleep(delay)


def _spent(max_attempts: int | None, failures: int) -> bool:
    return max_attempts is not None and failures >= max_attempts


def _raise(error: HighlightsError) -> NoReturn:
    # Chain only what classify chose to chain; hide the implicit context otherwise.
    error.__suppress_context__ = True
    raise error
