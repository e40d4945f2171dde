"""An in-memory Producer that tests and benchmarks script: outcomes, timing and faults.

Each job follows a plan: a sequence of JobStatus steps. `get` returns the next step on each call
(or, with `step_seconds`, the step that the injected clock has reached; with `render_seconds`, a
time per job over which its steps are spread) and repeats the last step forever. The default plan
is Init → Processing → Finished with every output a Success. With `listing=True` it also answers
`list_unfinished` as ICE's ListBatchMediaProducingJobs would, counting its pages in `list_calls`
(meaningful when jobs move with the clock: a job moved by reads never moves unless read).

The plans and the outputs a request asks for are in highlights.producers.fake_plans (re-exported
here).
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from highlights import user_data as user_data_keys
from highlights.ports import JobStatus, NotFound, PermanentError, SubmitRequest, UnfinishedState
from highlights.producers.fake_plans import (
    FIRST_INDEX,
    Output,
    PlanFactory,
    _invalid,
    plan_failed,
    plan_partial,
    plan_steps,
    plan_stuck,
    plan_success,
    planned_outputs,
)

__all__ = [
    "FIRST_INDEX",
    "FakeProducer",
    "Output",
    "PlanFactory",
    "Submission",
    "plan_failed",
    "plan_partial",
    "plan_steps",
    "plan_stuck",
    "plan_success",
    "planned_outputs",
]

MAX_CLIENT_TOKEN = 64
MAX_USER_DATA_BYTES = 512  # ICE's documented limit for UserData


@dataclass(frozen=True)
class Submission:
    """An accepted submit: the job it created and what it was created with."""

    job_id: str
    client_token: str
    request: SubmitRequest
    notify_url: str | None
    user_data: dict[str, Any]  # the request's UserData plus NotifyAddress, as ICE would get it


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


# -- the producer -------------------------------------------------------------------------------


@dataclass
class _Fault:
    exc: BaseException
    remaining: int
    after_accept: bool = False


@dataclass
class _Job:
    submission: Submission
    steps: tuple[JobStatus, ...]
    created_at: float
    started_at: float  # when the current plan began, on the injected clock
    reads: int = 0
    completed_at: float | None = None
    step_seconds: float | None = None  # this job's own pace (render_seconds)


class FakeProducer:
    """A scriptable, thread-safe, in-memory Producer.

    `step_seconds=None` moves a job one step per `get`; a number moves it one step per that many
    seconds of `clock` since submit; `render_seconds(job_id, request)` gives each job its own time
    from submit to its last step. `max_user_data_bytes=None` turns off ICE's UserData limit.
    `list_page_size` is ICE's MaxResults (a simulation of a sample of the jobs may give a
    fraction, so that the pages counted are those of the whole).
    """

    def __init__(
        self,
        *,
        plan: PlanFactory | None = None,
        clock: Callable[[], float] = time.time,
        step_seconds: float | None = None,
        id_prefix: str = "fake-",
        max_user_data_bytes: int | None = MAX_USER_DATA_BYTES,
        render_seconds: Callable[[str, SubmitRequest], float] | None = None,
        listing: bool = False,
        list_page_size: float = 100,
    ) -> None:
        if step_seconds is not None and step_seconds <= 0:
            raise ValueError("step_seconds must be positive")
        if list_page_size <= 0:
            raise ValueError("list_page_size must be positive")
        self._render_seconds = render_seconds
        self._listing = listing
        self._list_page = list_page_size
        self._list_faults: deque[_Fault] = deque()
        self._unfinished: dict[str, _Job] = {}  # jobs not yet seen at their last step
        self.list_calls = 0  # pages, as ICE would serve them
        self._default_plan = plan or plan_success()
        self._clock = clock
        self._step_seconds = step_seconds
        self._id_prefix = id_prefix
        self._max_user_data = max_user_data_bytes
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._by_token: dict[str, str] = {}
        self._next_plans: deque[PlanFactory] = deque()
        self._submit_faults: deque[_Fault] = deque()
        self._get_faults: deque[_Fault] = deque()
        self.submissions: list[Submission] = []
        self.submit_calls = 0
        self.get_calls = 0
        # What the last submit call sent, accepted or not (resubmissions must repeat it exactly).
        self.last_submit: tuple[SubmitRequest, str, str | None] | None = None

    # -- scripting ------------------------------------------------------------------------------

    def script_next(self, *plans: PlanFactory) -> None:
        """The next new jobs follow these plans, in order; later ones follow the default."""
        with self._lock:
            self._next_plans.extend(plans)

    def set_plan(self, job_id: str, plan: PlanFactory) -> None:
        """Re-script a job from its first step."""
        with self._lock:
            job = self._job(job_id)
            job.steps = self._build(plan, job_id, job.submission.request)
            job.started_at, job.reads, job.completed_at = self._clock(), 0, None
            self._unfinished[job_id] = job

    def advance(self, job_id: str, steps: int | None = None) -> None:
        """Move a job on by `steps` (None: to its last step) without waiting."""
        with self._lock:
            job = self._job(job_id)
            n = len(job.steps) if steps is None else steps
            job.reads += n
            pace = job.step_seconds or self._step_seconds
            if pace is not None:
                job.started_at -= n * pace

    def fail_next_submit(
        self, exc: BaseException, times: int = 1, *, after_accept: bool = False
    ) -> None:
        """Raise exc on the next `times` submits.

        after_accept=True creates the job first, then raises: the answer was lost on the way back,
        the case ClientToken exists for.
        """
        with self._lock:
            self._submit_faults.append(_Fault(exc, times, after_accept))

    def fail_next_get(self, exc: BaseException, times: int = 1) -> None:
        """Raise exc on the next `times` gets (the job does not move on)."""
        with self._lock:
            self._get_faults.append(_Fault(exc, times))

    def fail_next_list(self, exc: BaseException, times: int = 1) -> None:
        """Raise exc on the next `times` listings."""
        with self._lock:
            self._list_faults.append(_Fault(exc, times))

    # -- inspection -----------------------------------------------------------------------------

    def submission(self, job_id: str) -> Submission:
        with self._lock:
            return self._job(job_id).submission

    def peek(self, job_id: str) -> JobStatus:
        """The job as `get` would answer now, without moving it on or counting a call."""
        with self._lock:
            job = self._job(job_id)
            return self._status(job, self._step_index(job))

    # -- Producer -------------------------------------------------------------------------------

    def submit(self, request: SubmitRequest, client_token: str, notify_url: str | None) -> str:
        with self._lock:
            self.submit_calls += 1
            self.last_submit = (request, client_token, notify_url)
            fault = _take(self._submit_faults)
            if fault and not fault.after_accept:
                raise fault.exc
            job_id = self._accept(request, client_token, notify_url)
            if fault:
                raise fault.exc
            return job_id

    def get(self, job_id: str) -> JobStatus:
        with self._lock:
            self.get_calls += 1
            fault = _take(self._get_faults)
            if fault:
                raise fault.exc
            job = self._job(job_id)
            index = self._step_index(job)
            job.reads += 1
            return self._status(job, index)

    def list_unfinished(self, since: float) -> dict[str, UnfinishedState] | None:
        """Jobs Init or Processing now, created at or after `since`; None unless `listing`. One
        listing per state, as ICE's API takes one Status a call: pages are counted per state."""
        with self._lock:
            if not self._listing:
                return None
            fault = _take(self._list_faults)
            if fault:
                raise fault.exc
            found: dict[str, UnfinishedState] = {}
            for job_id, job in list(self._unfinished.items()):
                step = job.steps[self._step_index(job)]
                if step.terminal:
                    del self._unfinished[job_id]
                elif job.created_at >= since and step.status in ("Init", "Processing"):
                    found[job_id] = "Init" if step.status == "Init" else "Processing"
            inits = sum(1 for s in found.values() if s == "Init")
            for count in (inits, len(found) - inits):
                self.list_calls += max(1, math.ceil(count / self._list_page))
            return found

    # -- internals ------------------------------------------------------------------------------

    def _accept(self, request: SubmitRequest, client_token: str, notify_url: str | None) -> str:
        _check_token(client_token)
        user_data = dict(request.user_data)
        if notify_url:
            user_data[user_data_keys.NOTIFY_ADDRESS] = notify_url
        self._check_user_data(user_data)
        existing = self._by_token.get(client_token) if client_token else None
        if existing is not None:
            first = self._jobs[existing].submission
            if (first.request, first.notify_url) != (request, notify_url):
                raise PermanentError(
                    "the same ClientToken was used with different parameters",
                    code="IdempotentParameterMismatch",
                )
            return existing
        planned_outputs(request)  # refuses a bad OutputConfig as ICE would
        job_id = f"{self._id_prefix}{len(self._jobs) + 1}"
        plan = self._next_plans.popleft() if self._next_plans else self._default_plan
        steps = self._build(plan, job_id, request)
        now = self._clock()
        submission = Submission(job_id, client_token, request, notify_url, user_data)
        job = _Job(submission, steps, created_at=now, started_at=now)
        if self._render_seconds is not None:
            job.step_seconds = self._render_seconds(job_id, request) / max(1, len(steps) - 1)
        self._jobs[job_id] = self._unfinished[job_id] = job
        if client_token:
            self._by_token[client_token] = job_id
        self.submissions.append(submission)
        return job_id

    def _check_user_data(self, user_data: dict[str, Any]) -> None:
        if self._max_user_data is None:
            return
        size = len(json.dumps(user_data, ensure_ascii=False, separators=(",", ":")).encode())
        if size > self._max_user_data:
            raise _invalid(f"UserData is {size} bytes, more than {self._max_user_data}")

    @staticmethod
    def _build(plan: PlanFactory, job_id: str, request: SubmitRequest) -> tuple[JobStatus, ...]:
        steps = tuple(dataclasses.replace(s, job_id=job_id) for s in plan(job_id, request))
        if not steps:
            raise ValueError("a plan needs at least one step")
        return steps

    def _job(self, job_id: str) -> _Job:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise NotFound(f"no job {job_id!r}") from None

    def _step_index(self, job: _Job) -> int:
        pace = job.step_seconds or self._step_seconds
        elapsed = job.reads if pace is None else int((self._clock() - job.started_at) // pace)
        return max(0, min(elapsed, len(job.steps) - 1))

    def _status(self, job: _Job, index: int) -> JobStatus:
        step = job.steps[index]
        created = step.create_time or _utc(job.created_at)
        if not step.terminal:
            return dataclasses.replace(step, create_time=created)
        if job.completed_at is None:
            job.completed_at = self._clock()
        completed = step.complete_time or _utc(job.completed_at)
        return dataclasses.replace(step, create_time=created, complete_time=completed)


def _take(faults: deque[_Fault]) -> _Fault | None:
    if not faults:
        return None
    fault = faults[0]
    fault.remaining -= 1
    if fault.remaining <= 0:
        faults.popleft()
    return fault


def _check_token(token: str) -> None:
    if len(token) > MAX_CLIENT_TOKEN or not token.isascii():
        raise _invalid(f"ClientToken must be at most {MAX_CLIENT_TOKEN} ASCII characters")
