"""Seeds, and what they choose: transitions, filter, effects; and the segments' lengths.

Seeds
    One job seed (given, else derived from the manifest's content, so retrying a job plans the
    same videos) and output ``k``'s seed ``job seed + k - 1``, kept in ``Timeline.seed``.
    Choices drawn from an array for every output (narration, title, sub-headings, music,
    background image, the uniform transition, the filter) go round a permutation made from the
    job seed, so outputs differ whenever the array allows; everything else (transitions per
    clip, effects, shot picks) uses the output's seed. Output ``k`` can therefore be planned
    again from ``Timeline.seed - (k - 1)`` and the same manifest.

Lengths and starts (seconds; ``d_i`` is the transition into segment ``i``, 0 for a cut)
    - a spoken segment lasts ``speech + PAD`` plus the transition out of it ``d_{i+1}``, so its
      narration always ends ``PAD`` before the next segment (and its narration) starts;
    - a silent storyboard shot lasts exactly its ``Duration``; a transition out of it overlaps
      its last ``d_{i+1}`` seconds;
    - ``start_0 = 0``, ``start_i = start_{i-1} + duration_{i-1} - d_i``, and the timeline lasts
      ``start_last + duration_last``. Narration ``i`` plays from ``start_i``.
    - TransitionDuration ``d`` is used between two clips only when both last at least ``d + 1``
      seconds (before the overlap is added), as ICE skips it otherwise: a cut.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Sequence
from typing import TypeVar

from highlights.manifest.models import Manifest, ProcessConfig
from highlights.manifest.vocabulary import DEFAULT_TRANSITIONS

T = TypeVar("T")

TRANSITION_MARGIN = 1.0  # a transition needs clips at least this much longer than itself
# ICE documents no default effect lists; these are entries of its basic group that suit an
# opening clip and a clip in the middle.
DEFAULT_FIRST_CLIP_EFFECTS: tuple[str, ...] = ("slightshow", "bluropen", "withcircleopen")
DEFAULT_OTHER_CLIP_EFFECTS: tuple[str, ...] = ("zoomslight", "slightshake", "zoominout")


def manifest_seed(manifest: Manifest) -> int:
    """A job seed derived from the manifest's content: the same manifest plans the same videos."""
    canonical = json.dumps(manifest.to_document(), sort_keys=True, ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(canonical.encode("utf-8")).digest()[:4], "big") >> 1


def output_seed(seed: int, index: int) -> int:
    return seed + index - 1


def spread(items: Sequence[T], seed: int, purpose: str, index: int) -> T:
    """Output ``index``'s pick from ``items``: a seeded permutation, taken in turn, so that
    outputs get different items while there are enough of them."""
    order = random.Random(f"{seed}:{purpose}").sample(range(len(items)), len(items))
    return items[order[(index - 1) % len(items)]]


def choose_transitions(
    bases: Sequence[float], config: ProcessConfig, rng: random.Random, uniform: str | None
) -> list[tuple[str | None, float]]:
    """(name, seconds) of the transition into each segment; (None, 0) is a cut."""
    out: list[tuple[str | None, float]] = [(None, 0.0)] * min(len(bases), 1)
    names = list(config.transition_list or DEFAULT_TRANSITIONS)
    d = config.transition_duration
    for i in range(1, len(bases)):
        if not config.allow_transition or min(bases[i - 1], bases[i]) < d + TRANSITION_MARGIN:
            out.append((None, 0.0))
            continue
        out.append((uniform or rng.choice(names), d))
    return out


def uniform_transition(config: ProcessConfig, seed: int, index: int) -> str | None:
    """The one transition of output ``index`` with UseUniformTransition, else None."""
    if not (config.allow_transition and config.use_uniform_transition):
        return None
    return spread(list(config.transition_list or DEFAULT_TRANSITIONS), seed, "transition", index)


def choose_filter(config: ProcessConfig, seed: int, index: int) -> str | None:
    """Output ``index``'s filter (one for all its segments), or None."""
    if not (config.allow_filter and config.filter_list):
        return None
    return spread(config.filter_list, seed, "filter", index)


def choose_effects(config: ProcessConfig, count: int, rng: random.Random) -> list[str | None]:
    """Each segment's effect (None: none), drawn with VfxEffectProbability."""
    effects: list[str | None] = [None] * count
    if not config.allow_vfx_effect:
        return effects
    first = list(config.vfx_first_clip_effect_list or DEFAULT_FIRST_CLIP_EFFECTS)
    others = list(config.vfx_not_first_clip_effect_list or DEFAULT_OTHER_CLIP_EFFECTS)
    for i in range(count):
        if rng.random() < config.vfx_effect_probability:
            effects[i] = rng.choice(first if i == 0 else others)
    return effects


def _ceil_ms(seconds: float) -> float:
    return math.ceil(round(seconds * 1000, 6)) / 1000


def layout(
    bases: Sequence[float], spoken: Sequence[bool], transitions: Sequence[float]
) -> tuple[list[float], list[float], float]:
    """(durations, starts, total) from each segment's own length, whether it is spoken, and the
    transition seconds into each segment (see the module docstring)."""
    n = len(bases)
    durations = []
    for i in range(n):
        out = transitions[i + 1] if i + 1 < n else 0.0
        durations.append(_ceil_ms(bases[i] + (out if spoken[i] else 0.0)))
    starts: list[float] = []
    for i in range(n):
        starts.append(0.0 if i == 0 else round(starts[-1] + durations[i - 1] - transitions[i], 3))
    total = round(starts[-1] + durations[-1], 3) if n else 0.0
    return durations, starts, total
