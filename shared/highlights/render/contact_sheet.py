"""A contact sheet per output: one frame per segment with its text, so a person can check at a
glance which part of the film each sentence got.

Each cell is the middle frame of the segment's source range (or the still), fitted into
``CELL_WIDTH`` x ``CELL_HEIGHT`` over a dark band holding a header (segment number, source,
range, how it was matched) and up to ``TEXT_LINES`` lines of the narration or shot text, laid
out with ffmpeg's ``tile`` filter in rows of ``COLUMNS``. Text is drawn with Noto Sans CJK
(fonts-noto-cjk) so Chinese renders, and goes through files (``textfile=``) so no text needs
escaping.

Work is bounded whatever the timeline's length: one ffmpeg draws a band of up to
``BATCH_ROWS`` rows (one seeked input per cell, like a render pass), two at a time, and one more
stacks the bands; a timeline of more than ``MAX_CELLS`` segments shows ``MAX_CELLS`` of them,
evenly spread (each header names its segment).

The sheet is written into the store next to the video (``<dir>/<video stem>.contact.png``), or
in preview-only mode in the job's previews folder, under the engine's state prefix
(``<state prefix>previews/<job>/preview_<index>.contact.png``).
"""

from __future__ import annotations

import math
import posixpath
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

from highlights.ports import MediaFolder
from highlights.render.cores import ToolPool, usable_cores
from highlights.render.ffmpeg import (
    escape_filter_value,
    filter_script_option,
    input_args,
    run_ffmpeg,
)
from highlights.render.fonts import font_file
from highlights.render.probe import MediaInfo, probe
from highlights.render.process import scratch_folder
from highlights.render.sentences import is_cjk
from highlights.render.timeline import Segment, Timeline

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
MAX_CELLS = 120
BATCH_ROWS = 3  # rows per ffmpeg: COLUMNS x BATCH_ROWS inputs at most


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


def shown_segments(segments: Sequence[Segment], limit: int = MAX_CELLS) -> list[Segment]:
    """The segments that get a cell: all of them, or ``limit`` evenly spread (first and last
    included) when there are more."""
    if len(segments) <= limit:
        return list(segments)
    if limit <= 1:
        return list(segments[:limit])
    step = (len(segments) - 1) / (limit - 1)
    return [segments[round(k * step)] for k in range(limit)]


def _cell_chain(segment: Segment, k: int, workdir: Path) -> str:
    """Input ``k``'s first frame as a cell: fitted picture over the text band."""
    header = workdir / f"h{k}.txt"
    header.write_text(_header(segment), encoding="utf-8")
    text = segment.caption or segment.shot_text or ""
    body = workdir / f"b{k}.txt"
    body.write_text("\n".join(wrap(text, CELL_WIDTH - 12, TEXT_SIZE, TEXT_LINES)), encoding="utf-8")
    w, h = CELL_WIDTH, CELL_HEIGHT
    chain = [
        "trim=end_frame=1",
        "setpts=0",
        f"scale={w}:{h}:force_original_aspect_ratio=decrease",
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black",
        "setsar=1",
        f"pad={w}:{h + BAND_HEIGHT}:0:0:color={BAND}",
        _drawtext(header, HEADER_SIZE, "0xffd060", h + 4),
        _drawtext(body, TEXT_SIZE, "white", h + 8 + HEADER_SIZE + LINE_SPACING),
        "format=rgb24",
    ]
    return f"[{k}:v]{','.join(chain)}[c{k}]"


