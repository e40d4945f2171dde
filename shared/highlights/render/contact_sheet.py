"""A contact sheet per output: one frame per segment with its text, so a person can check at a
glance which part of the film each sentence got.

Each cell is the middle frame of the segment's source range (or the still), fitted into
``CELL_WIDTH`` x ``CELL_HEIGHT`` over a dark band holding a header (segment number, source,
range, how it was matched) and up to ``TEXT_LINES`` lines of the narration or shot text. Cells
are made by one ffmpeg call each (two in parallel) and laid out with ffmpeg's ``tile`` filter in
rows of ``COLUMNS``. Text is drawn with Noto Sans CJK (fonts-noto-cjk) so Chinese renders, and
goes through files (``textfile=``) so no text needs escaping.

The sheet is written into the store next to the video (``<dir>/<video stem>.contact.png``), or
in preview-only mode under ``.highlights/previews/<job>/`` (``preview_<index>.contact.png``).
"""

from __future__ import annotations

import math
import posixpath
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from highlights.render.cores import usable_cores
from highlights.render.ffmpeg import escape_filter_value, run_ffmpeg
from highlights.render.fonts import font_file
from highlights.render.probe import IMAGE_SUFFIXES
from highlights.render.sentences import is_cjk
from highlights.render.timeline import Segment, Timeline
from highlights.storage.local import LocalStore

CELL_WIDTH = 240
CELL_HEIGHT = 135
BAND_HEIGHT = 72
COLUMNS = 4
PADDING = 4
HEADER_SIZE = 12
TEXT_SIZE = 14
TEXT_LINES = 3
LINE_SPACING = 4
BACKGROUND = "0x101010"
BAND = "0x1c1c1c"
PREVIEW_PREFIX = ".highlights/previews/"


def sheet_size(segments: int) -> tuple[int, int]:
    """Pixel size of the sheet for that many segments."""
    columns = max(1, min(COLUMNS, segments))
    rows = max(1, math.ceil(segments / columns))
    cell_h = CELL_HEIGHT + BAND_HEIGHT
    return (
        columns * CELL_WIDTH + (columns + 1) * PADDING,
        rows * cell_h + (rows + 1) * PADDING,
    )


def sheet_key(output_key: str | None, index: int, folder: str) -> str:
    """Beside the video (``dir/name.contact.png``), or ``<folder>preview_<index>.contact.png``
    for a preview-only output (``folder`` is a store prefix ending with ``/``)."""
    if output_key:
        stem, _ = posixpath.splitext(output_key)
        return f"{stem}.contact.png"
    return f"{folder}preview_{index}.contact.png"


def _char_width(char: str) -> float:
    if is_cjk(char) or unicodedata.east_asian_width(char) in "WF":
        return 1.0
    return 0.3 if char in " .,;:!'|il" else 0.58


def wrap(text: str, width_px: float, size: int, lines: int) -> list[str]:
    """Break text into at most ``lines`` lines that fit ``width_px`` (estimated glyph widths);
    Latin text breaks at spaces when it can, CJK anywhere; an overflow ends with an ellipsis."""
    limit = width_px / size
    out: list[str] = []
    current, used, last_space = "", 0.0, -1
    for char in " ".join(text.split()):
        w = _char_width(char)
        if used + w > limit and current:
            if char != " " and 0 < last_space < len(current):
                out.append(current[:last_space].rstrip())
                current = current[last_space + 1 :]
            else:
                out.append(current.rstrip())
                current = ""
            used = sum(_char_width(c) for c in current)
            last_space = -1
            if char == " " and not current:
                continue
        if char == " ":
            last_space = len(current)
        current += char
        used += w
    if current.strip():
        out.append(current.strip())
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: max(len(out[-1]) - 1, 0)] + "…"
    return out


