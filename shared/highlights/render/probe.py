"""What a media file is: video, still image or audio, with its size, rate and streams (ffprobe).

Probing is also where media is vetted: ffprobe opens the file through ``ffmpeg.input_args``
(local file, plain demuxers only). A file that a refused demuxer claims (an HLS or DASH
playlist, a concat list, ...) raises ``MediaRefused`` before that demuxer reads anything. A
still that ffmpeg would open with ``image2`` (JPEG, for one), whose name could be read as a
numbered pattern of other files, is probed again as ``image2pipe``: the one file, as a picture.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from highlights.render.errors import RenderError, ToolError
from highlights.render.ffmpeg import input_args, refused_demuxer, run_ffprobe

MediaKind = Literal["video", "image", "audio"]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"})
# Codecs that ffmpeg's image demuxers use for stills; a one-frame stream of these is a picture.
IMAGE_CODECS = frozenset({"png", "mjpeg", "jpegls", "webp", "bmp", "tiff", "gif", "jpeg2000"})
BITMAP_SUBTITLE_CODECS = frozenset(
    {"hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle", "xsub", "dvb_teletext"}
)
REFUSED = "InvalidMedia.Refused"
ACCEPTED = "MP4/MOV, MKV/WebM, AVI, MPEG-TS, FLV, MP3, WAV, AAC, FLAC, Ogg and single images"


class MediaRefused(RenderError):
    """A file that is not plain media: ffmpeg would read it with ``demuxer``, which the engine
    does not use (it may read other files). ``code`` is the ICE-style error code."""

    code = REFUSED

    def __init__(self, name: str, demuxer: str) -> None:
        super().__init__(
            f"{name} is not a plain media file: its content is {demuxer!r}, a format the engine "
            f"does not read (it may refer to other files); {ACCEPTED} are"
        )
        self.demuxer = demuxer


@dataclass(frozen=True)
class SubtitleStream:
    index: int  # the stream's absolute index in the file (ffmpeg's 0:<index>)
    codec: str
    language: str | None = None
    title: str | None = None

    @property
    def is_text(self) -> bool:
        """Bitmap subtitles (DVD, Blu-ray) cannot become text without OCR."""
        return self.codec not in BITMAP_SUBTITLE_CODECS


@dataclass(frozen=True)
class MediaInfo:
    path: str
    kind: MediaKind
    duration: float | None  # seconds; None for still images
    width: int | None
    height: int | None
    fps: float | None
    has_audio: bool
    subtitle_streams: tuple[SubtitleStream, ...] = ()
    video_codec: str | None = None
    format_name: str = ""
    sample_aspect: float | None = None  # a non-square pixel's width / height (DVD rips)
    rotation: int = 0  # degrees of the display rotation a phone video carries


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _rate(value: Any) -> float | None:
    """ffprobe rates are fractions such as "30000/1001"; "0/0" means unknown."""
    if not isinstance(value, str) or "/" not in value:
        return _number(value)
    num, _, den = value.partition("/")
    try:
        n, d = float(num), float(den)
    except ValueError:
        return None
    return n / d if n > 0 and d > 0 else None


def _sample_aspect(value: Any) -> float | None:
    num, _, den = str(value or "").partition(":")
    try:
        ratio = float(num) / float(den)
    except (ValueError, ZeroDivisionError):
        return None
    return ratio if ratio > 0 else None


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        try:
            return round(float(side.get("rotation", 0)))
        except (TypeError, ValueError):
            continue
    try:  # older files and ffprobe versions keep it as a tag
        return round(float((stream.get("tags") or {}).get("rotate", 0)))
    except (TypeError, ValueError):
        return 0


def _is_cover_art(stream: dict[str, Any]) -> bool:
    # An MP3/M4A with an embedded cover has a "video" stream that is really a picture.
    return bool(stream.get("disposition", {}).get("attached_pic"))


def _is_still(path: Path, fmt: dict[str, Any], video: dict[str, Any]) -> bool:
    format_name = str(fmt.get("format_name", ""))
    codec = str(video.get("codec_name", ""))
    frames = video.get("nb_frames")
    single_frame = frames in (None, "N/A", "1", 1)
    if format_name.endswith("pipe") or format_name == "image2":
        # Image demuxers: a GIF/APNG/WebP with several frames is an animation, i.e. a video.
        return single_frame and (codec in IMAGE_CODECS or path.suffix.lower() in IMAGE_SUFFIXES)
    return False


def media_info_from_ffprobe(path: str | os.PathLike[str], data: dict[str, Any]) -> MediaInfo:
    """Build a ``MediaInfo`` from ffprobe's JSON (kept separate so it is testable without files)."""
    path = Path(path)
    fmt: dict[str, Any] = data.get("format", {}) or {}
    streams: list[dict[str, Any]] = data.get("streams", []) or []
    videos = [s for s in streams if s.get("codec_type") == "video" and not _is_cover_art(s)]
    has_audio = any(s.get("codec_type") == "audio" for s in streams)
    subtitles = tuple(
        SubtitleStream(
            index=int(s.get("index", 0)),
            codec=str(s.get("codec_name", "unknown")),
            language=(s.get("tags") or {}).get("language"),
            title=(s.get("tags") or {}).get("title"),
        )
        for s in streams
        if s.get("codec_type") == "subtitle"
    )
    duration = _number(fmt.get("duration"))
    if videos:
        video = videos[0]
        still = _is_still(path, fmt, video)
        if duration is None and not still:
            duration = _number(video.get("duration"))
        return MediaInfo(
            path=str(path),
            kind="image" if still else "video",
            duration=None if still else duration,
            width=int(video["width"]) if video.get("width") else None,
            height=int(video["height"]) if video.get("height") else None,
            fps=None
            if still
            else (_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))),
            has_audio=has_audio,
            subtitle_streams=subtitles,
            video_codec=video.get("codec_name"),
            format_name=str(fmt.get("format_name", "")),
            sample_aspect=_sample_aspect(video.get("sample_aspect_ratio")),
            rotation=_rotation(video),
        )
    if has_audio:
        if duration is None:
            durations = [_number(s.get("duration")) for s in streams]
            duration = max((d for d in durations if d), default=None)
        return MediaInfo(
            path=str(path),
            kind="audio",
            duration=duration,
            width=None,
            height=None,
            fps=None,
            has_audio=True,
            subtitle_streams=subtitles,
            format_name=str(fmt.get("format_name", "")),
        )
    raise RenderError(f"{path.name}: no video or audio stream")


def probe(path: str | os.PathLike[str], *, timeout: float = 60.0) -> MediaInfo:
    """Describe the media file at ``path``; ``MediaRefused`` if it is not plain media (see the
    module docstring), ``ToolError`` if ffprobe cannot read it, ``RenderError`` if it holds
    neither a picture nor sound."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such media file: {path.name}")
    try:
        data = _ffprobe(path, "", timeout)
    except MediaRefused as exc:
        if exc.demuxer != "image2":
            raise
        data = _ffprobe(path, "image2pipe", timeout)
    return media_info_from_ffprobe(path, data)


def _ffprobe(path: Path, format_name: str, timeout: float) -> dict[str, Any]:
    base = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
    try:
        done = run_ffprobe(
            [*base, *input_args(path, format_name)], what=f"probe {path.name}", timeout=timeout
        )
    except ToolError as exc:
        refused = refused_demuxer(exc.stderr_tail)
        if refused is not None:
            raise MediaRefused(path.name, refused) from None
        raise
    try:
        data = json.loads(done.stdout or "{}")
    except json.JSONDecodeError as exc:
        raise ToolError(f"probe {path.name}: ffprobe printed invalid JSON") from exc
    return data if isinstance(data, dict) else {}
