"""Observe by difference: what the producer still renders, and which of our jobs left that list.

A producer that can list its unfinished jobs (ICE's ListBatchMediaProducingJobs, Status Init and
Processing, 100 a page) tells a tick, for the price of (jobs in flight ÷ 100) requests, which jobs
need no read at all. A job of ours that was on the list at the last tick and is not any more has
finished or failed: only those are read (GetBatchMediaProducingJob), so a tick costs pages plus
completions, not polls × jobs in flight.

The jobs of ours the list vouched for are kept between ticks in one object (`layout.watched`,
{producer job id: job id}). A job enters it at its first due time (30 s after submit), when the
list shows it; it leaves it once a read found it ended. While the list vouches for a job, its
in-flight marker is pushed on by `poll_max` without a read: the marker stays the safety net, so
losing the object (or a write of it) only means jobs are found by their markers again, at most
`poll_max` later. Two ticks at once cost extra reads, never a lost or doubled outcome: only a read
of the job ends it, and ending a job twice writes the same result.

A listing is used only whole: one that fails, is refused or is cut short is no listing, and the
tick reads due jobs one by one as it always did. A job missing from a listing by mistake costs one
read; a job that ended but is still listed waits for the next listing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from highlights.jobs.pipeline import Pipeline
from highlights.ports import HighlightsError, NotFound, ServiceRefused, UnfinishedState

log = logging.getLogger(__name__)

WATCH_VERSION = 1
MAX_WATCHED = 250_000  # about 20 MB; past this, jobs are followed by their markers alone
CLOCK_MARGIN = 600.0  # the producer's clock and ours may differ: list from a little earlier


@dataclass(frozen=True)
class Listing:
    """The producer's unfinished jobs (by its job id), created at or after `since`."""

    unfinished: Mapping[str, UnfinishedState]
    since: float

    def vouches_for(self, producer_job_id: str | None) -> UnfinishedState | None:
        return self.unfinished.get(producer_job_id) if producer_job_id else None


def list_unfinished(pipeline: Pipeline) -> Listing | None:
    """The producer's listing, or None: it cannot list, or the listing failed (logged)."""
    lister = getattr(pipeline.producer, "list_unfinished", None)
    if not callable(lister):
        return None
    # Every job younger than the maximum age; an older one ends TIMED_OUT at its next due time.
    since = pipeline.clock() - pipeline.max_job_age - CLOCK_MARGIN
    try:
        found = lister(since)
    except ServiceRefused as exc:
        log.warning(
            "the producer refused to list its jobs (%s): due jobs are read one by one; allow "
            "ice:ListBatchMediaProducingJobs in the function's RAM policy",
            exc.code,
        )
        return None
    except HighlightsError as exc:
        log.warning(
            "listing the producer's jobs failed (%s): due jobs are read one by one this tick",
            getattr(exc, "code", type(exc).__name__),
        )
        return None
    if found is None:
        return None
    return Listing(found, since)


def load(pipeline: Pipeline) -> dict[str, str]:
    """The jobs the last listing vouched for; empty when there is none or it cannot be read."""
    try:
        document: Any = json.loads(pipeline.store.get(pipeline.layout.watched))
    except NotFound:
        return {}
    except (HighlightsError, ValueError) as exc:
        log.warning("the watch list could not be read (%s): starting afresh", _name(exc))
        return {}
    jobs = document.get("jobs") if isinstance(document, dict) else None
    if not isinstance(jobs, dict):
        return {}
    return {str(p): str(j) for p, j in jobs.items() if isinstance(j, str)}


def save(pipeline: Pipeline, watched: Mapping[str, str], listing: Listing) -> bool:
    """Keep what the next tick starts from; False (logged) when the write failed, which loses
    nothing: the markers still bring every job back."""
    kept = dict(watched)
    if len(kept) > MAX_WATCHED:
        kept = dict(list(kept.items())[:MAX_WATCHED])
        log.warning(
            "more than %d jobs in flight: the rest are followed by their markers", MAX_WATCHED
        )
    document = {
        "version": WATCH_VERSION,
        "listed_at": pipeline.clock(),
        "since": listing.since,
        "jobs": kept,
    }
    try:
        pipeline.store.put(
            pipeline.layout.watched,
            json.dumps(document, separators=(",", ":")).encode(),
            content_type="application/json",
        )
    except HighlightsError as exc:
        log.warning("the watch list was not saved (%s)", _name(exc))
        return False
    return True


def _name(exc: Exception) -> str:
    return str(getattr(exc, "code", None) or type(exc).__name__)
