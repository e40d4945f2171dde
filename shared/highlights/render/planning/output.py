"""One output's timeline: choices, lengths, source ranges matched (``matching``), overlays."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from highlights.manifest.models import Manifest
from highlights.ports import PermanentError
from highlights.render.matching import (
    Footage,
    MatchError,
    MatchOptions,
    Need,
    build_candidates,
    match,
)
from highlights.render.planning.analysis import AnalysedSource
from highlights.render.planning.choices import (
    choose_effects,
    choose_filter,
    choose_transitions,
    layout,
    output_seed,
    uniform_transition,
)
from highlights.render.planning.narration import Part
from highlights.render.planning.overlays import overlays
from highlights.render.planning.references import ResolvedMedia
from highlights.render.planning.warnings import Warnings
from highlights.render.timeline import Segment, Timeline

DEFAULT_CRF = 23


@dataclass(frozen=True)
class Analysed:
    """What every output of a job is planned from: the manifest, the job seed, its media
    resolved and its sources analysed."""

    manifest: Manifest
    seed: int
    resolved: ResolvedMedia
    sources: dict[str, AnalysedSource]  # by key, in MediaArray order

    @property
    def footage(self) -> list[Footage]:
        return [s.footage() for s in self.sources.values()]


def plan_output(job: Analysed, index: int, parts: Sequence[Part], warnings: Warnings) -> Timeline:
    """Output ``index``'s timeline from its ``parts``; ``warnings`` so far (the job's) come
    first in its own."""
    editing, output = job.manifest.editing_config, job.manifest.output_config
    process = editing.process_config
    mine = output_seed(job.seed, index)
    warnings = warnings.copy()

    bases = [p.base for p in parts]
    uniform = uniform_transition(process, job.seed, index)
    transitions = choose_transitions(bases, process, random.Random(f"{mine}:transitions"), uniform)
    durations, starts, total = layout(
        bases, [p.narration is not None for p in parts], [d for _, d in transitions]
    )
    chosen_filter = choose_filter(process, job.seed, index)
    effects = choose_effects(process, len(parts), random.Random(f"{mine}:effects"))

    candidates = build_candidates(job.footage, window=max(durations))
    if not candidates:
        raise PermanentError(
            "no usable footage: every source is empty, black or credits",
            code="InvalidMedia.NoFootage",
        )
    needs = [Need(d, p.text, p.characters) for d, p in zip(durations, parts, strict=True)]
    options = MatchOptions(
        allow_duplicate=process.allow_duplicate_match,
        temporal=process.enable_temporal_opt,
        subtitle=process.enable_subtitle_match,
        seed=f"{mine}:match",
    )
    try:
        result = match(needs, candidates, options)
    except MatchError as exc:
        raise PermanentError(str(exc), code="InvalidMedia.NoFootage") from exc
    warnings.extend(result.warnings)

    media_volume = editing.media_config.volume
    segments = []
    for i, (part, pick) in enumerate(zip(parts, result.picks, strict=True)):
        source = job.sources[pick.source]
        volume = part.volume if part.volume is not None else media_volume
        if source.still or not source.info.has_audio:
            volume = 0.0
        name, seconds = transitions[i]
        segments.append(
            Segment(
                index=i + 1,
                start=starts[i],
                duration=durations[i],
                source=pick.source,
                source_in=round(pick.source_in, 3),
                source_out=round(pick.source_out, 3),
                source_volume=volume,
                narration=part.narration,
                caption=part.caption,
                shot_text=part.shot_text,
                match=pick.match,
                match_score=pick.score,
                matched_text=pick.matched_text,
                transition=name,
                transition_duration=seconds,
                filter=chosen_filter,
                effect=effects[i],
            )
        )
    over = overlays(
        job.manifest,
        job.resolved,
        job.seed,
        index,
        narrated=any(p.narration is not None for p in parts),
    )
    video = output.video
    crf = video.crf if video is not None and video.crf is not None else DEFAULT_CRF
    return Timeline(
        index=index,
        seed=mine,
        width=output.width,
        height=output.height,
        duration=total,
        segments=segments,
        title=over.title,
        sub_headings=over.sub_headings,
        captions=over.captions,
        stickers=over.stickers,
        background=over.background,
        music=over.music,
        crf=crf,
        output=job.resolved.outputs[index - 1],
        warnings=warnings.as_list(),
    )
