"""Burned-in subtitles read with tesseract: dialogue for ``EnableSubtitleMatch`` without a file.

When a film has neither a sidecar subtitle file nor a text subtitle stream, its dialogue may
still be in the picture. ``burned_in_cues`` reads it in two tools, few calls:

1. ONE ffmpeg pass samples ``fps`` frames a second, scales the frame so its height is between
   ``MIN_HEIGHT`` and ``MAX_HEIGHT`` (burned-in text, usually 1/20 to 1/12 of the height, is
   then 35+ px), crops the bottom ``band`` where subtitles sit, turns it grey, keeps thin
   bright strokes only (a white top-hat: the band minus its morphological opening, so a bright
   sky or wall behind the text goes dark), stacks ``TILE`` sampled bands vertically into one
   image (``tile=1xK``, a blank gap between bands) and thresholds it: text black on white.
2. tesseract runs once per tile (``-l eng+chi_sim --psm 6 tsv``, one OpenMP thread each, a
   few tiles at a time); each recognised line is mapped back to its sample by the vertical
   centre of its words (``sample_of``). Bands read doubtfully (after English lines tesseract
   tends to read Chinese as Latin junk) are read again, Chinese only: a second call per tile,
   only for tiles that need it (``_read_tile``).

Lines are cleaned (``keep_line``: enough letters or CJK characters and a fair mean word
confidence, which drops the specks a textured picture turns into) and consecutive samples with
similar text (``subtitles.similarity`` >= 0.6, one missed sample bridged) merge into one
``Cue`` from the first sample's time to one step after the last (``merge_samples``). Results are
cached per source file (``cache``), keyed by the file's identity and the parameters.

Limits: text outside the bottom band (signs, top-of-frame subtitles) is not read; dark text and
very bold strokes (wider than the opening) are lost (``threshold=None`` skips the threshold and
reads the inverted top-hat: noisier); cue edges are only as precise as one sampling step (1 s
by default).
"""

from __future__ import annotations

import csv
import functools
import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from highlights.render import cache
from highlights.render.cores import ToolPool, usable_cores
from highlights.render.errors import RenderError, ToolError
from highlights.render.ffmpeg import input_args, run_ffmpeg
from highlights.render.probe import MediaInfo
from highlights.render.process import current_tools, run_tool, scratch_folder
from highlights.render.sentences import is_cjk
from highlights.render.subtitles import Cue, similarity
from highlights.render.tools import executable

OCR_VERSION = 1
LANGUAGES = ("eng", "chi_sim")
RETRY_LANGUAGES = ("chi_sim",)
TILE = 12  # sampled bands per tesseract call
GAP = 16  # white pixels between two bands in a tile
MIN_HEIGHT = 720  # smaller frames are scaled up to this height ...
MAX_HEIGHT = 1080  # ... larger ones down to this (text stays 50+ px, tesseract stays quick)
THRESHOLD = 100  # top-hat level above which a pixel counts as subtitle text
MIN_CONFIDENCE = 45.0  # mean word confidence (0-100) a line needs
RETRY_BELOW = 80.0  # bands read with less confidence are read again (see _read_tile)
MIN_WORD_CONFIDENCE = 30.0  # words below this are dropped before lines are formed
MERGE_SIMILARITY = 0.6
WORKERS = min(4, usable_cores())


# -- the engine ------------------------------------------------------------------------------------


def tesseract_path() -> str:
    """The scope's tesseract; ``ToolError`` when it is not installed."""
    return executable(current_tools().tesseract, "tesseract")


@functools.lru_cache(maxsize=8)
def _languages(executable: str) -> frozenset[str]:
    try:
        done = run_tool([executable, "--list-langs"], what="tesseract --list-langs", timeout=30)
    except ToolError:
        return frozenset()
    # tesseract 4 prints the list on stderr, 5 on stdout; the first line is a heading.
    words = (done.stdout + "\n" + done.stderr).split()
    return frozenset(w for w in words if not w.endswith(":"))


def ocr_available() -> bool:
    """The scope's tesseract is installed, with English and Chinese data."""
    try:
        executable = tesseract_path()
    except ToolError:
        return False
    return set(LANGUAGES) <= _languages(executable)


# -- pure helpers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    sample: int  # index of the sample within its tile
    text: str
    confidence: float  # mean of the words' confidences, 0-100


