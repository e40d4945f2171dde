"""ffmpeg and ffprobe: which binaries (the scope's ``Tools``), their version, their media inputs.

Runs go through ``process.run_tool`` (bounded, owned, cancellable). Media inputs: ``input_args``
opens a file with the ``file`` protocol only, read by one plain demuxer (``PLAIN_DEMUXERS``):
never a playlist or list (hls, dash, concat, image2 patterns ...) that would make ffmpeg read
other files, local or remote.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Sequence

from highlights.render.errors import ToolError
from highlights.render.process import Arg, current_tools, run_tool
from highlights.render.tools import executable

# Demuxers that read one self-contained file (by their first name, as ``-f`` takes it): the
# containers and raw streams films and music come in, and single pictures. Left out on purpose:
# anything that opens other files or URLs from what it reads (hls, dash, concat, ffconcat,
# image2 with its numbered or glob patterns, playlists) and everything the engine has no use
# for. ``image2pipe`` reads one picture (or pictures back to back) from the one file.
PLAIN_DEMUXERS = frozenset(
    {
        # video and audio containers
        "mov", "matroska", "avi", "flv", "mpegts", "mpeg", "asf", "ogg", "nut",
        # audio files and raw streams
        "mp3", "wav", "w64", "aac", "flac", "aiff", "caf", "ac3", "eac3", "wv",
        "m4v", "h264", "hevc", "mpegvideo",
        # single pictures and animations
        "gif", "apng", "image2pipe", "png_pipe", "jpeg_pipe", "jpegls_pipe", "webp_pipe",
        "bmp_pipe", "tiff_pipe",
    }
)  # fmt: skip


def ffmpeg_path() -> str:
    return executable(current_tools().ffmpeg, "ffmpeg")


def ffprobe_path() -> str:
    return executable(current_tools().ffprobe, "ffprobe")


@functools.lru_cache(maxsize=4)
def _major_version(ffmpeg: str) -> int | None:
    try:
        done = run_tool([ffmpeg, "-hide_banner", "-version"], what="ffmpeg -version", timeout=30)
    except ToolError:
        return None
    found = re.search(r"version n?(\d+)\.", done.stdout)
    return int(found.group(1)) if found else None


def ffmpeg_major_version() -> int | None:
    """The major version of the ffmpeg in use; None when it can't be read (a git build)."""
    return _major_version(ffmpeg_path())


def filter_script_option() -> str:
    """How this ffmpeg reads a filter graph from a file: ``-filter_complex_script`` up to 6.x
    (Debian 12 ships 5.1), ``-/filter_complex`` from 7.0 on (8.0 removed the old option). A
    version that can't be read (a git build, "N-...") is taken to be new."""
    major = ffmpeg_major_version()
    return "-filter_complex_script" if major is not None and major < 7 else "-/filter_complex"


def run_ffmpeg(
    args: Sequence[Arg], *, what: str = "ffmpeg", timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """ffmpeg with the flags every engine call wants: no banner, no stats, no stdin, overwrite."""
    argv: list[Arg] = [ffmpeg_path(), "-hide_banner", "-nostdin", "-nostats", "-y", *args]
    return run_tool(argv, what=what, timeout=timeout)


def run_ffprobe(
    args: Sequence[Arg], *, what: str = "ffprobe", timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    argv: list[Arg] = [ffprobe_path(), "-hide_banner", *args]
    return run_tool(argv, what=what, timeout=timeout)


# -- media inputs ------------------------------------------------------------------------------


def demuxer_of(format_name: str) -> str | None:
    """The plain demuxer a probed ``format_name`` ("mov,mp4,m4a,...") names, or None."""
    first = format_name.split(",", 1)[0].strip()
    return first if first in PLAIN_DEMUXERS else None


def input_args(path: Arg, format_name: str = "", *options: str) -> list[str]:
    """The arguments that open ``path`` as an ffmpeg (or ffprobe) input, ``options`` (such as
    ``-ss``) included: the ``file`` protocol only, and the demuxer ``probe`` found
    (``MediaInfo.format_name``), forced and the only one allowed; before probing (no
    ``format_name``), any of ``PLAIN_DEMUXERS``. A file changed into a playlist after it was
    probed then fails to open instead of being followed."""
    demuxer = demuxer_of(format_name)
    allowed = demuxer or ",".join(sorted(PLAIN_DEMUXERS))
    forced = ["-f", demuxer] if demuxer else []
    return ["-protocol_whitelist", "file", "-format_whitelist", allowed, *forced, *options,
            "-i", os.fspath(path)]  # fmt: skip


_REFUSED = re.compile(r"\[([\w-]+) @ [^\]]*\] Format not on whitelist")


def refused_demuxer(stderr: str) -> str | None:
    """The demuxer ffmpeg/ffprobe refused to use (``Format not on whitelist``), if any."""
    found = _REFUSED.search(stderr)
    if found:
        return found.group(1)
    return "unknown" if "not on whitelist" in stderr else None


def escape_filter_value(value: str) -> str:
    """Quote ``value`` (a path or text) for use as an option value inside a filtergraph string.

    A filtergraph is parsed twice: once into filters (where ``[ ] , ;`` are special) and once
    into ``key=value`` options (where ``:`` is). Escaping for both levels lets any file name,
    including ones with colons, quotes or commas, pass through unchanged.
    """
    option_level = "".join("\\" + c if c in "\\':" else c for c in value)
    return "".join("\\" + c if c in "\\'[],;" else c for c in option_level)
