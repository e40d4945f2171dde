"""Candidates for matching: windows of the sources' shots, each with its cues, faces and place.

Candidates
    Every kept shot of every source (in MediaArray order) is trimmed by ``edge`` seconds at both
    ends, so a range never shows a frame of the neighbouring shot even when a detected cut is a
    frame or two off, and then tiled: a shot at least twice ``window`` long (the planner passes
    the longest segment) is cut into equal, non-overlapping windows of at least ``window``
    seconds, a shorter one stays whole. Windows never overlap, so "no source time used twice"
    is "no candidate used twice". A still image is one candidate that fits any length. Each
    candidate carries the subtitle cues it overlaps, its face count (when faces were counted)
    and its position: where its middle falls in the footage, 0 to 1.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from highlights.render.subtitles import Cue

EDGE = 0.12  # seconds trimmed off both ends of a shot: three frames at 25 fps
MIN_CANDIDATE = 0.4  # shorter leftovers of shots are not offered at all
STILL_WEIGHT = 3.0  # seconds a still counts for when placing candidates on the 0-1 axis
CUE_OVERLAP = 0.3  # seconds a cue must share with a window to belong to it (or half the cue)
EPS = 1e-6


@dataclass(frozen=True)
class Footage:
    """One source as matching sees it: its kept shots, dialogue and face samples."""

    key: str
    duration: float | None  # None for a still image
    shots: tuple[tuple[float, float], ...] = ()
    cues: tuple[Cue, ...] = ()
    faces: tuple[tuple[float, int], ...] | None = None  # (time, faces seen); None: not counted

    @property
    def still(self) -> bool:
        return self.duration is None


@dataclass(frozen=True)
class Candidate:
    source: str
    start: float
    end: float
    order: int  # index in source order (MediaArray order, then time)
    shot: int  # the shot it was cut from, numbered across all sources
    position: float  # where its middle falls in the footage, 0..1
    cues: tuple[Cue, ...] = ()
    faces: int | None = None  # most faces seen in one sampled frame; None: not counted
    still: bool = False

    @property
    def length(self) -> float:
        return self.end - self.start

    @property
    def dialogue(self) -> str:
        return " ".join(c.text.replace("\n", " ") for c in self.cues)

    def fits(self, duration: float) -> bool:
        return self.still or self.length >= duration - EPS


def _tiles(start: float, end: float, window: float) -> list[tuple[float, float]]:
    length = end - start
    count = max(1, math.floor(length / window)) if window > 0 else 1
    if count == 1 or length < 2 * window:
        return [(start, end)]
    step = length / count
    edges = [start + k * step for k in range(count)] + [end]
    return list(itertools.pairwise(edges))


def _cues_in(cues: Sequence[Cue], start: float, end: float) -> tuple[Cue, ...]:
    kept = []
    for cue in cues:
        shared = min(cue.end, end) - max(cue.start, start)
        if shared > 0 and shared >= min(CUE_OVERLAP, 0.5 * (cue.end - cue.start)):
            kept.append(cue)
    return tuple(kept)


def _faces_in(samples: Sequence[tuple[float, int]] | None, start: float, end: float) -> int | None:
    if samples is None:
        return None
    return max((n for t, n in samples if start <= t <= end), default=0)


def build_candidates(
    footage: Sequence[Footage], window: float, *, edge: float = EDGE
) -> list[Candidate]:
    """Candidate windows of every source's shots, in source order (see the module docstring)."""
    pieces: list[tuple[Footage, int, float, float]] = []
    shot_number = 0
    for source in footage:
        if source.still:
            pieces.append((source, shot_number, 0.0, 0.0))
            shot_number += 1
            continue
        limit = source.duration or 0.0
        for start, end in source.shots:
            start, end = max(0.0, start), min(limit, end)
            trim = min(edge, 0.05 * (end - start))
            start, end = start + trim, end - trim
            if end - start >= MIN_CANDIDATE:
                for a, b in _tiles(start, end, window):
                    pieces.append((source, shot_number, a, b))
            shot_number += 1
    weights = [STILL_WEIGHT if src.still else b - a for src, _, a, b in pieces]
    total = sum(weights) or 1.0
    candidates: list[Candidate] = []
    before = 0.0
    for order, ((source, shot, a, b), weight) in enumerate(zip(pieces, weights, strict=True)):
        candidates.append(
            Candidate(
                source=source.key,
                start=a,
                end=b,
                order=order,
                shot=shot,
                position=(before + weight / 2) / total,
                cues=() if source.still else _cues_in(source.cues, a, b),
                faces=_faces_in(source.faces, a, b) if not source.still else None,
                still=source.still,
            )
        )
        before += weight
    return candidates
