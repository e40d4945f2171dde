"""The decode pass's sampled branch: a few frames a second measured for bars and text.

The shot-detection pass (``shots.py``) decodes every frame once; it splits the decoded frames
and this branch keeps one every ``SampleParams.every`` seconds (``select``), so what it measures
costs a sliver of the decoding::

    select (one frame every 0.5 s) -> cropdetect (full frame: where it is not black; logged)
      -> scale (short side 180) -> grey -> split
           white top-hat (the frame minus its opening: thin bright strokes) -> threshold
             -> scale to 16x24 cells (area: each cell's share of stroke pixels) ---+
           edgedetect -> scale to 16x24 cells (each cell's share of edge pixels) ---+-> hstack
      -> rawvideo, 32x24 bytes a sample, to a file

``cropdetect`` logs each frame's bounds with its time (``t:``), which gives the samples their
times; the grid frames come out in the same order. ``parse_samples`` turns both into
``picture_rules.Sample`` values (stroke cells as bit masks; each row's edge share, and its
stroke cells', as levels) for the rules in ``picture_rules``. (Edges are averaged per row in Python: swscale's area scaling
straight down to one column loses them.)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from highlights.render.picture_rules import EDGE_LEVELS, EDGE_STEP, GRID_COLUMNS, GRID_ROWS, Sample

GRID_BYTES = 2 * GRID_COLUMNS * GRID_ROWS  # one sample in the rawvideo file


@dataclass(frozen=True)
class SampleParams:
    """Everything that changes what the branch measures (part of the analysis cache key)."""

    every: float = 0.5  # seconds between sampled frames
    crop_limit: int = 24  # cropdetect's black level (of 255): brighter rows and columns are picture
    short_side: int = 180  # text is looked for at this size (never enlarged)
    radius: int = 2  # the top-hat's: strokes narrower than 2 x radius + 1 pixels are kept
    stroke_level: int = 30  # top-hat value (of 255) above which a pixel is a stroke
    cell_share: int = 16  # of 255: a cell holds strokes when this share of its pixels are
    edge_low: float = 0.1  # edgedetect's thresholds
    edge_high: float = 0.25


def text_size(frame: tuple[int, int], params: SampleParams) -> tuple[int, int]:
    """The even size frames are scaled to for the text grid: short side ``short_side`` (or
    less, never enlarged)."""
    width, height = frame
    short = min(width, height, params.short_side)
    if width >= height:
        return _even(width * short / height), _even(short)
    return _even(short), _even(height * short / width)


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def branch(source: str, out: str, frame: tuple[int, int], params: SampleParams) -> str:
    """The branch's statements, from the decoded frames ``[source]`` to the grid ``[out]``."""
    width, height = text_size(frame, params)
    opening = ",".join(["erosion"] * params.radius + ["dilation"] * params.radius)
    return ";".join(
        [
            f"[{source}]select='isnan(prev_selected_t)+gte(t-prev_selected_t,{params.every:g})',"
            f"cropdetect=limit={crop_share(params)}:round=2:reset_count=1:skip=0,"
            f"scale={width}:{height}:flags=area,format=gray,split=3[sg0][sg1][sg2]",
            f"[sg0]{opening}[sopen]",
            f"[sg1][sopen]blend=all_mode=subtract,lut=y='if(gt(val,{params.stroke_level}),255,0)',"
            f"scale={GRID_COLUMNS}:{GRID_ROWS}:flags=area[sstrokes]",
            f"[sg2]edgedetect=low={params.edge_low:g}:high={params.edge_high:g},"
            f"scale={GRID_COLUMNS}:{GRID_ROWS}:flags=area[sedges]",
            f"[sstrokes][sedges]hstack=inputs=2,format=gray[{out}]",
        ]
    )


def crop_share(params: SampleParams) -> str:
    """cropdetect's limit as a share of the pixel range: ffmpeg scales a limit under 1 to the
    frames' bit depth, while a whole number is a raw level (24 would be below a 10-bit film's
    black, 64, and its bars would never be found)."""
    return f"{min(params.crop_limit, 254) / 255:.6f}"


def grid_bound(seconds: float, params: SampleParams) -> int:
    """The most bytes the grid file of ``seconds`` of film can take (its ``-fs``)."""
    return (math.ceil(seconds / params.every) + 16) * GRID_BYTES


_CROP_LINE = re.compile(r"^\[Parsed_cropdetect_\d+ @ [^\]]+\] (.*)$")
_FIELD = re.compile(r"(\w+):(\S+)")


def _bounds_and_times(stderr: str) -> list[tuple[float, tuple[int, int, int, int] | None]]:
    found: list[tuple[float, tuple[int, int, int, int] | None]] = []
    for line in stderr.splitlines():
        match = _CROP_LINE.match(line.strip())
        if not match:
            continue
        fields = dict(_FIELD.findall(match.group(1)))
        try:
            t = float(fields["t"])
            x1, x2 = int(fields["x1"]), int(fields["x2"])
            y1, y2 = int(fields["y1"]), int(fields["y2"])
        except (KeyError, ValueError):
            t = math.nan
        # A frame's line must be kept even without a time: the grid frames follow in order.
        black = x2 < x1 or y2 < y1
        found.append((t, None if black else (x1, y1, x2, y2)))
    return found


def _level(mean: float) -> int:
    """A mean cell value (0-255: the share of edge pixels) as an edge level."""
    return min(EDGE_LEVELS, int(mean / 255 / EDGE_STEP))


def parse_samples(stderr: str, grid: bytes, params: SampleParams) -> list[Sample]:
    """The samples of one run of the branch: cropdetect's log lines (``stderr``) and the grid
    file's frames, paired in order; samples without a time are left out."""
    logged = _bounds_and_times(stderr)
    samples: list[Sample] = []
    for k in range(min(len(logged), len(grid) // GRID_BYTES)):
        t, bounds = logged[k]
        if math.isnan(t):
            continue
        cells = grid[k * GRID_BYTES : (k + 1) * GRID_BYTES]
        strokes, edges, stroke_edges = [], [], []
        for r in range(GRID_ROWS):
            row = cells[r * 2 * GRID_COLUMNS : (r + 1) * 2 * GRID_COLUMNS]
            stroked = [c for c in range(GRID_COLUMNS) if row[c] >= params.cell_share]
            strokes.append(sum(1 << c for c in stroked))
            edges.append(_level(sum(row[GRID_COLUMNS:]) / GRID_COLUMNS))
            inked = [row[GRID_COLUMNS + c] for c in stroked]
            stroke_edges.append(_level(sum(inked) / len(inked)) if inked else 0)
        samples.append(
            Sample(round(t, 3), bounds, tuple(strokes), tuple(edges), tuple(stroke_edges))
        )
    return samples
