"""An in-memory Producer that tests and benchmarks script: outcomes, timing and faults.

Each job follows a plan: a sequence of JobStatus steps. `get` returns the next step on each call
(or, with `step_seconds`, the step that the injected clock has reached) and repeats the last step
forever. The default plan is Init → Processing → Finished with every output a Success.

Outputs follow the request's OutputConfig: `Count` videos (default 1), numbered from 1
(FIRST_INDEX), each with `MediaURL` where `{index}` is replaced by its number. ICE does not document
whether `{index}` starts at 0 or 1; 1 matches the sub-job numbering we report. Without `MediaURL`,
`StorageLocation` + `FileName` (the VOD form) is used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from highlights import user_data as user_data_keys
from highlights.ports import JobStatus, NotFound, PermanentError, SubJob, SubJobState, SubmitRequest

FIRST_INDEX = 1
MAX_CLIENT_TOKEN = 64
MAX_USER_DATA_BYTES = 512  # ICE's documented limit for UserData

PlanFactory = Callable[[str, SubmitRequest], Sequence[JobStatus]]
"""Builds a job's steps from its id and request; `job_id` in the steps may be left empty."""


@dataclass(frozen=True)
class Output:
    """One output video a request asks for."""

    index: int
    media_url: str | None


@dataclass(frozen=True)
class Submission:
    """An accepted submit: the job it created and what it was created with."""

    job_id: str
    client_token: str
    request: SubmitRequest
    notify_url: str | None
    user_data: dict[str, Any]  # the request's UserData plus NotifyAddress, as ICE would get it


# -- outputs and plans --------------------------------------------------------------------------


