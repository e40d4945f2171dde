"""Stickers over the joined picture (``overlay``, a still repeated, a moving one looped)."""

from __future__ import annotations

from highlights.render.graph.builder import FilterGraph
from highlights.render.graph.timing import frame_rate, rate_text
from highlights.render.probe import MediaInfo
from highlights.render.timeline import StickerOverlay, Timeline


def sticker_layer(
    graph: FilterGraph,
    sticker: StickerOverlay,
    info: MediaInfo,
    current: str,
    scale: float,
    timeline: Timeline,
) -> tuple[str, tuple[int, int, int, int]] | None:
    """Overlay ``sticker`` on ``current``: the label of the result and the sticker's box (x, y,
    width, height on the canvas; estimated when ffmpeg keeps the aspect). None when it is fully
    transparent."""
    opacity = max(0.0, min(sticker.opacity, 1.0))
    if opacity <= 0:
        return None

    def length(value: float, total_full: int) -> int:
        # Fractions are of the output; pixels are for the full-size output (scaled for previews).
        return round(value * total_full * scale) if value < 1 else round(value * scale)

    x = length(sticker.x, timeline.width)
    y = length(sticker.y, timeline.height)
    sw = length(sticker.width, timeline.width) if sticker.width > 0 else -1
    sh = length(sticker.height, timeline.height) if sticker.height > 0 else -1
    sw, sh = (max(sw, 1) if sw != -1 else -1), (max(sh, 1) if sh != -1 else -1)
    if sw == -1 and sh == -1:
        size = f"iw*{scale:g}:ih*{scale:g}"
        est_w = round((info.width or 0) * scale)
        est_h = round((info.height or 0) * scale)
    else:
        size = f"{sw}:{sh}"
        aspect = (info.width / info.height) if info.width and info.height else 1.0
        est_w = sw if sw != -1 else round(sh * aspect)
        est_h = sh if sh != -1 else round(sw / aspect)
    if info.kind == "video":
        k = graph.add_input(info, "-stream_loop", "-1")
        head = f"[{k}:v]fps={rate_text(frame_rate(timeline.fps))},"
    else:
        k = graph.add_input(info)
        head = f"[{k}:v]"
    alpha = f",colorchannelmixer=aa={opacity:.3f}" if opacity < 1 else ""
    image, out = graph.label("st"), graph.label("vs")
    graph.add(f"{head}scale={size},format=rgba{alpha}[{image}]")
    graph.add(f"[{current}][{image}]overlay=x={x}:y={y}:eof_action=repeat:format=yuv420[{out}]")
    return out, (x, y, est_w, est_h)
