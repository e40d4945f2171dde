"""The command-line tools and voices the engine uses, as the settings resolved them.

Built once, when the local engine is built (`Settings.tools()`), and handed down to every render:
the engine never reads the process environment, so a missing or misnamed tool fails at start-up
naming its variable, not in the middle of a render.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Tools:
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"
    espeak: str | None = None  # espeak-ng; None: not installed (narration falls back or fails)
    tesseract: str | None = None  # None: no OCR of burned-in subtitles
    tts: str | None = None  # auto (None), piper or espeak-ng
    piper_model: str | None = None  # a Piper .onnx voice; None: the installed voice package

    @classmethod
    def on_path(cls) -> Tools:
        """What PATH offers (tests, benchmarks, the engine used on its own)."""
        return cls(
            ffmpeg=shutil.which("ffmpeg") or "ffmpeg",
            ffprobe=shutil.which("ffprobe") or "ffprobe",
            espeak=shutil.which("espeak-ng"),
            tesseract=shutil.which("tesseract"),
        )
