"""One timeline into ffmpeg commands: a picture pass, a sound pass and a mux (pure).

Nothing here touches a file or runs a tool: ``build_plan`` takes the timeline, what ``probe``
found out about each medium and the fonts, and returns the argv and filter script of each pass,
so every rule below is unit tested without ffmpeg. ``compose`` runs the plan: the picture (one
filter graph, H.264) and the sound (one filter graph, AAC) run as two ffmpeg processes at once,
then a stream copy joins them. Why two: ffmpeg 5.1 runs a whole filter graph on one thread, and
with the mix and ``loudnorm`` in the picture's graph that thread, not x264, set the pace.

Frames, not seconds
    Every time is snapped to the output frame grid first: segment i starts at frame
    ``start * fps`` (halves rounded up) and the output has ``duration * fps`` frames. A cut
    trims the previous segment to where the next starts (gaps and overlaps are absorbed); a
    transition overlaps the two by ``end(prev) - start(next)`` frames. So durations add up
    exactly and the output lasts the timeline's duration to the frame.

Picture, per segment (one input each, seeked with ``-ss``/``-t``; consecutive segments that
    read a film forward with gaps under ``SHARE_GAP`` share one input, split and trimmed by
    time, so the film is decoded once instead of from a keyframe before each segment)
    ``fps`` -> hold the last frame if the source runs out (``tpad``) -> ``trim`` to its frame
    count -> fit to the canvas: ``crop`` crops the centre to the canvas's shape and scales;
    ``blur`` scales the picture to fit and stacks it (``vstack``/``hstack``) between two bars
    cut from a blurred copy of itself (blurred at a quarter of the size, which looks the same
    and costs a sixteenth; only the bars that show are scaled up); ``image`` stacks it between
    bars cut from a still scaled to cover -> colour grade -> effect. A still segment is composed
    once and repeated with ``loop``. Segments are joined left to right: runs of cuts with
    ``concat``, transitions with ``xfade`` at the exact frame offset.

On top of the joined picture
    Stickers (``overlay``, the still repeated), then title, sub-headings and captions: each
    block is drawn once (``drawtext``, one line at a time, baselines on exact pixels) on a
    transparent band that is overlaid, captions only while their narration plays.

Sound
    A silent bed as long as the output (``anullsrc``) mixed with each segment's own sound
    (``source_volume`` > 0 and the source has audio; its own input so video and audio are read
    in step), each narration delayed to its segment's start, and the music looped
    (``-stream_loop -1``), trimmed and faded out; ``amix`` without normalisation. Loudness is
    normalised in two steps, as file-based delivery does it: the mixing pass writes the mix (a
    float WAV) and measures its integrated loudness (``ebur128``) on the way; then one gain
    brings it to -16 LUFS and a limiter at -1.5 dBFS keeps it from clipping, encoded to AAC.
    (A one-pass ``loudnorm`` did the same with a 192 kHz detector: 0.9 CPU-s per 30 s.)
    Without any sound the silent bed alone becomes the AAC track.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from highlights.render.ffmpeg import escape_filter_value, input_args
from highlights.render.looks import (
    EffectContext,
    effect_for,
    grade_for,
    xfade_for,
)
from highlights.render.probe import MediaInfo
from highlights.render.text import (
    Role,
    TextBlock,
    default_font_size,
    layout_lines,
    layout_text,
    paginate,
    split_window,
    wrap_text,
)
from highlights.render.timeline import Segment, StickerOverlay, TextOverlay, Timeline

SAMPLE_RATE = 48000
LOUDNESS_I = -16.0  # LUFS, integrated
LOUDNESS_TP = -1.5  # dBFS: the limiter's ceiling
LIMIT = 10 ** (LOUDNESS_TP / 20)  # 0.841: the same, linear
SILENCE_LUFS = -70.0  # ebur128's absolute gate: a mix this quiet is silence, left as it is
MAX_GAIN_DB = 30.0  # a whisper is raised this much at most (noise would follow it up)
MUSIC_FADE_OUT = 2.0
EDGE_FADE = 0.02  # a segment's own sound fades in/out this long at a cut (no clicks)
SEEK_MARGIN = 0.2  # seconds read past a segment's end (tpad holds the last frame if short)
# Decoding a gap of up to this long costs less than seeking anew: a seek decodes from the
# keyframe before the cut, typically 0-10 s of frames with x264's default GOP of 250.
SHARE_GAP = 3.0
MIN_CHUNK_SECONDS = 5.0  # shorter chunks would spend more on starting ffmpeg than they save
CAPTION_MAX_LINES = 2
PREVIEW_SHORT_SIDE = 360
# Size bounds (ffmpeg's -fs) on what a render writes, so that a runaway pass cannot fill the
# disk: never reached by a render that does what its plan says (see ``picture_bytes``).
SIZE_SLACK = 8 << 20  # bytes: headers, index, the last packets written after the limit


class PlanError(ValueError):
    """The timeline cannot be rendered as it stands (segments out of order, no segments ...)."""


@dataclass(frozen=True)
class FontSpec:
    """How drawtext finds a font.

    ``family`` goes through fontconfig, which picks the right face of a collection (the Simplified
    Chinese face of NotoSansCJK-*.ttc, not the Japanese face 0 that a bare path would give);
    ``style`` (e.g. "Bold") is passed as a fontconfig pattern. ``file`` is the fallback when
    ffmpeg was built without fontconfig.
    """

    family: str | None = None
    style: str | None = None
    file: str | None = None

    def options(self) -> list[str]:
        if self.family:
            opts = [f"font={escape_filter_value(self.family)}"]
            if self.style:
                # drawtext hands `fontfile` to fontconfig as a pattern when it is not a file.
                opts.append(f"fontfile={escape_filter_value(':style=' + self.style)}")
            return opts
        if self.file:
            return [f"fontfile={escape_filter_value(self.file)}"]
        return []


@dataclass(frozen=True)
class Fonts:
    regular: FontSpec = field(default_factory=FontSpec)
    bold: FontSpec = field(default_factory=FontSpec)


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


@dataclass(frozen=True)
class SegmentPlan:
    index: int  # the timeline segment's index
    start_frame: int
    frames: int
    overlap: int  # frames shared with the previous segment (an xfade); 0 for a cut
    transition: str | None  # the xfade transition into this segment
    fps: float
    segment: Segment = field(repr=False, compare=False)

    @property
    def start(self) -> float:
        return self.start_frame / self.fps

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    @property
    def end_frame(self) -> int:
        return self.start_frame + self.frames


@dataclass(frozen=True)
class PlacedText:
    role: Literal["title", "sub_heading", "caption"]
    block: TextBlock
    start: float | None = None  # None: the whole video
    end: float | None = None


@dataclass(frozen=True)
class FfmpegPass:
    """One ffmpeg run: inputs, a filter script the caller writes to ``script_path``, outputs."""

    input_args: list[str]
    filter_script: str
    script_path: str
    output_args: list[str]  # maps, encoders and the file written
    inputs: tuple[str, ...]  # the files read, in input order
    seconds: float  # of output it writes
    max_bytes: int = 0  # its output's size bound (``-fs``): reaching it means a runaway

    def args(self, script_option: str = "-filter_complex_script") -> list[str]:
        """Everything after the global flags. ``script_option`` is how this ffmpeg reads a
        filter script from a file (``ffmpeg.filter_script_option``)."""
        return [*self.input_args, script_option, self.script_path, *self.output_args]


@dataclass(frozen=True)
class RenderPlan:
    pictures: tuple[FfmpegPass, ...]  # the picture in consecutive chunks, H.264, no sound
    audio: FfmpegPass  # the whole mix, measured on the way (``loudness_path``), to ``mix_path``
    mix_path: str  # the mix, float WAV, before its gain
    loudness_path: str  # ebur128's readings while mixing (``integrated_loudness`` reads them)
    audio_path: str  # the sound as delivered, AAC (``sound_pass`` writes it)
    audio_bitrate: str
    concat_path: str  # where the caller writes ``concat_list``
    join_args: list[str]  # chunks and sound copied into the output, fast start
    join_max_bytes: int  # the output's size bound
    audio_max_bytes: int  # the delivered sound's (``sound_pass``)
    width: int
    height: int
    rate: str
    frames: int
    duration: float
    segments: tuple[SegmentPlan, ...]
    texts: tuple[PlacedText, ...]
    stickers: tuple[tuple[int, int, int, int], ...]  # x, y, w, h on the canvas
    warnings: tuple[str, ...]

    @property
    def chunk_paths(self) -> list[str]:
        return [picture.output_args[-1] for picture in self.pictures]

    @property
    def concat_list(self) -> str:
        """The chunks, in order, for ffmpeg's concat demuxer."""
        return "".join(f"file {concat_quote(path)}\n" for path in self.chunk_paths)

    @property
    def intermediates(self) -> tuple[str, ...]:
        """Files the passes write besides the output."""
        extra = (self.mix_path, self.loudness_path, self.audio_path, self.concat_path)
        return (*self.chunk_paths, *extra)


