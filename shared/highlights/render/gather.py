"""What composing needs to know about each medium a timeline names, probed once each.

Store keys are files through the folder's ``path_for`` (which refuses keys that leave it);
narration WAVs are paths in the job's work folder, read from their header without a process.
"""

from __future__ import annotations

import dataclasses
import wave
from collections.abc import Iterator
from pathlib import Path

from highlights.ports import MediaFolder
from highlights.render.cores import ToolPool
from highlights.render.errors import RenderError, ToolError
from highlights.render.probe import MediaInfo, MediaRefused, probe
from highlights.render.timeline import Timeline


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
    timeline: Timeline, folder: MediaFolder, work_dir: Path | None = None
) -> dict[str, MediaInfo]:
    """Probe every medium the timeline names, once each and several at a time (each probe is
    a process that mostly waits). Narration audio is a path relative to ``work_dir`` (the
    planner's work folder; an absolute path is taken as it is). ``RenderError`` names the store
    key or narration of a medium that is missing, ``ToolError`` one that cannot be read,
    ``MediaRefused`` one that is not plain media."""
    wanted: dict[str, tuple[Path, bool]] = {}
    for key, what, shown in _store_keys(timeline):
        if key in wanted:
            continue
        path = folder.path_for(key)
        if not path.is_file():
            raise RenderError(f"{what} {key!r} is not in the store")
        wanted[key] = (path, shown)
    audio: dict[str, Path] = {}
    for seg in timeline.segments:
        if seg.narration is None or seg.narration.audio in wanted or seg.narration.audio in audio:
            continue
        spoken = _narration_path(seg.narration.audio, work_dir)
        if spoken is None or not spoken.is_file():
            raise RenderError(
                f"segment {seg.index}: narration audio {seg.narration.audio!r} not found"
            )
        audio[seg.narration.audio] = spoken
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
    """``probe`` (a WAV from its header), its errors naming the medium by ``name`` (a store
    key), not its path."""
    try:
        wav = _wav_info(path) if path.suffix.lower() == ".wav" else None
        return wav or probe(path)
    except MediaRefused as exc:
        raise MediaRefused(name, exc.demuxer) from None
    except ToolError as exc:
        raise ToolError(f"{name}: {exc.message}", stderr_tail=exc.stderr_tail) from None
    except RenderError as exc:
        raise RenderError(f"{name}: {exc.message}") from None
