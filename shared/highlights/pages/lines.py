"""Where a JSON path is in a manifest's text: the line a problem is shown beside.

Validation names problems by JSON path (`InputConfig.StickerArray[2].X`); only syntax errors come
with a line. This walks the text (comments blanked, so positions stay those of the file) along the
wanted paths only: every other value is skipped by the standard library's decoder, so the cost is
that of one decode, whatever the size. A path that is not in the text (a required key missing) is
shown at its nearest ancestor that is.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable

from highlights.manifest.jsonc import DecodeError, strip_comments
from highlights.manifest.limits import MAX_DEPTH
from highlights.manifest.problems import json_path

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _Walk:
    def __init__(self, text: str, wanted: set[str]) -> None:
        self.text = text
        self.wanted = wanted
        self.found: dict[str, int] = {}  # path → offset of its key (members) or value

    def wants_inside(self, path: str) -> bool:
        """Whether a wanted path lies inside the value at `path`."""
        if path == "$":
            return True
        return any(w.startswith(path) and w[len(path) : len(path) + 1] in ".[" for w in self.wanted)

    def space(self, at: int) -> int:
        found = _SPACE.match(self.text, at)
        return found.end() if found else at

    def value(self, at: int, loc: tuple[str | int, ...], depth: int) -> int:
        """Walk the value at `at` (no leading space); returns the offset after it."""
        path = json_path(loc)
        char = self.text[at : at + 1]
        if not char or char not in "{[" or depth > MAX_DEPTH or not self.wants_inside(path):
            return _DECODER.raw_decode(self.text, at)[1]
        return self.container(at, loc, depth, char == "{")

    def container(self, at: int, loc: tuple[str | int, ...], depth: int, members: bool) -> int:
        close = "}" if members else "]"
        at = self.space(at + 1)
        if self.text[at : at + 1] == close:
            return at + 1
        index = 0
        while True:
            start = at
            if members:
                key, at = _DECODER.raw_decode(self.text, at)
                at = self.space(at)
                if self.text[at : at + 1] != ":":
                    raise ValueError("expected ':'")
                at = self.space(at + 1)
                child: tuple[str | int, ...] = (*loc, str(key))
            else:
                child = (*loc, index)
                index += 1
            path = json_path(child)
            if path in self.wanted:
                self.found.setdefault(path, start)
            at = self.space(self.value(at, child, depth + 1))
            following = self.text[at : at + 1]
            if following == close:
                return at + 1
            if following != ",":
                raise ValueError("expected ',' or a closing bracket")
            at = self.space(at + 1)


def locate(text: str, paths: Iterable[str]) -> dict[str, int]:
    """The 1-based line of each path that is, or has an ancestor, in `text`; others are left out
    (and every path when the text is no JSON document)."""
    wanted = {p for p in paths if p != "$"}
    if not wanted:
        return {}
    try:
        clean = strip_comments(text)
    except DecodeError:
        return {}
    candidates = set(wanted)
    for path in wanted:
        candidates.update(ancestors(path))
    walk = _Walk(clean, candidates)
    start = walk.space(0)
    # What was found before the text stopped making sense still stands.
    with contextlib.suppress(ValueError, IndexError, RecursionError):
        walk.value(start, (), 0)
    lines: dict[str, int] = {}
    for path in wanted:
        for candidate in (path, *ancestors(path)):
            if candidate in walk.found:
                lines[path] = clean.count("\n", 0, walk.found[candidate]) + 1
                break
    return lines


def ancestors(path: str) -> list[str]:
    """`A.B[2].C` → `A.B[2]`, `A.B`, `A` (nearest first). Keys holding dots or brackets split
    wrongly here; their own path is still found exactly, only the fallback is coarser."""
    out: list[str] = []
    while True:
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            return out
        path = path[:cut]
        out.append(path)
