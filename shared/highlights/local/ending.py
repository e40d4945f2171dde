"""How a job ended, as `highlights run`, `retry` and `submit` print it: its state, then its result
(or rejection), the report page, the videos and contact sheets, read from the bucket."""

from __future__ import annotations

import json
from collections.abc import Callable

from highlights.jobs.record import JobRecord
from highlights.jobs.report_files import report_key
from highlights.jobs.states import JobState
from highlights.ports import NotFound, ObjectStore


def ending_lines(
    store: ObjectStore,
    record: JobRecord,
    *,
    where: Callable[[str], str],
    key_for: Callable[[str], str | None] | None = None,
) -> list[str]:
    """`where` shows a key (a path in a folder, oss://… in a bucket); `key_for` maps an output URL
    to its key where the result does not name it (None: the URL is shown)."""
    lines = [f"job {record.job_id}: {record.state.value}"]
    if record.error:
        lines.append(f"  error   {record.error.code}: {record.error.message}")
    if not record.result_key:
        return lines
    label = "rejection" if record.state is JobState.REJECTED else "result"
    lines.append(f"  {label:<7} {where(record.result_key)}")
    page = report_key(record.result_key)
    if store.exists(page):
        lines.append(f"  report  {where(page)}")
    try:
        document = json.loads(store.get(record.result_key))
    except (NotFound, ValueError):
        return lines
    for problem in document.get("errors", []):
        lines.append(f"  error   {problem['path']}: {problem['message']}")
    timelines = {t.get("index"): t for t in document.get("timelines") or ()}
    for row in document.get("outputs", []):
        key = (timelines.get(row["index"]) or {}).get("output")
        if not key and key_for and row.get("media_url"):
            key = key_for(row["media_url"])
        shown = where(key) if key else row.get("media_url")
        if row["status"] == "Success":
            lines.append(f"  video   {shown}  ({row.get('duration') or 0:.1f} s)")
        else:
            lines.append(
                f"  failed  #{row['index']} {row.get('error_code')}: {row.get('error_message')}"
            )
    for timeline in timelines.values():
        if timeline.get("contact_sheet"):
            lines.append(f"  sheet   {where(timeline['contact_sheet'])}")
    return lines
