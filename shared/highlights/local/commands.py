"""`highlights run`, `serve`, `status`, `jobs` and `retry` on a folder bucket."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from highlights.jobs.identity import ManifestRef, job_id_for
from highlights.jobs.layout import BucketLayout
from highlights.jobs.observe import observe
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.record import JobRecord, JobRecords
from highlights.jobs.states import JobState
from highlights.local.lock import BucketBusy, BucketLock
from highlights.local.platform import LocalPlatform, PortBusy
from highlights.ports import NotFound, ObjectStore, TransientError, UnsafeKey

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
    bucket: Path,
    *,
    region: str | None = None,
    timeout: float = 3600,
    out: TextIO = sys.stdout,
) -> int:
    if not manifest.is_file():
        print(f"error: {manifest}: no such file", file=sys.stderr)
        return 2
    platform = LocalPlatform(bucket, region=region)
    lock = _engine_lock(platform, "run")
    if lock is None:
        return 2
    try:
        platform.start_callback_server()
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


def _engine_lock(
    platform: LocalPlatform, command: str, port: int | None = None
) -> BucketLock | None:
    """The folder's engine lock, or None (after saying who holds it): one engine per folder."""
    lock = BucketLock(platform.root, platform.pipeline.layout.state)
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
        if record.ice_job_id:
            try:
                extra = pipeline.producer.get(record.ice_job_id).extra
                line += f"  {float(extra.get('progress') or 0) * 100:3.0f}%  {extra.get('message') or ''}"
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


def serve(
    bucket: Path,
    *,
    region: str | None = None,
    port: int = 8790,
    interval: float = 1.0,
    reconcile_every: float = 15.0,
    out: TextIO = sys.stdout,
    stop: threading.Event | None = None,
) -> int:
    """Until Ctrl-C (or `stop` is set)."""
    platform = LocalPlatform(bucket, region=region, port=port)
    lock = _engine_lock(platform, "serve", port)
    if lock is None:
        return 2
    try:
        url = platform.start_callback_server()
    except PortBusy as exc:
        lock.release()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    producer = platform.pipeline.producer
    resumed = producer.resume(force=True) if hasattr(producer, "resume") else []
    inbox = platform.root / platform.pipeline.layout.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    print(f"serving {platform.root}", file=out)
    print(f"  inbox     {inbox}  (drop manifests here)", file=out)
    print(f"  callback  {url}", file=out)
    if resumed:
        print(f"  resumed   {', '.join(resumed)}", file=out)
    stop = stop or threading.Event()

    def on_event(key: str, answer: dict[str, Any]) -> None:
        for item in answer.get("accepted", []):
            note = " (already known)" if item["duplicate"] else ""
            print(
                f"{_now()}  {key}: job {item['job_id']} {item['state']}{note}", file=out, flush=True
            )

    try:
        platform.watch(stop, interval=interval, reconcile_every=reconcile_every, on_event=on_event)
    except KeyboardInterrupt:
        print("stopping: an unfinished render resumes at the next start", file=out)
    finally:
        stop.set()
        platform.stop()
        lock.release()
    return 0


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%H:%M:%S")


@dataclass(frozen=True)
class BucketView:
    """What the read-only commands need: the store, its layout and its records. No producer is
    built, so they work without ICE credentials or the local engine."""

    store: ObjectStore
    layout: BucketLayout
    root: Path | None  # the folder, for a folder bucket

    @property
    def records(self) -> JobRecords:
        return JobRecords(self.store, self.layout.record)


class NoBucket(Exception):
    """A read-only command pointed at a folder that is not there (it never creates one)."""


def _bucket_view(bucket: Path | None) -> BucketView:
    """A folder, or the OSS bucket the settings name."""
    from highlights.config import Settings
    from highlights.storage.local import LocalStore
    from highlights.wiring import build_store

    if bucket is not None:
        if not bucket.is_dir():
            raise NoBucket(
                f"no bucket folder at {bucket}: pass --bucket DIR, or set HIGHLIGHTS_STORE"
            )
        store = LocalStore(bucket)
        return BucketView(store, BucketLayout(), store.root)
    settings = Settings.from_env()
    root = Path(settings.store) if settings.bucket is None else None
    return BucketView(build_store(settings), settings.layout(), root)


def status(bucket: Path | None, target: str | None, *, out: TextIO = sys.stdout) -> int:
    if target is None:
        return jobs(bucket, out=out)
    view = _bucket_view(bucket)
    root = view.root
    job_id = target
    key = None
    candidate = Path(target)
    if (
        root is not None
        and candidate.is_file()
        and candidate.resolve().is_relative_to(root.resolve())
    ):
        key = candidate.resolve().relative_to(root.resolve()).as_posix()
    elif view.layout.is_manifest(target):
        key = target
    if key is not None:
        head = view.store.head(key)
        job_id = job_id_for(ManifestRef(view.store.bucket, key, head.etag))
    try:
        record = view.records.load(job_id)
    except (NotFound, UnsafeKey, ValueError):
        print(f"no job {job_id!r} in {view.store.bucket}", file=sys.stderr)
        return 1
    print(json.dumps(record.model_dump(mode="json"), indent=2), file=out)
    if record.result_key:
        where = (
            root / record.result_key
            if root is not None
            else f"oss://{view.store.bucket}/{record.result_key}"
        )
        print(f"result: {where}", file=out)
    return 0


def jobs(bucket: Path | None, *, out: TextIO = sys.stdout) -> int:
    view = _bucket_view(bucket)
    rows = []
    unreadable = []
    for obj in view.store.list(view.layout.records_prefix):
        try:
            record = JobRecord.model_validate_json(view.store.get(obj.key))
        except (ValueError, NotFound):
            unreadable.append(obj.key)
            continue
        rows.append((record.updated_at, record))
    for key in unreadable:
        print(f"warning: {key} is not a job record; left as it is", file=sys.stderr)
    if not rows:
        print(f"no jobs yet in {view.store.bucket}", file=out)
        return 0
    print(f"{'JOB':<44} {'STATE':<10} {'UPDATED (UTC)':<20} MANIFEST", file=out)
    for updated, record in sorted(rows, key=lambda row: row[0]):
        when = datetime.fromtimestamp(updated, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{record.job_id:<44} {record.state.value:<10} {when:<20} {record.manifest.key}",
            file=out,
        )
    return 0


def dead_letters(bucket: Path | None, *, out: TextIO = sys.stdout) -> int:
    """Events Function Compute gave up on (the deadletter function keeps them in the bucket)."""
    view = _bucket_view(bucket)
    found = 0
    for obj in view.store.list(view.layout.dead_letters):
        found += 1
        try:
            event = json.loads(view.store.get(obj.key))
        except ValueError:
            event = {}
        condition = (
            (event.get("requestContext") or {}).get("condition")
            if isinstance(event, dict)
            else None
        )
        print(f"{obj.key}  {obj.size} bytes  {condition or ''}".rstrip(), file=out)
    if not found:
        print("no dead letters", file=out)
    return 0


RETRYABLE = (JobState.FAILED, JobState.TIMED_OUT, JobState.PARTIAL)


def retry(bucket: Path, job_id: str, *, timeout: float = 3600, out: TextIO = sys.stdout) -> int:
    from highlights.jobs.accept import accept

    platform = LocalPlatform(bucket)
    lock = _engine_lock(platform, "retry")
    if lock is None:
        return 2
    try:
        platform.start_callback_server()
        pipeline = platform.pipeline
        try:
            record = pipeline.records.load(job_id)
        except NotFound:
            print(f"no job {job_id} in {platform.root}", file=sys.stderr)
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
