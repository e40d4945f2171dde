"""Use case: accept a manifest version — validate it, then submit exactly one batch job for it."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass

from highlights.jobs import versions
from highlights.jobs.identity import ManifestRef, client_token_for, job_id_for
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.record import JobError, JobRecord
from highlights.jobs.requests import StoredRequest
from highlights.jobs.states import JobState
from highlights.manifest import validate_manifest
from highlights.manifest.problems import Problem
from highlights.ports import AlreadyExists, NotFound, PermanentError, ServiceRefused

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    job_id: str
    state: JobState
    duplicate: bool = False


def accept(pipeline: Pipeline, ref: ManifestRef) -> Accepted:
    """Accept one manifest version. Replaying it is harmless; a transient error raises, leaving
    the job RECEIVED for a retry or for reconcile. A refused caller (credentials, permissions)
    leaves it RECEIVED too, without raising: retrying the event at once cannot help, the timer
    submits it once the cause is fixed."""
    uploaded = _uploaded(pipeline, ref)
    while True:
        job_id = job_id_for(ref)
        try:
            record: JobRecord | None = pipeline.records.load(job_id)
        except NotFound:
            record = None
        if record is None or not _uploaded_again(record, uploaded):
            break
        # The same bytes uploaded again after this version ended (A, B, then A again): the
        # newest upload must stand, so it is a version of its own.
        ref = dataclasses.replace(ref, attempt=record.manifest.attempt + 1)
    fields = {"job_id": job_id, "manifest_key": ref.key}
    if record is None:
        record = _create(pipeline, ref, job_id, uploaded)
    elif record.state is not JobState.RECEIVED:
        log.info("duplicate event, job already %s", record.state.value, extra=fields)
        return Accepted(job_id, record.state, duplicate=True)
    if record.state is not JobState.RECEIVED:
        return Accepted(job_id, record.state, duplicate=True)
    try:
        record = submit(pipeline, record)
    except ServiceRefused as exc:
        log.error(
            "submit refused by the service (%s): the job waits for the timer; check the "
            "function's credentials and RAM policy",
            exc.code,
            extra=fields,
        )
    return Accepted(job_id, record.state)


def _uploaded(pipeline: Pipeline, ref: ManifestRef) -> float | None:
    """When this version was uploaded (None: it is gone, or is another version by now)."""
    try:
        head = pipeline.store.head(ref.key)
    except NotFound:
        return None
    return head.last_modified if _normal(head.etag) == _normal(ref.etag) else None


def _uploaded_again(record: JobRecord, uploaded: float | None) -> bool:
    before = record.manifest.uploaded
    return (
        record.state.terminal
        and uploaded is not None
        and before is not None
        and int(uploaded) > int(before)
    )


def _create(
    pipeline: Pipeline, ref: ManifestRef, job_id: str, uploaded: float | None = None
) -> JobRecord:
    now = pipeline.clock()
    # The marker goes first: whatever happens next, reconcile can find its way back to this job.
    marker = pipeline.put_marker(ref, job_id, now + pipeline.received_lease)
    fresh = JobRecord(
        job_id=job_id,
        state=JobState.RECEIVED,
        manifest={
            "bucket": ref.bucket,
            "key": ref.key,
            "etag": ref.etag,
            "attempt": ref.attempt,
            "uploaded": uploaded,
        },
        client_token=client_token_for(ref),
        created_at=now,
        updated_at=now,
        marker=marker,
        history=[{"state": JobState.RECEIVED, "at": now}],
    )
    record = pipeline.records.create(fresh)
    if record.marker != marker:
        pipeline.store.delete(marker)  # a concurrent duplicate created the record first
    log.info("job received", extra={"job_id": job_id, "manifest_key": ref.key})
    return record


def submit(pipeline: Pipeline, record: JobRecord) -> JobRecord:
    """Submit a RECEIVED job with its ClientToken: the stored request when there is one (sent again
    byte for byte), else the manifest validated now. Raises TransientError and ServiceRefused.

    Newest version wins (jobs/versions.py): a job a newer version replaced ends SUPERSEDED
    unsubmitted; a job whose older versions still render into the same outputs stops them (the
    local engine) or waits for them to end (ICE)."""
    fields = {"job_id": record.job_id, "manifest_key": record.manifest.key}
    request = pipeline.stored_request(record.job_id)
    if request is None:
        prepared = _prepare(pipeline, record)
        if isinstance(prepared, JobRecord):
            return prepared  # rejected or superseded
        request = prepared
    newer = versions.superseded_by(pipeline, record)
    if newer is not None:
        return _supersede(pipeline, record, newer)
    if _waits_for_older(pipeline, record, request):
        return pipeline.reschedule(record, JobState.RECEIVED)
    try:
        producer_job_id = pipeline.producer.submit(
            request.submit_request(), record.client_token, request.notify_url
        )
    except PermanentError as exc:
        log.warning("submit refused: %s", exc.code, extra=fields)
        return pipeline.finish(
            record, JobState.FAILED, error=JobError(code=exc.code, message=exc.message)
        )
    log.info("job submitted", extra={**fields, "producer_job_id": producer_job_id})
    return pipeline.advance(
        record, JobState.SUBMITTED, pipeline.poll_first, producer_job_id=producer_job_id
    )


def _prepare(pipeline: Pipeline, record: JobRecord) -> StoredRequest | JobRecord:
    """Validate the manifest and store the request it makes (create-only: what is stored first is
    what is sent, whoever gets there); a rejected job's final record otherwise."""
    fields = {"job_id": record.job_id, "manifest_key": record.manifest.key}
    replaced = (
        "$",
        "the manifest was replaced after this upload; the newer version is its own job",
    )
    try:
        head = pipeline.store.head(record.manifest.key)
    except NotFound:
        return _reject(pipeline, record, "$", "the manifest was deleted before it could be read")
    etag = _normal(record.manifest.etag)
    if etag and head.etag and _normal(head.etag) != etag:
        return _reject(pipeline, record, *replaced)
    if head.size > pipeline.max_manifest_bytes:
        # Refused before reading: a manifest is a few KB; this one could only cost memory.
        return _reject(
            pipeline,
            record,
            "$",
            f"the manifest is {head.size:,} bytes; at most {pipeline.max_manifest_bytes:,} are "
            "accepted (HIGHLIGHTS_MAX_MANIFEST_BYTES)",
        )
    try:
        data = pipeline.store.get(record.manifest.key)
    except NotFound:
        return _reject(pipeline, record, "$", "the manifest was deleted before it could be read")
    if _superseded(record.manifest.etag, data):
        return _reject(pipeline, record, *replaced)
    notify = pipeline.notify_url(record.job_id)
    try:
        validation = validate_manifest(
            data,
            region=pipeline.region,
            notify_url=notify,
            max_bytes=pipeline.max_manifest_bytes,
            reserved_prefixes=(pipeline.layout.state, pipeline.layout.inbox),
        )
    except Exception as exc:
        # Validation answers with problems, never raises; if it ever does, the manifest is what
        # made it, so the job ends REJECTED instead of failing every tick.
        log.exception("validation raised", extra=fields)
        return _reject(
            pipeline, record, "$", f"the manifest could not be read ({type(exc).__name__})"
        )
    if validation.manifest is None:
        log.info("manifest rejected: %d error(s)", len(validation.errors), extra=fields)
        return pipeline.finish(
            record, JobState.REJECTED, problems=(validation.errors, validation.warnings)
        )
    newer = versions.newest(versions.claim(pipeline, record, head.last_modified), record.job_id)
    if newer is not None:
        return _supersede(pipeline, record, newer)
    manifest = validation.manifest
    request = StoredRequest.for_job(manifest.to_wire(), manifest.user_data, record.job_id, notify)
    try:
        pipeline.store.put(pipeline.request_key(record.job_id), request.encode(), create_only=True)
    except AlreadyExists:
        stored = pipeline.stored_request(record.job_id)
        if stored is not None:
            return stored
        pipeline.store.put(pipeline.request_key(record.job_id), request.encode())
    return request


