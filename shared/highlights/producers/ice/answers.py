"""ICE's answers as the port's values: JobStatus and SubJob from the SDK's models."""

from __future__ import annotations

import json
from typing import Any, cast

from highlights.ports import BatchState, JobStatus, SubJob, SubJobState

_BATCH_STATES: frozenset[str] = frozenset({"Init", "Processing", "Finished", "Failed"})
_SUB_JOB_STATES: frozenset[str] = frozenset({"Init", "Processing", "Success", "Failed"})


def job_status(job_id: str, job: Any) -> JobStatus:
    """JobStatus from the SDK's EditingBatchJob model (or anything with the same attributes)."""
    raw_status = str(getattr(job, "status", "") or "")
    status = cast(BatchState, raw_status if raw_status in _BATCH_STATES else "Processing")
    error_code, error_message = parse_extend(getattr(job, "extend", None))
    sub_jobs = tuple(
        _sub_job(index, sub)
        for index, sub in enumerate(getattr(job, "sub_job_list", None) or (), start=1)
    )
    return JobStatus(
        job_id=str(getattr(job, "job_id", None) or job_id),
        status=status,
        sub_jobs=sub_jobs,
        error_code=error_code,
        error_message=error_message,
        create_time=getattr(job, "create_time", None),
        complete_time=getattr(job, "complete_time", None),
        raw_status=None if raw_status == status else raw_status,
        job_type=getattr(job, "job_type", None),
    )


def parse_extend(extend: Any) -> tuple[str | None, str | None]:
    """(ErrorCode, ErrorMessage) from `Extend`, a JSON string; (None, None) if absent or invalid."""
    data = extend
    if isinstance(extend, (str, bytes)):
        try:
            data = json.loads(extend)
        except ValueError:
            return None, None
    if not isinstance(data, dict):
        return None, None
    code, message = data.get("ErrorCode"), data.get("ErrorMessage")
    return (str(code) if code else None), (str(message) if message else None)


def _sub_job(index: int, sub: Any) -> SubJob:
    raw = str(getattr(sub, "status", "") or "")
    status = cast(SubJobState, raw if raw in _SUB_JOB_STATES else "Processing")
    return SubJob(
        index=index,
        status=status,
        job_id=getattr(sub, "job_id", None),
        media_id=getattr(sub, "media_id", None),
        media_url=getattr(sub, "media_url", None),
        duration=_float(getattr(sub, "duration", None)),
        error_code=getattr(sub, "error_code", None) or None,
        error_message=getattr(sub, "error_message", None) or None,
    )


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
