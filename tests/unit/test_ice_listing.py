"""The sweep of ICE's unfinished jobs (producers/ice/listing.py) over a page reader that answers as
ListBatchMediaProducingJobs does: one Status a call, CreateTime within [start, end], oldest first,
100 a page, an opaque NextToken. The real SDK against the fake ICE is in the integration tests."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from highlights.ports import ServiceRefused, TransientError
from highlights.producers.ice.listing import Lister, iso, parse_iso

T0 = 1_800_000_000.0


class Ice:
    """Jobs by (id, status, created), and the pages it served."""

    def __init__(self, jobs: list[tuple[str, str, float]], *, ascending: bool = True) -> None:
        self.jobs = jobs
        self.ascending = ascending
        self.calls: list[tuple[str, str, str, str | None]] = []
        self.lock = threading.Lock()

    def page(self, status: str, start: str, end: str, token: str | None) -> tuple[list[Any], Any]:
        with self.lock:
            self.calls.append((status, start, end, token))
        chosen = sorted(
            (j for j in self.jobs if j[1] == status and start <= iso(j[2]) <= end),
            key=lambda j: (j[2], j[0]),
            reverse=not self.ascending,
        )
        offset = int(token or 0)
        page = chosen[offset : offset + 100]
        following = str(offset + 100) if offset + 100 < len(chosen) else None
        return [
            SimpleNamespace(job_id=j[0], status=j[1], create_time=iso(j[2])) for j in page
        ], following


def jobs(n: int, *, spread: float = 3600.0, start: float = T0) -> list[tuple[str, str, float]]:
    return [
        (f"job{i:05d}", "Processing" if i % 4 else "Init", start + spread * i / n) for i in range(n)
    ]


def test_a_small_listing_is_a_page_per_hundred_jobs() -> None:
    ice = Ice(jobs(120))
    found = Lister(ice.page, streams=8).unfinished(T0 - 60, T0 + 3600)
    assert len(found) == 120 and found["job00000"] == "Init" and found["job00001"] == "Processing"
    assert len(ice.calls) == 2  # Processing has 90: one page; Init 30: one page
    ice = Ice(jobs(400))
    assert len(Lister(ice.page, streams=8).unfinished(T0 - 60, T0 + 3600)) == 400
    assert len(ice.calls) == 3 + 1  # 300 Processing, 100 Init: not split


def test_a_large_listing_is_split_by_creation_time_and_misses_nothing() -> None:
    ice = Ice([*jobs(5_000), ("other", "Processing", T0 - 3000)])
    found = Lister(ice.page, streams=8).unfinished(T0 - 3600, T0 + 3600)
    assert set(found) == {j[0] for j in ice.jobs}
    pages = len(ice.calls)
    assert pages <= 5_000 / 100 + 2 * (1 + 8 + 1)  # the pages, plus a partial one per part
    streams = {(status, start, end) for status, start, end, _ in ice.calls}
    assert len(streams) >= 8  # listed side by side


def test_jobs_on_a_boundary_second_are_listed_once_at_least() -> None:
    crowded = [(f"j{i:04d}", "Processing", T0 + (i // 50)) for i in range(1_000)]  # 50 a second
    ice = Ice(crowded)
    found = Lister(ice.page, streams=7).unfinished(T0, T0 + 20)
    assert set(found) == {j[0] for j in crowded}


def test_pages_not_in_creation_order_are_paged_through_not_split() -> None:
    ice = Ice(jobs(450), ascending=False)
    found = Lister(ice.page, streams=8).unfinished(T0 - 60, T0 + 3600)
    assert len(found) == 450
    assert len(ice.calls) == 4 + 2  # Processing: 338 jobs, 4 pages; Init: 112, 2 pages
    assert all(start == iso(T0 - 60) for _, start, _, _ in ice.calls)


def test_finished_jobs_on_a_page_are_left_out_to_be_read() -> None:
    def page(status: str, start: str, end: str, token: str | None) -> tuple[list[Any], Any]:
        listed = [SimpleNamespace(job_id="a", status=status, create_time=iso(T0))]
        listed.append(SimpleNamespace(job_id="b", status="Finished", create_time=iso(T0)))
        listed.append(SimpleNamespace(job_id="", status=status, create_time=iso(T0)))
        return listed, None

    assert Lister(page).unfinished(T0, T0 + 60) == {"a": "Processing"}


def test_a_listing_that_does_not_end_or_fails_is_no_listing() -> None:
    def repeating(status: str, start: str, end: str, token: str | None) -> tuple[list[Any], Any]:
        return [], "same"

    with pytest.raises(TransientError) as caught:
        Lister(repeating, streams=1).unfinished(T0, T0 + 60)
    assert caught.value.code == "InvalidListing"

    def refused(status: str, start: str, end: str, token: str | None) -> tuple[list[Any], Any]:
        raise ServiceRefused("no", code="Forbidden.RAM")

    with pytest.raises(ServiceRefused):
        Lister(refused).unfinished(T0, T0 + 60)


def test_times_are_whole_utc_seconds() -> None:
    assert iso(T0 + 0.7) == "2027-01-15T08:00:00Z"
    assert iso(T0 + 0.2, up=True) == "2027-01-15T08:00:01Z"
    assert parse_iso("2027-01-15T08:00:00Z") == T0
    assert parse_iso(None) is None and parse_iso("yesterday") is None
