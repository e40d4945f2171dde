"""Newest version wins: which job stands for a manifest key now, and which older ones it replaced.

Rewriting `manifests/k1.json` makes a new job per version. The newest upload is the one that counts:
older versions still unfinished are superseded. The local engine stops rendering them; ICE cannot
be stopped, so a newer job whose outputs go where an older one's do waits until the older has
ended (ICE would otherwise write the older videos over the newer ones), and a superseded job's
result manifest goes under the state prefix, never over the newer version's.

Each version writes its own entry, create-only, under `<state>latest/<manifest key>/`, named
`<upload time>-<accept time>-<job id>` so that a listing is in version order. No entry is ever
rewritten, so two versions handled at the same moment (two Function Compute instances) cannot
lose each other's claim. Uploads within the same second (OSS keeps whole seconds) are ordered by
when they were accepted.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from highlights.jobs.pipeline import Pipeline
from highlights.jobs.record import JobRecord
from highlights.ports import AlreadyExists, HighlightsError, NotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True, order=True)
class Version:
    uploaded: int  # UNIX seconds of the upload
    accepted: int  # milliseconds: the job's creation, to order uploads within a second
    job_id: str


def claim(pipeline: Pipeline, record: JobRecord, uploaded: float) -> list[Version]:
    """Enter this job as a version of its manifest key; returns every version, oldest first."""
    mine = Version(int(uploaded), int(record.created_at * 1000), record.job_id)
    key = _entry(pipeline, record.manifest.key, mine)
    with contextlib.suppress(AlreadyExists):  # a replay: claimed already
        pipeline.store.put(key, b"", create_only=True)
    return versions(pipeline, record.manifest.key)


def versions(pipeline: Pipeline, manifest_key: str) -> list[Version]:
    prefix = pipeline.layout.latest(manifest_key) + "/"
    found = []
    for obj in pipeline.store.list(prefix):
        uploaded, _, rest = obj.key[len(prefix) :].partition("-")
        accepted, _, job_id = rest.partition("-")
        if uploaded.isdigit() and accepted.isdigit() and job_id:
            found.append(Version(int(uploaded), int(accepted), job_id))
    return sorted(found)


def newest(found: list[Version], job_id: str) -> str | None:
    """The newest version's job, when it is not `job_id` (None: this job is the newest, or never
    claimed a place)."""
    if not any(v.job_id == job_id for v in found) or found[-1].job_id == job_id:
        return None
    return found[-1].job_id


def superseded_by(pipeline: Pipeline, record: JobRecord) -> str | None:
    """The newer job of the same manifest key, if this one is not the newest."""
    return newest(versions(pipeline, record.manifest.key), record.job_id)


def unfinished_predecessors(pipeline: Pipeline, record: JobRecord) -> list[JobRecord]:
    """Older versions of this job's manifest that have not ended yet."""
    found = versions(pipeline, record.manifest.key)
    older: list[JobRecord] = []
    for version in found:
        if version.job_id == record.job_id:
            return older
        try:
            job = pipeline.records.load(version.job_id)
        except (NotFound, ValueError, HighlightsError):
            continue
        if not job.state.terminal:
            older.append(job)
    return []  # not claimed: nothing to wait for


def _entry(pipeline: Pipeline, manifest_key: str, version: Version) -> str:
    name = f"{version.uploaded:010d}-{version.accepted:013d}-{version.job_id}"
    return f"{pipeline.layout.latest(manifest_key)}/{name}"
