"""Text a manifest carries: no control characters where text is drawn or spoken (a NUL in a title
would break the renderer's filter script), with line breaks where they mean something."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from highlights.manifest import limits
from highlights.manifest.problems import Findings, Loc, shorten
from highlights.manifest.references import PLACEHOLDER_MESSAGE, PLACEHOLDER_START, placeholder_in


def check_strings(doc: dict[str, Any], findings: Findings) -> None:
    _strings(doc, (), findings, _PLAIN)


class _TextRule(NamedTuple):
    """Which control characters a string may not hold, and what to say about it."""

    refused: re.Pattern[str] | None
    accepted: str
    suspect: re.Pattern[str]  # one search that finds all `_string` reports (and a little more)


def _text_rule(refused: str | None, accepted: str) -> _TextRule:
    suspect = "|".join(p for p in (PLACEHOLDER_START, refused) if p)
    return _TextRule(re.compile(refused) if refused else None, accepted, re.compile(suspect))


_PLAIN = _text_rule(
    limits.CONTROL_CHARACTERS, "text without control characters (U+0000-001F, 007F-009F)"
)
_TITLE = _text_rule(limits.TITLE_CONTROL_CHARACTERS, "printable text; \\n for a line break")
_SCRIPT = _text_rule(
    limits.SCRIPT_CONTROL_CHARACTERS, "printable text; \\n, \\r and \\t as whitespace"
)
_FREE = _text_rule(None, "")  # passed on as JSON, never drawn or spoken
# The text of these keys (strings, or lists of strings) is drawn or spoken.
_TEXT_RULES = {
    "TitleArray": _TITLE,
    "SpeechTextArray": _SCRIPT,
    "SpeechText": _SCRIPT,
    "ScriptText": _SCRIPT,
    "Descriptions": _SCRIPT,
    "Settings": _SCRIPT,
}
_FREE_FORM = ("UserData", "TemplateConfig")


def _strings(value: Any, loc: Loc, findings: Findings, rule: _TextRule) -> None:
    """Placeholders anywhere, and control characters where the text is used."""
    if isinstance(value, dict):
        for key, item in value.items():
            if rule is _FREE or (not loc and key in _FREE_FORM):
                inner = _FREE
            else:
                inner = _TEXT_RULES.get(key, rule) if isinstance(key, str) else rule
            if isinstance(item, str):
                if inner.suspect.search(item):
                    _string(item, (*loc, key), findings, inner)
            elif isinstance(item, dict | list):
                _strings(item, (*loc, key), findings, inner)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                if rule.suspect.search(item):
                    _string(item, (*loc, i), findings, rule)
            elif isinstance(item, dict | list):
                _strings(item, (*loc, i), findings, rule)
    elif isinstance(value, str) and rule.suspect.search(value):
        _string(value, loc, findings, rule)


def _string(value: str, loc: Loc, findings: Findings, rule: _TextRule) -> None:
    found = placeholder_in(value)
    if found:
        findings.error(loc, PLACEHOLDER_MESSAGE.format(value=_short(value), found=found))
    control = rule.refused.search(value) if rule.refused else None
    if control:
        findings.error(
            loc,
            f"control character U+{ord(control.group()):04X} at character {control.start()}",
            rule.accepted,
        )


def _short(value: str) -> str:
    return shorten(value, 80)
