"""Use case: observe a job — read it from the producer (the only truth) and record what it says."""

from __future__ import annotations

import logging

from highlights.jobs import versions
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.record import JobError, JobRecord
from highlights.jobs.results import state_of
from highlights.jobs.states import JobState
from highlights.ports import NotFound, PermanentError

log = logging.getLogger(__name__)


def observe(pipeline: Pipeline, job_id: str) -> JobRecord | None:
    """Poll one job and move it forward. Returns None for a job this bucket does not know.

    Raises TransientError when the producer cannot answer now, and ServiceRefused when it refuses
    the caller: neither says anything about the job, which stays in flight. Only what is wrong
    with the job itself (NotFound, a job-level PermanentError) or its outcome ends it.
    """
    try:
        record = pipeline.records.load(job_id)
    except NotFound:
        log.info("observe: unknown job", extra={"job_id": job_id})
        return None
    if record.state.terminal or record.producer_job_id is None:
        return record
    fields = {"job_id": job_id, "producer_job_id": record.producer_job_id}
    try:
        status = pipeline.producer.get(record.producer_job_id)
    except (NotFound, PermanentError) as exc:
        code = getattr(exc, "code", "JobNotFound")
        log.warning("producer cannot read the job: %s", code, extra=fields)
        return pipeline.finish(record, JobState.FAILED, error=JobError(code=code, message=str(exc)))
    if status.terminal:
        newer = versions.superseded_by(pipeline, record)
        if newer is not None:
            # Its outputs were rendered, but a newer version counts: its result goes aside.
            message = f"a newer version of {record.manifest.key} (job {newer}) replaced this one"
            error = JobError(code="Superseded", message=message)
            return pipeline.finish(record, JobState.SUPERSEDED, status=status, error=error)
        failure = (
            JobError(code=status.error_code, message=status.error_message or "")
            if status.error_code
            else None
        )
        return pipeline.finish(record, state_of(status), status=status, error=failure)
    raw = status.raw_status
    if raw is not None and raw != record.producer_status:
        # Once per job and value: an undocumented state is taken as "still working".
        log.warning("unknown batch status %r, treated as in progress", raw, extra=fields)
    state = JobState.PROCESSING if status.status == "Processing" else record.state
    log.info("job %s", status.status.lower(), extra=fields)
    return pipeline.reschedule(record, state, producer_status=raw)
