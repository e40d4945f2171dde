"""JSON with `//` and `/* */` comments, strictly: duplicate keys and syntax errors are reported.

Hand-written rather than json5/commentjson because the contract is narrower than JSON5 (no trailing
commas, no single quotes) and because blanking comments in place keeps the standard library's fast
C decoder and its line/column positions exact.
"""

from __future__ import annotations

import json
import re
from typing import Any

from highlights.manifest.problems import Findings, Loc


class JsonSyntaxError(ValueError):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column


_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?(?:\*/|\Z)', re.DOTALL)


def strip_comments(text: str) -> str:
    """Replace comments by spaces (newlines kept) so positions in the result match the input."""
    if "/" not in text:
        return text

    def blank(match: re.Match[str]) -> str:
        token = match.group(0)
        if token[0] == '"':
            return token
        if token.startswith("/*") and (len(token) < 4 or not token.endswith("*/")):
            line, col = _position(text, match.start())
            raise JsonSyntaxError("unterminated /* comment", line, col)
        return re.sub(r"[^\n]", " ", token)

    return _TOKENS.sub(blank, text)


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


class _Object(dict):  # type: ignore[type-arg]
    """A decoded JSON object that remembers the keys it saw twice."""

    duplicates: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return obj


_decoder = json.JSONDecoder(object_pairs_hook=_pairs)


def loads(text: str | bytes, findings: Findings) -> Any:
    """Decode a manifest's text. Raises JsonSyntaxError; duplicate keys go to findings as errors."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JsonSyntaxError(
                f"not UTF-8 text ({exc.reason} at byte {exc.start})", 1, 1
            ) from None
    text = text.removeprefix("\ufeff")
    clean = strip_comments(text)
    try:
        value = _decoder.decode(clean)
    except json.JSONDecodeError as exc:
        raise _explain(exc, clean) from None
    _report_duplicates(value, (), findings)
    return value


def _explain(exc: json.JSONDecodeError, clean: str) -> JsonSyntaxError:
    if exc.msg.startswith("Expecting ',' delimiter"):
        # The decoder stops at the next value; the comma belongs after the previous one.
        end = len(clean[: exc.pos].rstrip())
        line, col = _position(clean, end)
        return JsonSyntaxError("missing ',' after this value", line, col)
    if exc.msg.startswith("Expecting property name") and clean[: exc.pos].rstrip().endswith(","):
        return JsonSyntaxError("trailing comma is not allowed in JSON", exc.lineno, exc.colno)
    return JsonSyntaxError(exc.msg, exc.lineno, exc.colno)


def _report_duplicates(value: Any, loc: Loc, findings: Findings) -> None:
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", ()):
            findings.error(
                (*loc, key),
                f"key {key!r} appears more than once in this object; JSON keeps only the last one",
                "each key once",
            )
        for key, item in value.items():
            if isinstance(item, dict | list):
                _report_duplicates(item, (*loc, key), findings)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict | list):
                _report_duplicates(item, (*loc, i), findings)
