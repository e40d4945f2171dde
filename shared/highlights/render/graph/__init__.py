"""One timeline into ffmpeg commands: a picture pass, a sound pass and a join (pure).

Nothing here touches a file or runs a tool: ``build_passes`` takes the timeline, what ``probe``
found out about each medium and the fonts, and returns the argv and filter script of each pass,
so every rule is unit tested without ffmpeg. ``compose`` runs the passes: the picture (filter
graphs in chunks, H.264) and the sound (one filter graph, AAC) run as ffmpeg processes at once,
then a stream copy joins them. Why apart: ffmpeg 5.1 runs a whole filter graph on one thread,
and with the mix and ``loudnorm`` in the picture's graph that thread, not x264, set the pace.

By concern:

- ``timing``: the segments on the frame grid (``frame_segments``), chunks at cuts;
- ``picture``: each segment's inputs (decoded once for a run of segments), its fit to the canvas
  (``fit``: crop, or bars of blur or of an image), grade and effect, and the join;
- ``stickers`` and ``texts``: what goes on top of the joined picture;
- ``sound``: the mix, measured, and the gain to its level;
- ``encode``: sizes, x264's settings and the size bounds;
- ``builder``: one pass's inputs and statements, its labels handed out by ``Labels``;
- ``passes``: all of it for one timeline (``build_passes`` -> ``RenderPasses``), and the
  pass that delivers the sound at its level (``sound_pass``).
"""

from highlights.render.graph.builder import FfmpegPass, FilterGraph, Labels
from highlights.render.graph.encode import Encoding, canvas_size, picture_bytes
from highlights.render.graph.fit import Fit, blur_canvas, fit_geometry
from highlights.render.graph.passes import RenderPasses, build_passes, concat_quote, sound_pass
from highlights.render.graph.sound import LIMIT, SAMPLE_RATE, integrated_loudness, loudness_gain
from highlights.render.graph.texts import Fonts, FontSpec, PlacedText, caption_windows, text_band
from highlights.render.graph.timing import (
    FramedSegment,
    TimelineError,
    chunk_spans,
    frame_rate,
    frame_segments,
    rate_text,
)

__all__ = [
    "LIMIT",
    "SAMPLE_RATE",
    "Encoding",
    "FfmpegPass",
    "FilterGraph",
    "Fit",
    "FontSpec",
    "Fonts",
    "FramedSegment",
    "Labels",
    "PlacedText",
    "RenderPasses",
    "TimelineError",
    "blur_canvas",
    "build_passes",
    "canvas_size",
    "caption_windows",
    "chunk_spans",
    "concat_quote",
    "fit_geometry",
    "frame_rate",
    "frame_segments",
    "integrated_loudness",
    "loudness_gain",
    "picture_bytes",
    "rate_text",
    "sound_pass",
    "text_band",
]
