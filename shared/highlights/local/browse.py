"""`highlights status`, `jobs` and `dead-letters`: read the bucket, change nothing, build no
producer (they work without ICE credentials or the local engine's tools)."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from highlights.bootstrap import BucketView
from highlights.jobs.identity import ManifestRef, job_id_for
from highlights.jobs.record import JobRecord
from highlights.ports import NotFound, UnsafeKey


class NoBucket(Exception):
    """A read-only command pointed at a folder that is not there (it never creates one)."""


def status(
    view: BucketView, root: Path | None, target: str | None, *, out: TextIO | None = None
) -> int:
    """A job's record and result (by job id or manifest); `root` is the folder of a folder bucket."""
    out = sys.stdout if out is None else out
    if target is None:
        return jobs(view, out=out)
    job_id = target
    key = _manifest_key(view, root, target)
    try:
        if key is not None:
            head = view.store.head(key)
            job_id = job_id_for(ManifestRef(view.store.bucket, key, head.etag))
        record = view.records.load(job_id)
    except (NotFound, UnsafeKey, ValueError):
        where = root if root is not None else view.store.bucket
        print(
            f"error: no job {job_id[:120]!r} in {where}: `highlights jobs` lists them",
            file=sys.stderr,
        )
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


def _manifest_key(view: BucketView, root: Path | None, target: str) -> str | None:
    """The manifest a target names: a file in the folder bucket, or a key of the inbox."""
    if root is not None:
        try:
            found = Path(target).resolve()
            if found.is_file() and found.is_relative_to(root):
                return found.relative_to(root).as_posix()
        except (OSError, ValueError):  # a name too long for the filesystem, a NUL
            return None
    return target if view.layout.is_manifest(target) else None


def jobs(view: BucketView, *, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
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


def dead_letters(view: BucketView, *, out: TextIO | None = None) -> int:
    """Events Function Compute gave up on (the deadletter function keeps them in the bucket)."""
    out = sys.stdout if out is None else out
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
