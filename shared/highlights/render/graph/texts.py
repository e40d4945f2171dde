"""Title, sub-headings and captions on the joined picture (statements of a picture pass).

Each block is drawn once (``drawtext``, one line at a time, baselines on exact pixels) on a
transparent band that is overlaid, captions only while their narration plays: blending one still
band per frame costs a fifth of drawing the glyphs every frame.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Literal

from highlights.render.ffmpeg import escape_filter_value
from highlights.render.graph.builder import FilterGraph
from highlights.render.graph.timing import FramedSegment
from highlights.render.text import (
    Role,
    TextBlock,
    default_font_size,
    layout_lines,
    layout_text,
    paginate,
    split_window,
    wrap_text,
)
from highlights.render.timeline import TextOverlay, Timeline

CAPTION_MAX_LINES = 2
BORDER_ALPHA = 0.85  # the black outline of every line
BOX_ALPHA = 0.45  # the box behind caption lines


@dataclass(frozen=True)
class FontSpec:
    """How drawtext finds a font.

    ``family`` goes through fontconfig, which picks the right face of a collection (the Simplified
    Chinese face of NotoSansCJK-*.ttc, not the Japanese face 0 that a bare path would give);
    ``style`` (e.g. "Bold") is passed as a fontconfig pattern. ``file`` is the fallback when
    ffmpeg was built without fontconfig.
    """

    family: str | None = None
    style: str | None = None
    file: str | None = None

    def options(self) -> list[str]:
        if self.family:
            opts = [f"font={escape_filter_value(self.family)}"]
            if self.style:
                # drawtext hands `fontfile` to fontconfig as a pattern when it is not a file.
                opts.append(f"fontfile={escape_filter_value(':style=' + self.style)}")
            return opts
        if self.file:
            return [f"fontfile={escape_filter_value(self.file)}"]
        return []


@dataclass(frozen=True)
class Fonts:
    regular: FontSpec = field(default_factory=FontSpec)
    bold: FontSpec = field(default_factory=FontSpec)


@dataclass(frozen=True)
class PlacedText:
    role: Literal["title", "sub_heading", "caption"]
    block: TextBlock
    start: float | None = None  # None: the whole video
    end: float | None = None


def _overlay_size(overlay: TextOverlay, role: Role, canvas: tuple[int, int], scale: float) -> int:
    if overlay.font_size:
        return max(6, round(overlay.font_size * scale))
    return default_font_size(role, *canvas)


def _scaled_y(y: float, scale: float) -> float:
    """A Y in pixels (>= 2) is for the full-size output; fractions need no scaling."""
    return y if y < 2 else y * scale


def place_texts(
    timeline: Timeline,
    segments: list[FramedSegment],
    canvas: tuple[int, int],
    scale: float,
    duration: float,
) -> list[PlacedText]:
    """Every text block of the video, laid out on the canvas, captions with their times."""
    placed: list[PlacedText] = []
    if timeline.title and timeline.title.text.strip():
        title = timeline.title
        size = _overlay_size(title, "title", canvas, scale)
        block = layout_text(
            title.text, canvas=canvas, y=_scaled_y(title.y, scale), font_size=size,
            alignment=title.alignment,
        )  # fmt: skip
        placed.append(PlacedText("title", block))
    for heading in timeline.sub_headings:
        if not heading.text.strip():
            continue
        size = _overlay_size(heading, "sub_heading", canvas, scale)
        block = layout_text(
            heading.text, canvas=canvas, y=_scaled_y(heading.y, scale), font_size=size,
            alignment=heading.alignment,
        )  # fmt: skip
        placed.append(PlacedText("sub_heading", block))
    if timeline.captions is not None:
        placed.extend(_captions(timeline, segments, canvas, scale, duration))
    return placed


def caption_windows(
    segments: list[FramedSegment], duration: float
) -> list[tuple[str, float, float]]:
    """(text, start, end) per captioned segment: while its narration plays (else the segment),
    never running into the next caption nor past the end."""
    cues: list[tuple[str, float, float]] = []
    for framed in segments:
        seg = framed.segment
        text = (
            seg.caption
            if seg.caption is not None
            else (seg.narration.text if seg.narration else None)
        )
        if not text or not text.strip():
            continue
        start = framed.start
        end = start + seg.narration.duration if seg.narration else framed.start + framed.duration
        cues.append((text.strip(), start, min(end, duration)))
    trimmed: list[tuple[str, float, float]] = []
    for i, (text, start, end) in enumerate(cues):
        if i + 1 < len(cues):
            end = min(end, cues[i + 1][1])
        if end - start > 1e-3:
            trimmed.append((text, start, end))
    return trimmed


def _captions(
    timeline: Timeline,
    segments: list[FramedSegment],
    canvas: tuple[int, int],
    scale: float,
    duration: float,
) -> list[PlacedText]:
    captions = timeline.captions
    assert captions is not None
    size = (
        max(6, round(captions.font_size * scale))
        if captions.font_size
        else default_font_size("caption", *canvas)
    )
    width = canvas[0]
    placed: list[PlacedText] = []
    for text, start, end in caption_windows(segments, duration):
        lines = wrap_text(text, size, width * 0.9, balance=True)
        pages = paginate(lines, CAPTION_MAX_LINES)
        for page, (a, b) in zip(pages, split_window(pages, start, end), strict=True):
            block = layout_lines(
                page, canvas=canvas, y=_scaled_y(captions.y, scale), font_size=size,
                alignment=captions.alignment,
            )  # fmt: skip
            placed.append(PlacedText("caption", block, a, b))
    return placed


def texts_within(texts: list[PlacedText], begin: float, end: float) -> list[PlacedText]:
    """The texts shown between ``begin`` and ``end``, timed from ``begin``."""
    kept: list[PlacedText] = []
    for item in texts:
        if item.start is None or item.end is None:
            kept.append(item)
            continue
        start, stop = max(item.start, begin), min(item.end, end)
        if stop > start:
            kept.append(dataclasses.replace(item, start=start - begin, end=stop - begin))
    return kept


def text_band(item: PlacedText, height: int) -> tuple[int, int]:
    """The rows (top, bottom) of the transparent band a text block is drawn on: the block with
    room for descenders, the border and the caption box."""
    size = item.block.font_size
    pad = round(size * 0.45) + _box_border(size)
    return max(0, item.block.top - pad), min(height, item.block.bottom + pad)


def _band_alpha(alpha: float) -> str:
    """drawtext on a transparent RGBA band multiplies the alpha it lays down by itself (a box at
    0.45 comes out at 0.2): ask for the square root to get ``alpha`` on screen."""
    return f"{math.sqrt(alpha):.3f}"


def _box_border(size: int) -> int:
    return max(2, round(size * 0.18))


def _drawtext(item: PlacedText, line_no: int, fonts: Fonts, offset: int) -> str:
    """One line, drawn on the text's band (``offset`` is the band's top row)."""
    line = item.block.lines[line_no]
    size = item.block.font_size
    font = fonts.bold if item.role == "title" else fonts.regular
    opts = [
        *font.options(),
        f"text={escape_filter_value(line.text)}",
        "expansion=none",
        f"fontsize={size}",
        "fontcolor=white",
        f"x={line.x}",
        f"y={line.baseline - offset}-ascent",
        f"borderw={max(1, round(size / (16 if item.role == 'caption' else 12)))}",
        f"bordercolor=black@{_band_alpha(BORDER_ALPHA)}",
    ]
    if item.role == "caption":
        opts += [
            "box=1",
            f"boxcolor=black@{_band_alpha(BOX_ALPHA)}",
            f"boxborderw={_box_border(size)}",
        ]
    return "drawtext=" + ":".join(opts)


def text_layer(
    graph: FilterGraph,
    item: PlacedText,
    current: str,
    canvas: tuple[int, int],
    rate: str,
    fonts: Fonts,
) -> str:
    """Draw a text block once on a transparent band and overlay it on ``current`` (enabled
    while it shows); the label of the result."""
    width, height = canvas
    top, bottom = text_band(item, height)
    if bottom - top < 2 or not item.block.lines:
        return current
    draws = [_drawtext(item, i, fonts, top) for i in range(len(item.block.lines))]
    band, out = graph.label("tx"), graph.label("vt")
    graph.add(
        f"color=c=black@0:s={width}x{bottom - top}:r={rate},trim=end_frame=1,format=rgba,"
        + ",".join(draws)
        + f"[{band}]"
    )
    enable = ""
    if item.start is not None and item.end is not None:
        enable = f":enable='gte(t,{item.start:.3f})*lt(t,{item.end:.3f})'"
    graph.add(
        f"[{current}][{band}]overlay=x=0:y={top}:eof_action=repeat:format=yuv420{enable}[{out}]"
    )
    return out
