"""Font files, found through fontconfig. Noto Sans CJK SC (Debian's fonts-noto-cjk) draws Chinese
and Latin in one face, so titles, captions and sheets need no font fallback."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

CJK_FAMILY = "Noto Sans CJK SC"


@functools.lru_cache(maxsize=8)
def font_file(pattern: str = CJK_FAMILY) -> str | None:
    """The file fontconfig picks for pattern (e.g. `Noto Sans CJK SC:style=Bold`), or None."""
    try:
        done = subprocess.run(
            ["fc-match", "-f", "%{file}", pattern],
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = done.stdout.strip()
    return found if found and Path(found).is_file() else None