def _band(
    cells: Sequence[tuple[Segment, Path, MediaInfo]],
    columns: int,
    out: Path,
    workdir: Path,
    *,
    margin: int,
) -> None:
    """One ffmpeg: the cells (up to ``COLUMNS x BATCH_ROWS``), tiled in rows of ``columns``."""
    args: list[str] = ["-loglevel", "error"]
    statements = []
    for k, (segment, source, info) in enumerate(cells):
        seek: list[str] = []
        if info.kind != "image":
            middle = (segment.source_in + segment.source_out) / 2
            seek = ["-ss", f"{middle:.3f}", "-t", "1"]
        args += input_args(source, info.format_name, *seek)
        statements.append(_cell_chain(segment, k, workdir))
    rows = math.ceil(len(cells) / columns)
    joined = "".join(f"[c{k}]" for k in range(len(cells)))
    statements.append(
        f"{joined}concat=n={len(cells)}:v=1:a=0,"
        f"tile={columns}x{rows}:padding={PADDING}:margin={margin}:color={BACKGROUND}[sheet]"
    )
    script = workdir / f"{out.stem}.txt"
    script.write_text(";\n".join(statements) + "\n", encoding="utf-8")
    args += [filter_script_option(), str(script)]
    args += ["-map", "[sheet]", "-frames:v", "1", "-update", "1", str(out)]
    run_ffmpeg(args, what=f"contact sheet cells of {out.stem}", timeout=60 + 15 * len(cells))


def _stack(bands: Sequence[Path], out: Path) -> None:
    """The bands (margin 0) one above the other, ``PADDING`` between them and around."""
    args: list[str] = ["-loglevel", "error"]
    labels = []
    for k, band in enumerate(bands):
        args += input_args(band, "png_pipe")
        last = k == len(bands) - 1
        labels.append(f"[{k}:v]pad=iw:ih+{0 if last else PADDING}:0:0:color={BACKGROUND}[b{k}]")
    stacked = "".join(f"[b{k}]" for k in range(len(bands)))
    graph = ";".join(labels) + (
        f";{stacked}vstack=inputs={len(bands)},"
        f"pad=iw+{2 * PADDING}:ih+{2 * PADDING}:{PADDING}:{PADDING}:color={BACKGROUND}[sheet]"
    )
    args += ["-filter_complex", graph, "-map", "[sheet]", "-frames:v", "1", "-update", "1"]
    run_ffmpeg([*args, str(out)], what=f"contact sheet {out.stem}", timeout=120)


def render_contact_sheet(
    timeline: Timeline,
    folder: MediaFolder,
    out_png: Path,
    media: Mapping[str, MediaInfo] | None = None,
) -> Path:
    """Draw the sheet for ``timeline`` (sources read through ``folder``) into ``out_png``.
    ``media`` holds what ``probe`` found for the source keys (probed here when missing)."""
    if not timeline.segments:
        raise ValueError("a timeline without segments has nothing to show")
    segments = shown_segments(timeline.segments, MAX_CELLS)
    columns = max(1, min(COLUMNS, len(segments)))
    known = dict(media or {})
    cells = []
    for seg in segments:
        path = folder.path_for(seg.source)
        if seg.source not in known:
            known[seg.source] = probe(path)
        cells.append((seg, path, known[seg.source]))
    per_band = columns * BATCH_ROWS
    batches = [cells[i : i + per_band] for i in range(0, len(cells), per_band)]
    with scratch_folder("contact-") as tmp:
        workdir = Path(tmp)
        if len(batches) == 1:
            _band(batches[0], columns, out_png, workdir, margin=PADDING)
            return out_png
        bands = [workdir / f"band{k:03d}.png" for k in range(len(batches))]
        with ToolPool(min(2, usable_cores())) as pool:
            for done in [
                pool.submit(_band, batch, columns, band, workdir, margin=0)
                for batch, band in zip(batches, bands, strict=True)
            ]:
                done.result()
        _stack(bands, out_png)
    return out_png


def make_contact_sheet(
    timeline: Timeline,
    folder: MediaFolder,
    work_dir: Path,
    key: str,
    media: Mapping[str, MediaInfo] | None = None,
) -> str:
    """Render the sheet and put it into the folder at ``key``; returns the key."""
    work_dir.mkdir(parents=True, exist_ok=True)
    png = render_contact_sheet(timeline, folder, work_dir / f"contact-{timeline.index}.png", media)
    folder.put(key, png.read_bytes(), content_type="image/png")
    return key
