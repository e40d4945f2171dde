"""Render one timeline to an MP4 (the local engine's composition step).

``compose`` probes the media the timeline names (store keys through ``LocalStore.path_for``,
narration WAVs by their path in the work folder), asks ``graph.build_plan`` for the passes, runs the
picture pass with ``-progress pipe:1`` (reporting ``out_time / duration`` through ``progress``)
while the sound pass runs beside it, joins the two with a stream copy, then renames the
finished file into place: it is written to a hidden temp file beside the destination (a name
the folder store never lists), so a crash or a failure never leaves a partial MP4 at the output
path. The result is probed before it is reported.

Bounds: the passes run under one wall-clock limit derived from the output's duration, each
output file under a size limit (``-fs``, see ``graph.picture_bytes``) that a correct pass never
reaches; reaching it fails the render. A cancelled ``ffmpeg.tool_scope`` kills the passes.

Fonts: Noto Sans CJK (Debian ``fonts-noto-cjk``) renders Chinese and Latin alike; it is found
through fontconfig so the Simplified Chinese face of the collection is used, titles in Bold.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import os
import secrets
import threading
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from highlights.render.cores import ToolPool, usable_cores
from highlights.render.ffmpeg import (
    RenderCancelled,
    RenderError,
    RunningTool,
    current_scope,
    ffmpeg_path,
    filter_script_option,
    run_tool,
    scratch_folder,
    start_tool,
)
from highlights.render.fonts import CJK_FAMILY, font_file
from highlights.render.graph import (
    Encoding,
    Fonts,
    FontSpec,
    PlanError,
    RenderPlan,
    build_plan,
    integrated_loudness,
    loudness_gain,
    sound_pass,
)
from highlights.render.probe import MediaInfo, MediaRefused, probe
from highlights.render.timeline import Timeline
from highlights.storage.local import LocalStore

__all__ = ["ComposeResult", "Progress", "compose", "find_fonts", "gather_media"]

Progress = Callable[[float, str], None]

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


# -- fonts ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _drawtext_has_fontconfig() -> bool:
    try:
        done = run_tool(
            [ffmpeg_path(), "-hide_banner", "-h", "filter=drawtext"], what="drawtext", timeout=30
        )
    except RenderError:
        return False
    return any(line.split()[:1] == ["font"] for line in done.stdout.splitlines())


@functools.lru_cache(maxsize=1)
def find_fonts() -> tuple[Fonts, tuple[str, ...]]:
    """The fonts to draw with, and warnings when no CJK font is installed."""
    regular = font_file(CJK_FAMILY)
    if regular is None or "CJK" not in Path(regular).name:
        return Fonts(), (
            "no Noto Sans CJK font (apt-get install fonts-noto-cjk): Chinese text may not render",
        )
    bold = font_file(f"{CJK_FAMILY}:style=Bold") or regular
    if _drawtext_has_fontconfig():
        return (
            Fonts(
                regular=FontSpec(family=CJK_FAMILY, file=regular),
                bold=FontSpec(family=CJK_FAMILY, style="Bold", file=bold),
            ),
            (),
        )
    return Fonts(regular=FontSpec(file=regular), bold=FontSpec(file=bold)), ()


# -- media ---------------------------------------------------------------------------------------


def _wav_info(path: Path) -> MediaInfo | None:
    try:
        with wave.open(str(path), "rb") as reader:
            frames, rate = reader.getnframes(), reader.getframerate()
    except (wave.Error, EOFError, OSError):
        return None
    return MediaInfo(
        path=str(path),
        kind="audio",
        duration=frames / rate if rate else None,
        width=None,
        height=None,
        fps=None,
        has_audio=frames > 0,
        format_name="wav",
    )


def display_size(info: MediaInfo) -> MediaInfo:
    """``info`` with the size the picture is shown at: rotated (phone videos carry a display
    rotation that ffmpeg applies) and stretched by a non-square sample aspect ratio (DVD rips).
    The graph fits pictures with these numbers."""
    if info.kind == "audio" or not info.width or not info.height:
        return info
    width, height = float(info.width), float(info.height)
    if info.sample_aspect and abs(info.sample_aspect - 1) > 1e-3:
        width *= info.sample_aspect
    if abs(info.rotation) % 180 == 90:
        width, height = height, width
    return dataclasses.replace(info, width=round(width), height=round(height))


def _store_keys(timeline: Timeline) -> Iterator[tuple[str, str, bool]]:
    """(key, what it is, whether its display size matters)."""
    for seg in timeline.segments:
        yield seg.source, f"segment {seg.index} source", True
    if timeline.background.kind == "image" and timeline.background.image:
        yield timeline.background.image, "background image", True
    for sticker in timeline.stickers:
        yield sticker.source, "sticker", False
    if timeline.music is not None:
        yield timeline.music.source, "music", False


def gather_media(
    timeline: Timeline, store: LocalStore, work_dir: Path | None = None
) -> dict[str, MediaInfo]:
    """Probe every medium the timeline names, once each and several at a time (each probe is
    a process that mostly waits). Narration audio is a path relative to ``work_dir`` (the
    planner's work folder; an absolute path is taken as it is). ``RenderError`` names the store
    key or narration of a medium that is missing or unreadable, ``MediaRefused`` one that is not
    plain media."""
    wanted: dict[str, tuple[Path, bool]] = {}
    for key, what, shown in _store_keys(timeline):
        if key in wanted:
            continue
        path = store.path_for(key)
        if not path.is_file():
            raise RenderError(f"{what} {key!r} is not in the store")
        wanted[key] = (path, shown)
    audio: dict[str, Path] = {}
    for seg in timeline.segments:
        if seg.narration is None or seg.narration.audio in wanted or seg.narration.audio in audio:
            continue
        path = _narration_path(seg.narration.audio, work_dir)
        if path is None or not path.is_file():
            raise RenderError(
                f"segment {seg.index}: narration audio {seg.narration.audio!r} not found"
            )
        audio[seg.narration.audio] = path
    names = {path: key for key, (path, _) in wanted.items()}
    names.update({path: name for name, path in audio.items()})
    paths = sorted(names)
    with ToolPool(4) as pool:
        found = dict(zip(paths, pool.map(lambda p: _probe_named(p, names[p]), paths), strict=True))
    media = {
        key: display_size(found[path]) if shown else found[path]
        for key, (path, shown) in wanted.items()
    }
    media.update({key: found[path] for key, path in audio.items()})
    return media


def _narration_path(audio: str, work_dir: Path | None) -> Path | None:
    path = Path(audio)
    if path.is_absolute():
        return path
    if work_dir is None or ".." in path.parts:
        return None
    return Path(work_dir) / path


def _probe_named(path: Path, name: str) -> MediaInfo:
    """``_probe_any``, its errors naming the medium by ``name`` (a store key), not its path."""
    try:
        return _probe_any(path)
    except MediaRefused as exc:
        raise MediaRefused(name, exc.demuxer) from None
    except RenderError as exc:
        raise RenderError(f"{name}: {exc.message}", stderr_tail=exc.stderr_tail) from None


def _probe_any(path: Path) -> MediaInfo:
    wav = _wav_info(path) if path.suffix.lower() == ".wav" else None
    return wav or probe(path)


# -- running ffmpeg ------------------------------------------------------------------------------


def _out_time(line: str) -> float | None:
    key, _, value = line.partition("=")
    if key not in ("out_time_us", "out_time_ms"):  # both are microseconds
        return None
    try:
        return int(value) / 1_000_000
    except ValueError:
        return None


def _position(progress_file: Path) -> float:
    """The last output time ffmpeg wrote to its ``-progress`` file (0 before the first)."""
    try:
        text = progress_file.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return 0.0
    for line in reversed(text.splitlines()):
        found = _out_time(line.strip())
        if found is not None:
            return max(found, 0.0)
    return 0.0


@dataclass(frozen=True)
class Pass:
    """One ffmpeg run of a render: ``seconds`` of output it makes count towards the progress
    (0 for a pass not worth reporting); ``progress_file`` is where its ``-progress`` goes;
    ``then`` gives the pass to start once this one has succeeded (it may read what this one
    wrote)."""

    argv: list[str]
    what: str
    seconds: float = 0.0
    progress_file: Path | None = None
    then: Callable[[], Pass] | None = None


def run_at_once(
    passes: list[Pass],
    *,
    progress: Progress | None,
    what: str,
    timeout: float,
    limit: int | None = None,
    poll: float = 0.1,
    cancel: threading.Event | None = None,
) -> None:
    """Run the passes side by side in the order given, at most ``limit`` of those that make
    output ``seconds`` at a time (the others, short, never wait), each followed by its ``then``;
    report their combined position. The first failure or the timeout kills the rest and
    raises RenderError (with the failed pass's stderr tail); ``cancel`` (default: the tool
    scope's) being set kills them all and raises RenderCancelled."""
    cancel = cancel or current_scope().cancel
    total = sum(one.seconds for one in passes)
    reported = [(one.progress_file, one.seconds) for one in passes if one.progress_file]
    waiting = list(passes)
    running: list[tuple[Pass, RunningTool]] = []
    try:
        deadline = time.monotonic() + timeout
        last = -1.0
        while running or waiting:
            busy = sum(1 for one, _ in running if one.seconds > 0)
            while waiting and (limit is None or busy < limit or waiting[0].seconds <= 0):
                one = waiting.pop(0)
                running.append((one, start_tool(one.argv, what=one.what, cancel=cancel)))
                busy += one.seconds > 0
            for one, run in list(running):
                if run.poll() is None:
                    continue
                run.finish()  # raises with the tail of its stderr unless it succeeded
                running.remove((one, run))
                if one.then is not None:
                    follow = one.then()
                    running.append(
                        (follow, start_tool(follow.argv, what=follow.what, cancel=cancel))
                    )
            if cancel is not None and cancel.is_set():
                raise RenderCancelled(f"{what}: cancelled")
            if (running or waiting) and time.monotonic() > deadline:
                raise RenderError(f"{what}: ffmpeg timed out after {timeout:.0f} s")
            if progress and total > 0:
                done = sum(min(_position(path), seconds) for path, seconds in reported)
                fraction = min(done / total, 1.0)
                if fraction - last >= 0.01:
                    last = fraction
                    progress(fraction, f"{what}: {fraction:.0%}")
            if running or waiting:
                time.sleep(poll)
    finally:
        for _, run in running:
            run.kill()


def _within_bounds(files: list[tuple[Path, int]], what: str) -> None:
    """RenderError when a pass wrote up to its ``-fs`` bound: ffmpeg stops there and exits 0,
    so the file is cut short, and only its size tells."""
    for path, bound in files:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue
        if bound and size >= bound:
            raise RenderError(
                f"{what}: {path.name} reached its size bound ({bound} bytes): the render ran away"
            )


def _temp_beside(out_path: Path) -> Path:
    # The folder store's temp-name pattern: never listed as an object, cleaned like its own.
    return out_path.parent / f".{out_path.name[:64]}.tmp-{secrets.token_hex(8)}"


def compose(
    timeline: Timeline,
    store: LocalStore,
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
    out_path = Path(out_path)
    if progress:
        progress(0.0, "probing media")
    media = gather_media(timeline, store, work_dir)
    fonts, font_warnings = find_fonts()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_beside(out_path)
    chunks = parallel_chunks(len(timeline.segments)) if chunks is None else max(1, chunks)
    what = f"render {'preview ' if preview else ''}{timeline.index}"
    with contextlib.ExitStack() as stack:
        if work_dir is None:
            folder = Path(stack.enter_context(scratch_folder("compose-")))
        else:
            folder = Path(work_dir)
            folder.mkdir(parents=True, exist_ok=True)
        try:
            plan: RenderPlan = build_plan(
                timeline,
                media,
                output=str(temp),
                work_dir=str(folder),
                stem=f"render-{timeline.index}{'-preview' if preview else ''}",
                fonts=fonts,
                preview=preview,
                encoding=encoding,
                chunks=chunks,
            )
        except PlanError as exc:
            raise RenderError(f"timeline {timeline.index}: {exc}") from exc
        for part in (*plan.pictures, plan.audio):
            Path(part.script_path).write_text(part.filter_script, encoding="utf-8")
        Path(plan.concat_path).write_text(plan.concat_list, encoding="utf-8")
        option = filter_script_option()
        ffmpeg = [ffmpeg_path(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]

        def deliver_sound() -> Pass:
            readings = Path(plan.loudness_path).read_text(encoding="utf-8", errors="replace")
            gain = loudness_gain(integrated_loudness(readings))
            return Pass([*ffmpeg, *sound_pass(plan, gain)], f"{what} (sound level)")

        passes = [Pass([*ffmpeg, *plan.audio.args(option)], f"{what} (sound)", then=deliver_sound)]
        for c, picture in enumerate(plan.pictures):
            position = folder / f".progress-{timeline.index}-{c}-{secrets.token_hex(4)}"
            passes.append(
                Pass(
                    [*ffmpeg, "-progress", str(position), "-stats_period", "0.25",
                     *picture.args(option)],
                    f"{what} (picture {c + 1}/{len(plan.pictures)})",
                    seconds=picture.seconds,
                    progress_file=position,
                )
            )  # fmt: skip
        timeout = 120 + 30 * plan.duration
        try:
            run_at_once(
                passes,
                progress=_scaled(progress, 0.98),
                what=what,
                timeout=timeout,
                limit=usable_cores(),
            )
            _within_bounds(
                [(Path(p.output_args[-1]), p.max_bytes) for p in plan.pictures]
                + [(Path(plan.mix_path), plan.audio.max_bytes),
                   (Path(plan.audio_path), plan.audio_max_bytes)],
                what,
            )  # fmt: skip
            run_tool([*ffmpeg, *plan.join_args], what=f"{what} (join)", timeout=timeout)
            _within_bounds([(temp, plan.join_max_bytes)], what)
            written = probe(temp)
            if written.kind != "video" or not written.has_audio:
                raise RenderError(f"{what}: the output lacks a video or an audio stream")
            os.replace(temp, out_path)
        finally:
            leftovers = [temp, *map(Path, plan.intermediates)]
            leftovers += [one.progress_file for one in passes if one.progress_file]
            for leftover in leftovers:
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
    if progress:
        progress(1.0, f"{what}: done")
    return ComposeResult(
        path=out_path,
        duration=written.duration or plan.duration,
        width=plan.width,
        height=plan.height,
        warnings=tuple(font_warnings) + plan.warnings,
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


def _scaled(progress: Progress | None, share: float) -> Progress | None:
    """``progress`` for a step that is the first ``share`` of the work."""
    if progress is None:
        return None
    return lambda fraction, message: progress(fraction * share, message)
