"""ICE's unfinished batch jobs in one sweep: ListBatchMediaProducingJobs, Status Init then
Processing, 100 a page, oldest first.

The API takes one Status a call and pages with NextToken, so a plain listing of N unfinished jobs
is about N ÷ 100 requests one after the other (some 70 s for 45,000 jobs at 0.15 s a page). To
keep that inside a tick, a large sweep is split by creation time: each status is paged as usual
for its first SERIAL_PAGES pages (a small listing ends there, a page per 100 jobs), and when there
is more, the rest of the window (from the last job read to now) is cut into up to `streams` parts
of whole seconds (the API's unit), listed side by side. Each boundary second belongs to both its
parts: a job on it is listed twice, never missed.

The answer is whole or nothing: a page that fails (after the adapter's retries), a listing that
does not end (MAX_PAGES per part, a NextToken that repeats) raises, and the caller reads its jobs
one by one instead. The list is the account's in the region, whoever submitted the jobs: another
application's unfinished jobs cost pages, never a wrong answer.
"""

from __future__ import annotations

import calendar
import itertools
import math
import time
from collections.abc import Callable
from functools import partial
from typing import Any, cast

from highlights import parallel
from highlights.ports import TransientError, UnfinishedState

UNFINISHED: tuple[UnfinishedState, ...] = ("Init", "Processing")
MAX_PAGES = 2_000  # per part of a sweep: 200,000 jobs
SERIAL_PAGES = 3  # a status with more than this many pages is split
_ISO = "%Y-%m-%dT%H:%M:%SZ"

Page = tuple[list[Any], "str | None"]
PageReader = Callable[[str, str, str, "str | None"], Page]
"""(status, start, end, token) → (jobs on the page, NextToken); start and end in ICE's format."""


def iso(seconds: float, *, up: bool = False) -> str:
    """UTC `yyyy-MM-ddTHH:mm:ssZ`, rounded down (or up)."""
    whole = math.ceil(seconds) if up else math.floor(seconds)
    return time.strftime(_ISO, time.gmtime(whole))


def parse_iso(text: Any) -> float | None:
    try:
        return float(calendar.timegm(time.strptime(str(text), _ISO)))
    except (TypeError, ValueError):
        return None


class Lister:
    """Sweeps ICE's unfinished jobs with `read_page`, `streams` parts at a time."""

    def __init__(self, read_page: PageReader, *, streams: int = 8) -> None:
        if streams < 1:
            raise ValueError("streams must be at least 1")
        self._read_page = read_page
        self.streams = streams

    def unfinished(self, since: float, until: float) -> dict[str, UnfinishedState]:
        """Jobs Init or Processing created in [since, until], by ICE job id."""
        until = max(until, since)
        firsts = list(
            parallel.bounded(
                [partial(self._first, status, since, until) for status in UNFINISHED],
                workers=min(self.streams, len(UNFINISHED)),
                name="ice-list",
            )
        )
        found: dict[str, UnfinishedState] = {}
        rest: list[Callable[[], dict[str, UnfinishedState]]] = []
        for status, jobs, token in firsts:
            found.update(_unfinished(jobs))
            if token is None:
                continue
            last = _oldest_first(jobs)
            if last is None or self.streams == 1:  # nowhere to split: page on
                rest.append(partial(self._part, status, iso(since), iso(until, up=True), token))
                continue
            for start, end in _parts(last, until, self.streams):
                rest.append(partial(self._part, status, iso(start), iso(end), None))
        for part in parallel.bounded(rest, workers=self.streams, name="ice-list"):
            found.update(part)
        return found

    def _first(self, status: str, since: float, until: float) -> tuple[str, list[Any], str | None]:
        """The first pages of a status, up to SERIAL_PAGES: its jobs, and the NextToken if more."""
        start, end = iso(since), iso(until, up=True)
        jobs: list[Any] = []
        token: str | None = None
        for _ in range(SERIAL_PAGES):
            page, following = self._read_page(status, start, end, token)
            jobs.extend(page)
            if following is None:
                return status, jobs, None
            token = _advanced(status, token, following)
        return status, jobs, token

    def _part(
        self, status: str, start: str, end: str, token: str | None
    ) -> dict[str, UnfinishedState]:
        found: dict[str, UnfinishedState] = {}
        for _ in range(MAX_PAGES):
            jobs, following = self._read_page(status, start, end, token)
            found.update(_unfinished(jobs))
            if following is None:
                return found
            token = _advanced(status, token, following)
        raise TransientError(
            f"ICE listing of {status} jobs did not end after {MAX_PAGES} pages",
            code="ListingTooLong",
        )


def _advanced(status: str, token: str | None, following: str) -> str:
    if following == token:
        raise TransientError(
            f"ICE listing of {status} jobs repeated its NextToken", code="InvalidListing"
        )
    return following


def _parts(first: float, until: float, streams: int) -> list[tuple[int, int]]:
    """[first, until] in at most `streams` parts of whole seconds, each boundary second in the two
    parts it ends and starts (the API's range is taken as inclusive: listed twice, never missed)."""
    low, high = math.floor(first), math.ceil(until)
    count = max(1, min(streams, high - low))
    marks = [low + round((high - low) * i / count) for i in range(count + 1)]
    return list(itertools.pairwise(marks))


def _oldest_first(jobs: list[Any]) -> float | None:
    """The creation time of the page's last job when the page is in creation order (what the rest
    of the window starts from); None when it is not, or does not say."""
    times = [parse_iso(getattr(job, "create_time", None)) for job in jobs]
    if not times or any(t is None for t in times):
        return None
    known = cast("list[float]", times)
    return known[-1] if all(a <= b for a, b in itertools.pairwise(known)) else None


def _unfinished(jobs: list[Any]) -> dict[str, UnfinishedState]:
    """The listed jobs that are unfinished by their own word: anything else (a job that ended
    between the filter and the answer, a status not documented) is left out, to be read."""
    return {
        str(job.job_id): cast(UnfinishedState, job.status)
        for job in jobs
        if getattr(job, "job_id", None) and getattr(job, "status", None) in UNFINISHED
    }
