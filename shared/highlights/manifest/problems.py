"""What validation says about a manifest: errors and warnings, each at a JSON path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from highlights.manifest.limits import MAX_PROBLEMS

Loc = Sequence[str | int]


def json_path(loc: Loc) -> str:
    """`("InputConfig", "StickerArray", 2, "X")` → `InputConfig.StickerArray[2].X`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{shorten(str(part))}"
        else:
            out = shorten(str(part))
    return out or "$"


def shorten(text: str, limit: int = 120) -> str:
    """text, or its start and an ellipsis: user values in messages stay readable and bounded.
    Unpaired surrogates are spelled as escapes, so that a report can always be encoded."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


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
    """Collects problems while a manifest is checked; errors and warnings kept apart, each once.

    At most `limit` of each are kept (a hostile manifest can hold millions of mistakes): past it,
    errors are only counted, in `unlisted`, at almost no cost, and warnings dropped.
    """

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    limit: int = MAX_PROBLEMS
    unlisted: int = 0
    _seen: set[Problem] = field(default_factory=set, repr=False)

    @property
    def full(self) -> bool:
        """No further error will be listed: work that only words one can be skipped."""
        return len(self.errors) >= self.limit

    def error(self, loc: Loc | str, message: str, accepted: str | None = None, **pos: Any) -> None:
        if self.full:
            self.unlisted += 1
            return
        path = loc if isinstance(loc, str) else json_path(loc)
        self._add(self.errors, Problem(path, message, accepted, "error", **pos))

    def warn(self, loc: Loc | str, message: str, accepted: str | None = None) -> None:
        if len(self.warnings) >= self.limit:
            return
        path = loc if isinstance(loc, str) else json_path(loc)
        self._add(self.warnings, Problem(path, message, accepted, "warning"))

    def _add(self, problems: list[Problem], problem: Problem) -> None:
        if problem not in self._seen:
            self._seen.add(problem)
            problems.append(problem)

    def close(self) -> None:
        """Add one error that counts the errors left unlisted, if any."""
        if self.unlisted:
            count, self.unlisted = self.unlisted, 0
            self.errors.append(
                Problem(
                    "$", f"{count} more error(s) found, not listed; correct the ones above first"
                )
            )