def _supersede(pipeline: Pipeline, record: JobRecord, newer: str) -> JobRecord:
    log.info("superseded by %s", newer, extra={"job_id": record.job_id})
    message = f"a newer version of {record.manifest.key} (job {newer}) replaced this one"
    return pipeline.finish(
        record, JobState.SUPERSEDED, error=JobError(code="Superseded", message=message)
    )


def _waits_for_older(pipeline: Pipeline, record: JobRecord, request: StoredRequest) -> bool:
    """Older versions still rendering into the same outputs: the local engine stops them; ICE
    cannot be stopped, so this job waits for them to end (else their videos would land last)."""
    older = [
        o
        for o in versions.unfinished_predecessors(pipeline, record)
        if (o_request := pipeline.stored_request(o.job_id)) is None
        or o_request.output_target() == request.output_target()
    ]
    cancel = getattr(pipeline.producer, "cancel", None)
    waiting = []
    for job in older:
        if callable(cancel) and job.producer_job_id:
            cancel(job.producer_job_id)
        else:
            # ICE's, or not submitted yet (it may be mid-submit: it will see it is superseded
            # and end unsubmitted; until then this job cannot know)
            waiting.append(job.job_id)
    if waiting:
        log.info(
            "waiting for older versions to end: %s",
            ", ".join(waiting),
            extra={"job_id": record.job_id},
        )
    return bool(waiting)


def _reject(pipeline: Pipeline, record: JobRecord, path: str, message: str) -> JobRecord:
    return pipeline.finish(record, JobState.REJECTED, problems=([Problem(path, message)], []))


def _normal(etag: str) -> str:
    return etag.strip('"').upper()


def _superseded(etag: str, data: bytes) -> bool:
    """Whether data is not the version the event named. Only simple-upload ETags are MD5 digests;
    multipart ones (with a dash) cannot be checked this way."""
    etag = etag.strip('"').upper()
    if len(etag) != 32 or "-" in etag:
        return False
    return hashlib.md5(data).hexdigest().upper() != etag
