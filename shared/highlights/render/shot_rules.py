"""From raw per-frame measurements to shots: pure rules, no ffmpeg, so they can be unit tested.

The decode pass (``shots.py``) measures three things: frames whose scene-change score passes a
low floor, runs of *black* frames (at least 98% of pixels dark) and runs of *dark* frames (at
least 85% of pixels dark: text on black, such as credits, passes this but not the black test).
These rules turn them into shots:

1. Boundaries are the cuts, the edges of black runs and the edges of dark runs at least
   ``min_shot`` long; boundaries closer than ``snap`` seconds are one boundary. A frame is a cut
   when its scene score reaches ``threshold``, or when it reaches ``adaptive_min`` and stands out
   from its neighbourhood: at least ``adaptive_ratio`` times the highest other score within
   ``adaptive_window`` seconds (or the decode floor when no neighbour passed it). A cut is an
   isolated spike of frame difference while motion raises the scores of many frames in a row,
   so this finds cuts between similar-looking shots without cutting fast action apart.
2. A piece covered by black is a black gap: dropped.
3. Credits: the leading run of pieces that are dark (or black) and lie wholly within the first
   ``credits_window`` of the film is the opening credits, and the trailing run within the last
   ``credits_window`` is the closing credits, when the dark pieces add up to ``min_credits``
   seconds. They are dropped. A dark scene in the middle of the film is never credits.
4. A content piece shorter than ``min_shot`` is merged into the neighbouring content piece across
   its weaker cut (lower scene score); a short piece with no content neighbour (say between a
   black gap and the credits) is a fragment and is dropped.
5. Titles over pictures (``picture_rules``, from the sampled frames): a shot near either end that
   mostly shows text above the subtitle band is left out ("titles"); a shot that is mostly a
   title card (text on a plain ground) is kept but listed in ``cards``. The samples also give the
   picture area inside black bars (``picture``) and the rows burned-in subtitles take
   (``subtitle_rows``). With a ``TitleReader`` (``build_analysis``'s ``read_titles``), a shot
   the look calls titles is dropped only when the reader finds words in it; at most
   ``title_reads`` shots a film are read, the look alone decides for any further ones.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from highlights.render.picture_rules import (
    PictureRules,
    Rect,
    Sample,
    TitleReader,
    is_card_shot,
    is_titles,
    picture_area,
    shot_text,
    subtitle_rows,
    text_throughout,
    title_regions,
)

ShotKind = Literal["content", "still", "black", "credits", "titles", "fragment"]

HARD = math.inf  # strength of a boundary that is never merged across (black or dark edges)


@dataclass(frozen=True)
class Interval:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Shot:
    start: float
    end: float
    kind: ShotKind = "content"

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class RawAnalysis:
    """What one decode pass measured; the part worth caching (it is what costs time)."""

    duration: float
    scores: tuple[tuple[float, float], ...] = ()  # (time, scene score) above the decode floor
    black: tuple[Interval, ...] = ()
    dark: tuple[Interval, ...] = ()
    floor: float = 0.05  # the decode pass reported only scores above this
    samples: tuple[Sample, ...] = ()  # frames sampled for bars and text, in time order
    frame: tuple[int, int] | None = None  # the decoded frames' size (what samples measure)

    def to_json(self) -> dict[str, Any]:
        return {
            "duration": self.duration,
            "floor": self.floor,
            "scores": [list(pair) for pair in self.scores],
            "black": [[i.start, i.end] for i in self.black],
            "dark": [[i.start, i.end] for i in self.dark],
            "samples": [x.to_json() for x in self.samples],
            "frame": list(self.frame) if self.frame else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RawAnalysis:
        frame = data.get("frame")
        return cls(
            duration=float(data["duration"]),
            scores=tuple((float(t), float(s)) for t, s in data["scores"]),
            black=tuple(Interval(float(a), float(b)) for a, b in data["black"]),
            dark=tuple(Interval(float(a), float(b)) for a, b in data["dark"]),
            floor=float(data.get("floor", 0.05)),
            samples=tuple(Sample.from_json(x) for x in data.get("samples", ())),
            frame=(int(frame[0]), int(frame[1])) if frame else None,
        )


@dataclass(frozen=True)
class ShotRules:
    threshold: float = 0.3  # scene score at which a frame always starts a new shot
    adaptive_min: float = 0.12  # a lower score is a cut only if it stands out...
    adaptive_ratio: float = 2.5  # ...by this factor over its neighbours (inf: off)
    adaptive_window: float = 0.5  # seconds either side that make the neighbourhood
    min_shot: float = 1.0  # shorter content shots are merged into a neighbour
    min_black: float = 0.25  # shorter black runs are a dip in a transition, not a gap
    dark_cover: float = 0.8  # share of a piece that must be dark for it to count as credits
    credits_window: float = 0.2  # credits must lie within this share of the film at either end
    min_credits: float = 1.0  # dark runs shorter than this are not credits
    snap: float = 0.08  # boundaries closer than this (about two frames) are the same boundary
    picture: PictureRules = field(default_factory=PictureRules)  # bars, titles, cards
    title_reads: int = 8  # candidate title shots a film's reader reads at most (cost bound)


@dataclass(frozen=True)
class ShotAnalysis:
    source: str
    duration: float
    shots: tuple[Shot, ...]  # content kept, in order
    dropped: tuple[Shot, ...] = ()  # black gaps, credits and fragments left out
    cuts: tuple[float, ...] = ()  # every boundary between final pieces, kept or dropped
    opening_credits: Interval | None = None
    closing_credits: Interval | None = None
    from_cache: bool = False
    rules: ShotRules = field(default_factory=ShotRules)
    picture: Rect | None = None  # x, y, w, h of the picture inside black bars; None: no bars
    cards: tuple[Shot, ...] = ()  # kept shots that are mostly a title card
    subtitle_rows: tuple[tuple[float, float, float], ...] = ()  # see picture_rules.subtitle_rows


@dataclass
class _Piece:
    start: float
    end: float
    kind: ShotKind
    dark: bool = False

    @property
    def duration(self) -> float:
        return self.end - self.start


def normalise_intervals(
    intervals: Iterable[Interval], duration: float, min_length: float = 0.0
) -> list[Interval]:
    """Clip to the film, merge overlaps, and drop those shorter than ``min_length``."""
    clipped = sorted(
        (max(0.0, i.start), min(duration, i.end)) for i in intervals if i.end > i.start
    )
    merged: list[list[float]] = []
    for start, end in clipped:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        elif end > start:
            merged.append([start, end])
    return [Interval(a, b) for a, b in merged if b - a >= min_length]


def coverage(start: float, end: float, intervals: Sequence[Interval]) -> float:
    """Share of [start, end] covered by ``intervals`` (which must not overlap)."""
    if end <= start:
        return 0.0
    covered = sum(max(0.0, min(end, i.end) - max(start, i.start)) for i in intervals)
    return covered / (end - start)


def select_cuts(
    scores: Sequence[tuple[float, float]], rules: ShotRules, *, floor: float = 0.05
) -> list[tuple[float, float]]:
    """The (time, score) pairs that are cuts: strong, or weaker but isolated spikes."""
    ordered = sorted(scores)
    cuts: list[tuple[float, float]] = []
    lo = 0
    for i, (t, score) in enumerate(ordered):
        if score >= rules.threshold:
            cuts.append((t, score))
            continue
        if score < rules.adaptive_min:
            continue
        while ordered[lo][0] < t - rules.adaptive_window:
            lo += 1
        local = floor
        for j in range(lo, len(ordered)):
            other_t, other = ordered[j]
            if other_t > t + rules.adaptive_window:
                break
            if j != i:
                local = max(local, other)
        if score >= rules.adaptive_ratio * local:
            cuts.append((t, score))
    return cuts


def _boundaries(
    raw: RawAnalysis, rules: ShotRules, black: Sequence[Interval], dark: Sequence[Interval]
) -> list[tuple[float, float]]:
    """Sorted (time, strength) boundaries including 0 and the end, snapped together."""
    candidates: list[tuple[float, float]] = [(0.0, HARD), (raw.duration, HARD)]
    candidates += select_cuts(raw.scores, rules, floor=raw.floor)
    candidates += [(edge, HARD) for i in black for edge in (i.start, i.end)]
    candidates += [
        (edge, HARD) for i in dark if i.duration >= rules.min_shot for edge in (i.start, i.end)
    ]
    candidates = [(t, s) for t, s in candidates if 0.0 <= t <= raw.duration]
    candidates.sort()
    snapped: list[tuple[float, float]] = []
    for t, s in candidates:
        if snapped and t - snapped[-1][0] < rules.snap:
            # Keep the earlier time (where the change began) and the stronger strength.
            prev_t, prev_s = snapped[-1]
            snapped[-1] = (prev_t, max(prev_s, s))
            continue
        snapped.append((t, s))
    # The film's end is a boundary whatever got snapped to it.
    if snapped[-1][0] != raw.duration:
        if raw.duration - snapped[-1][0] < rules.snap and len(snapped) > 1:
            snapped[-1] = (raw.duration, HARD)
        else:
            snapped.append((raw.duration, HARD))
    return snapped


def _mark_credits(pieces: list[_Piece], rules: ShotRules, duration: float) -> list[Interval]:
    """Label the opening and closing credits runs; return their spans (opening, then closing)."""
    window = rules.credits_window * duration
    found: list[Interval] = []
    for order in (range(len(pieces)), range(len(pieces) - 1, -1, -1)):
        run: list[_Piece] = []
        for i in order:
            piece = pieces[i]
            inside = (
                piece.end <= window + 1e-6
                if order.step > 0
                else (piece.start >= duration - window - 1e-6)
            )
            if not inside or not (piece.kind == "black" or piece.dark):
                break
            run.append(piece)
        dark = [p for p in run if p.kind != "black"]
        if dark and sum(p.duration for p in dark) >= rules.min_credits:
            for p in dark:
                p.kind = "credits"
            found.append(Interval(min(p.start for p in dark), max(p.end for p in dark)))
    return found


def _merge_short(pieces: list[_Piece], strengths: list[float], rules: ShotRules) -> None:
    """Merge short content pieces into a neighbour across the weaker cut, in place.

    ``strengths[i]`` is the boundary between ``pieces[i]`` and ``pieces[i + 1]``.
    """
    while True:
        short = [
            i for i, p in enumerate(pieces) if p.kind == "content" and p.duration < rules.min_shot
        ]
        if not short:
            return
        i = min(short, key=lambda k: (pieces[k].duration, k))
        options: list[tuple[float, int]] = []  # (strength of the cut, index of the boundary)
        if i > 0 and pieces[i - 1].kind == "content" and strengths[i - 1] < HARD:
            options.append((strengths[i - 1], i - 1))
        if i + 1 < len(pieces) and pieces[i + 1].kind == "content" and strengths[i] < HARD:
            options.append((strengths[i], i))
        if not options:
            pieces[i].kind = "fragment"
            continue
        _, b = min(options)
        left, right = pieces[b], pieces[b + 1]
        pieces[b] = _Piece(left.start, right.end, "content", left.dark and right.dark)
        del pieces[b + 1]
        del strengths[b]


def build_analysis(
    raw: RawAnalysis,
    rules: ShotRules | None = None,
    *,
    source: str = "",
    from_cache: bool = False,
    read_titles: TitleReader | None = None,
) -> ShotAnalysis:
    """Apply the rules (see the module docstring) to one decode pass's measurements;
    ``read_titles`` confirms the shots the look calls titles (None: the look decides)."""
    rules = rules or ShotRules()
    duration = raw.duration
    if duration <= 0:
        return ShotAnalysis(
            source=source, duration=0.0, shots=(), from_cache=from_cache, rules=rules
        )
    black = normalise_intervals(raw.black, duration, rules.min_black)
    dark = normalise_intervals(raw.dark, duration)
    bounds = _boundaries(raw, rules, black, dark)
    pieces: list[_Piece] = []
    for (start, _), (end, _) in itertools.pairwise(bounds):
        is_black = coverage(start, end, black) >= 0.5
        is_dark = coverage(start, end, dark) >= rules.dark_cover
        pieces.append(_Piece(start, end, "black" if is_black else "content", is_dark))
    strengths = [s for _, s in bounds[1:-1]]

    credits = _mark_credits(pieces, rules, duration)
    opening = next((c for c in credits if c.start < duration / 2), None)
    closing = next((c for c in credits if c.start >= duration / 2), None)
    _merge_short(pieces, strengths, rules)
    cards = _mark_titles(pieces, raw.samples, rules, duration, read_titles)

    shots = tuple(Shot(p.start, p.end, "content") for p in pieces if p.kind == "content")
    dropped = tuple(Shot(p.start, p.end, p.kind) for p in pieces if p.kind != "content")
    cuts = tuple(p.start for p in pieces[1:])
    return ShotAnalysis(
        source=source,
        duration=duration,
        shots=shots,
        dropped=dropped,
        cuts=cuts,
        opening_credits=opening,
        closing_credits=closing,
        from_cache=from_cache,
        rules=rules,
        picture=picture_area(raw.samples, raw.frame, rules.picture) if raw.frame else None,
        cards=cards,
        subtitle_rows=subtitle_rows(raw.samples, rules.picture),
    )


def _mark_titles(
    pieces: list[_Piece],
    samples: Sequence[Sample],
    rules: ShotRules,
    duration: float,
    read: TitleReader | None,
) -> tuple[Shot, ...]:
    """Label content pieces near either end that show titles (read, when a reader is given);
    return the title cards kept."""
    cards: list[Shot] = []
    reads = 0
    throughout = text_throughout(samples, duration, rules.picture)
    for piece in pieces:
        if piece.kind != "content":
            continue
        text = shot_text(samples, piece.start, piece.end, rules.picture)
        if not throughout and is_titles(text, piece.start, piece.end, duration, rules.picture):
            if read is not None and reads < rules.title_reads:
                reads += 1
                regions = title_regions(samples, piece.start, piece.end, rules.picture)
                if not read(piece.start, piece.end, regions):
                    continue  # no words: a bright crisp shape, not titles; kept as content
            piece.kind = "titles"
        elif is_card_shot(text, rules.picture):
            cards.append(Shot(piece.start, piece.end, "content"))
    return tuple(cards)


def still_analysis(source: str, still_duration: float) -> ShotAnalysis:
    """An image is one shot that lasts as long as the caller wants to show it."""
    if still_duration <= 0:
        raise ValueError("still_duration must be positive")
    shot = Shot(0.0, still_duration, "still")
    return ShotAnalysis(source=source, duration=still_duration, shots=(shot,))
