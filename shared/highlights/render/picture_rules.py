"""What sampled frames say about a film's picture: its bars, and where text is. Pure rules.

The decode pass (``shots.py``, its sampled branch in ``samples.py``) looks at a frame every
``DecodeParams.sample_every`` seconds and records a ``Sample``: the bounds of what is not black
(ffmpeg's ``cropdetect`` on the full frame), and a coarse grid of where text-like strokes are
(thin bright strokes, as the OCR keeps them) and how much detail (edges) each row holds. These
rules read them:

Bars (``picture_area``)
    For each edge, the outermost bound the samples reach, leaving out ``outliers`` of them (a
    flash, a glitch): a dark scene inside the picture never narrows it, so the film is never
    cropped into its picture; bars thinner than ``min_bar`` of the frame (or ``min_bar_px``)
    are left alone. A film whose samples are all black, or that reaches every edge, has no bars.

Text (``text_lines``)
    In a sample that is not busy (fewer than ``busy`` of its cells hold strokes: a texture such
    as foliage fills them all), a grid row is a text row when its longest run of stroke cells
    spans ``min_run`` columns or more and is roughly centred (``centre_offset``): captions,
    titles and credits are; a logo or a time code in a corner is not. Consecutive text rows make
    a line when they look like one: at most ``max_line_rows`` tall (a blob of detail is taller),
    a one-row line ``single_row_run`` columns wide, crisp (its stroke cells reach an edge level
    of ``line_edges``, and one of its rows has ``line_contrast`` more edges than the median
    row of the rest: rendered text is dense with sharp edges, the outline of a shape is not),
    and the rows just above and below it quiet (runs at most half its widest). A line whose middle lies below ``subtitle_band`` of the
    frame's height is dialogue (burned-in subtitles); above it, a title.

Title cards (``is_card``)
    A sample with a title line whose other rows hold almost no detail (edge level at most
    ``card_edges``): text on a plain ground, such as an intertitle or credits on black.

Shots (``is_titles``, ``is_card_shot``)
    A shot that starts within ``title_window`` of the film's start, or ends within it of the
    film's end (a share of the film, at most ``title_window_max`` seconds), with title text in
    ``title_share`` of its samples is titles over pictures, left out like credits, unless the
    film shows such text as often between the windows (``text_throughout``: subtitles at the
    top of the frame, a caption bar). A shot anywhere whose samples are mostly cards
    (``card_share``) is kept but flagged: matching uses it only when nothing else fits.

Reading (``title_regions``, ``TitleReader``)
    The look alone is fooled by bright crisp shapes (a fractal's rim). Where a reader is given
    (tesseract: ``title_ocr.py``), a shot these rules call titles is dropped only when words are
    read in a frame region that showed title lines: ``title_regions`` picks up to ``read_count``
    such samples (spread over the shot) and the rows of their title lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Rect = tuple[int, int, int, int]  # x, y, width, height
TitleRegion = tuple[float, float, float]  # sample time, top and bottom of its title lines (shares)
# Does the shot (start, end) show words in any of these regions? (see ``title_regions``)
TitleReader = Callable[[float, float, Sequence[TitleRegion]], bool]
Bounds = tuple[int, int, int, int]  # x1, y1, x2, y2 (inclusive) of what is not black

GRID_ROWS = 24
GRID_COLUMNS = 16
EDGE_LEVELS = 15  # edge levels are 0..15, each EDGE_STEP of the row's pixels
EDGE_STEP = 0.02


@dataclass(frozen=True)
class Sample:
    """One sampled frame (see the module docstring)."""

    time: float
    bounds: Bounds | None  # None: the frame is all black
    strokes: tuple[int, ...]  # per grid row, bit c set: column c holds text-like strokes
    edges: tuple[int, ...]  # per grid row, its edge level (0..EDGE_LEVELS)
    stroke_edges: tuple[int, ...]  # per grid row, the edge level of its stroke cells (0: none)

    def to_json(self) -> list[Any]:
        """Compact: [time, x1, y1, x2, y2 (or four -1), stroke masks in hex, edge levels,
        stroke cells' edge levels]."""
        bounds = list(self.bounds) if self.bounds is not None else [-1, -1, -1, -1]
        masks = "".join(f"{m:04x}" for m in self.strokes)
        edges = "".join(f"{e:x}" for e in self.edges)
        return [self.time, *bounds, masks, edges, "".join(f"{e:x}" for e in self.stroke_edges)]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> Sample:
        time, x1, y1, x2, y2, masks, edges, stroke_edges = data
        bounds = None if int(x1) < 0 else (int(x1), int(y1), int(x2), int(y2))
        strokes = tuple(int(masks[i : i + 4], 16) for i in range(0, len(masks), 4))
        return cls(
            float(time),
            bounds,
            strokes,
            tuple(int(e, 16) for e in edges),
            tuple(int(e, 16) for e in stroke_edges),
        )


@dataclass(frozen=True)
class PictureRules:
    outliers: float = 0.01  # share of samples (at least one) whose bounds may be ignored
    min_bar: float = 0.01  # bars thinner than this share of the frame are left alone
    min_bar_px: int = 4
    min_picture: float = 0.25  # a "picture" narrower than this share is no bars but a dark film
    busy: float = 0.45  # samples with more stroke cells than this share are texture
    min_run: int = 4  # columns a text row's run of stroke cells spans at least
    single_row_run: int = 6  # ... and a line one row tall
    max_line_rows: int = 10  # rows a line (or a block of lines) spans at most
    line_edges: int = 2  # the edge level a line's stroke cells reach at least
    line_contrast: int = 1  # a line's row has this many edge levels over the others' median
    centre_offset: float = 0.25  # a run's middle lies this share of the width from the centre
    subtitle_band: float = 0.7  # lines whose middle lies below this share of the height
    card_edges: int = 1  # rows away from text with more detail than this are picture
    title_window: float = 0.2  # share of the film at either end where titles are looked for
    title_window_max: float = 600.0  # seconds
    title_share: float = 0.5  # share of a shot's samples that show title text
    card_share: float = 0.6  # share of a shot's samples that are cards
    read_count: int = 2  # samples of a candidate title shot a reader reads


@dataclass(frozen=True)
class TextLine:
    top: int  # first grid row
    bottom: int  # last grid row (inclusive)
    left: int  # first column of its widest run
    right: int  # last column of its widest run (inclusive)

    def middle(self) -> float:
        """Where its middle lies, as a share of the frame's height."""
        return (self.top + self.bottom + 1) / 2 / GRID_ROWS


# -- bars -------------------------------------------------------------------------------------


def picture_area(
    samples: Sequence[Sample], frame: tuple[int, int], rules: PictureRules | None = None
) -> Rect | None:
    """The picture inside the frame's black bars (even, never inside what samples showed), or
    None when there are no bars to remove."""
    rules = rules or PictureRules()
    width, height = frame
    lit = [s.bounds for s in samples if s.bounds is not None]
    if len(lit) < 2 or width < 4 or height < 4:
        return None
    skip = min(len(lit) - 1, max(1, int(len(lit) * rules.outliers)))

    def outer(values: list[int], reverse: bool) -> int:
        return sorted(values, reverse=reverse)[skip]

    left = outer([b[0] for b in lit], False)
    top = outer([b[1] for b in lit], False)
    right = outer([b[2] for b in lit], True)
    bottom = outer([b[3] for b in lit], True)
    min_x = max(rules.min_bar_px, width * rules.min_bar)
    min_y = max(rules.min_bar_px, height * rules.min_bar)
    x1 = 0 if left < min_x else left - left % 2  # rounded outwards: never into the picture
    y1 = 0 if top < min_y else top - top % 2
    x2 = width if width - 1 - right < min_x else min(width, right + 1 + (right + 1) % 2)
    y2 = height if height - 1 - bottom < min_y else min(height, bottom + 1 + (bottom + 1) % 2)
    w, h = x2 - x1, y2 - y1
    w, h = w - w % 2, h - h % 2
    if w < width * rules.min_picture or h < height * rules.min_picture:
        return None  # a mostly dark film, not a picture between bars
    if (x1, y1, w, h) == (0, 0, width - width % 2, height - height % 2):
        return None
    return x1, y1, w, h


# -- text -------------------------------------------------------------------------------------


def _runs(mask: int) -> tuple[int, int]:
    """(first column, length) of the longest run of set bits in a row's mask."""
    best = (0, 0)
    start, length = 0, 0
    for c in range(GRID_COLUMNS + 1):
        if c < GRID_COLUMNS and mask >> c & 1:
            if length == 0:
                start = c
            length += 1
            continue
        if length > best[1]:
            best = (start, length)
        length = 0
    return best


def text_lines(sample: Sample, rules: PictureRules | None = None) -> list[TextLine]:
    """The text lines of one sample, top to bottom (see the module docstring)."""
    rules = rules or PictureRules()
    cells = sum(bin(m).count("1") for m in sample.strokes)
    if cells > rules.busy * GRID_ROWS * GRID_COLUMNS:
        return []
    runs = [_runs(mask) for mask in sample.strokes]
    groups: list[TextLine] = []
    for r, (start, length) in enumerate(runs):
        centred = abs(start + length / 2 - GRID_COLUMNS / 2) <= rules.centre_offset * GRID_COLUMNS
        if length < rules.min_run or not centred:
            continue
        end = start + length - 1
        if groups and groups[-1].bottom == r - 1:
            last = groups[-1]
            groups[-1] = TextLine(last.top, r, min(last.left, start), max(last.right, end))
        else:
            groups.append(TextLine(r, r, start, end))
    return [line for line in groups if _looks_like_a_line(line, runs, sample, rules)]


def _looks_like_a_line(
    line: TextLine, runs: Sequence[tuple[int, int]], sample: Sample, rules: PictureRules
) -> bool:
    height = line.bottom - line.top + 1
    widest = max(runs[r][1] for r in range(line.top, line.bottom + 1))
    if height > rules.max_line_rows or (height == 1 and widest < rules.single_row_run):
        return False
    rest = sorted(e for r, e in enumerate(sample.edges) if not line.top <= r <= line.bottom)
    median = rest[len(rest) // 2] if rest else 0
    rows = range(line.top, line.bottom + 1)
    if max(sample.stroke_edges[r] for r in rows) < rules.line_edges:
        return False
    if max(sample.edges[r] for r in rows) < median + rules.line_contrast:
        return False
    around = [runs[r][1] for r in (line.top - 1, line.bottom + 1) if 0 <= r < len(runs)]
    return all(run <= widest // 2 for run in around)


def titles_in(lines: Sequence[TextLine], rules: PictureRules | None = None) -> list[TextLine]:
    rules = rules or PictureRules()
    return [line for line in lines if line.middle() < rules.subtitle_band]


def subtitles_in(lines: Sequence[TextLine], rules: PictureRules | None = None) -> list[TextLine]:
    rules = rules or PictureRules()
    return [line for line in lines if line.middle() >= rules.subtitle_band]


def is_card(sample: Sample, lines: Sequence[TextLine], rules: PictureRules | None = None) -> bool:
    """A title on a plain ground: the rows away from the text (one row of margin) hold no
    detail."""
    rules = rules or PictureRules()
    if not titles_in(lines, rules):
        return False
    near = {r for line in lines for r in range(line.top - 1, line.bottom + 2)}
    rest = [e for r, e in enumerate(sample.edges) if r not in near]
    strokes = [m for r, m in enumerate(sample.strokes) if r not in near]
    return bool(rest) and max(rest) <= rules.card_edges and not any(strokes)


# -- shots -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShotText:
    """What the samples of one shot showed."""

    samples: int
    titled: int  # samples with title text (above the subtitle band)
    cards: int  # samples that are title cards


def shot_text(samples: Sequence[Sample], start: float, end: float, rules: PictureRules) -> ShotText:
    inside = [s for s in samples if start <= s.time < end]
    titled = cards = 0
    for sample in inside:
        lines = text_lines(sample, rules)
        titled += bool(titles_in(lines, rules))
        cards += is_card(sample, lines, rules)
    return ShotText(len(inside), titled, cards)


def title_window(duration: float, rules: PictureRules) -> float:
    return min(rules.title_window * duration, rules.title_window_max)


def is_titles(
    text: ShotText, start: float, end: float, duration: float, rules: PictureRules
) -> bool:
    """A shot that starts within the title window at the film's start, or ends within the one
    at its end, and mostly shows title text."""
    window = title_window(duration, rules)
    at_an_end = start < window or end > duration - window
    return at_an_end and text.samples > 0 and text.titled >= rules.title_share * text.samples


def text_throughout(samples: Sequence[Sample], duration: float, rules: PictureRules) -> bool:
    """Title text in ``title_share`` of the samples between the title windows too: subtitles
    set at the top of the frame, a caption bar, a broadcaster's text; what the film shows all
    along is not its opening titles or end credits."""
    window = title_window(duration, rules)
    text = shot_text(samples, window, duration - window, rules)
    return text.samples > 0 and text.titled >= rules.title_share * text.samples


def is_card_shot(text: ShotText, rules: PictureRules) -> bool:
    return text.samples > 0 and text.cards >= rules.card_share * text.samples


def title_regions(
    samples: Sequence[Sample], start: float, end: float, rules: PictureRules
) -> tuple[TitleRegion, ...]:
    """Up to ``read_count`` samples of [start, end) that show title lines, spread over the shot,
    each with the rows its title lines span (top, bottom: shares of the frame's height)."""
    titled: list[TitleRegion] = []
    for sample in samples:
        if start <= sample.time < end:
            lines = titles_in(text_lines(sample, rules), rules)
            if lines:
                top = min(line.top for line in lines) / GRID_ROWS
                bottom = (max(line.bottom for line in lines) + 1) / GRID_ROWS
                titled.append((sample.time, round(top, 4), round(bottom, 4)))
    count = min(rules.read_count, len(titled))
    picks = sorted({(k + 1) * len(titled) // (count + 1) for k in range(count)})
    return tuple(titled[i] for i in picks)


def subtitle_rows(
    samples: Sequence[Sample], rules: PictureRules | None = None
) -> tuple[tuple[float, float, float], ...]:
    """(time, top, bottom) of the burned-in subtitles each sample shows, as shares of the
    frame's height; samples without any are left out."""
    rules = rules or PictureRules()
    found = []
    for sample in samples:
        lines = subtitles_in(text_lines(sample, rules), rules)
        if lines:
            top = min(line.top for line in lines) / GRID_ROWS
            bottom = (max(line.bottom for line in lines) + 1) / GRID_ROWS
            found.append((sample.time, round(top, 4), round(bottom, 4)))
    return tuple(found)


def text_band(
    rows: Sequence[tuple[float, float, float]], start: float, end: float, margin: float = 0.25
) -> tuple[float, float] | None:
    """The rows (top, bottom, shares of the frame's height) burned-in subtitles take between
    ``start`` and ``end`` (and ``margin`` seconds either side: half the sampling step, what a
    sample stands for), or None."""
    inside = [(top, bottom) for t, top, bottom in rows if start - margin <= t <= end + margin]
    if not inside:
        return None
    return min(top for top, _ in inside), max(bottom for _, bottom in inside)