def planned_outputs(request: SubmitRequest) -> list[Output]:
    """The outputs of a request; PermanentError("InvalidParameter") for a bad OutputConfig."""
    try:
        config = json.loads(request.output_config)
    except (TypeError, ValueError) as exc:
        raise _invalid(f"OutputConfig is not JSON: {exc}") from None
    if not isinstance(config, dict):
        raise _invalid("OutputConfig must be a JSON object")
    count = config.get("Count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise _invalid(f"OutputConfig.Count must be a positive integer, got {count!r}")
    template = _media_url_template(config)
    return [
        Output(index=i, media_url=template.replace("{index}", str(i)) if template else None)
        for i in range(FIRST_INDEX, FIRST_INDEX + count)
    ]


def _media_url_template(config: dict[str, Any]) -> str | None:
    if isinstance(config.get("MediaURL"), str):
        return config["MediaURL"]
    location, name = config.get("StorageLocation"), config.get("FileName")
    if isinstance(location, str) and isinstance(name, str):
        return f"https://{location}/{name}"
    return None


def plan_success(*, processing_steps: int = 1, duration: float = 30.0) -> PlanFactory:
    """Init, `processing_steps` × Processing, then Finished with every output a Success."""
    return plan_partial({}, processing_steps=processing_steps, duration=duration)


def plan_partial(
    failed: Mapping[int, tuple[str, str]] | Iterable[int],
    *,
    processing_steps: int = 1,
    duration: float = 30.0,
) -> PlanFactory:
    """Finished, with the outputs in `failed` Failed: {index: (error_code, error_message)}.

    A plain list of indexes fails them with a generic code. ICE reports a batch as Finished even
    when some (or all) of its sub-jobs failed.
    """
    errors = _error_map(failed)

    def build(job_id: str, request: SubmitRequest) -> list[JobStatus]:
        outputs = planned_outputs(request)
        unknown = set(errors) - {o.index for o in outputs}
        if unknown:
            raise ValueError(f"plan_partial: no output numbered {sorted(unknown)}")
        final = tuple(_final_sub_job(job_id, o, errors.get(o.index), duration) for o in outputs)
        return [*_running(job_id, outputs, processing_steps), JobStatus(job_id, "Finished", final)]

    return build


def plan_failed(
    code: str = "InternalError", message: str = "scripted failure", *, processing_steps: int = 1
) -> PlanFactory:
    """The whole batch ends Failed with this code and message (every sub-job Failed too)."""

    def build(job_id: str, request: SubmitRequest) -> list[JobStatus]:
        outputs = planned_outputs(request)
        subs = tuple(_sub_job(job_id, o, "Failed", error=(code, message)) for o in outputs)
        failed = JobStatus(job_id, "Failed", subs, error_code=code, error_message=message)
        return [*_running(job_id, outputs, processing_steps), failed]

    return build


def plan_stuck() -> PlanFactory:
    """Init, then Processing forever."""

    def build(job_id: str, request: SubmitRequest) -> list[JobStatus]:
        return _running(job_id, planned_outputs(request), processing_steps=1)

    return build


def plan_steps(*steps: JobStatus) -> PlanFactory:
    """Exactly these steps (their job_id is replaced by the real one)."""
    if not steps:
        raise ValueError("a plan needs at least one step")
    return lambda job_id, request: steps


def _error_map(failed: Mapping[int, tuple[str, str]] | Iterable[int]) -> dict[int, tuple[str, str]]:
    if isinstance(failed, Mapping):
        return dict(failed)
    return {i: ("InternalError", f"scripted failure of output {i}") for i in failed}


def _running(job_id: str, outputs: list[Output], processing_steps: int) -> list[JobStatus]:
    init = JobStatus(job_id, "Init", tuple(_sub_job(job_id, o, "Init") for o in outputs))
    processing = JobStatus(
        job_id, "Processing", tuple(_sub_job(job_id, o, "Processing") for o in outputs)
    )
    return [init] + [processing] * processing_steps


def _final_sub_job(
    job_id: str, output: Output, error: tuple[str, str] | None, duration: float
) -> SubJob:
    if error is not None:
        return _sub_job(job_id, output, "Failed", error=error)
    media_id = hashlib.md5(f"{job_id}/{output.index}".encode(), usedforsecurity=False).hexdigest()
    return dataclasses.replace(
        _sub_job(job_id, output, "Success"),
        media_id=media_id,
        media_url=output.media_url,
        duration=duration,
    )


def _sub_job(
    job_id: str, output: Output, status: SubJobState, *, error: tuple[str, str] | None = None
) -> SubJob:
    code, message = error if error else (None, None)
    return SubJob(
        index=output.index,
        status=status,
        job_id=f"{job_id}-{output.index}",
        error_code=code,
        error_message=message,
    )


def _invalid(message: str) -> PermanentError:
    return PermanentError(message, code="InvalidParameter")


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


class FakeProducer:
    """A scriptable, thread-safe, in-memory Producer.

    `step_seconds=None` moves a job one step per `get`; a number moves it one step per that many
    seconds of `clock` since submit. `max_user_data_bytes=None` turns off ICE's UserData limit.
    """

    def __init__(
        self,
        *,
        plan: PlanFactory | None = None,
        clock: Callable[[], float] = time.time,
        step_seconds: float | None = None,
        id_prefix: str = "fake-",
        max_user_data_bytes: int | None = MAX_USER_DATA_BYTES,
    ) -> None:
        if step_seconds is not None and step_seconds <= 0:
            raise ValueError("step_seconds must be positive")
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

    def advance(self, job_id: str, steps: int | None = None) -> None:
        """Move a job on by `steps` (None: to its last step) without waiting."""
        with self._lock:
            job = self._job(job_id)
            n = len(job.steps) if steps is None else steps
            job.reads += n
            if self._step_seconds is not None:
                job.started_at -= n * self._step_seconds

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
        self._jobs[job_id] = _Job(submission, steps, created_at=now, started_at=now)
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
        if self._step_seconds is None:
            elapsed = job.reads
        else:
            elapsed = int((self._clock() - job.started_at) // self._step_seconds)
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
