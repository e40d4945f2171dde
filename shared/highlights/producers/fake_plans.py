"""The fake producer's plans: which steps a job goes through, and the outputs a request asks for.

Outputs follow the request's OutputConfig: `Count` videos (default 1), numbered from 1
(FIRST_INDEX), each with `MediaURL` where `{index}` is replaced by its number. ICE does not document
whether `{index}` starts at 0 or 1; 1 matches the sub-job numbering we report. Without `MediaURL`,
`StorageLocation` + `FileName` (the VOD form) is used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from highlights.ports import JobStatus, PermanentError, SubJob, SubJobState, SubmitRequest

FIRST_INDEX = 1
PlanFactory = Callable[[str, SubmitRequest], Sequence[JobStatus]]
"""Builds a job's steps from its id and request; `job_id` in the steps may be left empty."""


@dataclass(frozen=True)
class Output:
    """One output video a request asks for."""

    index: int
    media_url: str | None


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
