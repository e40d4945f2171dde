"""Matching: which source range covers each segment of one output video. Pure: no I/O.

Candidates: ``candidates.build_candidates`` (windows of the sources' shots).

Scores (one per segment and candidate; higher is better)
    - subtitle match: the similarity (``subtitles.similarity``: n-gram cosine, Chinese and
      English) between the segment's text and the best of the candidate's cues;
    - temporal optimisation: the positional fit ``max(0, 1 - |p_candidate - p_segment| / tol)``,
      ``p_segment`` being where the segment's middle falls in the narration: it spreads an
      in-order narration over the film in order (weight 1 alone, 0.2 beside subtitle match,
      where it only breaks ties among lines without dialogue);
    - faces: ``face_weight`` x the share of the shot's named characters that faces can stand for;
    - a seeded jitter in ``[0, jitter)``, so outputs made with other seeds choose differently
      among equally good candidates, reproducibly;
    - a candidate shorter than the segment (not a still) costs ``N + 1`` (N segments) plus its
      shortfall ratio: since scores are at most ~1.5, every solution with fewer short picks
      beats every one with more, so a short range is used only where nothing that fits is left.

Solvers
    - temporal (EnableTemporalOpt): dynamic programming over segments x candidates (candidates
      in source order) maximising the total score subject to strictly increasing candidate
      indices (non-decreasing with AllowDuplicateMatch): an alignment, O(N x M), not greedy;
    - subtitle match alone: the assignment problem (each segment a different candidate,
      maximum total score) solved exactly by the Hungarian method (``assignment``); with AllowDuplicateMatch each
      segment simply takes its best candidate;
    - neither: segment by segment, a seeded random pick among unused candidates that fit
      (among those with faces first, for shots that name characters); when none fits, the
      longest unused one.
    When there are fewer candidates than segments and reuse is not allowed, candidates are
    reused anyway (the video cannot be made otherwise) and a warning says so.

Ranges
    A segment of ``d`` seconds gets ``d`` seconds of its candidate: centred on the matched cue
    with subtitle match, else centred in the window; never outside the window, so never past
    the source's end. A candidate shorter than ``d`` gives its whole length and ``hold`` says for
    how long the last frame must be held (the composer freezes it: ``tpad=stop_mode=clone``).
    A still gives ``[0, d]``.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from highlights.render.assignment import MatchError, align, assign
from highlights.render.candidates import EDGE, EPS, Candidate, Footage, build_candidates
from highlights.render.subtitles import Cue, features

__all__ = [
    "EDGE",
    "Candidate",
    "Footage",
    "MatchError",
    "MatchOptions",
    "MatchResult",
    "Need",
    "Pick",
    "align",
    "assign",
    "build_candidates",
    "match",
]

MatchKind = Literal["order", "subtitle", "temporal", "random"]

SUBTITLE_MIN = 0.1  # a pick whose best similarity is below this was not chosen by its text
POSITION_WEIGHT_ALONE = 1.0
POSITION_WEIGHT_WITH_SUBTITLES = 0.2


@dataclass(frozen=True)
class Need:
    """A segment to cover: how long, what it says, and how many named characters it shows."""

    duration: float
    text: str = ""
    characters: int = 0


@dataclass(frozen=True)
class MatchOptions:
    allow_duplicate: bool = False
    temporal: bool = False
    subtitle: bool = False
    seed: int | str = 0
    jitter: float = 0.02
    face_weight: float = 0.3


@dataclass(frozen=True)
class Pick:
    segment: int
    candidate: int  # index into the candidate list
    source: str
    source_in: float
    source_out: float
    match: MatchKind
    score: float | None  # similarity (subtitle), positional fit (temporal); None for random
    matched_text: str | None = None
    hold: float = 0.0  # seconds the last frame is held: the range is shorter than the segment
    reused: bool = False  # the candidate was already used by an earlier segment


@dataclass
class MatchResult:
    picks: list[Pick]
    warnings: list[str] = field(default_factory=list)


# -- scores -----------------------------------------------------------------------------------------


class _Bag:
    """A text's n-gram bag and its norm, computed once: ``similarity`` without re-parsing."""

    __slots__ = ("counts", "norm")

    def __init__(self, text: str) -> None:
        self.counts: Counter[str] = features(text)
        self.norm = math.sqrt(sum(v * v for v in self.counts.values()))

    def cosine(self, other: _Bag) -> float:
        if not self.norm or not other.norm:
            return 0.0
        small, large = sorted((self.counts, other.counts), key=len)
        dot = sum(count * large[key] for key, count in small.items())
        return max(0.0, min(1.0, dot / (self.norm * other.norm)))


@dataclass
class _Scores:
    total: list[list[float]]  # what the solvers maximise
    text: list[list[float]]  # best cue similarity
    best_cue: list[list[int]]  # index into the candidate's cues, -1 for none
    position: list[list[float]]


def _positions(needs: Sequence[Need]) -> list[float]:
    total = sum(n.duration for n in needs) or 1.0
    out, before = [], 0.0
    for need in needs:
        out.append((before + need.duration / 2) / total)
        before += need.duration
    return out


