"""Request rates the cloud adapters keep to: one token bucket per service and process.

ICE documents 30 requests a second for its job API (past that it answers `Throttling.User`), and
OSS throttles an account past 10,000 (2,000 for keys with sequential prefixes, which the in-flight
markers are). A tick working with several threads must not turn a burst of completions into
throttling errors and retries: each ICE or OSS request (every attempt, every listing page) first
takes a token from its service's bucket, and waits for one when the bucket is empty, so a backlog
drains at the rate the service allows.

The wait honours the time budget of the work (highlights.budget): a request that could not start
before the budget ends raises DeadlineExceeded at once instead of sleeping into the deadline.

Buckets are per process, shared by every adapter and thread of it (`shared`): one Function Compute
instance keeps one rate per service. Instances do not coordinate; the rate is each one's ceiling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from highlights import budget

MIN_RATE = 0.001


class TokenBucket:
    """`rate` requests a second on average, up to `burst` at once after a quiet spell. Thread-safe.

    A caller reserves its token under the lock (the count may go below zero) and sleeps outside
    it, so waiters are served in arrival order and the rate holds however many threads ask.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if rate < MIN_RATE:
            raise ValueError(f"a rate is at least {MIN_RATE} requests a second")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, self.rate)
        if self.burst < 1:
            raise ValueError("burst must allow at least one request")
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._stamp = clock()
        self.waited = 0.0  # seconds spent waiting for tokens, all callers together

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate:g}/s, burst={self.burst:g})"

    def acquire(self, what: str = "request") -> float:
        """Take one token, waiting for it if needed; returns the seconds waited. Raises
        DeadlineExceeded (a TransientError) when the wait would outlast the current budget."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            wait = (1.0 - self._tokens) / self.rate if self._tokens < 1.0 else 0.0
            left = budget.remaining()
            if wait > 0 and left is not None and wait > left - budget.MIN_CALL_SECONDS:
                raise budget.DeadlineExceeded(f"{what} (waiting for the request rate)")
            self._tokens -= 1.0
            self.waited += wait
        if wait > 0:
            self._sleep(wait)
        return wait


_SHARED: dict[tuple[str, float], TokenBucket] = {}
_SHARED_LOCK = threading.Lock()


def shared(service: str, rate: float | None) -> TokenBucket | None:
    """This process's bucket for `service` at `rate` requests a second (None: no limit)."""
    if rate is None:
        return None
    with _SHARED_LOCK:
        found = _SHARED.get((service, rate))
        if found is None:
            found = _SHARED[(service, rate)] = TokenBucket(rate)
        return found
