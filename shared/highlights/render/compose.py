"""Render one timeline to an MP4 (the local engine's composition step).

``compose`` probes the media the timeline names (``gather``: store keys through the folder's
``path_for``, narration WAVs by their path in the work folder), asks ``graph.build_passes`` for
the passes, runs the picture passes with ``-progress`` (reporting ``out_time / duration``
through ``progress``) while the sound pass runs beside them (``runner``), joins the two with a
stream copy, then renames the finished file into place: it is written to a hidden temp file
beside the destination (a name the folder store never lists), so a crash or a failure never
leaves a partial MP4 at the output path. The result is probed before it is reported.

Bounds: the passes run under one wall-clock limit derived from the output's duration, each
output file under a size limit (``-fs``, see ``graph.picture_bytes``) that a correct pass never
reaches; reaching it fails the render. A cancelled ``process.tool_scope`` kills the passes.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from highlights.ports import MediaFolder
from highlights.render.cores import usable_cores
from highlights.render.errors import RenderError
from highlights.render.ffmpeg import ffmpeg_path, filter_script_option
from highlights.render.fonts import find_fonts
from highlights.render.gather import gather_media
from highlights.render.graph import (
    Encoding,
    RenderPasses,
    TimelineError,
    build_passes,
    integrated_loudness,
    loudness_gain,
    sound_pass,
)
from highlights.render.probe import probe
from highlights.render.process import run_tool, scratch_folder
from highlights.render.progress import COMPOSE_PASSES, Progress, ignore, within
from highlights.render.runner import Pass, run_at_once, within_bounds
from highlights.render.timeline import Timeline

__all__ = ["ComposeResult", "compose", "parallel_chunks"]

SEGMENTS_PER_PASS = 12


@dataclass(frozen=True)
class ComposeResult:
    path: Path
    duration: float  # of the written file, as ffprobe reads it
    width: int
    height: int
    warnings: tuple[str, ...] = ()
    preview: bool = False
    elapsed: float = 0.0  # seconds spent rendering


def _temp_beside(out_path: Path) -> Path:
    # The folder store's temp-name pattern: never listed as an object, cleaned like its own.
    return out_path.parent / f".{out_path.name[:64]}.tmp-{secrets.token_hex(8)}"


def compose(
    timeline: Timeline,
    folder: MediaFolder,
    out_path: Path,
    *,
    preview: bool = False,
    progress: Progress | None = None,
    work_dir: Path | None = None,
    encoding: Encoding | None = None,
    chunks: int | None = None,
) -> ComposeResult:
    """Render ``timeline`` to ``out_path`` (an MP4): the picture in chunks and the sound, as
    ffmpeg runs side by side (one picture chunk per core at a time), then joined by a stream
    copy (see ``graph``).

    ``preview`` renders a small, low-bitrate version (short side 360 px, crf 35, ultrafast).
    ``work_dir`` keeps the filter scripts (a temporary folder otherwise; the intermediate
    picture and sound files are removed either way). ``encoding`` overrides the x264 preset /
    crf / audio bitrate (the crf defaults to ``timeline.crf``). ``chunks`` is how many picture
    chunks to cut the timeline into at most (default ``parallel_chunks``; 1 for one pass).
    """
    started = time.perf_counter()
    report = progress or ignore
    out_path = Path(out_path)
    report(0.0, "probing media")
    media = gather_media(timeline, folder, work_dir)
    fonts, font_warnings = find_fonts()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_beside(out_path)
    chunks = parallel_chunks(len(timeline.segments)) if chunks is None else max(1, chunks)
    what = f"render {'preview ' if preview else ''}{timeline.index}"
    with contextlib.ExitStack() as stack:
        if work_dir is None:
            work = Path(stack.enter_context(scratch_folder("compose-")))
        else:
            work = Path(work_dir)
            work.mkdir(parents=True, exist_ok=True)
        try:
            passes: RenderPasses = build_passes(
                timeline,
                media,
                output=str(temp),
                work_dir=str(work),
                stem=f"render-{timeline.index}{'-preview' if preview else ''}",
                fonts=fonts,
                preview=preview,
                encoding=encoding,
                chunks=chunks,
            )
        except TimelineError as exc:
            raise RenderError(f"timeline {timeline.index}: {exc}") from exc
        for part in (*passes.pictures, passes.audio):
            Path(part.script_path).write_text(part.filter_script, encoding="utf-8")
        Path(passes.concat_path).write_text(passes.concat_list, encoding="utf-8")
        option = filter_script_option()
        ffmpeg = [ffmpeg_path(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]

        def deliver_sound() -> Pass:
            readings = Path(passes.loudness_path).read_text(encoding="utf-8", errors="replace")
            gain = loudness_gain(integrated_loudness(readings))
            return Pass([*ffmpeg, *sound_pass(passes, gain)], f"{what} (sound level)")

        runs = [Pass([*ffmpeg, *passes.audio.args(option)], f"{what} (sound)", then=deliver_sound)]
        for c, picture in enumerate(passes.pictures):
            position = work / f".progress-{timeline.index}-{c}-{secrets.token_hex(4)}"
            runs.append(
                Pass(
                    [*ffmpeg, "-progress", str(position), "-stats_period", "0.25",
                     *picture.args(option)],
                    f"{what} (picture {c + 1}/{len(passes.pictures)})",
                    seconds=picture.seconds,
                    progress_file=position,
                )
            )  # fmt: skip
        timeout = 120 + 30 * passes.duration
        try:
            run_at_once(
                runs,
                progress=within(report, COMPOSE_PASSES) if progress else None,
                what=what,
                timeout=timeout,
                limit=usable_cores(),
            )
            within_bounds(
                [(Path(p.output_args[-1]), p.max_bytes) for p in passes.pictures]
                + [(Path(passes.mix_path), passes.audio.max_bytes),
                   (Path(passes.audio_path), passes.audio_max_bytes)],
                what,
            )  # fmt: skip
            run_tool([*ffmpeg, *passes.join_args], what=f"{what} (join)", timeout=timeout)
            within_bounds([(temp, passes.join_max_bytes)], what)
            written = probe(temp)
            if written.kind != "video" or not written.has_audio:
                raise RenderError(f"{what}: the output lacks a video or an audio stream")
            os.replace(temp, out_path)
        finally:
            leftovers = [temp, *map(Path, passes.intermediates)]
            leftovers += [one.progress_file for one in runs if one.progress_file]
            for leftover in leftovers:
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
    report(1.0, f"{what}: done")
    return ComposeResult(
        path=out_path,
        duration=written.duration or passes.duration,
        width=passes.width,
        height=passes.height,
        warnings=tuple(font_warnings) + passes.warnings,
        preview=preview,
        elapsed=time.perf_counter() - started,
    )


def parallel_chunks(segments: int) -> int:
    """Picture chunks for a timeline of ``segments``: one per core (up to 8), each run on one
    thread (measured on 2 cores for the 30 s benchmark: 9.1 s instead of 9.5 s for one pass
    with ffmpeg 5.1, which runs a whole filter graph on one thread so x264 waits on it; 8.8 s
    instead of 9.3 s with ffmpeg 9). More when the timeline is long, so that no pass opens more
    than about ``SEGMENTS_PER_PASS`` inputs (ffmpeg primes every input at start: ~35 MB each
    for 720p); ``compose`` then runs one per core at a time."""
    cores = min(usable_cores(), 8)
    return max(cores, math.ceil(segments / SEGMENTS_PER_PASS))
