"""ICE's transitions, filters and effects as ffmpeg filters: the mapping tables (pure data).

ICE renders its looks with its own shaders and LUTs, which are not published. The local engine
maps every name to the closest thing ffmpeg 5.1 can do in one filter graph:

- transitions: every name in ``TRANSITIONS`` maps to one of xfade's built-in transitions;
- filters: every name in ``FILTERS`` maps to a colour grade made of ``eq``, ``hue``, ``lutyuv``
  (tint and lifted blacks), ``curves`` presets and ``vignette``; a family keeps a character
  (warm, cool, faded, vivid ...) and each member a distinct variation;
- effects: the names with an ffmpeg equivalent map to filters on the segment (zoom, shake, blur,
  fades, reveals through xfade from a colour); the rest are skipped with a warning.

docs/render-mapping.md lists the same tables with the reasoning.
"""

from highlights.render.looks.effects import EFFECT_MAP, EffectContext, EffectMap, effect_for
from highlights.render.looks.grades import FILTER_MAP, Grade, grade_for
from highlights.render.looks.transitions import (
    DEFAULT_XFADE,
    TRANSITION_MAP,
    XFADE_TRANSITIONS,
    TransitionMap,
    xfade_for,
)

__all__ = [
    "DEFAULT_XFADE",
    "EFFECT_MAP",
    "FILTER_MAP",
    "TRANSITION_MAP",
    "XFADE_TRANSITIONS",
    "EffectContext",
    "EffectMap",
    "Grade",
    "TransitionMap",
    "effect_for",
    "grade_for",
    "xfade_for",
]
