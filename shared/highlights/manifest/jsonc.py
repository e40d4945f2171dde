"""JSON with `//` and `/* */` comments, strictly: duplicate keys and syntax errors are reported.

Hand-written rather than json5/commentjson because the contract is narrower than JSON5 (no trailing
commas, no single quotes) and because blanking comments in place keeps the standard library's fast
C decoder and its line/column positions exact.

Linear in time and memory whatever the input: a document without comments is decoded as it is
(it cannot hold any, or it would not decode); otherwise comments are found by jumping from one
quote or slash to the next, each string skipped by the C string scanner. Nothing raises but
`DecodeError`: values no decoder downstream can hold (nesting deeper than MAX_DEPTH, integers of
more than MAX_NUMBER_DIGITS digits, NaN, Infinity and numbers beyond the float range, unpaired
UTF-16 surrogates) are errors at their JSON path.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from highlights.manifest.limits import MAX_DEPTH, MAX_NUMBER_DIGITS, MAX_OBJECT_KEYS
from highlights.manifest.problems import Findings, Loc, shorten

FREE_FORM = ("TemplateConfig",)  # passed through to ICE as it is: its objects may be large


class DecodeError(ValueError):
    """The text is no JSON document we take; message says why, at line and column."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column


class JsonSyntaxError(DecodeError):
    """Not JSON (with comments) at all."""


class TooDeep(DecodeError):
    """JSON, but nested deeper than MAX_DEPTH."""


