"""Font files, found through fontconfig. Noto Sans CJK SC (Debian's fonts-noto-cjk) draws Chinese
and Latin in one face, so titles, captions and sheets need no font fallback."""

from __future__ import annotations

import functools
from pathlib import Path

from highlights.render.ffmpeg import RenderError, run_tool

CJK_FAMILY = "Noto Sans CJK SC"


@functools.lru_cache(maxsize=8)
def font_file(pattern: str = CJK_FAMILY) -> str | None:
    """The file fontconfig picks for pattern (e.g. `Noto Sans CJK SC:style=Bold`), or None."""
    try:
        done = run_tool(["fc-match", "-f", "%{file}", pattern], what="fc-match", timeout=20)
    except RenderError:
        return None
    found = done.stdout.strip()
    return found if found and Path(found).is_file() else None
