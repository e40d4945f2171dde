"""How far a job is: the engine's one ``Progress`` type, and every share of the bar in one place.

A step reports its own fraction, 0 to 1, with a message; ``within`` maps it onto the part of its
caller's bar that the step owns (a ``Span``). The spans below are the only place the engine's
fractions are set: a job is planned, then its outputs are composed one after another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Progress = Callable[[float, str], None]
"""Called with the fraction done (0 to 1) and what is being done."""


@dataclass(frozen=True)
class Span:
    """A part of a progress bar, from ``start`` to ``end`` (fractions of the whole)."""

    start: float
    end: float

    def at(self, fraction: float) -> float:
        """Where ``fraction`` of this span lies on the whole bar."""
        return self.start + (self.end - self.start) * min(max(fraction, 0.0), 1.0)

    def part(self, k: int, n: int) -> Span:
        """The ``k``-th (0-based) of ``n`` equal parts of this span."""
        width = (self.end - self.start) / max(n, 1)
        return Span(self.start + k * width, self.start + (k + 1) * width)


def within(progress: Progress, span: Span, prefix: str = "") -> Progress:
    """``progress`` for a step that owns ``span`` of it; ``prefix`` goes before its messages."""
    return lambda fraction, message: progress(span.at(fraction), prefix + message)


def ignore(fraction: float, message: str) -> None:
    """A ``Progress`` for callers that don't report."""


# A job (``engine.render_job``): analysis, speech and matching before the first render, then
# the outputs, an equal part each.
JOB_PLANNING = Span(0.0, 0.35)
JOB_COMPOSING = Span(0.35, 1.0)

# Planning (``planning.plan_timelines``): references, each source's analysis, narration and
# matching per output, contact sheets.
PLAN_RESOLVING = Span(0.0, 0.02)
PLAN_ANALYSING = Span(0.02, 0.6)
PLAN_OUTPUTS = Span(0.6, 0.9)
PLAN_CONTACT_SHEETS = Span(0.9, 1.0)

# Composing one output (``compose.compose``): the passes side by side, then the join and a probe.
COMPOSE_PASSES = Span(0.0, 0.98)
