"""The report page beside each result and rejection: `<name>.report.html` next to
`<name>.result.json` (or `<key>.report.html` next to `<key>.errors.json`), built by
highlights.pages from the very document just written.

A page is for people; the JSON is the contract. So a page that cannot be built or stored is
logged and the job ends all the same, except when the store is unreachable for now (a transient
error): then the step fails as a whole, and its replay writes result and page again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from highlights.jobs.layout import BucketLayout
from highlights.jobs.results import RejectionReport, ResultManifest
from highlights.ports import (
    HighlightsError,
    NotFound,
    ObjectStore,
    ServiceRefused,
    TransientError,
    UnsafeKey,
)

log = logging.getLogger(__name__)

REPORT_SUFFIX = ".report.html"
_DOCUMENT_SUFFIXES = (".result.json", ".errors.json")
MAX_SIZED_OUTPUTS = 50  # outputs whose size is asked of the store (one HEAD each)


class Pipeline(Protocol):
    """What a page needs of the pipeline (jobs.pipeline.Pipeline has it)."""

    store: ObjectStore
    layout: BucketLayout
    key_for_url: Callable[[str], str | None] | None
    max_manifest_bytes: int


def report_key(document_key: str) -> str:
    """Where the page of the document at `document_key` goes (a suffix of the same length, so
    every key rule the document's key passed, the page's passes too)."""
    for suffix in _DOCUMENT_SUFFIXES:
        if document_key.endswith(suffix):
            return document_key[: -len(suffix)] + REPORT_SUFFIX
    return document_key + REPORT_SUFFIX


def write_report(
    pipeline: Pipeline, document_key: str, document: ResultManifest | RejectionReport
) -> str | None:
    """Store the page of `document` (stored at `document_key`); returns its key, or None when it
    could not be written (logged)."""
    job_id = document.job_id if isinstance(document, RejectionReport) else document.job.id
    key = report_key(document_key)
    try:
        try:
            _put(pipeline, key, _page(pipeline, document, key))
        except UnsafeKey:
            # The store refuses the place beside the document: the fallback, as for results.
            key = report_key(pipeline.layout.fallback_result(job_id))
            _put(pipeline, key, _page(pipeline, document, key))
    except (TransientError, ServiceRefused):
        raise
    except Exception:
        log.exception("report page not written", extra={"job_id": job_id, "report_key": key})
        return None
    return key


def _put(pipeline: Pipeline, key: str, page: str) -> None:
    pipeline.store.put(key, page.encode("utf-8"), content_type="text/html; charset=utf-8")


def _page(pipeline: Pipeline, document: ResultManifest | RejectionReport, here: str) -> str:
    # Imported when a job ends, not at a cold start: a submit that goes through never needs them.
    from highlights.pages.rejection import rejection_page
    from highlights.pages.result import result_page

    data = document.model_dump(mode="json", exclude_none=True)
    if isinstance(document, RejectionReport):
        text, unavailable = _manifest_text(pipeline, document)
        return rejection_page(data, text, unavailable=unavailable)
    # A folder store is the local engine's: its videos are files beside the page.
    folder = callable(getattr(pipeline.store, "path_for", None))
    return result_page(data, here=here, videos=_videos(pipeline, data), relative_links=folder)


def _videos(pipeline: Pipeline, data: dict[str, Any]) -> dict[int, Any]:
    from highlights.pages.result import Video

    outputs = {t.get("index"): t.get("output") for t in data.get("timelines") or ()}
    videos: dict[int, Video] = {}
    for row in data.get("outputs", [])[:MAX_SIZED_OUTPUTS]:
        index, url = row.get("index"), row.get("media_url")
        key = outputs.get(index)
        if not key and url and pipeline.key_for_url:
            key = pipeline.key_for_url(url)
        if not isinstance(index, int) or not isinstance(key, str) or row.get("status") != "Success":
            continue
        try:
            videos[index] = Video(key, pipeline.store.head(key).size)
        except (HighlightsError, ValueError):  # gone, or not a key this store takes
            videos[index] = Video(key)
    return videos


def _manifest_text(pipeline: Pipeline, report: RejectionReport) -> tuple[str | None, str | None]:
    """The refused version's text, or why it cannot be shown."""
    location = report.manifest
    try:
        head = pipeline.store.head(location.key)
        if _normal(head.etag) != _normal(location.etag):
            return None, "The manifest was replaced after this version was refused."
        if head.size > pipeline.max_manifest_bytes:
            return None, f"The manifest is {head.size:,} bytes: too large to show."
        data = pipeline.store.get(location.key)
    except NotFound:
        return None, "The manifest was deleted after it was refused."
    except (UnsafeKey, ValueError):
        return None, "The manifest cannot be read from this store."
    return data.decode("utf-8-sig", "replace"), None


def _normal(etag: str) -> str:
    return etag.strip('"').upper()
