"""The report of a job that ran: its state and times, each output in a player with its size and
duration, the local engine's timeline (which source range covers which sentence, with the contact
sheet's frame of it; a click seeks the player there), warnings, and what failed."""

from __future__ import annotations

import math
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from highlights.pages.common import (
    badge,
    between,
    clock,
    document,
    esc,
    facts,
    items,
    mapping,
    origins,
    relative,
    seconds,
    shown_time,
    size,
)

# The contact sheet's geometry (render/contact_sheet.py draws it; a unit test keeps them equal):
# cells of CELL_WIDTH x (CELL_HEIGHT + BAND_HEIGHT) in rows of at most COLUMNS, PADDING between
# and around; the picture is the cell's top CELL_HEIGHT pixels. At most MAX_CELLS segments get a
# cell, evenly spread.
CELL_WIDTH = 240
CELL_HEIGHT = 135
BAND_HEIGHT = 72
COLUMNS = 4
PADDING = 4
MAX_CELLS = 120
FRAME_WIDTH = 128  # the frame as the page shows it (CSS pixels)

SCRIPT = """
document.querySelectorAll("table.timeline").forEach(function (table) {
  var video = document.getElementById(table.getAttribute("data-video"));
  if (!video) return;
  var rows = Array.prototype.slice.call(table.querySelectorAll("tr.seg"));
  function seek(row) {
    video.currentTime = parseFloat(row.getAttribute("data-start"));
    video.scrollIntoView({block: "nearest"});
  }
  rows.forEach(function (row) {
    row.addEventListener("click", function () { seek(row); });
    row.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); seek(row); }
    });
  });
  video.addEventListener("timeupdate", function () {
    var now = video.currentTime;
    rows.forEach(function (row) {
      var start = parseFloat(row.getAttribute("data-start"));
      var end = parseFloat(row.getAttribute("data-end"));
      row.classList.toggle("now", now >= start && now < end);
    });
  });
});
"""


@dataclass(frozen=True)
class Video:
    """What the writer found out about one output's video in the bucket."""

    key: str | None = None  # its store key, when it is in this bucket
    size: int | None = None  # bytes, when the store said


def result_page(
    result: Mapping[str, Any],
    *,
    here: str,
    videos: Mapping[int, Video],
    relative_links: bool,
) -> str:
    """The report of `result` (a result document, as result.schema.json has it) to be stored at
    key `here`. `relative_links`: outputs are files beside the report (the local engine's), so the
    players link them relatively; otherwise they play the output URL (ICE's)."""
    job = mapping(result.get("job"))
    manifest = mapping(job.get("manifest"))
    key = str(manifest.get("key") or "")
    name = posixpath.basename(key) or str(job.get("id") or "job")
    outputs = [mapping(o) for o in items(result.get("outputs"))]
    timelines = {
        t.get("index"): t for t in (mapping(t) for t in items(result.get("timelines"))) if t
    }
    request = mapping(result.get("request"))
    inputs = mapping(request.get("InputConfig"))
    summary = mapping(result.get("summary"))
    body = [
        f"<div class=head><h1>{esc(name)}</h1>{badge(job.get('state'))}</div>",
        f"<p class=sub>{esc(key)} · job <span class=mono>{esc(job.get('id'))}</span></p>",
    ]
    titles = ", ".join(str(t) for t in items(inputs.get("TitleArray")))
    counts = (
        f"{summary.get('succeeded', 0)} of {summary.get('requested', 0)} succeeded"
        if summary
        else ""
    )
    body.append(
        "<section class=card>"
        + facts(
            [
                ("State", esc(job.get("state"))),
                ("Outputs", esc(counts)),
                ("Created", shown_time(job.get("created_at"))),
                ("Submitted", shown_time(job.get("submitted_at"))),
                ("Completed", shown_time(job.get("completed_at"))),
                ("Waited to start", esc(between(job.get("created_at"), job.get("submitted_at")))),
                ("Rendered in", esc(between(job.get("submitted_at"), job.get("completed_at")))),
                ("Engine job", _mono(job.get("ice_job_id"))),
                ("Titles", esc(titles)),
            ]
        )
        + "</section>"
    )
    error = mapping(job.get("error"))
    if error:
        body.append(_alert(error.get("code"), error.get("message")))
    warnings = [
        (o, str(w))
        for o, t in sorted(timelines.items(), key=_order)
        for w in items(t.get("warnings"))
    ]
    if warnings:
        listed = "".join(f"<li>output {esc(o)}: {esc(w)}</li>" for o, w in warnings)
        body.append(f"<div class='alert warn'><b>Warnings</b><ul class=plain>{listed}</ul></div>")
    if not outputs:
        body.append("<section class=card><p class=dim>No output was produced.</p></section>")
    for row in outputs:
        index = row.get("index")
        video = videos.get(index) if isinstance(index, int) else None
        body.append(_output(row, timelines.get(index), video or Video(), here, relative_links))
    media = [] if relative_links else origins(str(o.get("media_url") or "") for o in outputs)
    return document(f"{name}: {job.get('state') or ''}", "".join(body), script=SCRIPT, media=media)


