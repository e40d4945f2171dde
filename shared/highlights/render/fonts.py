"""Fonts, found through fontconfig. Noto Sans CJK SC (Debian's fonts-noto-cjk) draws Chinese and
Latin in one face, so titles, captions and sheets need no font fallback. It is found through
fontconfig so the Simplified Chinese face of the collection is used, titles in Bold."""

from __future__ import annotations

import functools
from pathlib import Path

from highlights.render.errors import ToolError
from highlights.render.ffmpeg import ffmpeg_path
from highlights.render.graph import Fonts, FontSpec
from highlights.render.process import run_tool

CJK_FAMILY = "Noto Sans CJK SC"


@functools.lru_cache(maxsize=8)
def font_file(pattern: str = CJK_FAMILY) -> str | None:
    """The file fontconfig picks for pattern (e.g. `Noto Sans CJK SC:style=Bold`), or None."""
    try:
        done = run_tool(["fc-match", "-f", "%{file}", pattern], what="fc-match", timeout=20)
    except ToolError:
        return None
    found = done.stdout.strip()
    return found if found and Path(found).is_file() else None


@functools.lru_cache(maxsize=4)
def _drawtext_has_fontconfig(ffmpeg: str) -> bool:
    try:
        done = run_tool(
            [ffmpeg, "-hide_banner", "-h", "filter=drawtext"], what="drawtext", timeout=30
        )
    except ToolError:
        return False
    return any(line.split()[:1] == ["font"] for line in done.stdout.splitlines())


def find_fonts() -> tuple[Fonts, tuple[str, ...]]:
    """The fonts the scope's ffmpeg draws with, and warnings when no CJK font is installed."""
    return _fonts_for(ffmpeg_path())


@functools.lru_cache(maxsize=4)
def _fonts_for(ffmpeg: str) -> tuple[Fonts, tuple[str, ...]]:
    regular = font_file(CJK_FAMILY)
    if regular is None or "CJK" not in Path(regular).name:
        return Fonts(), (
            "no Noto Sans CJK font (apt-get install fonts-noto-cjk): Chinese text may not render",
        )
    bold = font_file(f"{CJK_FAMILY}:style=Bold") or regular
    if _drawtext_has_fontconfig(ffmpeg):
        return (
            Fonts(
                regular=FontSpec(family=CJK_FAMILY, file=regular),
                bold=FontSpec(family=CJK_FAMILY, style="Bold", file=bold),
            ),
            (),
        )
    return Fonts(regular=FontSpec(file=regular), bold=FontSpec(file=bold)), ()
