"""What the use cases work with, and the steps they share: scheduling and finishing a job.

Every step is written so that a crash between any two writes, followed by a replay of the event or
a reconcile tick, ends in the same records and results.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from highlights.callback_auth import notify_address
from highlights.jobs.identity import ManifestRef
from highlights.jobs.layout import BucketLayout
from highlights.jobs.record import JobError, JobRecord, JobRecords, StaleRecord
from highlights.jobs.report_files import write_report
from highlights.jobs.requests import StoredRequest
from highlights.jobs.results import (
    RejectionReport,
    ResultManifest,
    build_rejection,
    build_result,
    encode,
)
from highlights.jobs.states import JobState
from highlights.keys import folder_key_problem, output_key_problem
from highlights.manifest.limits import MAX_MANIFEST_BYTES
from highlights.manifest.problems import Problem
from highlights.manifest.references import parse_oss_url
from highlights.ports import JobStatus, NotFound, ObjectStore, Producer, UnsafeKey

log = logging.getLogger(__name__)


def same_bucket(bucket: str) -> Callable[[str], str | None]:
    """OSS URLs of this one bucket map to its keys."""

    def key_for(url: str) -> str | None:
        location = parse_oss_url(url)
        return location.key if location and location.bucket == bucket else None

    return key_for


@dataclass
class Pipeline:
    """The ports and the policy the three use cases run with."""

    store: ObjectStore
    producer: Producer
    layout: BucketLayout = field(default_factory=BucketLayout)
    region: str | None = None
    callback_url: str | None = None
    callback_keys: tuple[str, ...] = field(default=(), repr=False)
    clock: Callable[[], float] = time.time
    max_job_age: float = 24 * 3600
    received_lease: float = 120.0  # a RECEIVED job older than this is resubmitted
    poll_first: float = 30.0
    poll_max: float = 600.0
    reconcile_batch: int = (
        20_000  # due markers one tick takes at most (its deadline stops it first)
    )
    sweep_page: int = 100
    workers: int = 1  # due jobs a tick handles at once (threads; 1: in order, in the caller)
    key_for_url: Callable[[str], str | None] | None = None
    max_manifest_bytes: int = MAX_MANIFEST_BYTES

    def __post_init__(self) -> None:
        self.records = JobRecords(self.store, self.layout.record)
        if self.key_for_url is None:
            self.key_for_url = same_bucket(self.store.bucket)

    # -- addresses
    def notify_url(self, job_id: str) -> str | None:
        """The job's callback address, carrying its token (see highlights.callback_auth)."""
        if not self.callback_url:
            return None
        return notify_address(self.callback_url, job_id, self.callback_keys)

    def request_key(self, job_id: str) -> str:
        return f"{self.layout.state}requests/{job_id}.json"

    def stored_request(self, job_id: str) -> StoredRequest | None:
        try:
            return StoredRequest.parse(self.store.get(self.request_key(job_id)))
        except NotFound:
            return None

    def ring(self, job_id: str) -> str:
        """A callback's doorbell: one small write that makes the job due at once. The next tick
        (or the callback itself, while its time lasts) reads the job; the doorbell is then gone."""
        key = self.layout.doorbell(job_id, self.clock())
        self.store.put(key, json.dumps({"job_id": job_id}).encode())
        return key

    # -- scheduling
    def poll_delay(self, polls: int) -> float:
        return min(self.poll_first * 2.0 ** min(polls, 20), self.poll_max)

    def put_marker(self, ref: ManifestRef, job_id: str, due: float) -> str:
        key = self.layout.inflight(job_id, due)
        body = {
            "job_id": job_id,
            "bucket": ref.bucket,
            "key": ref.key,
            "etag": ref.etag,
            "attempt": ref.attempt,
        }
        self.store.put(key, json.dumps(body).encode())
        return key

    def reschedule(self, record: JobRecord, state: JobState, **changes: Any) -> JobRecord:
        """After a poll: the next one is due after the back-off for the polls made so far."""
        return self.advance(
            record, state, self.poll_delay(record.polls), polls=record.polls + 1, **changes
        )

    def advance(
        self, record: JobRecord, state: JobState, delay: float, **changes: Any
    ) -> JobRecord:
        """Move the job to `state` with its marker due in `delay` seconds. The new marker goes first
        (never a job without one); a record someone else moved further wins, and ours is dropped."""
        now = self.clock()
        changes.setdefault("failures", 0)  # a step that went through ends a run of failures
        marker = self.put_marker(record.manifest.ref(), record.job_id, now + delay)
        try:
            saved = self.records.save(record.moved(state, now, marker=marker, **changes))
        except StaleRecord as stale:
            self.store.delete(marker)
            return stale.current
        if record.marker and record.marker != marker:
            self.store.delete(record.marker)
        return saved

    # -- ending
    def finish(
        self,
        record: JobRecord,
        state: JobState,
        *,
        status: JobStatus | None = None,
        error: JobError | None = None,
        problems: tuple[list[Problem], list[Problem]] | None = None,
    ) -> JobRecord:
        """Write the result (or rejection report), then the terminal record, then drop the marker."""
        now = self.clock()
        final = record.moved(state, now, error=error or record.error, marker=None)
        if state is JobState.REJECTED:
            errors, warnings = problems or ([], [])
            key = self.layout.rejection(record.manifest.key)
            if folder_key_problem(key) is not None:  # a manifest named near the limits
                key = self.layout.rejection(record.job_id)
            built: ResultManifest | RejectionReport = build_rejection(final, errors, warnings, now)
            self.store.put(key, encode(built))
        else:
            request = self.stored_request(record.job_id)
            key = (
                self.layout.fallback_result(record.job_id)
                if state is JobState.SUPERSEDED  # never over the newer version's result
                else self._result_key(record, request)
            )
            effective = request.effective() if request else {}
            requested = request.requested_count() if request else 0
            built = build_result(final, status, effective, requested)
            document = encode(built)
            try:
                self.store.put(key, document)
            except UnsafeKey:
                # Next to the videos is where people look; when the store refuses that place, the
                # result still has to land somewhere, or the job could never end.
                key = self.layout.fallback_result(record.job_id)
                self.store.put(key, document)
        write_report(self, key, built)  # the page beside it, for people
        final = final.model_copy(update={"result_key": key})
        try:
            self.records.save(final)
        except StaleRecord as stale:
            final = stale.current
        if record.marker:
            self.store.delete(record.marker)
        log.info(
            "job ended",
            extra={
                "job_id": record.job_id,
                "state": final.state.value,
                "result_key": final.result_key,
            },
        )
        return final

    def _result_key(self, record: JobRecord, request: StoredRequest | None) -> str:
        url = request.output_media_url() if request else None
        output_key = self.key_for_url(url) if url and self.key_for_url else None
        key = self.layout.result(record.job_id, record.manifest.ref().name, output_key)
        reserved = (self.layout.state, self.layout.inbox)
        if output_key is not None and output_key_problem(key, reserved) is not None:
            # Validation refuses such outputs; the result still lands, where the pipeline's own
            # documents go (never beside its state, in the inbox, or at a key a store refuses).
            return self.layout.fallback_result(record.job_id)
        return key