def _output(
    row: Mapping[str, Any],
    timeline: Mapping[str, Any] | None,
    video: Video,
    here: str,
    relative_links: bool,
) -> str:
    index = row.get("index")
    ok = row.get("status") == "Success"
    head = (
        f"<div class=output-head><h2>Output {esc(index)}</h2>"
        f"{badge('SUCCEEDED' if ok else 'FAILED')}<span class=dim>{esc(row.get('status'))}</span></div>"
    )
    parts = [f"<section class=card id=output-{esc(index)}>", head]
    if row.get("error_code") or row.get("error_message"):
        parts.append(_alert(row.get("error_code"), row.get("error_message")))
    src = None
    if relative_links and video.key:
        src = relative(here, video.key)
    elif row.get("media_url"):
        src = str(row["media_url"])
    player_id = f"video-{index}"
    if ok and src:
        sheet = (timeline or {}).get("contact_sheet")
        links = [f"<a href='{esc(src)}'>video</a>"]
        if isinstance(sheet, str) and sheet:
            links.append(f"<a href='{esc(relative(here, sheet))}'>contact sheet</a>")
        title = mapping((timeline or {}).get("title")).get("text")
        parts.append(
            "<div class=player>"
            f"<video id='{esc(player_id)}' controls preload=metadata src='{esc(src)}'></video>"
            + facts(
                [
                    ("Duration", esc(seconds(row.get("duration")))),
                    ("Size", esc(size(video.size))),
                    ("Title", esc(title)),
                    ("Media ID", esc(row.get("media_id"))),
                    ("Files", " · ".join(links)),
                    ("Address", _mono(row.get("media_url"))),
                ]
            )
            + "</div>"
        )
    if timeline and items(timeline.get("segments")):
        parts.append(_timeline(timeline, player_id, here))
    parts.append("</section>")
    return "".join(parts)


def _timeline(timeline: Mapping[str, Any], player_id: str, here: str) -> str:
    segments = [mapping(s) for s in items(timeline.get("segments"))]
    sheet = timeline.get("contact_sheet")
    cells = _cells(len(segments))
    sheet_href = relative(here, sheet) if isinstance(sheet, str) and sheet else None
    rows = []
    for position, segment in enumerate(segments):
        start = _number(segment.get("start"))
        end = start + _number(segment.get("duration"))
        frame = ""
        if sheet_href is not None and position in cells:
            frame = _frame(sheet_href, cells[position], len(cells))
        narration = mapping(segment.get("narration")).get("text") or segment.get("caption")
        shot = segment.get("shot_text")
        text = f"<div>{esc(narration)}</div>" if narration else ""
        if shot and shot != narration:
            text += f"<div class='dim small'>shot: {esc(shot)}</div>"
        score = segment.get("match_score")
        match = f"<span class=kind>{esc(segment.get('match'))}</span>"
        if isinstance(score, int | float):
            match += f" {score:.2f}"
        source = str(segment.get("source") or "")
        rows.append(
            f"<tr class=seg tabindex=0 data-start='{start:.3f}' data-end='{end:.3f}'>"
            f"<td class=num>{esc(segment.get('index'))}</td>"
            f"<td class=time>{clock(start)}–{clock(end)}</td>"
            f"<td>{frame}</td>"
            f"<td><span title='{esc(source)}'>{esc(posixpath.basename(source))}</span><br>"
            f"<span class='dim small'>{esc(seconds(segment.get('source_in')))} – "
            f"{esc(seconds(segment.get('source_out')))}</span></td>"
            f"<td>{text}</td><td class=match>{match}</td>"
            f"<td>{esc(segment.get('matched_text'))}</td></tr>"
        )
    return (
        "<h3>Timeline</h3>"
        f"<table class=timeline data-video='{esc(player_id)}'><thead><tr><th>#</th>"
        "<th>In the output</th><th>Frame</th><th>Source</th><th>Narration / shot</th>"
        "<th>Match</th><th>Matched dialogue</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _cells(count: int) -> dict[int, int]:
    """Segment position → its cell on the sheet (as render/contact_sheet.shown_segments picks)."""
    if count <= MAX_CELLS:
        return {k: k for k in range(count)}
    step = (count - 1) / (MAX_CELLS - 1)
    return {round(k * step): k for k in range(MAX_CELLS)}


def _frame(href: str, cell: int, shown: int) -> str:
    columns = max(1, min(COLUMNS, shown))
    rows = max(1, math.ceil(shown / columns))
    width = columns * CELL_WIDTH + (columns + 1) * PADDING
    height = rows * (CELL_HEIGHT + BAND_HEIGHT) + (rows + 1) * PADDING
    scale = FRAME_WIDTH / CELL_WIDTH
    x = PADDING + (cell % columns) * (CELL_WIDTH + PADDING)
    y = PADDING + (cell // columns) * (CELL_HEIGHT + BAND_HEIGHT + PADDING)
    style = (
        f"background-image:url('{href}');"
        f"background-size:{width * scale:.2f}px {height * scale:.2f}px;"
        f"background-position:-{x * scale:.2f}px -{y * scale:.2f}px"
    )
    return f"<div class=frame role=img aria-label='frame {cell + 1}' style=\"{esc(style)}\"></div>"


def _mono(value: object) -> str:
    return f"<span class='mono small'>{esc(value)}</span>" if value else ""


def _alert(code: object, message: object) -> str:
    return f"<div class=alert><code>{esc(code)}</code> {esc(message)}</div>"


def _number(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return 0.0


def _order(item: tuple[Any, Any]) -> tuple[int, str]:
    key = item[0]
    return (key, "") if isinstance(key, int) else (0, str(key))
