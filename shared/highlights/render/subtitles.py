"""Subtitles as timed text: sidecar .srt/.ass/.vtt files, embedded streams, and text similarity.

``EnableSubtitleMatch`` matches narration sentences against what is said on screen; offline,
the film's own subtitles stand in for ICE's OCR/ASR. A sidecar file beside the video with the
same stem (``film.srt``, or ``film.zh.srt`` and the like; ``media.sidecar_key`` finds it in the
store) wins over an embedded stream (``planning.analysis``).

``similarity`` is a cosine over character n-grams and words of normalised text (NFKC, lower
case, punctuation and symbols removed): CJK runs give single characters and character pairs,
other text gives words and character trigrams of each word. Written here rather than taken from
rapidfuzz: rapidfuzz's scorers are edit distances (order-sensitive, so a paraphrase that
reorders a clause scores low) and its token scorers split on whitespace, which leaves a Chinese
sentence as a single token; a bag of n-grams is what suits narration paraphrasing dialogue, and
it is a few lines of standard library.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from highlights.render.errors import RenderError
from highlights.render.ffmpeg import input_args, run_ffmpeg
from highlights.render.probe import MediaInfo, SubtitleStream, probe
from highlights.render.sentences import is_cjk


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str  # markup removed; lines joined with "\n"


# -- parsing ---------------------------------------------------------------------------------------

_TIMING = re.compile(
    r"^\s*((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)"
)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_ASS_OVERRIDE = re.compile(r"\{[^{}]*\}")


def parse_time(value: str) -> float:
    """'01:02:03,450', '02:03.45' (ASS centiseconds) or '1:02:03.4' into seconds."""
    clock, _, fraction = value.strip().replace(",", ".").partition(".")
    parts = [int(p) for p in clock.split(":")]
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return round(seconds + (int(fraction) / 10 ** len(fraction) if fraction else 0.0), 3)


def clean_text(text: str) -> str:
    """Drop HTML-like tags and ASS override blocks; keep line breaks, trim each line."""
    text = _ASS_OVERRIDE.sub("", _HTML_TAG.sub("", text))
    text = text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def parse_srt(text: str) -> list[Cue]:
    """SubRip (and the WebVTT subset films use): blocks of a timing line and text lines."""
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text.lstrip("\ufeff").replace("\r\n", "\n")):
        lines = block.strip("\n").split("\n")
        for i, line in enumerate(lines):
            match = _TIMING.match(line)
            if match:
                body = clean_text("\n".join(lines[i + 1 :]))
                start, end = parse_time(match.group(1)), parse_time(match.group(2))
                if body and end > start:
                    cues.append(Cue(start, end, body))
                break
    return sorted(cues, key=lambda c: (c.start, c.end))


def parse_ass(text: str) -> list[Cue]:
    """Advanced SubStation Alpha: the Dialogue lines of [Events], per its Format line."""
    fields: list[str] = []
    in_events = False
    cues: list[Cue] = []
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            in_events = line.lower() == "[events]"
            continue
        if not in_events or ":" not in line:
            continue
        kind, _, rest = line.partition(":")
        kind = kind.strip().lower()
        if kind == "format":
            fields = [f.strip().lower() for f in rest.split(",")]
        elif kind == "dialogue":
            names = fields or ["layer", "start", "end", "style", "name", "marginl", "marginr",
                               "marginv", "effect", "text"]  # fmt: skip
            values = [v.strip() for v in rest.split(",", len(names) - 1)]
            if len(values) != len(names):
                continue
            row = dict(zip(names, values, strict=True))
            body = clean_text(row.get("text", ""))
            start, end = parse_time(row["start"]), parse_time(row["end"])
            if body and end > start:
                cues.append(Cue(start, end, body))
    return sorted(cues, key=lambda c: (c.start, c.end))


def parse_subtitles(text: str, suffix: str) -> list[Cue]:
    return parse_ass(text) if suffix.lower() in {".ass", ".ssa"} else parse_srt(text)


def load_subtitles(path: str | os.PathLike[str]) -> list[Cue]:
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")  # older Chinese subtitle files
    return parse_subtitles(text, path.suffix)


# -- finding -----------------------------------------------------------------------------------------


def extract_embedded(
    video: str | os.PathLike[str],
    stream: int | SubtitleStream = 0,
    *,
    timeout: float | None = None,
    info: MediaInfo | None = None,
) -> list[Cue]:
    """Cues of an embedded subtitle stream: the ``stream``-th one, or that exact stream.

    ffmpeg converts any text subtitle codec (mov_text, subrip, ass, webvtt) to SubRip on stdout.
    Bitmap subtitles (DVD/Blu-ray) would need OCR and raise ``RenderError``. ``info`` (what
    ``probe`` found; probed here when not given) says how to open the file and, with
    ``timeout`` None, how long it may take (the film is read, not decoded).
    """
    if isinstance(stream, SubtitleStream):
        if not stream.is_text:
            raise RenderError(f"subtitle stream {stream.index} is a bitmap ({stream.codec})")
        selector = f"0:{stream.index}"
    else:
        selector = f"0:s:{stream}"
    info = info or probe(video)
    limit = timeout if timeout is not None else 120.0 + (info.duration or 0.0)
    done = run_ffmpeg(
        ["-loglevel", "error", *input_args(video, info.format_name), "-map", selector,
         "-f", "srt", "-"],
        what=f"extract subtitles from {Path(video).name}",
        timeout=limit,
    )  # fmt: skip
    return parse_srt(done.stdout)


# -- similarity ----------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """NFKC, lower case, punctuation and symbols as spaces, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    kept = [" " if unicodedata.category(c)[0] in "PSZC" else c for c in text]
    return " ".join("".join(kept).split())


def features(text: str) -> Counter[str]:
    """The n-gram bag ``similarity`` compares (see the module docstring)."""
    bag: Counter[str] = Counter()
    for run in re.findall(r"\S+", _space_cjk(normalise(text))):
        if is_cjk(run[0]):
            bag.update("c:" + c for c in run)
            bag.update("b:" + a + b for a, b in itertools.pairwise(run))
        else:
            bag["w:" + run] += 1
            padded = f"#{run}#"
            bag.update("t:" + padded[i : i + 3] for i in range(len(padded) - 2))
    return bag


def _space_cjk(text: str) -> str:
    """Separate CJK runs from adjacent Latin/digits so each becomes its own run."""
    out: list[str] = []
    for c in text:
        if out and out[-1] != " " and c != " " and is_cjk(c) != is_cjk(out[-1]):
            out.append(" ")
        out.append(c)
    return "".join(out)


def similarity(a: str, b: str) -> float:
    """How alike two texts are, 0 (nothing shared) to 1 (the same words), any language."""
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    fa, fb = features(na), features(nb)
    if fa == fb:  # e.g. only spacing differed: exactly 1, not 0.9999999
        return 1.0
    dot = sum(count * fb[key] for key, count in fa.items())
    norm = math.sqrt(sum(v * v for v in fa.values())) * math.sqrt(sum(v * v for v in fb.values()))
    return max(0.0, min(1.0, dot / norm)) if norm else 0.0