_INTERESTING = re.compile(r'["/]')
_STRUCTURE = re.compile(r'["\[\]{}]')
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def strip_comments(text: str) -> str:
    """Replace comments by spaces (newlines kept) so positions in the result match the input."""
    if "/" not in text:
        return text
    out: list[str] = []
    done = 0  # text[:done] is in out
    i = 0
    n = len(text)
    while True:
        found = _INTERESTING.search(text, i)
        if found is None:
            break
        j = found.start()
        if text[j] == '"':
            try:
                i = scanstring(text, j + 1, True)[1]
            except ValueError:
                break  # an unterminated or broken string: the decoder reports it
            continue
        follower = text[j + 1 : j + 2]
        if follower == "/":
            end = text.find("\n", j)
            end = n if end < 0 else end
        elif follower == "*":
            close = text.find("*/", j + 2)
            if close < 0:
                line, col = _position(text, j)
                raise JsonSyntaxError("unterminated /* comment", line, col)
            end = close + 2
        else:
            i = j + 1  # a stray slash: the decoder reports it
            continue
        out.append(text[done:j])
        out.append(_blank(text[j:end]))
        done = i = end
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _blank(comment: str) -> str:
    return "\n".join(" " * len(line) for line in comment.split("\n"))


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
        twice = (k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        obj.duplicates = tuple(dict.fromkeys(twice))
    return obj


class _LongNumber:
    """An integer literal too long to convert cheaply; reported at its path, never converted."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _int(literal: str) -> int | _LongNumber:
    if len(literal) > MAX_NUMBER_DIGITS:
        return _LongNumber(len(literal.lstrip("-")))
    return int(literal)


_decoder = json.JSONDecoder(object_pairs_hook=_pairs)
# Only for text the fast decoder could not convert (an integer beyond int()'s 4,300 digits).
_careful_decoder = json.JSONDecoder(object_pairs_hook=_pairs, parse_int=_int)
_LARGEST = 10**MAX_NUMBER_DIGITS


def loads(text: str | bytes, findings: Findings) -> Any:
    """Decode a manifest's text. Raises DecodeError; duplicate keys and values no decoder
    downstream can hold go to findings as errors at their JSON path."""
    return decode(text, findings)[0]


def decode(text: str | bytes, findings: Findings) -> tuple[Any, bool]:
    """Like loads, and whether the value is usable: it holds nothing `inspect` refuses."""
    if isinstance(text, bytes):
        text = _utf8(text)
    text = text.removeprefix("\ufeff")
    try:
        try:
            # Valid JSON holds no comment: strip only when plain decoding fails.
            value = _decode(text)
        except json.JSONDecodeError:
            clean = strip_comments(text)
            try:
                value = _decode(clean)
            except json.JSONDecodeError as exc:
                raise _explain(exc, clean) from None
    except RecursionError:
        raise _too_deep(text) from None
    return value, inspect(value, findings, surrogates=_may_hold_surrogates(text))


def _decode(text: str) -> Any:
    try:
        return _decoder.decode(text)
    except json.JSONDecodeError:
        raise
    except ValueError:  # int() refused a literal's length: decode again, converting none such
        pass
    try:
        return _careful_decoder.decode(text)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # nothing else is known to raise; still never a traceback
        raise JsonSyntaxError(str(exc), 1, 1) from None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _may_hold_surrogates(text: str) -> bool:
    """Whether a decoded string could hold an unpaired surrogate: one is in the text, or an
    escape of one (a pair decodes to one character, but is found here too)."""
    return bool(_SURROGATE_ESCAPE.search(text)) or (
        not text.isascii() and bool(_SURROGATE.search(text))
    )


def _utf8(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise JsonSyntaxError("UTF-32 text; save the manifest as UTF-8", 1, 1)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise JsonSyntaxError("UTF-16 text; save the manifest as UTF-8", 1, 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data.count(b"\n", 0, start) + 1
        line_start = data.rfind(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        raise JsonSyntaxError(
            f"not UTF-8 text ({exc.reason} at byte {start})", line, column
        ) from None


def _explain(exc: json.JSONDecodeError, clean: str) -> JsonSyntaxError:
    if exc.msg.startswith("Expecting ',' delimiter"):
        # The decoder stops at the next value; the comma belongs after the previous one.
        end = len(clean[: exc.pos].rstrip())
        line, col = _position(clean, end)
        return JsonSyntaxError("missing ',' after this value", line, col)
    if exc.msg.startswith("Expecting property name") and clean[: exc.pos].rstrip().endswith(","):
        return JsonSyntaxError("trailing comma is not allowed in JSON", exc.lineno, exc.colno)
    return JsonSyntaxError(exc.msg, exc.lineno, exc.colno)


def _too_deep(text: str) -> DecodeError:
    """The decoder ran out of stack: say where the nesting passes MAX_DEPTH."""
    clean = strip_comments(text)
    depth = 0
    i = 0
    while (found := _STRUCTURE.search(clean, i)) is not None:
        j = found.start()
        char = clean[j]
        if char == '"':
            try:
                i = scanstring(clean, j + 1, True)[1]
            except ValueError:
                break
            continue
        depth += 1 if char in "[{" else -1
        if depth > MAX_DEPTH:
            line, col = _position(clean, j)
            return TooDeep(_DEPTH_MESSAGE, line, col)
        i = j + 1
    return TooDeep(_DEPTH_MESSAGE, 1, 1)


_DEPTH_MESSAGE = f"objects and arrays nested more than {MAX_DEPTH} deep"


def inspect(value: Any, findings: Findings, *, surrogates: bool = True) -> bool:
    """Report duplicate keys, and values no decoder downstream can hold, at their JSON paths.
    True when the document holds none of the latter (it can go on to the models).

    Iterative and in document order, so that no nesting can exhaust the stack. Objects hold at most
    MAX_OBJECT_KEYS keys (but the free-form TemplateConfig): past that, every key would be a
    problem of its own. `surrogates=False` skips looking for unpaired surrogates in strings (the
    text was found to hold none).
    """
    if not isinstance(value, dict | list):
        return _scalar_ok(value, (), findings, surrogates)
    usable = True
    stack: list[tuple[Any, tuple[str | int, ...], int, bool]] = [(value, (), 0, False)]
    while stack:
        node, loc, depth, free = stack.pop()
        if depth >= MAX_DEPTH:
            findings.error(loc, _DEPTH_MESSAGE, f"at most {MAX_DEPTH} levels")
            usable = False
            continue
        if not free and isinstance(node, dict) and len(node) > MAX_OBJECT_KEYS:
            findings.error(
                loc,
                f"an object of {len(node):,} keys; no object of a manifest has that many",
                f"at most {MAX_OBJECT_KEYS} keys",
            )
            usable = False
            continue
        for key in getattr(node, "duplicates", ()):
            findings.error(
                (*loc, key),
                f"key {shorten(key)!r} appears more than once in this object; "
                "JSON keeps only the last one",
                "each key once",
            )
        children = []
        for key, item in node.items() if isinstance(node, dict) else enumerate(node):
            if surrogates and type(key) is str and not key.isascii() and _SURROGATE.search(key):
                findings.error((*loc, key), _surrogate_message(key), "valid Unicode text")
                usable = False
            kind = type(item)
            if kind is str:
                if surrogates and not item.isascii() and _SURROGATE.search(item):
                    usable = _scalar_ok(item, (*loc, key), findings, surrogates) and usable
            elif kind is _Object or kind is list or isinstance(item, dict | list):
                inner = free or (depth == 0 and key in FREE_FORM)
                children.append((item, (*loc, key), depth + 1, inner))
            elif (
                (kind is float and item - item)  # x - x is NaN unless x is finite
                or (kind is int and not -_LARGEST < item < _LARGEST)
                or kind is _LongNumber
            ):
                usable = _scalar_ok(item, (*loc, key), findings, surrogates) and usable
        stack.extend(reversed(children))
    return usable


def _scalar_ok(value: Any, loc: Loc, findings: Findings, surrogates: bool = True) -> bool:
    kind = type(value)
    if kind is str:
        if not surrogates or value.isascii() or not _SURROGATE.search(value):
            return True
        findings.error(loc, _surrogate_message(value), "valid Unicode text")
    elif kind is float:
        if math.isfinite(value):
            return True
        spelled = "NaN" if math.isnan(value) else ("-" if value < 0 else "") + "Infinity"
        findings.error(
            loc,
            f"{spelled} is not a number JSON can carry (NaN, Infinity, or beyond ±1.8e308)",
            "a finite number",
        )
    elif (kind is int and not -_LARGEST < value < _LARGEST) or kind is _LongNumber:
        if not findings.full:
            digits = value.digits if kind is _LongNumber else len(str(abs(value)))
            findings.error(
                loc, f"an integer of {digits} digits", f"at most {MAX_NUMBER_DIGITS} digits"
            )
        else:
            findings.error(loc, "")
    else:
        return True
    return False


def _surrogate_message(text: str) -> str:
    found = _SURROGATE.search(text)
    assert found is not None
    return (
        f"text holds the unpaired UTF-16 surrogate \\u{ord(found.group()):04x} at character "
        f"{found.start()}; it is not Unicode text"
    )