# -- small helpers -----------------------------------------------------------------------------


def frame_rate(fps: float) -> Fraction:
    if not (fps > 0 and math.isfinite(fps)):
        raise PlanError(f"invalid fps {fps!r}")
    return Fraction(fps).limit_denominator(1001)


def rate_text(rate: Fraction) -> str:
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def _even(value: float) -> int:
    return max(2, round(value) // 2 * 2)


def _secs(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def canvas_size(width: int, height: int, *, preview: bool) -> tuple[int, int]:
    """The encoded size: even dimensions; previews scaled so the short side is 360 px."""
    if preview and min(width, height) > PREVIEW_SHORT_SIDE:
        k = PREVIEW_SHORT_SIDE / min(width, height)
        return _even(width * k), _even(height * k)
    return _even(width), _even(height)


def picture_bytes(width: int, height: int, fps: float, seconds: float) -> int:
    """The size bound of an H.264 picture file: 1.5 times its raw yuv420p frames (12 bits a
    pixel), which no x264 setting comes near, not even lossless on noise."""
    return math.ceil(1.5 * width * height * 1.5 * fps * max(seconds, 0.0)) + SIZE_SLACK


def mix_bytes(seconds: float) -> int:
    """The float WAV mix: 4-byte stereo samples, a little over for its header."""
    return math.ceil(1.01 * SAMPLE_RATE * 2 * 4 * max(seconds, 0.0)) + SIZE_SLACK


def sound_bytes(seconds: float) -> int:
    """The AAC sound, bound by what 16-bit PCM would take (no AAC bitrate comes near it)."""
    return math.ceil(SAMPLE_RATE * 2 * 2 * max(seconds, 0.0)) + SIZE_SLACK


# -- segment timing --------------------------------------------------------------------------


def to_frame(seconds: float, fps: float) -> int:
    """The frame a time falls on, halves rounded up (a 3 s segment at 2.5 s is 75 frames)."""
    return math.floor(seconds * fps + 0.5 + 1e-9)


def plan_segments(timeline: Timeline, rate: Fraction) -> tuple[list[SegmentPlan], list[str]]:
    """Snap the segments to the frame grid and decide each join (see the module docstring)."""
    fps = float(rate)
    segments = sorted(timeline.segments, key=lambda s: (s.start, s.index))
    if not segments:
        raise PlanError("the timeline has no segments")
    warnings: list[str] = []
    total = max(1, to_frame(timeline.duration, fps))
    starts = [to_frame(s.start, fps) for s in segments]
    ends = [to_frame(s.start + s.duration, fps) for s in segments]
    if starts[0] != 0:
        if abs(segments[0].start) * fps > 1:
            warnings.append(f"segment {segments[0].index} starts at {segments[0].start:.3f} s: 0")
        starts[0] = 0
    if abs(ends[-1] - total) > 1:
        warnings.append(
            f"timeline duration {timeline.duration:.3f} s differs from the last segment's end "
            f"{ends[-1] / fps:.3f} s: the last segment is {'held' if total > ends[-1] else 'cut'}"
        )
    ends[-1] = total
    overlaps = [0] * len(segments)
    transitions: list[str | None] = [None] * len(segments)
    for i in range(1, len(segments)):
        seg = segments[i]
        overlap = ends[i - 1] - starts[i]
        if seg.transition and overlap >= 1:
            xfade, warning = xfade_for(seg.transition)
            if warning:
                warnings.append(f"segment {seg.index}: {warning}")
            overlaps[i], transitions[i] = overlap, xfade
            continue
        if seg.transition:
            warnings.append(
                f"segment {seg.index}: transition {seg.transition!r} needs the segment to "
                "overlap the previous one: cut instead"
            )
        ends[i - 1] = starts[i]
    plans: list[SegmentPlan] = []
    for i, seg in enumerate(segments):
        frames = ends[i] - starts[i]
        if frames < 1:
            raise PlanError(
                f"segment {seg.index} has no frames (start {seg.start:.3f} s, "
                f"duration {seg.duration:.3f} s): segments must follow each other"
            )
        plans.append(
            SegmentPlan(seg.index, starts[i], frames, overlaps[i], transitions[i], fps, seg)
        )
    for i in range(1, len(plans)):
        prev, cur = plans[i - 1], plans[i]
        if cur.overlap and (cur.overlap > cur.frames or cur.overlap >= prev.frames):
            raise PlanError(
                f"segment {cur.index}: a {cur.overlap / fps:.3f} s transition is longer than "
                "the segments it joins"
            )
    return plans, warnings


# -- the builder ---------------------------------------------------------------------------------


class _Graph:
    def __init__(self) -> None:
        self.inputs: list[list[str]] = []
        self.files: list[str] = []
        self.statements: list[str] = []

    def add_input(self, media: MediaInfo, *options: str) -> int:
        """A medium, opened as ``probe`` found it (``ffmpeg.input_args``: that demuxer only)."""
        self.inputs.append(input_args(media.path, media.format_name, *options))
        self.files.append(media.path)
        return len(self.inputs) - 1

    def add_source(self, spec: str) -> int:
        """A source filter of the engine's own (``anullsrc``) as an input."""
        self.inputs.append(["-format_whitelist", "lavfi", "-f", "lavfi", "-i", spec])
        self.files.append(spec)
        return len(self.inputs) - 1

    def add(self, statement: str) -> None:
        self.statements.append(statement)

    def extend(self, statements: list[str]) -> None:
        self.statements.extend(statements)

    def as_pass(
        self, script_path: str, output_args: list[str], seconds: float, max_bytes: int
    ) -> FfmpegPass:
        """``output_args`` end with ``-f <format> <file>``; ``-fs max_bytes`` goes before."""
        return FfmpegPass(
            input_args=[arg for one in self.inputs for arg in one],
            filter_script=";\n".join(self.statements) + "\n",
            script_path=script_path,
            output_args=[*output_args[:-3], "-fs", str(max_bytes), *output_args[-3:]],
            inputs=tuple(self.files),
            seconds=seconds,
            max_bytes=max_bytes,
        )


def _fit_scale(w: int, h: int) -> str:
    """Scale to fit inside w x h, evaluated by ffmpeg on the frames it really gets (``dar``
    honours the sample aspect ratio): the fallback when the source's size is unknown."""
    ratio = f"{w}/{h}"
    sw = f"if(gte(dar,{ratio}),{w},max(2,2*floor({h}*dar/2)))"
    sh = f"if(gte(dar,{ratio}),max(2,2*floor({w}/dar/2)),{h})"
    return f"scale=w='{sw}':h='{sh}',setsar=1"


def _fit_to(src: MediaInfo, w: int, h: int) -> str:
    """Scale the picture to w x h: bilinear when shrinking (swscale widens the bilinear kernel
    with the ratio, so nothing aliases, at 60% of bicubic's cost: 0.5 vs 0.9 CPU-s for 750
    frames of 720p), ffmpeg's bicubic when enlarging, where it is visibly sharper."""
    shrinking = (src.width or 0) > w and (src.height or 0) > h
    return f"scale={w}:{h}{':flags=bilinear' if shrinking else ''}"


def _cover(w: int, h: int, flags: str = "") -> str:
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
    sw, sh = _even(w / factor), _even(h / factor)
    limit = max(1, min(sw, sh) // 4 - 1)  # boxblur's bound on the chroma planes
    box = max(1, min(limit, round(min(radius, 1.0) * min(sw, sh) * 0.16)))
    return sw, sh, box


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
        fh = min(h - 2, _even(w / aspect))
        top = (h - fh) // 4 * 2
        return Fit((w, fh), "v", ((0, 0, w, top), (0, top + fh, w, h - fh - top)))
    fw = min(w - 2, _even(h * aspect))
    left = (w - fw) // 4 * 2
    return Fit((fw, h), "h", ((0, 0, left, h), (left + fw, 0, w - fw - left, h)))


def _bar_source(bar: Rect, canvas: tuple[int, int], small: tuple[int, int]) -> Rect:
    """The part of a reduced (small) background that scales up onto ``bar``."""
    x, y, bw, bh = bar
    w, h = canvas
    sw, sh = small
    kx, ky = sw / w, sh / h
    cw, ch = max(1, min(sw, round(bw * kx))), max(1, min(sh, round(bh * ky)))
    cx = min(max(0, round(x * kx)), sw - cw)
    cy = min(max(0, round(y * ky)), sh - ch)
    return cx, cy, cw, ch


def build_plan(
    timeline: Timeline,
    media: Mapping[str, MediaInfo],
    *,
    output: str,
    work_dir: str,
    stem: str = "render",
    fonts: Fonts | None = None,
    preview: bool = False,
    encoding: Encoding | None = None,
    chunks: int = 1,
) -> RenderPlan:
    """The ffmpeg passes that render ``timeline`` to ``output``.

    ``media`` maps every store key the timeline uses (segment sources, background image,
    stickers, music) and every narration audio path to what ``probe`` found; ``MediaInfo.path``
    is the file to read. The filter scripts and the intermediate files are named
    ``<work_dir>/<stem>.*``; the caller writes the scripts and the concat list there.
    ``chunks`` > 1 splits the picture into up to that many passes to run at once, one per
    core (see ``chunk_spans``).
    """
    fonts = fonts or Fonts()
    rate = frame_rate(timeline.fps)
    fps = float(rate)
    rate_s = rate_text(rate)
    width, height = canvas_size(timeline.width, timeline.height, preview=preview)
    scale = width / timeline.width  # pixel values in the timeline are for the full size
    plans, warnings = plan_segments(timeline, rate)
    frames = plans[-1].end_frame
    duration = frames / fps
    if (width, height) != (timeline.width, timeline.height) and not preview:
        warnings.append(
            f"output size {timeline.width}x{timeline.height} made even: {width}x{height}"
        )

    def info(key: str, what: str) -> MediaInfo:
        found = media.get(key)
        if found is None:
            raise PlanError(f"{what} {key!r}: no media facts (missing from the store?)")
        return found

    background = timeline.background
    bg_kind = background.kind
    if bg_kind == "image" and not background.image:
        warnings.append("background kind 'image' without an image: a blurred copy is used")
        bg_kind = "blur"
    bg_image = info(background.image, "background image") if bg_kind == "image" else None
    sources = [info(p.segment.source, f"segment {p.index} source") for p in plans]
    for plan, src in zip(plans, sources, strict=True):
        if src.kind == "audio":
            raise PlanError(f"segment {plan.index} source {plan.segment.source!r} has no picture")
    stickers = [(s, info(s.source, "sticker")) for s in timeline.stickers]
    for sticker, _ in stickers:
        if sticker.opacity <= 0:
            warnings.append(f"sticker {sticker.source!r} is fully transparent: skipped")
    if any(found.kind == "video" for _, found in stickers):
        chunks = 1  # a moving sticker would restart in each chunk
    texts = _texts(timeline, plans, (width, height), scale, duration)

    enc = encoding or Encoding(crf=timeline.crf)
    if preview:
        enc = Encoding(
            preset="ultrafast", crf=35, audio_bitrate="64k", x264_params=None, threads=enc.threads
        )
    base = f"{work_dir.rstrip('/')}/{stem}"
    plain = ["-map_metadata", "-1", "-map_chapters", "-1"]
    spans = chunk_spans(plans, chunks)
    # Chunks are as many as the cores: each runs on one thread (decoder and x264 included),
    # which measured 5% faster on 2 cores than threads fighting over them.
    serial = len(spans) > 1
    x264_threads = enc.threads or (1 if serial else None)
    pictures: list[FfmpegPass] = []
    sticker_boxes: list[tuple[int, int, int, int]] = []
    for c, (lo, hi) in enumerate(spans):
        first = plans[lo].start_frame
        local = [dataclasses.replace(p, start_frame=p.start_frame - first) for p in plans[lo:hi]]
        graph = _Graph()
        bg_labels: list[str] = []
        if bg_image is not None:
            # A background still is decoded and scaled once, then split (one frame each).
            k = graph.add_input(bg_image)
            bg_labels = [f"bgi{i}" for i in range(len(local))]
            split = f"split={len(local)}" + "".join(f"[{lab}]" for lab in bg_labels)
            graph.add(f"[{k}:v]fps={rate_s},{_cover(width, height)},format=yuv420p,{split}")
        heads = _decode_runs(graph, local, sources[lo:hi], rate_s, serial=serial)
        segment_labels: list[str] = []
        for n, plan in enumerate(local):
            segment_warnings = _segment_picture(
                graph,
                n,
                plan.segment,
                plan,
                sources[lo + n],
                heads[n],
                canvas=(width, height),
                rate_s=rate_s,
                bg_kind=bg_kind,
                radius=background.radius,
                bg_label=bg_labels[n] if bg_labels else None,
                out=f"s{n}",
            )
            warnings.extend(segment_warnings)
            segment_labels.append(f"s{n}")
        current = _join(graph, local, segment_labels, rate)
        # Stickers, then text on top.
        for j, (sticker, found) in enumerate(stickers):
            placed = _sticker(graph, j, sticker, found, current, scale, timeline)
            if placed is not None:
                current, box = placed
                if c == 0:
                    sticker_boxes.append(box)
        begin, end = first / fps, plans[hi - 1].end_frame / fps
        for t, item in enumerate(_texts_within(texts, begin, end)):
            current = _text_layer(graph, t, item, current, (width, height), rate_s, fonts)
        graph.add(f"[{current}]format=yuv420p[vout]")
        x264 = [
            "-c:v", "libx264", "-preset", enc.preset, "-crf", str(enc.crf), "-pix_fmt", "yuv420p",
            *(["-x264-params", enc.x264_params] if enc.x264_params else []),
            *(["-threads", str(x264_threads)] if x264_threads else []),
        ]  # fmt: skip
        written = ["-t", _secs(end - begin), *plain, "-f", "mp4", f"{base}.video{c}.mp4"]
        pictures.append(
            graph.as_pass(
                f"{base}.video{c}.txt",
                ["-map", "[vout]", *x264, *written],
                end - begin,
                picture_bytes(width, height, fps, end - begin),
            )
        )

    sound = _Graph()
    mix_path, loudness_path = f"{base}.mix.wav", f"{base}.loudness.txt"
    warnings.extend(_audio(sound, timeline, plans, media, duration, loudness_path))
    audio_path = f"{base}.audio.m4a"
    mixed = ["-map", "[aout]", "-c:a", "pcm_f32le", "-t", _secs(duration), *plain]
    audio = sound.as_pass(
        f"{base}.audio.txt", [*mixed, "-f", "wav", mix_path], duration, mix_bytes(duration)
    )
    concat_path = f"{base}.pictures.txt"
    audio_max = sound_bytes(duration)
    join_max = sum(p.max_bytes for p in pictures) + audio_max + SIZE_SLACK
    # The concat demuxer reads the engine's own list of its own chunks (MP4: mov).
    join_args = [
        "-protocol_whitelist", "file", "-format_whitelist", "concat,mov",
        "-f", "concat", "-safe", "0", "-i", concat_path, *input_args(audio_path, "mov"),
        "-map", "0:v:0", "-map", "1:a:0", "-c", "copy",
        "-t", _secs(duration), *plain, "-movflags", "+faststart", "-fs", str(join_max),
        "-f", "mp4", output,
    ]  # fmt: skip
    return RenderPlan(
        pictures=tuple(pictures),
        audio=audio,
        mix_path=mix_path,
        loudness_path=loudness_path,
        audio_path=audio_path,
        audio_bitrate=enc.audio_bitrate,
        concat_path=concat_path,
        join_args=join_args,
        join_max_bytes=join_max,
        audio_max_bytes=audio_max,
        width=width,
        height=height,
        rate=rate_s,
        frames=frames,
        duration=duration,
        segments=tuple(plans),
        texts=tuple(texts),
        stickers=tuple(sticker_boxes),
        warnings=tuple(warnings),
    )


def chunk_spans(plans: list[SegmentPlan], chunks: int) -> list[tuple[int, int]]:
    """Split the segments into at most ``chunks`` runs of about equal length, each rendered by
    its own ffmpeg: only at cuts (a transition needs both sides in one graph), each at least
    ``MIN_CHUNK_SECONDS`` long. (first, end) plan indices, end exclusive."""
    if chunks <= 1 or not plans:
        return [(0, len(plans))]
    fps = plans[0].fps
    total = plans[-1].end_frame
    least = MIN_CHUNK_SECONDS * fps
    cuts = [i for i in range(1, len(plans)) if plans[i].overlap == 0]
    bounds = [0]
    for k in range(1, chunks):
        target = total * k / chunks
        fitting = [
            i
            for i in cuts
            if plans[i].start_frame - plans[bounds[-1]].start_frame >= least
            and total - plans[i].start_frame >= least
        ]
        if not fitting:
            break
        best = min(fitting, key=lambda i: abs(plans[i].start_frame - target))
        bounds.append(best)
        cuts = [i for i in cuts if i > best]
    bounds.append(len(plans))
    return list(itertools.pairwise(bounds))


def concat_quote(path: str) -> str:
    """``path`` quoted for a line of ffmpeg's concat list."""
    return "'" + path.replace("'", "'\\''") + "'"


def _texts_within(texts: list[PlacedText], begin: float, end: float) -> list[PlacedText]:
    """The texts shown between ``begin`` and ``end``, timed from ``begin``."""
    kept: list[PlacedText] = []
    for item in texts:
        if item.start is None or item.end is None:
            kept.append(item)
            continue
        start, stop = max(item.start, begin), min(item.end, end)
        if stop > start:
            kept.append(dataclasses.replace(item, start=start - begin, end=stop - begin))
    return kept


def _segment_picture(
    graph: _Graph,
    n: int,
    seg: Segment,
    plan: SegmentPlan,
    src: MediaInfo,
    decoded: str,
    *,
    canvas: tuple[int, int],
    rate_s: str,
    bg_kind: str,
    radius: float,
    bg_label: str | None,
    out: str,
) -> list[str]:
    """Statements turning segment ``n``'s decoded frames (``decoded``, from ``_decode_runs``)
    into ``[out]``: plan.frames frames, canvas-sized."""
    w, h = canvas
    warnings: list[str] = []
    still = src.kind == "image"
    if still:
        head = f"{decoded}fps={rate_s}"
    else:
        needed = plan.duration
        available = seg.source_out - seg.source_in
        if src.duration is not None:
            available = min(available, src.duration - seg.source_in)
        if available < needed - 1.5 / plan.fps:
            warnings.append(
                f"segment {seg.index}: the source range ({max(available, 0):.2f} s) is shorter "
                f"than the segment ({needed:.2f} s): its last frame is held"
            )
        head = (
            f"{decoded}fps={rate_s},tpad=stop_mode=clone:stop_duration={_secs(needed + 1)},"
            f"trim=end_frame={plan.frames},setpts=N"
        )
    # A still is composed once, then repeated: `loop` hands out the same frame again.
    repeat = f"loop=loop=-1:size=1,trim=end_frame={plan.frames},setpts=N"
    then_repeat = f",{repeat}" if still else ""
    tail = f"v{n}fit"
    known = bool(src.width and src.height)
    fit = fit_geometry((src.width or w, src.height or h), canvas) if known else None
    if bg_kind == "crop" or (fit is not None and fit.axis == "full"):
        graph.add(f"{head},{_cover(w, h)},format=yuv420p{then_repeat}[{tail}]")
        if bg_label is not None:
            graph.add(f"[{bg_label}]nullsink")  # every split output must go somewhere
    elif fit is None:
        # Unknown size: fit and overlay on a full background, sized by ffmpeg at run time.
        graph.add(f"{head},split=2[v{n}f][v{n}b]")
        if bg_kind == "blur":
            sw, sh, box = blur_canvas(w, h, radius)
            blur = f",boxblur={box}:2" if box else ""
            graph.add(
                f"[v{n}b]{_cover(sw, sh, 'fast_bilinear')}{blur},"
                f"scale={w}:{h}:flags=bilinear,setsar=1[v{n}bg]"
            )
        else:
            assert bg_label is not None
            graph.add(f"[v{n}b]nullsink")
            graph.add(f"[{bg_label}]{'null' if still else repeat}[v{n}bg]")
        graph.add(f"[v{n}f]{_fit_scale(w, h)}[v{n}fg]")
        graph.add(
            f"[v{n}bg][v{n}fg]overlay=x=(W-w)/2:y=(H-h)/2:format=yuv420,format=yuv420p"
            f"{then_repeat}[{tail}]"
        )
    else:
        # Picture and bars stacked: the hidden part of the background is never scaled up.
        assert fit.bars is not None
        fw, fh = fit.size
        bars = (f"v{n}b1", f"v{n}b2")
        if bg_kind == "blur":
            sw, sh, box = blur_canvas(w, h, radius)
            blur = f",boxblur={box}:2" if box else ""
            graph.add(f"{head},split=2[v{n}f][v{n}b]")
            graph.add(f"[v{n}b]{_cover(sw, sh, 'fast_bilinear')}{blur},split=2[v{n}s1][v{n}s2]")
            for i, bar in enumerate(fit.bars):
                cx, cy, cw, ch = _bar_source(bar, canvas, (sw, sh))
                graph.add(
                    f"[v{n}s{i + 1}]crop={cw}:{ch}:{cx}:{cy},"
                    f"scale={bar[2]}:{bar[3]}:flags=bilinear,setsar=1,format=yuv420p[{bars[i]}]"
                )
            graph.add(f"[v{n}f]{_fit_to(src, fw, fh)},setsar=1,format=yuv420p[v{n}fg]")
        else:
            assert bg_label is not None
            graph.add(f"[{bg_label}]split=2[v{n}s1][v{n}s2]")
            for i, (bx, by, bw, bh) in enumerate(fit.bars):
                again = "" if still else f",{repeat}"  # a still repeats once stacked
                graph.add(f"[v{n}s{i + 1}]crop={bw}:{bh}:{bx}:{by}{again}[{bars[i]}]")
            graph.add(f"{head},{_fit_to(src, fw, fh)},setsar=1,format=yuv420p[v{n}fg]")
        stack = "vstack" if fit.axis == "v" else "hstack"
        graph.add(
            f"[{bars[0]}][v{n}fg][{bars[1]}]{stack}=inputs=3,format=yuv420p{then_repeat}[{tail}]"
        )
    current = tail
    if seg.filter:
        chain, warning = grade_for(seg.filter)
        if warning:
            warnings.append(f"segment {seg.index}: {warning}")
        if chain:
            graph.add(f"[{current}]{chain},format=yuv420p[v{n}gr]")
            current = f"v{n}gr"
    if seg.effect:
        effect, warning = effect_for(seg.effect)
        if warning:
            warnings.append(f"segment {seg.index}: {warning}")
        if effect is not None and effect.build is not None:
            ctx = EffectContext(width=w, height=h, frames=plan.frames, rate=rate_s, fps=plan.fps)
            graph.extend(effect.build(current, f"v{n}fx", ctx, f"v{n}e"))
            current = f"v{n}fx"
    graph.add(f"[{current}]format=yuv420p,settb=1/({rate_s}),setpts=N[{out}]")
    return warnings


def _decode_runs(
    graph: _Graph,
    plans: list[SegmentPlan],
    sources: list[MediaInfo],
    rate_s: str,
    *,
    serial: bool = False,
) -> list[str]:
    """Open the segments' inputs; per segment, the start of its chain: an input label, or a
    split branch trimmed to the segment's start (``trim`` then ``setpts``, so its timestamps
    are those a seek to ``source_in`` gives and the frames are the very same).

    A run is consecutive segments reading one film forward, each starting at most
    ``SHARE_GAP`` after the previous one ends."""
    runs: list[list[int]] = []
    for n, plan in enumerate(plans):
        if runs and sources[n].kind == "video":
            last = plans[runs[-1][-1]]  # the same source key: the same film
            gap = plan.segment.source_in - (last.segment.source_in + last.duration)
            if last.segment.source == plan.segment.source and -1e-6 <= gap <= SHARE_GAP:
                runs[-1].append(n)
                continue
        runs.append([n])
    heads = [""] * len(plans)
    for run in runs:
        first, last = plans[run[0]], plans[run[-1]]
        src = sources[run[0]]
        if src.kind == "image":
            heads[run[0]] = f"[{graph.add_input(src)}:v]"
            continue
        start = first.segment.source_in
        length = last.segment.source_in + last.duration - start + SEEK_MARGIN
        options = ["-threads", "1"] if serial else []
        options += ["-ss", _secs(start)] if start > 0 else []
        k = graph.add_input(src, *options, "-t", _secs(length))
        if len(run) == 1:
            heads[run[0]] = f"[{k}:v]"
            continue
        branches = [f"d{n}" for n in run]
        graph.add(f"[{k}:v]split={len(run)}" + "".join(f"[{b}]" for b in branches))
        for n, branch in zip(run, branches, strict=True):
            offset = _secs(plans[n].segment.source_in - start)
            shift = f"trim=start={offset},setpts=PTS-{offset}/TB," if offset != "0" else ""
            heads[n] = f"[{branch}]{shift}"
    return heads


def _join(graph: _Graph, plans: list[SegmentPlan], labels: list[str], rate: Fraction) -> str:
    """Join segment pictures left to right: concat for runs of cuts, xfade for transitions."""
    tb = f"settb=1/({rate_text(rate)}),setpts=N"
    fps = float(rate)
    acc: str | None = None
    run: list[str] = []  # labels waiting to be concatenated onto acc
    step = 0

    def flush() -> str:
        nonlocal step
        pieces = ([acc] if acc else []) + run
        if len(pieces) == 1:
            return pieces[0]
        step += 1
        out = f"j{step}"
        graph.add("".join(f"[{p}]" for p in pieces) + f"concat=n={len(pieces)}:v=1:a=0,{tb}[{out}]")
        return out

    for plan, label in zip(plans, labels, strict=True):
        if plan.transition and (acc or run):
            acc = flush()
            run = []
            step += 1
            out = f"j{step}"
            graph.add(
                f"[{acc}][{label}]xfade=transition={plan.transition}"
                f":duration={_secs(plan.overlap / fps)}:offset={_secs(plan.start_frame / fps)},"
                f"{tb}[{out}]"
            )
            acc = out
        else:
            run.append(label)
    acc = flush()
    return acc


def _sticker(
    graph: _Graph,
    j: int,
    sticker: StickerOverlay,
    info: MediaInfo,
    current: str,
    scale: float,
    timeline: Timeline,
) -> tuple[str, tuple[int, int, int, int]] | None:
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
    graph.add(f"{head}scale={size},format=rgba{alpha}[st{j}]")
    out = f"vs{j}"
    graph.add(f"[{current}][st{j}]overlay=x={x}:y={y}:eof_action=repeat:format=yuv420[{out}]")
    return out, (x, y, est_w, est_h)


# -- text ----------------------------------------------------------------------------------------


def _overlay_size(overlay: TextOverlay, role: Role, canvas: tuple[int, int], scale: float) -> int:
    if overlay.font_size:
        return max(6, round(overlay.font_size * scale))
    return default_font_size(role, *canvas)


def _scaled_y(y: float, scale: float) -> float:
    """A Y in pixels (>= 2) is for the full-size output; fractions need no scaling."""
    return y if y < 2 else y * scale


def _texts(
    timeline: Timeline,
    plans: list[SegmentPlan],
    canvas: tuple[int, int],
    scale: float,
    duration: float,
) -> list[PlacedText]:
    placed: list[PlacedText] = []
    if timeline.title and timeline.title.text.strip():
        title = timeline.title
        size = _overlay_size(title, "title", canvas, scale)
        block = layout_text(
            title.text, canvas=canvas, y=_scaled_y(title.y, scale), font_size=size,
            alignment=title.alignment,
        )  # fmt: skip
        placed.append(PlacedText("title", block))
    for heading in timeline.sub_headings:
        if not heading.text.strip():
            continue
        size = _overlay_size(heading, "sub_heading", canvas, scale)
        block = layout_text(
            heading.text, canvas=canvas, y=_scaled_y(heading.y, scale), font_size=size,
            alignment=heading.alignment,
        )  # fmt: skip
        placed.append(PlacedText("sub_heading", block))
    if timeline.captions is not None:
        placed.extend(_captions(timeline, plans, canvas, scale, duration))
    return placed


def caption_windows(plans: list[SegmentPlan], duration: float) -> list[tuple[str, float, float]]:
    """(text, start, end) per captioned segment: while its narration plays (else the segment),
    never running into the next caption nor past the end."""
    cues: list[tuple[str, float, float]] = []
    for plan in plans:
        seg = plan.segment
        text = (
            seg.caption
            if seg.caption is not None
            else (seg.narration.text if seg.narration else None)
        )
        if not text or not text.strip():
            continue
        start = plan.start
        end = start + seg.narration.duration if seg.narration else plan.start + plan.duration
        cues.append((text.strip(), start, min(end, duration)))
    trimmed: list[tuple[str, float, float]] = []
    for i, (text, start, end) in enumerate(cues):
        if i + 1 < len(cues):
            end = min(end, cues[i + 1][1])
        if end - start > 1e-3:
            trimmed.append((text, start, end))
    return trimmed


def _captions(
    timeline: Timeline,
    plans: list[SegmentPlan],
    canvas: tuple[int, int],
    scale: float,
    duration: float,
) -> list[PlacedText]:
    captions = timeline.captions
    assert captions is not None
    size = (
        max(6, round(captions.font_size * scale))
        if captions.font_size
        else default_font_size("caption", *canvas)
    )
    width = canvas[0]
    placed: list[PlacedText] = []
    for text, start, end in caption_windows(plans, duration):
        lines = wrap_text(text, size, width * 0.9, balance=True)
        pages = paginate(lines, CAPTION_MAX_LINES)
        for page, (a, b) in zip(pages, split_window(pages, start, end), strict=True):
            block = layout_lines(
                page, canvas=canvas, y=_scaled_y(captions.y, scale), font_size=size,
                alignment=captions.alignment,
            )  # fmt: skip
            placed.append(PlacedText("caption", block, a, b))
    return placed


def text_band(item: PlacedText, height: int) -> tuple[int, int]:
    """The rows (top, bottom) of the transparent band a text block is drawn on: the block with
    room for descenders, the border and the caption box."""
    size = item.block.font_size
    pad = round(size * 0.45) + _box_border(size)
    return max(0, item.block.top - pad), min(height, item.block.bottom + pad)


BORDER_ALPHA = 0.85  # the black outline of every line
BOX_ALPHA = 0.45  # the box behind caption lines


def _band_alpha(alpha: float) -> str:
    """drawtext on a transparent RGBA band multiplies the alpha it lays down by itself (a box at
    0.45 comes out at 0.2): ask for the square root to get ``alpha`` on screen."""
    return f"{math.sqrt(alpha):.3f}"


def _box_border(size: int) -> int:
    return max(2, round(size * 0.18))


def _drawtext(item: PlacedText, line_no: int, fonts: Fonts, offset: int) -> str:
    """One line, drawn on the text's band (``offset`` is the band's top row)."""
    line = item.block.lines[line_no]
    size = item.block.font_size
    font = fonts.bold if item.role == "title" else fonts.regular
    opts = [
        *font.options(),
        f"text={escape_filter_value(line.text)}",
        "expansion=none",
        f"fontsize={size}",
        "fontcolor=white",
        f"x={line.x}",
        f"y={line.baseline - offset}-ascent",
        f"borderw={max(1, round(size / (16 if item.role == 'caption' else 12)))}",
        f"bordercolor=black@{_band_alpha(BORDER_ALPHA)}",
    ]
    if item.role == "caption":
        opts += [
            "box=1",
            f"boxcolor=black@{_band_alpha(BOX_ALPHA)}",
            f"boxborderw={_box_border(size)}",
        ]
    return "drawtext=" + ":".join(opts)


def _text_layer(
    graph: _Graph,
    t: int,
    item: PlacedText,
    current: str,
    canvas: tuple[int, int],
    rate_s: str,
    fonts: Fonts,
) -> str:
    """Draw a text block once on a transparent band and overlay it (enabled while it shows):
    blending one still band per frame costs a fifth of drawing the glyphs every frame."""
    width, height = canvas
    top, bottom = text_band(item, height)
    if bottom - top < 2 or not item.block.lines:
        return current
    draws = [_drawtext(item, i, fonts, top) for i in range(len(item.block.lines))]
    graph.add(
        f"color=c=black@0:s={width}x{bottom - top}:r={rate_s},trim=end_frame=1,format=rgba,"
        + ",".join(draws)
        + f"[tx{t}]"
    )
    enable = ""
    if item.start is not None and item.end is not None:
        enable = f":enable='gte(t,{item.start:.3f})*lt(t,{item.end:.3f})'"
    graph.add(
        f"[{current}][tx{t}]overlay=x=0:y={top}:eof_action=repeat:format=yuv420{enable}[vt{t}]"
    )
    return f"vt{t}"


# -- sound ---------------------------------------------------------------------------------------


def _samples(seconds: float) -> int:
    return max(0, round(seconds * SAMPLE_RATE))


_AFORMAT = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"


def _audio(
    graph: _Graph,
    timeline: Timeline,
    plans: list[SegmentPlan],
    media: Mapping[str, MediaInfo],
    duration: float,
    loudness_path: str,
) -> list[str]:
    """The mix to ``[aout]``, its loudness measured into ``loudness_path`` on the way."""
    warnings: list[str] = []
    total = _samples(duration)
    parts: list[str] = []
    for n, plan in enumerate(plans):
        seg = plan.segment
        if seg.source_volume <= 0:
            continue
        src = media.get(seg.source)
        if src is None or src.kind != "video" or not src.has_audio:
            continue
        fade_in = plan.overlap / plan.fps if plan.overlap else EDGE_FADE
        nxt = plans[n + 1] if n + 1 < len(plans) else None
        fade_out = nxt.overlap / plan.fps if nxt and nxt.overlap else EDGE_FADE
        fade_in, fade_out = min(fade_in, plan.duration / 2), min(fade_out, plan.duration / 2)
        options = ["-ss", _secs(seg.source_in)] if seg.source_in > 0 else []
        k = graph.add_input(src, *options, "-t", _secs(plan.duration + SEEK_MARGIN))
        label = f"sa{n}"
        graph.add(
            f"[{k}:a]{_AFORMAT},atrim=end_sample={_samples(plan.duration)},"
            f"volume={seg.source_volume:g},afade=t=in:d={_secs(fade_in)},"
            f"afade=t=out:st={_secs(plan.duration - fade_out)}:d={_secs(fade_out)},"
            f"adelay=delays={_samples(plan.start)}S:all=1[{label}]"
        )
        parts.append(label)
    for n, plan in enumerate(plans):
        narration = plan.segment.narration
        if narration is None or narration.volume <= 0:
            continue
        found = media.get(narration.audio)
        if found is None:
            raise PlanError(f"segment {plan.index}: narration audio {narration.audio!r} not found")
        if not found.has_audio:
            warnings.append(f"segment {plan.index}: narration {narration.audio!r} has no audio")
            continue
        k = graph.add_input(found)
        label = f"na{n}"
        graph.add(
            f"[{k}:a]{_AFORMAT},volume={narration.volume:g},"
            f"adelay=delays={_samples(plan.start)}S:all=1[{label}]"
        )
        parts.append(label)
    if timeline.music is not None and timeline.music.volume > 0:
        music = media.get(timeline.music.source)
        if music is None:
            raise PlanError(f"music {timeline.music.source!r}: no media facts")
        if music.has_audio:
            fade = min(MUSIC_FADE_OUT, duration / 2)
            k = graph.add_input(music, "-stream_loop", "-1")
            graph.add(
                f"[{k}:a]{_AFORMAT},atrim=end_sample={total},asetpts=N/SR/TB,"
                f"volume={timeline.music.volume:g},"
                f"afade=t=out:st={_secs(duration - fade)}:d={_secs(fade)}[music]"
            )
            parts.append("music")
        else:
            warnings.append(f"music {timeline.music.source!r} has no audio: skipped")
    # The silent bed is an input, not a source filter: ffmpeg 7+ aborts on a graph without
    # inputs that has a sink branch ("Assertion best_input >= 0 failed").
    silence = graph.add_source(f"anullsrc=r={SAMPLE_RATE}:cl=stereo")
    bed = f"[{silence}:a]atrim=end_sample={total}"
    meter = (
        "ebur128=metadata=1,ametadata=mode=print:key=lavfi.r128.I"
        f":file={escape_filter_value(loudness_path)},anullsink"
    )
    if not parts:
        graph.add(f"{bed},asplit=2[aout][meter]")
        graph.add(f"[meter]{meter}")
        return warnings
    graph.add(f"{bed}[bed]")
    mix = "".join(f"[{p}]" for p in ["bed", *parts])
    graph.add(
        f"{mix}amix=inputs={len(parts) + 1}:duration=first:dropout_transition=0:normalize=0,"
        f"{_AFORMAT},atrim=end_sample={total},asplit=2[aout][meter]"
    )
    graph.add(f"[meter]{meter}")
    return warnings


def integrated_loudness(readings: str) -> float | None:
    """The integrated loudness (LUFS) at the end of ebur128's readings (``ametadata`` print
    output: one ``lavfi.r128.I=`` line per audio frame), None if there is none."""
    found = re.findall(r"^lavfi\.r128\.I=(-?[\d.]+|-?inf|nan)\s*$", readings, re.MULTILINE)
    try:
        value = float(found[-1]) if found else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def loudness_gain(measured: float | None) -> float:
    """dB that bring ``measured`` LUFS to ``LOUDNESS_I``: none for silence, at most
    ``MAX_GAIN_DB``."""
    if measured is None or measured <= SILENCE_LUFS:
        return 0.0
    return min(LOUDNESS_I - measured, MAX_GAIN_DB)


def sound_pass(plan: RenderPlan, gain_db: float) -> list[str]:
    """The ffmpeg arguments that turn the measured mix into the delivered sound: the gain, a
    limiter so it never clips, AAC."""
    total = _samples(plan.duration)
    chain = (
        f"volume={gain_db:.2f}dB,alimiter=limit={LIMIT:.3f}:level=0,{_AFORMAT},"
        f"atrim=end_sample={total}"
    )
    return [
        *input_args(plan.mix_path, "wav"), "-af", chain,
        "-c:a", "aac", "-b:a", plan.audio_bitrate, "-ar", str(SAMPLE_RATE), "-ac", "2",
        "-t", _secs(plan.duration), "-map_metadata", "-1", "-fs", str(plan.audio_max_bytes),
        "-f", "mp4", plan.audio_path,
    ]  # fmt: skip
