"""The command-line tools and voices the engine uses, as the settings resolved them.

Built once, when the local engine is built (`Settings.tools()`), and handed down to every render
through the tool scope (``process.tool_scope(tools=...)``): the engine never reads the process
environment, so a missing or misnamed tool fails at start-up naming its variable, not in the
middle of a render. Outside any scope (tests, benchmarks, the demo's media) ``Tools.on_path()``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from highlights.render.errors import ToolError


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


def executable(value: str | None, name: str) -> str:
    """The file to run for a tool set to ``value`` (a path, or a name looked up on PATH);
    ``ToolError`` naming the tool when there is none. A path that points nowhere is an error,
    never a reason to fall back to some other binary on PATH."""
    if value is None or not value.strip():
        raise ToolError(f"{name} is not installed (apt-get install it) or not configured")
    found = shutil.which(value.strip())
    if found is not None:
        return found
    if "/" in value:
        raise ToolError(f"{name}: {value!r} is not an executable file")
    raise ToolError(f"{value} not found on PATH; install it, e.g. apt-get install")
