"""What validation says about a manifest: errors and warnings, each at a JSON path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Loc = Sequence[str | int]


def json_path(loc: Loc) -> str:
    """`("InputConfig", "StickerArray", 2, "X")` → `InputConfig.StickerArray[2].X`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out or "$"


@dataclass(frozen=True)
class Problem:
    """One finding: where (a JSON path), what, and what would be accepted."""

    path: str
    message: str
    accepted: str | None = None
    severity: Literal["error", "warning"] = "error"
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f" (line {self.line}, column {self.column})"
        text = f"{where}: {self.message}"
        if self.accepted:
            text += f" (accepted: {self.accepted})"
        return text


@dataclass
class Findings:
    """Collects problems while a manifest is checked; errors and warnings kept apart."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, loc: Loc | str, message: str, accepted: str | None = None, **pos: Any) -> None:
        path = loc if isinstance(loc, str) else json_path(loc)
        problem = Problem(path, message, accepted, "error", **pos)
        if problem not in self.errors:
            self.errors.append(problem)

    def warn(self, loc: Loc | str, message: str, accepted: str | None = None) -> None:
        path = loc if isinstance(loc, str) else json_path(loc)
        problem = Problem(path, message, accepted, "warning")
        if problem not in self.warnings:
            self.warnings.append(problem)
