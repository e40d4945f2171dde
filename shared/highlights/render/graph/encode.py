"""What the picture is encoded as: its size, x264's settings, and the bound on what it may write."""

from __future__ import annotations

import math
from dataclasses import dataclass

from highlights.render.graph.timing import even

PREVIEW_SHORT_SIDE = 360
# Size bounds (ffmpeg's -fs) on what a render writes, so that a runaway pass cannot fill the
# disk: never reached by a render that does what its timeline says (see ``picture_bytes``).
SIZE_SLACK = 8 << 20  # bytes: headers, index, the last packets written after the limit


@dataclass(frozen=True)
class Encoding:
    """x264 settings. The default is ``superfast`` with macroblock-tree rate control and a short
    lookahead put back (they are what ``veryfast`` mostly gains from): measured on the benchmark's
    frames, 37% less CPU than ``veryfast`` for a 12% larger file at the same SSIM (0.9949)."""

    preset: str = "superfast"
    crf: int = 23
    audio_bitrate: str = "128k"
    x264_params: str | None = "mbtree=1:rc-lookahead=10"
    threads: int | None = None  # x264's threads; None: its own choice (about 1.5 per core)

    @classmethod
    def preview(cls, threads: int | None = None) -> Encoding:
        """Small and quick: what a preview-only output is encoded with."""
        return cls(
            preset="ultrafast", crf=35, audio_bitrate="64k", x264_params=None, threads=threads
        )

    def x264_args(self, threads: int | None) -> list[str]:
        """The encoder's arguments; ``threads`` when it must keep to a number of threads."""
        return [
            "-c:v", "libx264", "-preset", self.preset, "-crf", str(self.crf), "-pix_fmt", "yuv420p",
            *(["-x264-params", self.x264_params] if self.x264_params else []),
            *(["-threads", str(threads)] if threads else []),
        ]  # fmt: skip


def canvas_size(width: int, height: int, *, preview: bool) -> tuple[int, int]:
    """The encoded size: even dimensions; previews scaled so the short side is 360 px."""
    if preview and min(width, height) > PREVIEW_SHORT_SIDE:
        k = PREVIEW_SHORT_SIDE / min(width, height)
        return even(width * k), even(height * k)
    return even(width), even(height)


def picture_bytes(width: int, height: int, fps: float, seconds: float) -> int:
    """The size bound of an H.264 picture file: 1.5 times its raw yuv420p frames (12 bits a
    pixel), which no x264 setting comes near, not even lossless on noise."""
    return math.ceil(1.5 * width * height * 1.5 * fps * max(seconds, 0.0)) + SIZE_SLACK
