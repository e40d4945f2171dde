"""Frames, not seconds: the timeline's segments snapped to the output frame grid, and chunks.

Segment i starts at frame ``start * fps`` (halves rounded up) and the output has
``duration * fps`` frames. A cut trims the previous segment to where the next starts (gaps and
overlaps are absorbed); a transition overlaps the two by ``end(prev) - start(next)`` frames. So
durations add up exactly and the output lasts the timeline's duration to the frame.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

from highlights.render.looks.transitions import xfade_for
from highlights.render.timeline import Segment, Timeline

SEEK_MARGIN = 0.2  # seconds read past a segment's end (tpad holds the last frame if short)
MIN_CHUNK_SECONDS = 5.0  # shorter chunks would spend more on starting ffmpeg than they save


class TimelineError(ValueError):
    """The timeline cannot be rendered as it stands (segments out of order, no segments ...)."""


@dataclass(frozen=True)
class FramedSegment:
    """A timeline segment on the output's frame grid."""

    index: int  # the timeline segment's index
    start_frame: int
    frames: int
    overlap: int  # frames shared with the previous segment (an xfade); 0 for a cut
    transition: str | None  # the xfade transition into this segment
    fps: float
    segment: Segment = field(repr=False, compare=False)

    @property
    def start(self) -> float:
        return self.start_frame / self.fps

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    @property
    def end_frame(self) -> int:
        return self.start_frame + self.frames


def frame_rate(fps: float) -> Fraction:
    if not (fps > 0 and math.isfinite(fps)):
        raise TimelineError(f"invalid fps {fps!r}")
    return Fraction(fps).limit_denominator(1001)


def rate_text(rate: Fraction) -> str:
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def even(value: float) -> int:
    return max(2, round(value) // 2 * 2)


def secs(value: float) -> str:
    """Seconds as ffmpeg options take them: up to microseconds, no trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def to_frame(seconds: float, fps: float) -> int:
    """The frame a time falls on, halves rounded up (a 3 s segment at 2.5 s is 75 frames)."""
    return math.floor(seconds * fps + 0.5 + 1e-9)


def frame_segments(timeline: Timeline, rate: Fraction) -> tuple[list[FramedSegment], list[str]]:
    """Snap the segments to the frame grid and decide each join (see the module docstring)."""
    fps = float(rate)
    segments = sorted(timeline.segments, key=lambda s: (s.start, s.index))
    if not segments:
        raise TimelineError("the timeline has no segments")
    warnings: list[str] = []
    total = max(1, to_frame(timeline.duration, fps))
    starts = [to_frame(s.start, fps) for s in segments]
    ends = [to_frame(s.start + s.duration, fps) for s in segments]
    if starts[0] != 0:
        if abs(segments[0].start) * fps > 1:
            warnings.append(f"segment {segments[0].index} starts at {segments[0].start:.3f} s: 0")
        starts[0] = 0
    if abs(ends[-1] - total) > 1:
        warnings.append(
            f"timeline duration {timeline.duration:.3f} s differs from the last segment's end "
            f"{ends[-1] / fps:.3f} s: the last segment is {'held' if total > ends[-1] else 'cut'}"
        )
    ends[-1] = total
    overlaps = [0] * len(segments)
    transitions: list[str | None] = [None] * len(segments)
    for i in range(1, len(segments)):
        seg = segments[i]
        overlap = ends[i - 1] - starts[i]
        if seg.transition and overlap >= 1:
            xfade, warning = xfade_for(seg.transition)
            if warning:
                warnings.append(f"segment {seg.index}: {warning}")
            overlaps[i], transitions[i] = overlap, xfade
            continue
        if seg.transition:
            warnings.append(
                f"segment {seg.index}: transition {seg.transition!r} needs the segment to "
                "overlap the previous one: cut instead"
            )
        ends[i - 1] = starts[i]
    framed: list[FramedSegment] = []
    for i, seg in enumerate(segments):
        frames = ends[i] - starts[i]
        if frames < 1:
            raise TimelineError(
                f"segment {seg.index} has no frames (start {seg.start:.3f} s, "
                f"duration {seg.duration:.3f} s): segments must follow each other"
            )
        framed.append(
            FramedSegment(seg.index, starts[i], frames, overlaps[i], transitions[i], fps, seg)
        )
    for prev, cur in itertools.pairwise(framed):
        if cur.overlap and (cur.overlap > cur.frames or cur.overlap >= prev.frames):
            raise TimelineError(
                f"segment {cur.index}: a {cur.overlap / fps:.3f} s transition is longer than "
                "the segments it joins"
            )
    return framed, warnings


def chunk_spans(segments: list[FramedSegment], chunks: int) -> list[tuple[int, int]]:
    """Split the segments into at most ``chunks`` runs of about equal length, each rendered by
    its own ffmpeg: only at cuts (a transition needs both sides in one graph), each at least
    ``MIN_CHUNK_SECONDS`` long. (first, end) segment indices, end exclusive."""
    if chunks <= 1 or not segments:
        return [(0, len(segments))]
    fps = segments[0].fps
    total = segments[-1].end_frame
    least = MIN_CHUNK_SECONDS * fps
    cuts = [i for i in range(1, len(segments)) if segments[i].overlap == 0]
    bounds = [0]
    for k in range(1, chunks):
        target = total * k / chunks
        fitting = [
            i
            for i in cuts
            if segments[i].start_frame - segments[bounds[-1]].start_frame >= least
            and total - segments[i].start_frame >= least
        ]
        if not fitting:
            break
        best = min(fitting, key=lambda i: abs(segments[i].start_frame - target))
        bounds.append(best)
        cuts = [i for i in cuts if i > best]
    bounds.append(len(segments))
    return list(itertools.pairwise(bounds))