def sample_of(top: int, height: int, band_height: int, gap: int = GAP) -> int:
    """Which band of a tile a line at ``top`` (``height`` px tall) lies in: by its centre."""
    centre = top + height / 2
    return max(0, int(centre // (band_height + gap)))


def join_words(words: Iterable[str]) -> str:
    """Words of one line: a space between them, none between two CJK characters."""
    out = ""
    for word in words:
        if out and not (is_cjk(out[-1]) and is_cjk(word[0])):
            out += " "
        out += word
    return out


_Word = tuple[tuple[str, ...], int, int, int, float, str]


def _words(tsv: str) -> list[_Word]:
    """Recognised words: (line key, left, top, height, confidence, text), junk included."""
    words: list[_Word] = []
    for row in csv.DictReader(tsv.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5":
            continue
        text = (row.get("text") or "").strip()
        try:
            conf = float(row["conf"])
            left, top, height = int(row["left"]), int(row["top"]), int(row["height"])
        except (KeyError, TypeError, ValueError):
            continue
        if text and conf >= 0:
            key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
            words.append((key, left, top, height, conf, text))
    return words


def samples_with_words(tsv: str, band_height: int, gap: int = GAP) -> set[int]:
    """The bands in which tesseract saw anything letter-like at all, however doubtful."""
    return {
        sample_of(top, height, band_height, gap)
        for _, _, top, height, _, text in _words(tsv)
        if any(c.isalnum() for c in text)
    }


def parse_tsv(tsv: str, band_height: int, gap: int = GAP) -> list[Line]:
    """tesseract's TSV output as lines, each mapped to its band, in reading order."""
    groups: dict[tuple[str, ...], list[tuple[int, int, int, float, str]]] = {}
    for key, left, top, height, conf, text in _words(tsv):
        # Words without a letter, digit or CJK character ("|" from a box edge, stray dots)
        # and words tesseract itself doubts are texture, not dialogue.
        if conf < MIN_WORD_CONFIDENCE or not any(c.isalnum() for c in text):
            continue
        groups.setdefault(key, []).append((left, top, height, conf, text))
    lines: list[Line] = []
    for words in groups.values():
        words.sort()
        top = min(w[1] for w in words)
        bottom = max(w[1] + w[2] for w in words)
        lines.append(
            Line(
                sample=sample_of(top, bottom - top, band_height, gap),
                text=join_words(w[4] for w in words),
                confidence=sum(w[3] for w in words) / len(words),
            )
        )
    return sorted(lines, key=lambda line: line.sample)


def keep_line(line: Line, min_confidence: float = MIN_CONFIDENCE) -> bool:
    """A line worth keeping: 3+ letters/digits or 2+ CJK characters, and fairly confident."""
    cjk = sum(1 for c in line.text if is_cjk(c))
    alnum = sum(1 for c in line.text if c.isalnum() and not is_cjk(c))
    if cjk < 2 and alnum < 3:
        return False
    # Mostly symbols ("|=_-~") is what texture turns into; real lines are mostly letters.
    if (cjk + alnum) < 0.5 * len(line.text.replace(" ", "")):
        return False
    return line.confidence >= min_confidence


def sample_texts(lines: Iterable[Line], count: int) -> list[tuple[str, float]]:
    """Each of ``count`` bands' kept text (its lines joined with a newline) and the lowest
    confidence among those lines (0 for a band with none)."""
    kept: list[list[Line]] = [[] for _ in range(count)]
    for line in lines:
        if 0 <= line.sample < count and keep_line(line):
            kept[line.sample].append(line)
    return [
        ("\n".join(x.text for x in group), min(x.confidence for x in group)) if group else ("", 0.0)
        for group in kept
    ]


def merge_samples(
    texts: Sequence[str],
    step: float,
    *,
    duration: float | None = None,
    threshold: float = MERGE_SIMILARITY,
    max_gap: int = 1,
) -> list[Cue]:
    """Consecutive samples (sample ``i`` at ``i * step`` s) with similar text as one Cue each.

    A run continues over up to ``max_gap`` samples with no text (a missed read); its text is
    the one read most often in it (the longest on a tie), its time from the first sample to one
    ``step`` after the last, clipped to ``duration``.
    """
    runs: list[tuple[int, int, list[str]]] = []  # first, last, texts
    for i, text in enumerate(texts):
        if not text:
            continue
        if runs:
            first, last, seen = runs[-1]
            if i - last - 1 <= max_gap and similarity(seen[-1], text) >= threshold:
                runs[-1] = (first, i, [*seen, text])
                continue
        runs.append((i, i, [text]))
    cues: list[Cue] = []
    for first, last, seen in runs:
        counts = Counter(seen)
        best = max(counts, key=lambda t: (counts[t], len(t)))
        start = round(first * step, 3)
        end = round((last + 1) * step, 3)
        if duration is not None:
            end = min(end, round(duration, 3))
        if end > start:
            cues.append(Cue(start, end, best))
    return cues


def frame_size(width: int, height: int) -> tuple[int, int]:
    """The scaled (even) frame size: height between MIN_HEIGHT and MAX_HEIGHT."""
    target = min(max(height, MIN_HEIGHT), MAX_HEIGHT)
    scale = target / height
    return 2 * max(1, round(width * scale / 2)), 2 * max(1, round(target / 2))


# -- reading a film ------------------------------------------------------------------------------


def _sample_tiles(
    video: Path, info: MediaInfo, out: Path, *, fps: float, band: float, threshold: int | None
) -> tuple[list[Path], int]:
    """The tiles (PNG paths, in order) and the height of one band in them."""
    if not info.width or not info.height:
        raise RenderError(f"{video.name}: no picture size to crop subtitles from")
    width, height = frame_size(info.width, info.height)
    band_height = max(16, round(height * band))
    head = [
        f"fps={fps:g}",
        f"scale={width}:{height}:flags=bicubic",
        f"crop={width}:{band_height}:0:{height - band_height}",
        "format=gray",
    ]
    # White top-hat (the band minus its morphological opening): thin bright strokes (letters)
    # stay bright, wide bright areas of the picture (sky, a lamp, a white wall) go dark, so the
    # threshold that follows keeps only text-like shapes.
    radius = max(3, round(height / 120))
    opening = ",".join(["erosion"] * radius + ["dilation"] * radius)
    tail = [
        f"tile=1x{TILE}:padding={GAP}:color=black",
        # Bright text black on white; without a threshold, the picture just inverted.
        f"lut=y='if(gt(val,{threshold}),0,255)'" if threshold is not None else "negate",
    ]
    graph = (
        f"[0:v]{','.join(head)},split[band][copy];[copy]{opening}[opened];"
        f"[band][opened]blend=all_mode=subtract,{','.join(tail)}[tiles]"
    )
    args = ["-loglevel", "error", *input_args(video, info.format_name)]
    args += ["-filter_complex", graph, "-map", "[tiles]"]
    args += ["-fps_mode", "passthrough", str(out / "tile-%05d.png")]
    # Decoding at full size and the morphology: a few times real time at most.
    limit = 120.0 + 3.0 * (info.duration or 0.0)
    run_ffmpeg(args, what=f"sample subtitle bands of {video.name}", timeout=limit)
    return sorted(out.glob("tile-*.png")), band_height


def _tesseract(executable: str, tile: Path, psm: int, languages: Sequence[str]) -> str:
    argv = [executable, str(tile), "stdout", "-l", "+".join(languages), "--psm", str(psm), "tsv"]
    # tesseract's OpenMP threads fight each other (and our parallel calls) on a small tile:
    # one thread per call is 3-5x faster here.
    done = run_tool(argv, what=f"tesseract {tile.name}", timeout=300, env={"OMP_THREAD_LIMIT": "1"})
    return done.stdout


def _read_tile(executable: str, tile: Path, band_height: int, psm: int) -> list[str]:
    """The text of each band of one tile; a second, Chinese-only read for doubtful bands.

    With several languages tesseract tries the last one that worked first and keeps a poor but
    plausible guess: after English lines a Chinese line comes out as Latin junk ("HAF IXEN"),
    which ``keep_line`` then rejects. Bands where something was seen but nothing kept are read
    again with ``RETRY_LANGUAGES`` alone (one more call for the whole tile, only when needed).
    """
    tsv = _tesseract(executable, tile, psm, LANGUAGES)
    read = sample_texts(parse_tsv(tsv, band_height), TILE)
    seen = samples_with_words(tsv, band_height)
    doubtful = [i for i in range(TILE) if i in seen and read[i][1] < RETRY_BELOW]
    if doubtful:
        again = _tesseract(executable, tile, psm, RETRY_LANGUAGES)
        retry = sample_texts(parse_tsv(again, band_height), TILE)
        for i in doubtful:
            if retry[i][1] > read[i][1]:
                read[i] = retry[i]
    return [text for text, _ in read]


def burned_in_cues(
    video: str | os.PathLike[str],
    info: MediaInfo,
    *,
    fps: float = 1.0,
    band: float = 0.3,
    cache_dir: str | os.PathLike[str] | None = None,
    threshold: int | None = THRESHOLD,
    psm: int = 6,
) -> list[Cue]:
    """The film's burned-in dialogue as cues (see the module docstring); cached per file."""
    video = Path(video)
    if not 0 < band <= 1 or fps <= 0:
        raise ValueError("band must be in (0, 1] and fps positive")
    params = {
        "version": OCR_VERSION,
        "fps": fps,
        "band": band,
        "threshold": threshold,
        "psm": psm,
        "languages": list(LANGUAGES),
        "retry": list(RETRY_LANGUAGES),
        "tile": TILE,
    }
    key = cache.cache_key("ocr", video, params)
    if cache_dir is not None:
        cached = cache.load(cache_dir, key)
        if cached is not None:
            return [Cue(float(a), float(b), str(t)) for a, b, t in cached]
    executable = tesseract_path()
    with scratch_folder("ocr-") as tmp:
        tiles, band_height = _sample_tiles(
            video, info, Path(tmp), fps=fps, band=band, threshold=threshold
        )
        with ToolPool(WORKERS) as pool:
            outputs = list(pool.map(lambda t: _read_tile(executable, t, band_height, psm), tiles))
    texts = [text for tile_texts in outputs for text in tile_texts]
    if info.duration:
        texts = texts[: max(1, math.ceil(info.duration * fps))]  # the last tile's blank padding
    cues = merge_samples(texts, 1.0 / fps, duration=info.duration)
    if cache_dir is not None:
        cache.store(cache_dir, key, [[c.start, c.end, c.text] for c in cues])
    return cues
