"""Text layout for the picture: wrapping, font sizes and positions (pure, no ffmpeg).

drawtext draws one line at a time and cannot wrap, so lines are decided here from an estimate of
each glyph's advance in Noto Sans CJK (the font the engine renders with):

- full-width characters (CJK ideographs, kana, hangul, full-width punctuation) are 1 em;
- Latin letters about 0.5-0.85 em by shape, digits 0.58 em, a space 0.25 em.

The estimates lean wide, so a line that fits here fits on screen. CJK text breaks between any two
characters, Latin text between words (a word longer than the line is cut by characters), and a
line never starts with closing punctuation (，。！？) nor ends with an opening bracket (（「“).
Titles and captions are balanced: the same number of lines, each as even as possible.

Positions follow ICE: ``y`` is a fraction of the height (pixels when >= 2) and the alignment says
which point of the text block sits there (``TopCenter``: the block's top edge, centred
horizontally). Each line is drawn with its baseline at an exact pixel (``y = baseline - ascent``
in drawtext), so mixed Chinese and Latin lines sit on one grid.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

HAlign = Literal["left", "center", "right"]
VAlign = Literal["top", "center", "bottom"]
Role = Literal["title", "sub_heading", "caption"]

ASCENT = 0.88  # Noto Sans CJK's ascender, in em: the baseline sits this far below a line's top
LINE_HEIGHT = 1.3  # line pitch, in em
MARGIN = 0.05  # of the canvas width, kept clear on the left and right of text

# Never at the start of a line (they close what precedes them) / never at the end.
NO_START = frozenset("，。、；：！？）」』】》〉〕”’…·‥～%,.;:!?)]}>")
NO_END = frozenset("（「『【《〈〔“‘([{<")

_NARROW = frozenset("iIjlt.,;:!|'\"`()[]{}fr -")
_WIDE = frozenset("mwMW@%&")
_TOKEN = re.compile(r"\s+|\S")


def is_wide(char: str) -> bool:
    """Full-width characters: one em wide, and a line may break before or after any of them."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def glyph_em(char: str) -> float:
    """Estimated advance of ``char`` in em (leaning wide)."""
    if is_wide(char):
        return 1.0
    if char == " ":
        return 0.25
    if char in _NARROW:
        return 0.36
    if char in _WIDE:
        return 0.88
    if char.isdigit():
        return 0.58
    if char.isupper():
        return 0.7
    if unicodedata.category(char).startswith("M"):  # combining marks take no room
        return 0.0
    return 0.56


def text_width(text: str, font_size: float) -> float:
    """Estimated width of one line in pixels."""
    return sum(glyph_em(c) for c in text) * font_size


def _tokens(paragraph: str) -> list[str]:
    """Unbreakable pieces: Latin words, single wide characters, runs of spaces; punctuation that
    may not start (end) a line is glued to the piece before (after) it."""
    pieces: list[str] = []
    word = ""
    for match in _TOKEN.finditer(paragraph):
        piece = match.group()
        if piece.isspace():
            if word:
                pieces.append(word)
                word = ""
            pieces.append(" ")
        elif is_wide(piece):
            if word:
                pieces.append(word)
                word = ""
            pieces.append(piece)
        else:
            word += piece
    if word:
        pieces.append(word)
    glued: list[str] = []
    for piece in pieces:
        closes = piece[0] in NO_START and not glued[-1].isspace() if glued else False
        opened = glued[-1][-1] in NO_END and not piece.isspace() if glued else False
        if closes or opened:
            glued[-1] += piece
        else:
            glued.append(piece)
    return glued


def _hard_break(piece: str, font_size: float, max_width: float) -> list[str]:
    """Cut one piece that is wider than a line by characters."""
    parts: list[str] = []
    current = ""
    for char in piece:
        if current and text_width(current + char, font_size) > max_width:
            parts.append(current)
            current = char
        else:
            current += char
    if current:
        parts.append(current)
    return parts


