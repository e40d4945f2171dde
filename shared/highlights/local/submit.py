"""`highlights submit MANIFEST… --to oss://bucket | DIR`: check the manifests here, upload them into
the bucket's inbox, and follow each job from its record to its end.

Nothing is uploaded unless every manifest is valid. Uploads are create-only: a manifest already in
the inbox with the same bytes is left as it is (the same version, the same job); with other bytes
it is an error, never overwritten. The command never runs a pipeline step itself: the deployed
functions (or `highlights serve` on a folder) do, and it reads the job records they write, with
the progress lines and exit codes of `highlights run`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from highlights.bootstrap import build_store
from highlights.config import Settings
from highlights.jobs.identity import ManifestRef, job_id_for
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.record import JobRecord
from highlights.jobs.report_files import report_key
from highlights.jobs.states import JobState
from highlights.keys import output_key_problem
from highlights.local.console import console_for
from highlights.local.run import EXIT_CODES, wait
from highlights.manifest import validate_manifest
from highlights.manifest.loading import oversized
from highlights.ports import (
    AlreadyExists,
    JobStatus,
    NotFound,
    ObjectStore,
    PermanentError,
    SubmitRequest,
    TransientError,
)
from highlights.storage.urls import folder_key_for_url

READ_POLL = 1.0  # seconds between looks for a job's first record


@dataclass(frozen=True)
class Checked:
    path: Path
    data: bytes | None  # None: unreadable
    result: dict[str, Any]  # what `highlights validate` reports for it

    @property
    def valid(self) -> bool:
        return self.data is not None and bool(self.result.get("valid"))


@dataclass(frozen=True)
class Uploaded:
    path: Path
    key: str
    job_id: str
    new: bool


class Refused(Exception):
    """The upload cannot go ahead (nothing was uploaded by this command); the message says why."""


def target(to: str, *, region: str | None = None, env: Any = None) -> Settings:
    """The bucket's settings: `oss://bucket` with the adapters' credentials and endpoint from the
    environment, or an existing folder. Raises SettingsError."""
    from highlights.config import SettingsError

    given = {"region": region} if region else {}  # None would unset the environment's
    if to.startswith("oss://"):
        return Settings.from_env(env, store=to, producer="ice", callback_url=None, **given)
    folder = Path(to)
    if not folder.is_dir():
        raise SettingsError(f"--to {to}: no such folder (a folder bucket, or oss://<bucket>)")
    return Settings.from_env(
        env, store=str(folder.resolve()), producer="local", callback_url=None, **given
    )


def check(paths: Sequence[Path], settings: Settings) -> list[Checked]:
    """Each file checked as `highlights validate` and the pipeline check it."""
    checked = []
    limit = settings.max_manifest_bytes
    for path in paths:
        try:
            with path.open("rb") as f:
                data = f.read(limit + 1)  # never more: the file may be huge, or endless
                size = max(os.fstat(f.fileno()).st_size, len(data))
        except OSError as exc:
            checked.append(
                Checked(path, None, {"readable": False, "error": exc.strerror or str(exc)})
            )
            continue
        if len(data) > limit:
            validation = oversized(size, limit, exact=size > len(data))
        else:
            validation = validate_manifest(
                data,
                region=settings.region,
                max_bytes=limit,
                reserved_prefixes=settings.reserved_prefixes,
            )
        checked.append(Checked(path, data, validation.to_dict()))
    return checked


def upload(checked: Sequence[Checked], store: ObjectStore, settings: Settings) -> list[Uploaded]:
    """Every manifest into the inbox, create-only; Refused before any upload when one cannot go
    (a name no store takes, the same name twice, other content already there)."""
    layout = settings.layout()
    planned: dict[str, Checked] = {}
    for item in checked:
        stem = (
            item.path.name[: -len(".json")] if item.path.name.endswith(".json") else item.path.stem
        )
        key = f"{layout.inbox}{stem}.json"
        problem = output_key_problem(key)
        if problem is not None or not layout.is_manifest(key):
            raise Refused(
                f"{item.path}: cannot be uploaded as {key!r}: {problem or 'not a manifest'}"
            )
        if key in planned:
            raise Refused(f"{item.path} and {planned[key].path} would both be {key}")
        planned[key] = item
    existing: dict[str, bool] = {}
    for key, item in planned.items():
        existing[key] = _same_as_stored(store, key, item)
    done = []
    for key, item in planned.items():
        assert item.data is not None
        new = not existing[key]
        if new:
            try:
                stored = store.put(
                    key, item.data, create_only=True, content_type="application/json"
                )
                etag = stored.etag
            except AlreadyExists:  # someone uploaded it meanwhile
                new = False
                _same_as_stored(store, key, item)
                etag = store.head(key).etag
        else:
            etag = store.head(key).etag
        done.append(Uploaded(item.path, key, job_id_for(ManifestRef(store.bucket, key, etag)), new))
    return done


def _same_as_stored(store: ObjectStore, key: str, item: Checked) -> bool:
    """Whether key holds item's bytes already (False: not there); Refused for other bytes."""
    try:
        stored = store.get(key)
    except NotFound:
        return False
    if stored != item.data:
        raise Refused(
            f"{item.path}: {key} is already in the inbox with other content; it is never "
            "overwritten: rename the file to submit it as a new manifest"
        )
    return True


