"""Fitting a picture to the canvas: crop to cover, scale to fit, and the bars beside a fitted one.

``crop`` crops the centre to the canvas's shape and scales; ``blur`` and ``image`` scale the
picture to fit and stack it (``vstack``/``hstack``) between two bars: cut from a blurred copy of
itself (blurred at a quarter of the size, which looks the same and costs a sixteenth; only the
bars that show are scaled up), or from a still scaled to cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from highlights.render.graph.timing import even
from highlights.render.probe import MediaInfo

Rect = tuple[int, int, int, int]  # x, y, width, height


@dataclass(frozen=True)
class Fit:
    """Where a source fitted inside the canvas goes, and the two bars around it."""

    size: tuple[int, int]  # the scaled picture
    axis: Literal["full", "v", "h"]  # bars above and below (v), left and right (h), none
    bars: tuple[Rect, Rect] | None  # canvas rectangles of the bars (first, second)


def fit_geometry(source: tuple[int, int], canvas: tuple[int, int]) -> Fit:
    """Fit ``source`` (display width, height) inside ``canvas``, centred; within 1% of the
    canvas's shape it fills the canvas (a negligible crop, no bars)."""
    sw, sh = source
    w, h = canvas
    aspect, target = sw / sh, w / h
    if abs(aspect - target) < 0.01 * target:
        return Fit((w, h), "full", None)
    if aspect > target:  # wider: full width, bars above and below
        fh = min(h - 2, even(w / aspect))
        top = (h - fh) // 4 * 2
        return Fit((w, fh), "v", ((0, 0, w, top), (0, top + fh, w, h - fh - top)))
    fw = min(w - 2, even(h * aspect))
    left = (w - fw) // 4 * 2
    return Fit((fw, h), "h", ((0, 0, left, h), (left + fw, 0, w - fw - left, h)))


def fit_scale(w: int, h: int) -> str:
    """Scale to fit inside w x h, evaluated by ffmpeg on the frames it really gets (``dar``
    honours the sample aspect ratio): the fallback when the source's size is unknown."""
    ratio = f"{w}/{h}"
    sw = f"if(gte(dar,{ratio}),{w},max(2,2*floor({h}*dar/2)))"
    sh = f"if(gte(dar,{ratio}),max(2,2*floor({w}/dar/2)),{h})"
    return f"scale=w='{sw}':h='{sh}',setsar=1"


def fit_to(src: MediaInfo, w: int, h: int) -> str:
    """Scale the picture to w x h: bilinear when shrinking (swscale widens the bilinear kernel
    with the ratio, so nothing aliases, at 60% of bicubic's cost: 0.5 vs 0.9 CPU-s for 750
    frames of 720p), ffmpeg's bicubic when enlarging, where it is visibly sharper."""
    shrinking = (src.width or 0) > w and (src.height or 0) > h
    return f"scale={w}:{h}{':flags=bilinear' if shrinking else ''}"


def cover(w: int, h: int, flags: str = "") -> str:
    """Cover w x h: crop the centre of the source to the canvas's shape, then scale.

    Cropping first scales only the pixels that are kept; the crop is evaluated on the real
    frames (``sar`` for anamorphic sources), so it is right whatever the source's size."""
    crop = f"crop=w='min(iw,ih*{w}/{h}/sar)':h='min(ih,iw*sar*{h}/{w})'"
    return f"{crop},scale={w}:{h}{':flags=' + flags if flags else ''},setsar=1"


def blur_canvas(w: int, h: int, radius: float) -> tuple[int, int, int]:
    """Where the background blur happens: a reduced canvas and a boxblur radius on it.

    The blur is done at a quarter of the size (half for small outputs) and scaled back up: a
    blurred picture has no detail to lose, and it costs a sixteenth. ``radius`` (ICE's Radius,
    0-1) maps to a box radius of up to 16% of the reduced short side (0.5 -> 8%); 0 is no blur,
    at full size.
    """
    if radius <= 0:
        return w, h, 0
    factor = 4 if min(w, h) >= 480 else 2
    sw, sh = even(w / factor), even(h / factor)
    limit = max(1, min(sw, sh) // 4 - 1)  # boxblur's bound on the chroma planes
    box = max(1, min(limit, round(min(radius, 1.0) * min(sw, sh) * 0.16)))
    return sw, sh, box


def bar_source(bar: Rect, canvas: tuple[int, int], small: tuple[int, int]) -> Rect:
    """The part of a reduced (small) background that scales up onto ``bar``."""
    x, y, bw, bh = bar
    w, h = canvas
    sw, sh = small
    kx, ky = sw / w, sh / h
    cw, ch = max(1, min(sw, round(bw * kx))), max(1, min(sh, round(bh * ky)))
    cx = min(max(0, round(x * kx)), sw - cw)
    cy = min(max(0, round(y * ky)), sh - ch)
    return cx, cy, cw, ch