def _score(
    needs: Sequence[Need], candidates: Sequence[Candidate], options: MatchOptions
) -> _Scores:
    n, m = len(needs), len(candidates)
    rng = random.Random(f"{options.seed}:jitter")
    text = [[0.0] * m for _ in range(n)]
    best_cue = [[-1] * m for _ in range(n)]
    if options.subtitle:
        need_bags = [_Bag(need.text) for need in needs]
        cue_bags: dict[str, _Bag] = {}
        for j, cand in enumerate(candidates):
            for k, cue in enumerate(cand.cues):
                bag = cue_bags.setdefault(cue.text, _Bag(cue.text))
                for i in range(n):
                    sim = need_bags[i].cosine(bag)
                    if sim > text[i][j]:
                        text[i][j], best_cue[i][j] = sim, k
    targets = _positions(needs)
    tolerance = max(2.0 / max(n, 1), 0.05)
    position = [
        [max(0.0, 1.0 - abs(c.position - targets[i]) / tolerance) for c in candidates]
        for i in range(n)
    ]
    w_pos = 0.0
    if options.temporal:
        w_pos = POSITION_WEIGHT_WITH_SUBTITLES if options.subtitle else POSITION_WEIGHT_ALONE
    short_cost = n + 1.0
    total = [[0.0] * m for _ in range(n)]
    for i, need in enumerate(needs):
        row = total[i]
        for j, cand in enumerate(candidates):
            value = text[i][j] + w_pos * position[i][j] + rng.random() * options.jitter
            if need.characters and cand.faces is not None:
                value += options.face_weight * min(cand.faces, need.characters) / need.characters
            if not cand.fits(need.duration):
                value -= short_cost * (1.0 + (need.duration - cand.length) / need.duration)
            row[j] = value
    return _Scores(total, text, best_cue, position)


# -- solvers ----------------------------------------------------------------------------------------


def _best(row: Sequence[float]) -> int:
    return max(range(len(row)), key=lambda c: (row[c], -c))


def _random_picks(
    needs: Sequence[Need], candidates: Sequence[Candidate], options: MatchOptions
) -> list[int]:
    rng = random.Random(f"{options.seed}:random")
    used: set[int] = set()
    chosen: list[int] = []
    for need in needs:
        free = [j for j in range(len(candidates)) if j not in used] or list(range(len(candidates)))
        pool = [j for j in free if candidates[j].fits(need.duration)]
        if pool:
            if need.characters:
                with_faces = [j for j in pool if (candidates[j].faces or 0) > 0]
                pool = with_faces or pool
            j = rng.choice(pool)
        else:
            longest = max(candidates[j].length for j in free)
            j = rng.choice([j for j in free if candidates[j].length >= longest - EPS])
        chosen.append(j)
        used.add(j)
    return chosen


# -- the match --------------------------------------------------------------------------------------


def _place(need: Need, cand: Candidate, cue: Cue | None) -> tuple[float, float, float]:
    """(source_in, source_out, hold) for a segment of need.duration within the candidate."""
    d = need.duration
    if cand.still:
        return 0.0, round(d, 3), 0.0
    if cand.length < d - EPS:
        return cand.start, cand.end, d - cand.length
    if cue is not None:
        centre = (max(cue.start, cand.start) + min(cue.end, cand.end)) / 2
    else:
        centre = (cand.start + cand.end) / 2
    start = min(max(centre - d / 2, cand.start), cand.end - d)
    start = min(max(round(start, 3), cand.start), cand.end - d)
    return start, start + d, 0.0


def match(
    needs: Sequence[Need], candidates: Sequence[Candidate], options: MatchOptions | None = None
) -> MatchResult:
    """One source range per need (see the module docstring for scores, solvers and fallbacks)."""
    options = options or MatchOptions()
    if not needs:
        return MatchResult(picks=[])
    if not candidates:
        raise MatchError("no usable footage: every source was empty, black or credits")
    warnings: list[str] = []
    allow_duplicate = options.allow_duplicate
    if not allow_duplicate and len(candidates) < len(needs):
        warnings.append(
            f"{len(needs)} segments but only {len(candidates)} distinct source ranges: "
            "some ranges are used more than once"
        )
        allow_duplicate = True
    scores = _score(needs, candidates, options)
    if options.temporal:
        chosen = align(scores.total, strict=not allow_duplicate)
    elif options.subtitle and allow_duplicate:
        chosen = [_best(row) for row in scores.total]
    elif options.subtitle:
        chosen = assign(scores.total)
    else:
        chosen = _random_picks(needs, candidates, options)

    picks: list[Pick] = []
    seen: set[int] = set()
    for i, (need, j) in enumerate(zip(needs, chosen, strict=True)):
        cand = candidates[j]
        sim = scores.text[i][j]
        cue = cand.cues[scores.best_cue[i][j]] if options.subtitle and sim >= SUBTITLE_MIN else None
        kind: MatchKind
        score: float | None
        if cue is not None:
            kind, score = "subtitle", sim
        elif options.temporal:
            kind, score = "temporal", scores.position[i][j]
        else:
            kind, score = "random", None
        source_in, source_out, hold = _place(need, cand, cue)
        if hold > 0:
            warnings.append(
                f"segment {i + 1}: no unused shot lasts {need.duration:.2f} s; "
                f"the {cand.length:.2f} s one used holds its last frame for {hold:.2f} s"
            )
        picks.append(
            Pick(
                segment=i,
                candidate=j,
                source=cand.source,
                source_in=source_in,
                source_out=source_out,
                match=kind,
                score=None if score is None else round(score, 4),
                matched_text=cue.text if cue is not None else None,
                hold=round(hold, 3),
                reused=j in seen,
            )
        )
        seen.add(j)
    return MatchResult(picks=picks, warnings=warnings)
