"""Narration text into sentences, for Chinese and English alike.

A sentence ends at 。！？；… (and their doubled forms), at . ! ? ; followed by a space, a CJK
character or the end, and at a line break. The punctuation and any closing quote or bracket stay
with the sentence. A full stop does not end a sentence inside a number (3.5), after a known
abbreviation (Mr., Dr., e.g.) or after a single letter (J. K. Rowling, U.S.). SSML tags are kept
whole, never split. Fragments shorter than ``min_units`` (CJK characters plus Latin words) are
merged into the next sentence (the last one into the previous), so "好。" or "Yes." is not
spoken alone.
"""

from __future__ import annotations

import re

CJK_STOPS = "。！？；…．"
ASCII_STOPS = ".!?;"
CLOSERS = "\"'”’」』）)]】》〉"
ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "no",
        "fig", "inc", "ltd", "co", "corp", "dept", "gen", "col", "capt", "lt", "sgt", "rev",
        "e.g", "i.e", "a.m", "p.m", "approx", "est", "vol", "ch", "jan", "feb", "mar", "apr",
        "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    }
)  # fmt: skip

_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_WORD = re.compile(r"[^\W_]+")
_DOTTED = re.compile(r"(?:[a-z]\.)+[a-z]")  # U.S, e.g, a.m: letters with dots between


def is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))


def spoken_units(text: str) -> int:
    """CJK characters plus Latin words, ignoring SSML tags: a rough measure of spoken length."""
    plain = _TAG.sub(" ", text)
    cjk = len(_CJK.findall(plain))
    words = len(_WORD.findall(_CJK.sub(" ", plain)))
    return cjk + words


def _word_before(text: str, dot: int) -> str:
    start = dot
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    return text[start:dot].lower()


def _ends_sentence_at_dot(text: str, i: int) -> bool:
    prev = text[i - 1] if i > 0 else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if prev.isdigit() and nxt.isdigit():
        return False  # a decimal: 3.5
    word = _word_before(text, i)
    if word in ABBREVIATIONS or _DOTTED.fullmatch(word):
        return False
    return not (len(word) == 1 and word.isalpha() and not is_cjk(word))  # an initial: J. or U.S.


def _boundary_follows(text: str, j: int) -> bool:
    """After ASCII punctuation a sentence ends only before space, CJK, a tag or the end."""
    return j >= len(text) or text[j].isspace() or is_cjk(text[j]) or text[j] == "<"


def _raw_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "<":
            tag = _TAG.match(text, i)
            if tag:
                i = tag.end()
                continue
        if c in "\r\n":
            spans.append((start, i))
            start = i + 1
            i += 1
            continue
        if c in CJK_STOPS or c in "!?;" or (c == "." and _ends_sentence_at_dot(text, i)):
            j = i
            while j < n and (text[j] in CJK_STOPS or text[j] in ASCII_STOPS):
                j += 1
            while j < n and text[j] in CLOSERS:
                j += 1
            if c in CJK_STOPS or _boundary_follows(text, j):
                spans.append((start, j))
                start = i = j
                continue
            i = j
            continue
        i += 1
    spans.append((start, n))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _tidy(text: str) -> str:
    # A line break inside a merged sentence: nothing between CJK characters, a space otherwise.
    def join(match: re.Match[str]) -> str:
        before = match.string[match.start() - 1] if match.start() > 0 else ""
        after = match.string[match.end()] if match.end() < len(match.string) else ""
        return "" if is_cjk(before) or is_cjk(after) else " "

    return re.sub(r"\s*[\r\n]+\s*", join, text.strip())


def split_sentences(text: str, *, min_units: int = 3) -> list[str]:
    """Split narration ``text`` into sentences (see the module docstring for the rules)."""
    spans = _raw_spans(text)
    merged: list[tuple[int, int]] = []
    pending: int | None = None
    for k, (a, b) in enumerate(spans):
        if pending is not None:
            a, pending = pending, None
        last = k == len(spans) - 1
        if spoken_units(text[a:b]) < min_units and not last:
            pending = a
            continue
        if spoken_units(text[a:b]) < min_units and merged:
            merged[-1] = (merged[-1][0], b)
            continue
        merged.append((a, b))
    return [_tidy(text[a:b]) for a, b in merged]
