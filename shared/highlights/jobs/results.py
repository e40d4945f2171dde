"""The documents the pipeline writes for people and downstream systems: results and rejections."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, Field

from highlights.jobs.record import JobError, JobRecord, ManifestLocation
from highlights.jobs.states import JobState
from highlights.manifest.problems import Problem
from highlights.ports import JobStatus

RESULT_VERSION = 1


class JobSummary(BaseModel):
    id: str
    state: JobState
    manifest: ManifestLocation
    ice_job_id: str | None = Field(
        None, description="the producer's id of the job: ICE's JobId, or the local engine's"
    )
    created_at: str
    submitted_at: str | None = None
    completed_at: str | None = None
    error: JobError | None = None


class OutputRow(BaseModel):
    index: int
    status: str
    media_id: str | None = None
    media_url: str | None = None
    duration: float | None = None
    error_code: str | None = None
    error_message: str | None = None


class Counts(BaseModel):
    requested: int
    succeeded: int
    failed: int


class ResultManifest(BaseModel):
    """Written next to the output videos when a job ends, whatever the way it ended."""

    kind: Literal["highlights.result"] = "highlights.result"
    version: int = RESULT_VERSION
    job: JobSummary
    outputs: list[OutputRow]
    summary: Counts
    request: dict[str, Any] = Field(description="the effective request that was submitted")
    timelines: list[dict[str, Any]] | None = Field(
        None, description="local engine only: which source range covers which sentence"
    )


class ProblemRow(BaseModel):
    path: str
    message: str
    accepted: str | None = None
    line: int | None = None
    column: int | None = None


class RejectionReport(BaseModel):
    """Why a manifest was refused; written under the state prefix, nothing was submitted."""

    kind: Literal["highlights.rejection"] = "highlights.rejection"
    version: int = RESULT_VERSION
    job_id: str
    manifest: ManifestLocation
    rejected_at: str
    errors: list[ProblemRow]
    warnings: list[ProblemRow] = Field(default_factory=list)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def without_query(url: str | None) -> str | None:
    """Drop query and fragment: ICE may hand out signed URLs, which must not be published."""
    if not url:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def state_of(status: JobStatus) -> JobState:
    """A finished batch with some failed outputs is PARTIAL; with none succeeded, FAILED."""
    if status.status == "Failed":
        return JobState.FAILED
    ok = sum(1 for s in status.sub_jobs if s.status == "Success")
    if status.sub_jobs and ok == len(status.sub_jobs):
        return JobState.SUCCEEDED
    return JobState.PARTIAL if ok else JobState.FAILED


def _submitted_at(record: JobRecord) -> float | None:
    return next((t.at for t in record.history if t.state is JobState.SUBMITTED), None)


def build_result(
    record: JobRecord, status: JobStatus | None, request: dict[str, Any], requested: int
) -> ResultManifest:
    rows = [
        OutputRow(
            index=s.index,
            status=s.status,
            media_id=s.media_id,
            media_url=without_query(s.media_url),
            duration=s.duration,
            error_code=s.error_code,
            error_message=s.error_message,
        )
        for s in (status.sub_jobs if status else ())
    ]
    succeeded = sum(1 for r in rows if r.status == "Success")
    completed = record.updated_at if record.state.terminal else None
    return ResultManifest(
        job=JobSummary(
            id=record.job_id,
            state=record.state,
            manifest=record.manifest,
            ice_job_id=record.producer_job_id,
            created_at=iso(record.created_at) or "",
            submitted_at=iso(_submitted_at(record)),
            completed_at=iso(completed),
            error=record.error,
        ),
        outputs=rows,
        summary=Counts(requested=requested, succeeded=succeeded, failed=requested - succeeded),
        request=request,
        timelines=(list(status.timelines) if status and status.timelines else None),
    )


def build_rejection(
    record: JobRecord, errors: list[Problem], warnings: list[Problem], now: float
) -> RejectionReport:
    def rows(problems: list[Problem]) -> list[ProblemRow]:
        return [
            ProblemRow(
                path=p.path, message=p.message, accepted=p.accepted, line=p.line, column=p.column
            )
            for p in problems
        ]

    return RejectionReport(
        job_id=record.job_id,
        manifest=record.manifest,
        rejected_at=iso(now) or "",
        errors=rows(errors),
        warnings=rows(warnings),
    )


def encode(document: BaseModel) -> bytes:
    return (
        json.dumps(
            document.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False
        )
        + "\n"
    ).encode()
