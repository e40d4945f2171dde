"""Planning: a validated manifest into one Timeline per output video (the local engine, part 1).

Steps (each in its module)
    1. ``references``: every media reference resolved to a store key (``media.resolve_key``):
       sources, music, background images, stickers and the output addresses, so a bad
       reference fails the job before anything slow runs (``ResolvedMedia``).
    2. ``analysis``: each source analysed once for all outputs: probed, its shots, its dialogue
       and faces, cached per source file.
    3. ``narration``: the segments before matching (``Part``): spoken sentences or storyboard
       shots, each text synthesised once per job.
    4. ``output``: per output, transitions, filter and effects chosen and lengths laid out
       (``choices``), source ranges matched (``matching``), overlays filled in (``overlays``);
       ``timelines`` then draws a contact sheet per output.

``timelines.plan_timelines`` runs the steps and reports its progress (``progress.PLAN_*``);
``warnings.Warnings`` collects what the result should tell its reader.
"""

from highlights.render.planning.choices import (
    DEFAULT_FIRST_CLIP_EFFECTS,
    DEFAULT_OTHER_CLIP_EFFECTS,
    choose_transitions,
    layout,
    manifest_seed,
    output_seed,
    spread,
)
from highlights.render.planning.narration import PAD
from highlights.render.planning.references import ResolvedMedia, output_key, resolve_media
from highlights.render.planning.timelines import plan_timelines
from highlights.render.planning.warnings import Warnings

__all__ = [
    "DEFAULT_FIRST_CLIP_EFFECTS",
    "DEFAULT_OTHER_CLIP_EFFECTS",
    "PAD",
    "ResolvedMedia",
    "Warnings",
    "choose_transitions",
    "layout",
    "manifest_seed",
    "output_key",
    "output_seed",
    "plan_timelines",
    "resolve_media",
    "spread",
]
