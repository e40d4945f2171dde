"""Render one timeline to an MP4 with a single ffmpeg run (the local engine's composition step).

``compose`` probes the media the timeline names (store keys through ``LocalStore.path_for``,
narration WAVs by their absolute path), asks ``graph.build_plan`` for the command, runs ffmpeg
with ``-progress pipe:1`` and reports ``out_time / duration`` through ``progress``, then renames
the finished file into place: it is written to a hidden temp file beside the destination (a name
the folder store never lists), so a crash or a failure never leaves a partial MP4 at the output
path. The result is probed before it is reported.

Fonts: Noto Sans CJK (Debian ``fonts-noto-cjk``) renders Chinese and Latin alike; it is found
through fontconfig so the Simplified Chinese face of the collection is used, titles in Bold.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import secrets
import subprocess
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from highlights.render.ffmpeg import (
    RenderError,
    ffmpeg_path,
    run_ffprobe,
    run_tool,
    stderr_tail,
)
from highlights.render.fonts import CJK_FAMILY, font_file
from highlights.render.graph import Encoding, Fonts, FontSpec, PlanError, RenderPlan, build_plan
from highlights.render.probe import MediaInfo, probe
from highlights.render.timeline import Timeline
from highlights.storage.local import LocalStore

__all__ = ["ComposeResult", "Progress", "compose", "find_fonts", "gather_media"]

Progress = Callable[[float, str], None]


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
        done = run_tool([ffmpeg_path(), "-hide_banner", "-h", "filter=drawtext"], what="drawtext")
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


def _ratio(text: object) -> float | None:
    num, _, den = str(text or "").partition(":")
    try:
        value = float(num) / float(den)
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


def display_size(info: MediaInfo) -> MediaInfo:
    """``info`` with the size the picture is shown at: rotated (phone videos carry a display
    rotation that ffmpeg applies) and stretched by a non-square sample aspect ratio (DVD rips).
    The graph fits pictures with these numbers."""
    if info.kind == "audio" or not info.width or not info.height:
        return info
    done = run_ffprobe(
        [
            *("-v", "error", "-select_streams", "v:0", "-of", "json"),
            *("-show_entries", "stream=sample_aspect_ratio:stream_side_data=rotation"),
            info.path,
        ],
        what=f"probe {Path(info.path).name}",
        timeout=60,
    )
    try:
        streams = json.loads(done.stdout or "{}").get("streams") or [{}]
    except json.JSONDecodeError:
        return info
    stream = streams[0]
    width, height = float(info.width), float(info.height)
    sar = _ratio(stream.get("sample_aspect_ratio"))
    if sar and abs(sar - 1) > 1e-3:
        width *= sar
    rotation = 0
    for side in stream.get("side_data_list") or []:
        with contextlib.suppress(TypeError, ValueError):
            rotation = round(float(side.get("rotation", 0)))
    if abs(rotation) % 180 == 90:
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


def gather_media(timeline: Timeline, store: LocalStore) -> dict[str, MediaInfo]:
    """Probe every medium the timeline names, once each; RenderError if one is missing."""
    media: dict[str, MediaInfo] = {}
    by_path: dict[Path, MediaInfo] = {}
    for key, what, shown in _store_keys(timeline):
        if key in media:
            continue
        path = store.path_for(key)
        if not path.is_file():
            raise RenderError(f"{what} {key!r} is not in the store ({path})")
        if path not in by_path:
            found = probe(path)
            by_path[path] = display_size(found) if shown else found
        media[key] = by_path[path]
    for seg in timeline.segments:
        if seg.narration is None or seg.narration.audio in media:
            continue
        path = Path(seg.narration.audio)
        if not path.is_absolute() or not path.is_file():
            raise RenderError(f"segment {seg.index}: narration audio {str(path)!r} not found")
        wav = _wav_info(path) if path.suffix.lower() == ".wav" else None
        media[seg.narration.audio] = wav or probe(path)
    return media


# -- running ffmpeg ------------------------------------------------------------------------------


def _out_time(line: str) -> float | None:
    key, _, value = line.partition("=")
    if key not in ("out_time_us", "out_time_ms"):  # both are microseconds
        return None
    try:
        return int(value) / 1_000_000
    except ValueError:
        return None


def run_with_progress(
    argv: list[str],
    *,
    duration: float,
    progress: Progress | None,
    what: str,
    timeout: float | None = None,
) -> None:
    """Run ffmpeg (argv includes ``-progress pipe:1``), reporting its position; RenderError on
    failure with the tail of its stderr. The process is killed on timeout or interruption."""
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except FileNotFoundError as exc:
            raise RenderError(f"{what}: cannot run {argv[0]}", command=argv) from exc
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            proc.kill()

        timer = threading.Timer(timeout, expire) if timeout else None
        if timer:
            timer.daemon = True
            timer.start()
        try:
            assert proc.stdout is not None
            last = -1.0
            for line in proc.stdout:
                position = _out_time(line.strip())
                if progress and position is not None and duration > 0:
                    fraction = min(max(position / duration, 0.0), 1.0)
                    if fraction - last >= 0.01 or fraction >= 1.0:
                        last = fraction
                        progress(fraction, f"{what}: {fraction:.0%}")
            code = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            if timer:
                timer.cancel()
        if code != 0:
            errors.seek(0)
            tail = stderr_tail(errors.read().decode("utf-8", "replace"))
            reason = f"timed out after {timeout:.0f} s" if expired.is_set() else f"status {code}"
            raise RenderError(
                f"{what}: ffmpeg failed ({reason})",
                command=argv,
                stderr_tail=tail,
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
) -> ComposeResult:
    """Render ``timeline`` to ``out_path`` (an MP4) in one ffmpeg run.

    ``preview`` renders a small, low-bitrate version (short side 360 px, crf 35, ultrafast).
    ``work_dir`` keeps the filter script (a temporary folder otherwise). ``encoding`` overrides
    the x264 preset / crf / audio bitrate (the crf defaults to ``timeline.crf``).
    """
    started = time.perf_counter()
    out_path = Path(out_path)
    if progress:
        progress(0.0, "probing media")
    media = gather_media(timeline, store)
    fonts, font_warnings = find_fonts()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_beside(out_path)
    with contextlib.ExitStack() as stack:
        if work_dir is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="compose-")))
        else:
            folder = Path(work_dir)
            folder.mkdir(parents=True, exist_ok=True)
        script = folder / f"graph-{timeline.index}{'-preview' if preview else ''}.txt"
        try:
            plan: RenderPlan = build_plan(
                timeline,
                media,
                output=str(temp),
                script_path=str(script),
                fonts=fonts,
                preview=preview,
                encoding=encoding,
            )
        except PlanError as exc:
            raise RenderError(f"timeline {timeline.index}: {exc}") from exc
        script.write_text(plan.filter_script, encoding="utf-8")
        argv = [
            ffmpeg_path(),
            *("-hide_banner", "-nostdin", "-y", "-loglevel", "error"),
            *("-progress", "pipe:1", "-stats_period", "0.25", "-nostats"),
            *plan.args,
        ]
        what = f"render {'preview ' if preview else ''}{timeline.index}"
        try:
            run_with_progress(
                argv,
                duration=plan.duration,
                progress=progress,
                what=what,
                timeout=120 + 30 * plan.duration,
            )
            written = probe(temp)
            if written.kind != "video" or not written.has_audio:
                raise RenderError(f"{what}: the output lacks a video or an audio stream")
            os.replace(temp, out_path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
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