def _greedy(paragraph: str, font_size: float, max_width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    space = False
    for piece in _tokens(paragraph):
        if piece == " ":
            space = bool(current)
            continue
        candidate = current + (" " if space else "") + piece
        space = False
        if text_width(candidate, font_size) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = piece
        if text_width(piece, font_size) > max_width:
            *full, current = _hard_break(piece, font_size, max_width)
            lines.extend(full)
    if current:
        lines.append(current)
    return lines


def wrap_text(text: str, font_size: float, max_width: float, *, balance: bool = False) -> list[str]:
    """``text`` as lines no wider than ``max_width`` pixels at ``font_size``.

    Explicit line breaks are kept. With ``balance`` each paragraph keeps its number of lines but
    the lines are made as even as possible (a title of two lines is not one long line and a word).
    """
    if font_size <= 0 or max_width <= 0:
        raise ValueError("font_size and max_width must be positive")
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        paragraph = " ".join(raw.split())
        if not paragraph:
            continue
        wrapped = _greedy(paragraph, font_size, max_width)
        if balance and len(wrapped) > 1:
            wrapped = _balanced(paragraph, font_size, max_width, len(wrapped))
        lines.extend(wrapped)
    return lines


def _balanced(paragraph: str, font_size: float, max_width: float, count: int) -> list[str]:
    """The narrowest greedy wrap that still needs only ``count`` lines (bisection on width)."""
    low = text_width(paragraph, font_size) / count
    high = max_width
    best = _greedy(paragraph, font_size, high)
    for _ in range(16):
        if high - low < 1:
            break
        middle = (low + high) / 2
        attempt = _greedy(paragraph, font_size, middle)
        if len(attempt) <= count:
            best, high = attempt, middle
        else:
            low = middle
    return best


def paginate(lines: list[str], max_lines: int) -> list[list[str]]:
    """Split lines into pages of at most ``max_lines`` (captions show one page at a time)."""
    if max_lines < 1:
        raise ValueError("max_lines must be at least 1")
    return [lines[i : i + max_lines] for i in range(0, len(lines), max_lines)]


def split_window(pages: list[list[str]], start: float, end: float) -> list[tuple[float, float]]:
    """Divide ``start..end`` among pages in proportion to their length (what a reader needs)."""
    weights = [max(sum(max(1, len(line)) for line in page), 1) for page in pages]
    total = sum(weights)
    windows: list[tuple[float, float]] = []
    t = start
    for i, weight in enumerate(weights):
        nxt = end if i == len(weights) - 1 else t + (end - start) * weight / total
        windows.append((t, nxt))
        t = nxt
    return windows


# -- sizes and positions ---------------------------------------------------------------------


def default_font_size(role: Role, width: int, height: int) -> int:
    """A font size proportional to the output width, capped by the height for wide outputs.

    1080x1920: title 68, sub-heading 54, caption 49; 1920x1080: 77, 60, 54.
    """
    by_width, by_height = {
        "title": (16, 14),
        "sub_heading": (20, 18),
        "caption": (22, 20),
    }[role]
    return max(8, round(min(width / by_width, height / by_height)))


def resolve_y(y: float, height: int) -> float:
    """ICE's Y: a fraction of the height below 2, else pixels."""
    return y * height if y < 2 else y


def parse_alignment(alignment: str) -> tuple[VAlign, HAlign]:
    """``TopCenter`` -> ("top", "center"); anything unknown is TopCenter."""
    match = re.fullmatch(r"(Top|Center|Bottom)(Left|Center|Right)", alignment or "")
    if not match:
        return "top", "center"
    return _VERTICAL[match.group(1)], _HORIZONTAL[match.group(2)]


_VERTICAL: dict[str, VAlign] = {"Top": "top", "Center": "center", "Bottom": "bottom"}
_HORIZONTAL: dict[str, HAlign] = {"Left": "left", "Center": "center", "Right": "right"}


@dataclass(frozen=True)
class PlacedLine:
    text: str
    baseline: int  # pixel row of the baseline
    x: str  # drawtext x expression
    left: int  # estimated extent, for tests and contact sheets
    right: int


@dataclass(frozen=True)
class TextBlock:
    lines: tuple[PlacedLine, ...]
    font_size: int
    top: int
    bottom: int
    left: int
    right: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) of the estimated ink, in pixels."""
        return self.left, self.top, self.right, self.bottom


def layout_lines(
    lines: list[str],
    *,
    canvas: tuple[int, int],
    y: float,
    font_size: int,
    alignment: str = "TopCenter",
) -> TextBlock:
    """Place already-wrapped ``lines`` on a ``canvas`` (width, height) at ICE's ``y``."""
    width, height = canvas
    vertical, horizontal = parse_alignment(alignment)
    pitch = round(font_size * LINE_HEIGHT)
    block_height = (len(lines) - 1) * pitch + font_size if lines else 0
    anchor = resolve_y(y, height)
    top = {"top": anchor, "center": anchor - block_height / 2, "bottom": anchor - block_height}[
        vertical
    ]
    top = round(min(max(top, 0), max(height - block_height, 0)))
    margin = round(width * MARGIN)
    placed: list[PlacedLine] = []
    for i, line in enumerate(lines):
        estimate = round(min(text_width(line, font_size), width))
        if horizontal == "left":
            x, left = str(margin), margin
        elif horizontal == "right":
            x, left = f"w-text_w-{margin}", width - margin - estimate
        else:
            x, left = "(w-text_w)/2", (width - estimate) // 2
        baseline = top + i * pitch + round(font_size * ASCENT)
        placed.append(PlacedLine(line, baseline, x, max(left, 0), min(left + estimate, width)))
    return TextBlock(
        lines=tuple(placed),
        font_size=font_size,
        top=top,
        bottom=top + block_height,
        left=min((p.left for p in placed), default=0),
        right=max((p.right for p in placed), default=0),
    )


def layout_text(
    text: str,
    *,
    canvas: tuple[int, int],
    y: float,
    font_size: int,
    alignment: str = "TopCenter",
    balance: bool = True,
) -> TextBlock:
    """Wrap ``text`` to the canvas width (less the margins) and place it."""
    width = canvas[0]
    lines = wrap_text(text, font_size, width * (1 - 2 * MARGIN), balance=balance)
    return layout_lines(lines, canvas=canvas, y=y, font_size=font_size, alignment=alignment)