def _header(segment: Segment) -> str:
    name = posixpath.basename(segment.source)
    if len(name) > 22:
        name = name[:10] + "…" + name[-10:]
    score = f" {segment.match_score:.2f}" if segment.match_score is not None else ""
    return (
        f"#{segment.index} {name} {segment.source_in:.1f}-{segment.source_out:.1f}s "
        f"{segment.match}{score}"
    )


def _drawtext(textfile: Path, size: int, colour: str, y: int) -> str:
    parts = [
        f"textfile={escape_filter_value(str(textfile))}",
        "expansion=none",
        f"fontsize={size}",
        f"fontcolor={colour}",
        f"line_spacing={LINE_SPACING}",
        "x=6",
        f"y={y}",
    ]
    font = font_file()
    if font:
        parts.insert(0, f"fontfile={escape_filter_value(font)}")
    return "drawtext=" + ":".join(parts)


def _cell(segment: Segment, source: Path, out: Path, workdir: Path) -> None:
    header = workdir / f"h{segment.index}.txt"
    header.write_text(_header(segment), encoding="utf-8")
    text = segment.caption or segment.shot_text or ""
    body = workdir / f"b{segment.index}.txt"
    body.write_text("\n".join(wrap(text, CELL_WIDTH - 12, TEXT_SIZE, TEXT_LINES)), encoding="utf-8")
    w, h = CELL_WIDTH, CELL_HEIGHT
    chain = [
        f"scale={w}:{h}:force_original_aspect_ratio=decrease",
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black",
        "setsar=1",
        f"pad={w}:{h + BAND_HEIGHT}:0:0:color={BAND}",
        _drawtext(header, HEADER_SIZE, "0xffd060", h + 4),
        _drawtext(body, TEXT_SIZE, "white", h + 8 + HEADER_SIZE + LINE_SPACING),
    ]
    args: list[str] = ["-loglevel", "error"]
    if source.suffix.lower() not in IMAGE_SUFFIXES:
        args += ["-ss", f"{(segment.source_in + segment.source_out) / 2:.3f}"]
    args += ["-i", str(source), "-map", "0:v:0", "-frames:v", "1", "-vf", ",".join(chain)]
    args += ["-update", "1", str(out)]
    run_ffmpeg(args, what=f"contact sheet frame {segment.index}", timeout=120)


def render_contact_sheet(timeline: Timeline, store: LocalStore, out_png: Path) -> Path:
    """Draw the sheet for ``timeline`` (sources read through ``store``) into ``out_png``."""
    if not timeline.segments:
        raise ValueError("a timeline without segments has nothing to show")
    columns = max(1, min(COLUMNS, len(timeline.segments)))
    rows = math.ceil(len(timeline.segments) / columns)
    with tempfile.TemporaryDirectory(prefix="contact-") as tmp:
        workdir = Path(tmp)
        jobs = [
            (seg, store.path_for(seg.source), workdir / f"{k:04d}.png")
            for k, seg in enumerate(timeline.segments)
        ]
        with ThreadPoolExecutor(max_workers=min(2, usable_cores())) as pool:
            for done in [pool.submit(_cell, seg, src, out, workdir) for seg, src, out in jobs]:
                done.result()
        tile = f"tile={columns}x{rows}:padding={PADDING}:margin={PADDING}:color={BACKGROUND}"
        run_ffmpeg(
            ["-loglevel", "error", "-framerate", "1", "-i", str(workdir / "%04d.png"),
             "-vf", tile, "-frames:v", "1", "-update", "1", str(out_png)],
            what=f"contact sheet of output {timeline.index}",
            timeout=120,
        )  # fmt: skip
    return out_png


def make_contact_sheet(timeline: Timeline, store: LocalStore, work_dir: Path, key: str) -> str:
    """Render the sheet and put it into the store at ``key``; returns the key."""
    work_dir.mkdir(parents=True, exist_ok=True)
    png = render_contact_sheet(timeline, store, work_dir / f"contact-{timeline.index}.png")
    store.put(key, png.read_bytes(), content_type="image/png")
    return key
