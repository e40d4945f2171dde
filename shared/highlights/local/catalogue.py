"""What the dashboard lists: every job of the folder with its record, and the files it made.

Records and results are read once per version (the store's listing carries ETags), so a dashboard
polling every second costs a listing, not a read of every job. The files a job made (videos,
contact sheets, its report) are the only ones the dashboard serves.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from highlights.jobs.layout import BucketLayout
from highlights.jobs.record import JobRecord
from highlights.jobs.report_files import REPORT_SUFFIX, report_key
from highlights.jobs.states import JobState
from highlights.keys import folder_key_problem
from highlights.ports import HighlightsError
from highlights.storage.local import LocalStore

MAX_JOBS = 5000  # records looked at; the newest of them are listed
MAX_RESULT_BYTES = 8 * 1024 * 1024  # a result is a few KB; a larger file is not read

VIDEO = "video/mp4"
IMAGE = "image/png"
HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Link:
    label: str
    key: str
    content_type: str


@dataclass
class Entry:
    etag: str
    record: JobRecord
    links: list[Link] = field(default_factory=list)


class Catalogue:
    def __init__(
        self,
        store: LocalStore,
        layout: BucketLayout,
        key_for_url: Callable[[str], str | None] | None,
    ) -> None:
        self._store = store
        self._layout = layout
        self._key_for_url = key_for_url
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self.truncated = False

    def refresh(self) -> list[Entry]:
        """Every job's entry, newest first."""
        with self._lock:
            seen: set[str] = set()
            self.truncated = False
            for obj in self._store.list(self._layout.records_prefix):
                if len(seen) >= MAX_JOBS:
                    self.truncated = True
                    break
                seen.add(obj.key)
                entry = self._entries.get(obj.key)
                if entry is None or entry.etag != obj.etag:
                    # A record is saved last when a job ends: its files are all there by then.
                    entry = self._read(obj.key, obj.etag)
                    if entry is None:
                        continue
                    entry.links = self._links(entry.record)
                    self._entries[obj.key] = entry
            for gone in set(self._entries) - seen:
                del self._entries[gone]
            return sorted(self._entries.values(), key=lambda e: -e.record.created_at)

    def served(self, key: str) -> str | None:
        """The content type `key` is served with, or None: only what jobs made, never anything
        else under the state prefix than their reports."""
        if folder_key_problem(key) is not None:
            return None
        if key.startswith(self._layout.state) and not key.endswith(REPORT_SUFFIX):
            return None
        for attempt in range(2):  # a job may have ended since the last listing
            with self._lock:
                for entry in self._entries.values():
                    for link in entry.links:
                        if link.key == key:
                            return link.content_type
            if attempt == 0:
                self.refresh()
        return None

    def _read(self, key: str, etag: str) -> Entry | None:
        try:
            return Entry(etag, JobRecord.model_validate_json(self._store.get(key)))
        except (HighlightsError, ValueError):
            return None  # gone, or not a record: `highlights jobs` warns about those

    def _links(self, record: JobRecord) -> list[Link]:
        result_key = record.result_key
        if not result_key:
            return []
        try:
            head = self._store.head(result_key)
        except (HighlightsError, ValueError):
            return []
        links = []
        report = report_key(result_key)
        if self._store.exists(report):
            links.append(Link("report", report, HTML))
        if not result_key.startswith(self._layout.state):
            links.append(Link("result", result_key, JSON))
        if record.state is not JobState.REJECTED and head.size <= MAX_RESULT_BYTES:
            links += self._outputs(result_key)
        return links

    def _outputs(self, result_key: str) -> list[Link]:
        try:
            document = json.loads(self._store.get(result_key))
        except (HighlightsError, ValueError):
            return []
        if not isinstance(document, dict):
            return []
        timelines = {
            t.get("index"): t for t in document.get("timelines") or () if isinstance(t, dict)
        }
        links = []
        for row in document.get("outputs") or ():
            if not isinstance(row, dict) or row.get("status") != "Success":
                continue
            index = row.get("index")
            timeline: dict[str, Any] = timelines.get(index) or {}
            key = timeline.get("output")
            url = row.get("media_url")
            if not isinstance(key, str) and isinstance(url, str) and self._key_for_url:
                key = self._key_for_url(url)
            if isinstance(key, str) and not key.startswith(self._layout.state):
                links.append(Link(f"video {index}", key, VIDEO))
            sheet = timeline.get("contact_sheet")
            if isinstance(sheet, str) and not sheet.startswith(self._layout.state):
                links.append(Link(f"sheet {index}", sheet, IMAGE))
        return links
