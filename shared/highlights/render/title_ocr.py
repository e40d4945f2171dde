"""Titles confirmed by reading them: the shots the look rules would drop as titles over pictures
(``picture_rules``) are dropped only when tesseract reads words in them.

The look (crisp, centred rows of thin bright strokes) is fooled by bright patterns, such as a
fractal's rim drifting up the frame. For each candidate shot ``shot_rules`` hands over one or two
sampled frames that showed title lines and the rows those lines span (``title_regions``); here,
for each, ONE ffmpeg call seeks to the sample, scales the frame as ``ocr.py`` does (height
720-1080), crops the rows with one grid row of margin either side, keeps thin bright strokes
(the white top-hat and threshold of ``ocr.py``: text black on white) and writes a PNG; ONE
tesseract call (``eng+chi_sim``, ``--psm 6``) reads it. The shot shows words when a line passes
``ocr.keep_line`` (fair confidence, mostly letters) with at least ``MIN_LETTERS`` letters or
``MIN_CJK`` CJK characters: what a fractal turns into is a few doubtful fragments.

Bounds: only candidate shots are read (``ShotRules.title_reads``, 8 a film, at most
``read_count`` regions each); every process has a timeout and the scratch folder goes with the
call. A tool failure leaves the look rule to decide (the shot is dropped, as without tesseract)
and is not cached. Outcomes are cached per (file identity, shot times, regions, parameters), so
a second job on the same film reads nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from highlights.render import cache, ocr
from highlights.render.errors import RenderError, ToolError
from highlights.render.ffmpeg import input_args, run_ffmpeg
from highlights.render.picture_rules import GRID_ROWS, TitleReader, TitleRegion
from highlights.render.process import run_tool, scratch_folder
from highlights.render.sentences import is_cjk

TITLES_VERSION = 1
PSM = 6
MIN_LETTERS = 3
MIN_CJK = 2
FFMPEG_TIMEOUT = 60.0  # one frame, decoded from the keyframe before it
TESSERACT_TIMEOUT = 60.0  # one band of one frame


def has_words(lines: Sequence[ocr.Line]) -> bool:
    """Words, not specks: a kept line with ``MIN_LETTERS`` letters or ``MIN_CJK`` CJK
    characters (digits alone, a time code, do not count)."""
    for line in lines:
        if not ocr.keep_line(line, ocr.MIN_CONFIDENCE):
            continue
        cjk = sum(1 for c in line.text if is_cjk(c))
        letters = sum(1 for c in line.text if c.isalpha() and not is_cjk(c))
        if letters >= MIN_LETTERS or cjk >= MIN_CJK:
            return True
    return False


def band_rows(region: TitleRegion, height: int) -> tuple[int, int]:
    """The pixel rows (first, past the last; even) of a region's title lines in a frame
    ``height`` tall, with one grid row of margin either side."""
    _, top, bottom = region
    margin = 1 / GRID_ROWS
    first = max(0, round((top - margin) * height))
    last = min(height, round((bottom + margin) * height))
    first -= first % 2  # widened to even rows: outwards, within the frame
    last = min(height - height % 2, last + last % 2)
    return first, max(first + 2, last)


def _read_region(
    video: Path, format_name: str, frame: tuple[int, int], region: TitleRegion, tmp: Path
) -> bool:
    width, height = ocr.frame_size(*frame)
    first, last = band_rows(region, height)
    radius = max(3, round(height / 120))
    opening = ",".join(["erosion"] * radius + ["dilation"] * radius)
    graph = (
        f"[0:v]scale={width}:{height}:flags=bicubic,crop={width}:{last - first}:0:{first},"
        f"format=gray,split[band][copy];[copy]{opening}[opened];"
        f"[band][opened]blend=all_mode=subtract,lut=y='if(gt(val,{ocr.THRESHOLD}),0,255)'[out]"
    )
    image = tmp / f"title-{region[0]:.3f}.png"
    args = ["-loglevel", "error", *input_args(video, format_name, "-ss", f"{region[0]:.3f}")]
    args += ["-filter_complex", graph, "-map", "[out]", "-frames:v", "1", "-update", "1"]
    run_ffmpeg([*args, str(image)], what=f"title frame of {video.name}", timeout=FFMPEG_TIMEOUT)
    if not image.exists():  # a seek past the last frame: nothing to read
        return False
    argv = [ocr.tesseract_path(), str(image), "stdout", "-l", "+".join(ocr.LANGUAGES)]
    argv += ["--psm", str(PSM), "tsv"]
    done = run_tool(
        argv, what=f"tesseract {image.name}", timeout=TESSERACT_TIMEOUT,
        env={"OMP_THREAD_LIMIT": "1"},
    )  # fmt: skip
    return has_words(ocr.parse_tsv(done.stdout, last - first))


def title_reader(
    video: str | os.PathLike[str],
    frame: tuple[int, int] | None,
    *,
    format_name: str = "",
    cache_dir: str | os.PathLike[str] | None = None,
) -> TitleReader | None:
    """A reader for ``build_analysis`` over the film at ``video`` (decoded frames ``frame``
    big), or None without a frame size. It checks for tesseract only when first asked, so a
    film without candidate titles pays nothing; without tesseract every candidate stays
    titles."""
    if frame is None:
        return None
    path = Path(video)

    def read(start: float, end: float, regions: Sequence[TitleRegion]) -> bool:
        if not regions or not ocr.ocr_available():
            return True  # nothing to read with: the look rule decides
        params = {
            "version": TITLES_VERSION,
            "start": start,
            "end": end,
            "regions": [list(r) for r in regions],
            "frame": list(frame),
            "languages": list(ocr.LANGUAGES),
            "psm": PSM,
            "threshold": ocr.THRESHOLD,
        }
        key = cache.cache_key("titles", path, params)
        if cache_dir is not None:
            cached = cache.load(cache_dir, key)
            if isinstance(cached, bool):
                return cached
        try:
            with scratch_folder("titles-") as tmp:
                found = any(
                    _read_region(path, format_name, frame, region, Path(tmp)) for region in regions
                )
        except (ToolError, RenderError):
            return True  # unread: the look rule decides, and the next job tries again
        if cache_dir is not None:
            cache.store(cache_dir, key, found)
        return found

    return read
