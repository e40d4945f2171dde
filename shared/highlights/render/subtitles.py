"""Subtitles as timed text: sidecar .srt/.ass/.ssa/.vtt files, embedded streams, and text similarity.

``EnableSubtitleMatch`` matches narration sentences against what is said on screen; offline,
the film's own subtitles stand in for ICE's OCR/ASR. A sidecar file beside the video with the
same stem (``film.srt``, or ``film.zh.srt`` and the like; ``media.sidecar_key`` finds it in the
store) wins over an embedded stream (``planning.analysis``). The formats are read by pysubs2,
as the content says (``decode_text`` finds the encoding); ``dialogue`` then keeps only what is
said (no override tags, drawings, HTML-like tags or WebVTT inline timestamps).

``similarity`` is a cosine over character n-grams and words of normalised text (NFKC, lower
case, punctuation and symbols removed): CJK runs give single characters and character pairs,
other text gives words and character trigrams of each word. Written here rather than taken from
rapidfuzz: rapidfuzz's scorers are edit distances (order-sensitive, so a paraphrase that
reorders a clause scores low) and its token scorers split on whitespace, which leaves a Chinese
sentence as a single token; a bag of n-grams is what suits narration paraphrasing dialogue, and
it is a few lines of standard library.
"""

from __future__ import annotations

import codecs
import itertools
import math
import os
import re
import unicodedata
import warnings
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

# pysubs2 reads the formats (SubRip, WebVTT, SubStation Alpha); what it keeps of a line is ASS
# text: override blocks ``{...}`` (SRT/VTT tags become ``{\i1}`` and the like), ``\N`` line
# breaks. ``dialogue`` keeps what is said: no override tags, no drawings (``{\p1}m 0 0 l ...``
# draws a shape until ``{\p0}``), no HTML-like tags, no WebVTT inline timestamps.
FORMATS = {".srt": "srt", ".ass": "ass", ".ssa": "ssa", ".vtt": "vtt"}
READABLE = "SubRip, ASS/SSA or WebVTT"
_OVERRIDE = re.compile(r"(\{[^{}]*\})")
_DRAWING = re.compile(r"\\p\s*(\d+)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_VTT_TIMESTAMP = re.compile(r"<\d+(?::\d{2}){1,2}\.\d{3}>")


def dialogue(text: str) -> str:
    """What a subtitle line says: its ASS-style ``text`` without markup, lines trimmed."""
    kept: list[str] = []
    drawing = False
    for part in _OVERRIDE.split(text):
        if part.startswith("{") and part.endswith("}"):
            for level in _DRAWING.findall(part):
                drawing = int(level) > 0
            continue
        if not drawing:
            kept.append(part)
    said = _HTML_TAG.sub("", _VTT_TIMESTAMP.sub("", "".join(kept)))
    said = said.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ")
    lines = [" ".join(line.split()) for line in said.splitlines()]
    return "\n".join(line for line in lines if line)


def _first_paragraph(text: str) -> str:
    """A SubRip or WebVTT cue ends at a blank line; pysubs2 reads on to the next timing line,
    so what follows one (a WebVTT cue identifier or NOTE block) is not the cue's."""
    lines = text.split("\\N")
    end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    return "\\N".join(lines[:end])


def parse_subtitles(text: str, suffix: str = ".srt") -> list[Cue]:
    """The cues of a subtitle file's ``text``, in time order; comments, empty and zero-length
    lines left out. The format is the one the text is in (pysubs2 recognises it), else the one
    its ``suffix`` says (``FORMATS``; SubRip for anything else). ``RenderError`` when text that
    is not blank is in no format pysubs2 knows and holds no subtitle event (another kind of
    file)."""
    import pysubs2  # the engine's only user of it: not imported by the cloud functions

    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return []
    # The content says the format (a SubRip file named .vtt is common); the suffix only when
    # the content is not recognised.
    try:
        fmt, known = pysubs2.formats.autodetect_format(text), True
    except pysubs2.Pysubs2Error:
        fmt, known = FORMATS.get(suffix.lower(), "srt"), False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a malformed field is read as its default, and says so
        try:
            events = pysubs2.SSAFile.from_string(text, format_=fmt).events
        except (pysubs2.Pysubs2Error, ValueError) as exc:
            raise RenderError(f"unreadable {fmt} subtitles: {exc}") from None
    if not events and not known:
        raise RenderError(f"no subtitles in it: not {READABLE} text")
    cues: list[Cue] = []
    for event in events:
        if event.is_comment:
            continue
        said = dialogue(_first_paragraph(event.text) if fmt in {"srt", "vtt"} else event.text)
        start, end = round(event.start / 1000, 3), round(event.end / 1000, 3)
        if said and end > start:
            cues.append(Cue(start, end, said))
    return sorted(cues, key=lambda c: (c.start, c.end))


def parse_srt(text: str) -> list[Cue]:
    """SubRip, as ffmpeg writes an embedded stream out."""
    return parse_subtitles(text, ".srt")


def load_subtitles(path: str | os.PathLike[str]) -> list[Cue]:
    path = Path(path)
    return parse_subtitles(decode_text(path.read_bytes()), path.suffix)


_BOMS = (  # UTF-32's little-endian mark begins with UTF-16's: it is looked for first
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(raw: bytes) -> str:
    """A subtitle file's text: the encoding its byte-order mark says (Windows editors save
    "Unicode" as UTF-16), UTF-16 without one when every other byte of its start is zero (the
    ASCII of timing lines), else UTF-8, else GB18030 (older Chinese files)."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace")
    head = raw[:4096]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) > len(head) // 8 and min(even, odd) < max(even, odd) // 8:
        return raw.decode("utf-16-le" if odd > even else "utf-16-be", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


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
