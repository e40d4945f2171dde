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
    out: TextIO = sys.stdout,
    renderer: Any = None,
) -> int:
    if not manifest.is_file():
        print(f"error: {manifest}: no such file", file=sys.stderr)
        return 2
    platform = LocalPlatform(settings, renderer=renderer)
    lock = engine_lock(platform, "run")
    if lock is None:
        return 2
    try:
        platform.start()
        key = platform.place(manifest)
        print(f"manifest  {key}  (bucket {platform.root})", file=out)
        answer = platform.deliver(key)
        if answer.get("error") or not answer.get("accepted"):
            print(f"error: {answer.get('error') or answer.get('skipped')}", file=sys.stderr)
            return 2
        job_id = answer["accepted"][0]["job_id"]
        record = wait(platform.pipeline, job_id, timeout=timeout, out=out)
        report(platform, record, out=out)
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


def wait(pipeline: Pipeline, job_id: str, *, timeout: float, out: TextIO) -> JobRecord:
    """Until the job ends: the engine's callback observes it; polling backs the callback up."""
    started = last_poll = time.monotonic()
    shown = ""
    while True:
        record = pipeline.records.load(job_id)
        if record.state.terminal:
            return record
        line = f"job {job_id}: {record.state.value}"
        if record.producer_job_id:
            try:
                status = pipeline.producer.get(record.producer_job_id)
                line += f"  {(status.progress or 0) * 100:3.0f}%  {status.message or ''}"
            except (NotFound, TransientError):
                pass
        if line != shown:
            print(line.rstrip(), file=out, flush=True)
            shown = line
        if time.monotonic() - last_poll > POLL_FALLBACK:
            last_poll = time.monotonic()
            with contextlib.suppress(TransientError):
                observe(pipeline, job_id)
        if time.monotonic() - started > timeout:
            print(
                f"still {record.state.value} after {timeout:.0f} s; `highlights serve` will finish it",
                file=out,
            )
            return record
        time.sleep(0.3)


def report(platform: LocalPlatform, record: JobRecord, *, out: TextIO) -> None:
    print(f"job {record.job_id}: {record.state.value}", file=out)
    if record.error:
        print(f"  error   {record.error.code}: {record.error.message}", file=out)
    if not record.result_key:
        return
    path = platform.root / record.result_key
    label = "rejection" if record.state is JobState.REJECTED else "result"
    print(f"  {label:<7} {path}", file=out)
    document = json.loads(path.read_text(encoding="utf-8"))
    for problem in document.get("errors", []):
        print(f"  error   {problem['path']}: {problem['message']}", file=out)
    key_for = platform.pipeline.key_for_url
    for row in document.get("outputs", []):
        where = key_for(row["media_url"]) if row.get("media_url") and key_for else None
        shown = platform.root / where if where else row.get("media_url")
        if row["status"] == "Success":
            print(f"  video   {shown}  ({row.get('duration') or 0:.1f} s)", file=out)
        else:
            print(
                f"  failed  #{row['index']} {row.get('error_code')}: {row.get('error_message')}",
                file=out,
            )
    for timeline in document.get("timelines") or []:
        if timeline.get("contact_sheet"):
            print(f"  sheet   {platform.root / timeline['contact_sheet']}", file=out)


RETRYABLE = (JobState.FAILED, JobState.TIMED_OUT, JobState.PARTIAL)


def retry(
    settings: Settings,
    job_id: str,
    *,
    timeout: float = 3600,
    out: TextIO = sys.stdout,
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
            print(f"no job {job_id[:120]!r} in {platform.root}", file=sys.stderr)
            return 2
        if record.state not in RETRYABLE:
            print(
                f"job {job_id} is {record.state.value}; only {', '.join(s.value for s in RETRYABLE)} jobs are retried",
                file=sys.stderr,
            )
            return 2
        ref = record.manifest.ref()
        retried = accept(pipeline, ManifestRef(ref.bucket, ref.key, ref.etag, ref.attempt + 1))
        print(f"retry of {job_id}: job {retried.job_id}", file=out)
        final = wait(pipeline, retried.job_id, timeout=timeout, out=out)
        report(platform, final, out=out)
        return EXIT_CODES.get(final.state, 1)
    finally:
        platform.stop()
        lock.release()