class _Unasked:
    """The producer of a bucket this command does not run. It is never asked anything: the
    deployed functions (or `highlights serve`) observe the jobs, and `wait` reads their records."""

    def submit(self, request: SubmitRequest, client_token: str, notify_url: str | None) -> str:
        raise PermanentError("submit only uploads manifests", code="NotHere")

    def get(self, job_id: str) -> JobStatus:
        raise TransientError("not asked: the pipeline observes it", code="NotAsked")


def follow(
    store: ObjectStore,
    settings: Settings,
    job: Uploaded,
    *,
    deadline: float,
    out: TextIO,
    where: Callable[[str], str],
) -> int:
    """Until the job ends (or the monotonic `deadline`): its progress lines, then its report;
    the exit code."""
    pipeline = Pipeline(store=store, producer=_Unasked(), layout=settings.layout())
    waiting_said = False
    while True:
        try:
            pipeline.records.load(job.job_id)
            break
        except NotFound:
            if not waiting_said:
                print(f"job {job.job_id}: waiting for the pipeline to pick up {job.key}", file=out)
                waiting_said = True
            if time.monotonic() > deadline:
                print(f"job {job.job_id}: no record yet; is the pipeline running?", file=out)
                return 1
            time.sleep(READ_POLL)
    with console_for(out) as console:
        record = wait(
            pipeline, job.job_id, timeout=max(deadline - time.monotonic(), 0.0), console=console
        )
    key_for = None if settings.bucket else folder_key_for_url(settings.region)
    report(store, record, out=out, where=where, key_for=key_for)
    return EXIT_CODES.get(record.state, 1)


def report(
    store: ObjectStore,
    record: JobRecord,
    *,
    out: TextIO,
    where: Callable[[str], str],
    key_for: Callable[[str], str | None] | None = None,
) -> None:
    """What `highlights run` says of an ended job, read from the bucket; `key_for` maps output
    URLs to keys (a folder's: its files stand for any bucket; None: show the URL)."""
    print(f"job {record.job_id}: {record.state.value}", file=out)
    if record.error:
        print(f"  error   {record.error.code}: {record.error.message}", file=out)
    if not record.result_key:
        return
    label = "rejection" if record.state is JobState.REJECTED else "result"
    print(f"  {label:<7} {where(record.result_key)}", file=out)
    page = report_key(record.result_key)
    if store.exists(page):
        print(f"  report  {where(page)}", file=out)
    try:
        document = json.loads(store.get(record.result_key))
    except (NotFound, ValueError):
        return
    for problem in document.get("errors", []):
        print(f"  error   {problem['path']}: {problem['message']}", file=out)
    timelines = {t.get("index"): t for t in document.get("timelines") or ()}
    for row in document.get("outputs", []):
        key = (timelines.get(row["index"]) or {}).get("output")
        if not key and key_for and row.get("media_url"):
            key = key_for(row["media_url"])
        shown = where(key) if key else row.get("media_url")
        if row["status"] == "Success":
            print(f"  video   {shown}  ({row.get('duration') or 0:.1f} s)", file=out)
        else:
            print(
                f"  failed  #{row['index']} {row.get('error_code')}: {row.get('error_message')}",
                file=out,
            )
    for timeline in timelines.values():
        if timeline.get("contact_sheet"):
            print(f"  sheet   {where(timeline['contact_sheet'])}", file=out)


def submit(
    paths: Sequence[Path],
    settings: Settings,
    *,
    human: Callable[[str, dict[str, Any]], str],
    wait_for_jobs: bool = True,
    timeout: float = 3600,
    out: TextIO | None = None,
    store: ObjectStore | None = None,
) -> int:
    """The command: 0 when every job succeeded; else `highlights run`'s code of the first job that
    did not (2 when nothing was uploaded: invalid, unreadable or refused)."""
    out = out or sys.stdout
    checked = check(paths, settings)
    for item in checked:
        print(human(str(item.path), item.result), file=out)
    if not all(item.valid for item in checked):
        print("nothing uploaded: correct the manifests above first", file=sys.stderr)
        return 2
    store = store if store is not None else build_store(settings)
    root = None if settings.bucket else Path(settings.store)

    def where(key: str) -> str:
        return str(root / key) if root is not None else f"oss://{store.bucket}/{key}"

    try:
        jobs = upload(checked, store, settings)
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for job in jobs:
        said = "uploaded " if job.new else "unchanged"
        print(f"{said} {where(job.key)}  job {job.job_id}", file=out)
    if not wait_for_jobs:
        return 0
    deadline = time.monotonic() + timeout
    codes = [follow(store, settings, job, deadline=deadline, out=out, where=where) for job in jobs]
    return next((code for code in codes if code), 0)
