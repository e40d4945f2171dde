"""The job record: one JSON document per job, the pipeline's memory between events."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from highlights.jobs.identity import ManifestRef
from highlights.jobs.states import JobState
from highlights.ports import AlreadyExists, ObjectStore


class ManifestLocation(BaseModel):
    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    etag: str
    attempt: int = 0
    uploaded: float | None = None  # the version's upload time, when the store said

    def ref(self) -> ManifestRef:
        return ManifestRef(self.bucket, self.key, self.etag, self.attempt)


class JobError(BaseModel):
    code: str
    message: str


class Transition(BaseModel):
    state: JobState
    at: float


class JobRecord(BaseModel):
    """What the pipeline knows about a job. The producer, not this record, is the truth on outcome."""

    model_config = ConfigDict(populate_by_name=True)

    version: int = 1
    job_id: str
    state: JobState
    manifest: ManifestLocation
    client_token: str
    created_at: float
    updated_at: float
    # The producer's own id of the job (ICE's JobId, or the local engine's). Stored as
    # `ice_job_id`, the name the first records used, so records stay readable both ways.
    producer_job_id: str | None = Field(None, alias="ice_job_id")
    polls: int = 0
    failures: int = Field(0, description="unexpected errors while handling the job, in a row")
    producer_status: str | None = Field(
        None, description="an undocumented status the producer last reported (logged once)"
    )
    marker: str | None = Field(None, description="key of the in-flight marker, while not terminal")
    result_key: str | None = None
    error: JobError | None = None
    history: list[Transition] = Field(default_factory=list)

    def moved(self, state: JobState, now: float, **changes: Any) -> JobRecord:
        """A copy in `state`; ValueError when that would move the job back."""
        if not self.state.can_become(state):
            raise ValueError(
                f"job {self.job_id} cannot go from {self.state.value} to {state.value}"
            )
        history = (
            self.history
            if state is self.state
            else [*self.history, Transition(state=state, at=now)]
        )
        return self.model_copy(
            update={"state": state, "updated_at": now, "history": history, **changes}
        )


class StaleRecord(Exception):
    """The stored record is already further along than the one being saved."""

    def __init__(self, current: JobRecord) -> None:
        super().__init__(f"job {current.job_id} is already {current.state.value}")
        self.current = current


class JobRecords:
    """Job records in the store. Creation is create-only; updates never move a job back."""

    def __init__(self, store: ObjectStore, key_for: Any) -> None:
        self._store = store
        self._key_for = key_for

    def load(self, job_id: str) -> JobRecord:
        """Raises NotFound."""
        return JobRecord.model_validate_json(self._store.get(self._key_for(job_id)))

    def create(self, record: JobRecord) -> JobRecord:
        """Store a new record, or return the one already there (a duplicate event got here first)."""
        try:
            self._store.put(self._key_for(record.job_id), _encode(record), create_only=True)
        except AlreadyExists:
            return self.load(record.job_id)
        return record

    def save(self, record: JobRecord) -> JobRecord:
        """Write record unless the stored one is further along (then raise StaleRecord).

        Check-then-write is not atomic on OSS; the race it leaves is between two observers of the
        same producer truth, which write the same outcome.
        """
        current = self.load(record.job_id)
        if current.state is not record.state and not current.state.can_become(record.state):
            raise StaleRecord(current)
        self._store.put(self._key_for(record.job_id), _encode(record))
        return record


def _encode(record: JobRecord) -> bytes:
    return json.dumps(record.model_dump(mode="json", by_alias=True), indent=1).encode()
