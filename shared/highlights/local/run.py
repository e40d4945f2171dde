"""`highlights run` and `retry`: one job on the local engine, in the foreground, to its end."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from highlights.config import Settings
from highlights.jobs.identity import ManifestRef
from highlights.jobs.observe import observe
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.record import JobRecord
from highlights.jobs.states import JobState
from highlights.local.console import Console, Progress, console_for
from highlights.local.lock import BucketBusy, BucketLock
from highlights.local.platform import LocalPlatform
from highlights.ports import NotFound, TransientError, UnsafeKey

EXIT_CODES = {
    JobState.SUCCEEDED: 0,
    JobState.FAILED: 1,
    JobState.TIMED_OUT: 1,
    JobState.REJECTED: 2,
    JobState.SUPERSEDED: 1,
    JobState.PARTIAL: 3,
}
POLL_FALLBACK = 5.0  # seconds without a callback before run polls the engine itself


def run(
    manifest: Path,
    settings: Settings,
    *,
    timeout: float = 3600,
    out: TextIO | None = None,
    renderer: Any = None,
) -> int:
    if not manifest.is_file():
        print(
            f"error: {manifest}: no such file (examples/ holds manifests to try)", file=sys.stderr
        )
        return 2
    platform = LocalPlatform(settings, renderer=renderer)
    lock = engine_lock(platform, "run")
    if lock is None:
        return 2
    try:
        platform.start()
        with console_for(out) as console:
            key = platform.place(manifest)
            console.line(f"manifest  {key}  (bucket {platform.root})")
            answer = platform.deliver(key)
            if answer.get("error") or not answer.get("accepted"):
                print(f"error: {answer.get('error') or answer.get('skipped')}", file=sys.stderr)
                return 2
            accepted = answer["accepted"][0]
            job_id = accepted["job_id"]
            if not JobState(accepted["state"]).terminal:  # else its report says it
                console.job(job_id, Progress(accepted["state"]))
            record = wait(platform.pipeline, job_id, timeout=timeout, console=console)
            console.done(job_id, report(platform, record))
            return EXIT_CODES.get(record.state, 1)
    finally:
        platform.stop()
        lock.release()


def engine_lock(
    platform: LocalPlatform, command: str, port: int | None = None
) -> BucketLock | None:
    """The folder's engine lock, or None (after saying who holds it): one engine per folder."""
    lock = BucketLock(platform.root)
    try:
        lock.acquire(command, port=port)
    except BucketBusy as exc:
        print(f"error: {exc}; stop it first (its inbox takes manifests too)", file=sys.stderr)
        return None
    return lock


def wait(pipeline: Pipeline, job_id: str, *, timeout: float, console: Console) -> JobRecord:
    """Until the job ends: the engine's callback observes it; polling backs the callback up."""
    started = last_poll = time.monotonic()
    while True:
        record = pipeline.records.load(job_id)
        if record.state.terminal:
            return record
        console.job(job_id, progress_of(pipeline, record))
        if time.monotonic() - last_poll > POLL_FALLBACK:
            last_poll = time.monotonic()
            with contextlib.suppress(TransientError):
                observe(pipeline, job_id)
        if time.monotonic() - started > timeout:
            console.line(
                f"still {record.state.value} after {timeout:.0f} s; `highlights serve` will finish it"
            )
            return record
        time.sleep(0.3)


def progress_of(pipeline: Pipeline, record: JobRecord) -> Progress:
    """The job as a person would describe it: the record's state, but PROCESSING (with how far)
    as soon as the engine renders, before the pipeline has looked."""
    state = record.state.value
    if not record.producer_job_id or record.state.terminal:
        return Progress(state)
    try:
        status = pipeline.producer.get(record.producer_job_id)
    except (NotFound, TransientError):
        return Progress(state)
    if status.status == "Init":
        return Progress(state)
    if record.state in (JobState.RECEIVED, JobState.SUBMITTED):
        state = JobState.PROCESSING.value
    fraction = 1.0 if status.terminal else min(max(status.progress or 0.0, 0.0), 1.0)
    return Progress(state, fraction, status.message or "")


def report(platform: LocalPlatform, record: JobRecord) -> list[str]:
    """How the job ended: its state, then its result, videos and contact sheets (or errors)."""
    lines = [f"job {record.job_id}: {record.state.value}"]
    if record.error:
        lines.append(f"  error   {record.error.code}: {record.error.message}")
    if not record.result_key:
        return lines
    path = platform.root / record.result_key
    label = "rejection" if record.state is JobState.REJECTED else "result"
    lines.append(f"  {label:<7} {path}")
    document = json.loads(path.read_text(encoding="utf-8"))
    for problem in document.get("errors", []):
        lines.append(f"  error   {problem['path']}: {problem['message']}")
    key_for = platform.pipeline.key_for_url
    for row in document.get("outputs", []):
        where = key_for(row["media_url"]) if row.get("media_url") and key_for else None
        shown = platform.root / where if where else row.get("media_url")
        if row["status"] == "Success":
            lines.append(f"  video   {shown}  ({row.get('duration') or 0:.1f} s)")
        else:
            lines.append(
                f"  failed  #{row['index']} {row.get('error_code')}: {row.get('error_message')}"
            )
    for timeline in document.get("timelines") or []:
        if timeline.get("contact_sheet"):
            lines.append(f"  sheet   {platform.root / timeline['contact_sheet']}")
    return lines


RETRYABLE = (JobState.FAILED, JobState.TIMED_OUT, JobState.PARTIAL)


def retry(
    settings: Settings,
    job_id: str,
    *,
    timeout: float = 3600,
    out: TextIO | None = None,
    renderer: Any = None,
) -> int:
    from highlights.jobs.accept import accept

    platform = LocalPlatform(settings, renderer=renderer)
    lock = engine_lock(platform, "retry")
    if lock is None:
        return 2
    try:
        platform.start()
        pipeline = platform.pipeline
        try:
            record = pipeline.records.load(job_id)
        except (NotFound, UnsafeKey, ValueError):
            print(
                f"error: no job {job_id[:120]!r} in {platform.root}: `highlights jobs` lists them",
                file=sys.stderr,
            )
            return 2
        if record.state not in RETRYABLE:
            print(
                f"error: job {job_id} is {record.state.value}; only {', '.join(s.value for s in RETRYABLE)} jobs are retried",
                file=sys.stderr,
            )
            return 2
        ref = record.manifest.ref()
        retried = accept(pipeline, ManifestRef(ref.bucket, ref.key, ref.etag, ref.attempt + 1))
        with console_for(out) as console:
            console.line(f"retry of {job_id}: job {retried.job_id}")
            final = wait(pipeline, retried.job_id, timeout=timeout, console=console)
            console.done(retried.job_id, report(platform, final))
        return EXIT_CODES.get(final.state, 1)
    finally:
        platform.stop()
        lock.release()
