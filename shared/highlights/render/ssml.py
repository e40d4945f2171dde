"""The SSML the local engine honours: ``<break>`` becomes silence, every other tag is dropped.

``<break time="500ms"/>`` and ``<break time="1.5s"/>`` give that much silence (capped at
``MAX_BREAK`` seconds, the longest pause ICE's speech accepts); a break with only ``strength``
uses the usual SSML ladder, and a bare ``<break/>`` is "medium". Any other tag (``<speak>``,
``<s>``, ``<phoneme>``, ``<prosody>``, unknown ones) is removed and its inner text kept, so the
narration still reads the words. Entities (``&amp;``) are decoded. Parsing is by pattern, not
by an XML parser, because narration arrives split into sentences and a sentence holds only
part of the document (an opening ``<speak>`` without its end).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

MAX_BREAK = 10.0
STRENGTHS = {
    "none": 0.0,
    "x-weak": 0.1,
    "weak": 0.25,
    "medium": 0.5,
    "strong": 0.75,
    "x-strong": 1.0,
}

_TAG = re.compile(r"</?([A-Za-z][\w:.-]*)((?:\s[^<>]*)?)/?>")
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\uffef]")


@dataclass(frozen=True)
class Break:
    seconds: float


Piece = str | Break


def break_seconds(attributes: str) -> float:
    attrs = {m.group(1).lower(): m.group(2) or m.group(3) or "" for m in _ATTR.finditer(attributes)}
    time = _TIME.match(attrs.get("time", ""))
    if time:
        value = float(time.group(1))
        # A bare number is milliseconds, as in SSML implementations that accept it.
        seconds = value if (time.group(2) or "ms").lower() == "s" else value / 1000
    else:
        seconds = STRENGTHS.get(attrs.get("strength", "medium").lower(), STRENGTHS["medium"])
    return min(max(seconds, 0.0), MAX_BREAK)


def _add_text(pieces: list[Piece], text: str) -> None:
    text = html.unescape(text)
    if not text:
        return
    if pieces and isinstance(pieces[-1], str):
        pieces[-1] += text
    else:
        pieces.append(text)


def parse_ssml(text: str) -> list[Piece]:
    """Text and breaks in order; text is whitespace-normalised and never empty."""
    pieces: list[Piece] = []
    pos = 0
    for tag in _TAG.finditer(text):
        _add_text(pieces, text[pos : tag.start()])
        pos = tag.end()
        if tag.group(1).lower() == "break" and not tag.group(0).startswith("</"):
            seconds = break_seconds(tag.group(2))
            if seconds > 0:
                pieces.append(Break(seconds))
    _add_text(pieces, text[pos:])
    out: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str):
            piece = _SPACE.sub(" ", piece).strip()
            if not piece:
                continue
        elif out and isinstance(out[-1], Break):
            # Breaks separated only by whitespace are one pause.
            out[-1] = Break(min(out[-1].seconds + piece.seconds, MAX_BREAK))
            continue
        out.append(piece)
    return out


def strip_ssml(text: str) -> str:
    """The words only, e.g. for subtitles and the timeline."""
    out = ""
    for piece in parse_ssml(text):
        if isinstance(piece, Break):
            continue
        # Words either side of a break need a space; Chinese characters do not.
        cjk_join = out and _CJK.match(out[-1]) and _CJK.match(piece[0])
        out += piece if not out or cjk_join else " " + piece
    return out
