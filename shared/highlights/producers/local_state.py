"""The local engine's record of a job: what it was asked, where it stands, what it made.

Kept in the folder (`<state>engine/<job>.json`), rewritten whole at every step; the engine answers
`get` in ICE's shape from it, and a restarted engine takes unfinished jobs over from it.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from highlights.ports import JobStatus, SubJob, SubmitRequest
from highlights.render.contract import OutputResult


class EngineRequest(BaseModel):
    """The request as submitted, with UserData as sent (NotifyAddress included)."""

    model_config = ConfigDict(populate_by_name=True)

    input_config: str = Field(alias="InputConfig")
    editing_config: str | None = Field(None, alias="EditingConfig")
    output_config: str = Field(alias="OutputConfig")
    template_config: str | None = Field(None, alias="TemplateConfig")
    user_data: dict[str, Any] = Field(default_factory=dict, alias="UserData")

    def submit_request(self) -> SubmitRequest:
        return SubmitRequest(
            input_config=self.input_config,
            editing_config=self.editing_config,
            output_config=self.output_config,
            template_config=self.template_config,
            user_data=dict(self.user_data),
        )


class EngineJob(BaseModel):
    model_config = ConfigDict(extra="ignore")  # what a newer engine wrote stays readable

    job_id: str
    client_token: str
    fingerprint: str
    request: EngineRequest
    notify_url: str | None = None
    status: Literal["Init", "Processing", "Finished", "Failed"] = "Init"
    created: float
    heartbeat: float
    owner: str
    started: float | None = None
    completed: float | None = None
    progress: float = 0.0
    message: str | None = None
    outputs: list[OutputResult] = Field(default_factory=list)  # validated as the dataclass
    timelines: list[dict[str, Any]] = Field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ended(self) -> bool:
        return self.status in ("Finished", "Failed")

    def encode(self) -> bytes:
        return json.dumps(
            self.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=1
        ).encode()

    def job_status(self) -> JobStatus:
        """The job in ICE's shape (GetBatchMediaProducingJob's)."""
        subs = tuple(
            SubJob(
                index=o.index,
                status="Success" if o.ok else "Failed",
                job_id=f"{self.job_id}-{o.index}",
                media_url=o.media_url or o.key,
                duration=o.duration,
                error_code=o.error_code,
                error_message=o.error_message,
            )
            for o in self.outputs
        )
        return JobStatus(
            job_id=self.job_id,
            status=self.status,
            sub_jobs=subs,
            error_code=self.error_code,
            error_message=self.error_message,
            create_time=utc(self.created),
            complete_time=utc(self.completed),
            timelines=tuple(self.timelines),
            progress=self.progress,
            message=self.message,
        )


def utc(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
