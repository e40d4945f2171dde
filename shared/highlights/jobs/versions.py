"""Newest version wins: which job stands for a manifest key now, and what it replaced.

Rewriting `manifests/k1.json` makes a new job per version. The newest upload is the one that counts:
older versions still unfinished are superseded. The local engine stops rendering them; ICE cannot
be stopped, so a newer job whose outputs go where an older one's do waits until the older has
ended (ICE would otherwise write the older videos over the newer ones), and a superseded job's
result manifest goes under the state prefix, never over the newer version's.

The record of it is one small document per manifest key, `<state>latest/<key>`: the newest job,
its upload time, and the older jobs it found unfinished. Check-then-write, like the job records:
two versions claimed in the same instant are ordered by upload time, then job id.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from highlights.jobs.pipeline import Pipeline
from highlights.jobs.record import JobRecord
from highlights.ports import HighlightsError, NotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Latest:
    job_id: str
    uploaded: float
    unfinished: tuple[str, ...] = field(default=())  # older jobs of the key, unfinished at the time

    def encode(self) -> bytes:
        return json.dumps(
            {"job_id": self.job_id, "uploaded": self.uploaded, "unfinished": list(self.unfinished)}
        ).encode()


def latest(pipeline: Pipeline, manifest_key: str) -> Latest | None:
    try:
        document = json.loads(pipeline.store.get(pipeline.layout.latest(manifest_key)))
        return Latest(
            str(document["job_id"]),
            float(document["uploaded"]),
            tuple(str(j) for j in document.get("unfinished") or ()),
        )
    except NotFound:
        return None
    except (ValueError, KeyError, TypeError):
        log.warning("unreadable latest-version note", extra={"manifest_key": manifest_key})
        return None


def claim(pipeline: Pipeline, record: JobRecord, uploaded: float) -> Latest | None:
    """Make this job the key's newest version, unless a newer one already is. Returns the note as
    it now stands (None: the note cannot be read or written; then nothing is superseded)."""
    key = record.manifest.key
    current = latest(pipeline, key)
    if current is not None and current.job_id == record.job_id:
        return current
    if current is not None and (current.uploaded, current.job_id) > (uploaded, record.job_id):
        return current  # a newer version is already there: this job is the superseded one
    older = () if current is None else (current.job_id, *current.unfinished)
    unfinished = tuple(
        j for j in dict.fromkeys(older) if j != record.job_id and not _ended(pipeline, j)
    )
    note = Latest(record.job_id, uploaded, unfinished)
    pipeline.store.put(pipeline.layout.latest(key), note.encode())
    for job_id in unfinished:
        log.info(
            "a newer version supersedes the job", extra={"job_id": job_id, "manifest_key": key}
        )
    return note


def superseded_by(pipeline: Pipeline, record: JobRecord) -> str | None:
    """The newer job of the same manifest key, if this one is not the newest."""
    note = latest(pipeline, record.manifest.key)
    if note is None or note.job_id == record.job_id or record.job_id not in note.unfinished:
        return None
    return note.job_id


def unfinished_predecessors(pipeline: Pipeline, record: JobRecord) -> list[JobRecord]:
    """Older versions of this job's manifest that have not ended yet."""
    note = latest(pipeline, record.manifest.key)
    if note is None or note.job_id != record.job_id:
        return []
    found = []
    for job_id in note.unfinished:
        try:
            older = pipeline.records.load(job_id)
        except (NotFound, ValueError):
            continue
        if not older.state.terminal:
            found.append(older)
    return found


def _ended(pipeline: Pipeline, job_id: str) -> bool:
    try:
        return pipeline.records.load(job_id).state.terminal
    except (NotFound, ValueError, HighlightsError):
        return True
