"""The picture of each segment, and the segments joined (statements of a picture pass).

Per segment (one input each, seeked with ``-ss``/``-t``; consecutive segments that read a film
forward with gaps under ``SHARE_GAP`` share one input, split and trimmed by time, so the film is
decoded once instead of from a keyframe before each segment): ``fps`` -> hold the last frame if
the source runs out (``tpad``) -> ``trim`` to its frame count -> fit to the canvas (``fit``) ->
colour grade -> effect. A still segment is composed once and repeated with ``loop``. Segments
are joined left to right: runs of cuts with ``concat``, transitions with ``xfade`` at the exact
frame offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from highlights.render.graph.builder import FilterGraph
from highlights.render.graph.fit import (
    bar_source,
    blur_canvas,
    cover,
    fit_geometry,
    fit_scale,
    fit_to,
)
from highlights.render.graph.timing import SEEK_MARGIN, FramedSegment, rate_text, secs
from highlights.render.looks import EffectContext, effect_for, grade_for
from highlights.render.probe import MediaInfo

# Decoding a gap of up to this long costs less than seeking anew: a seek decodes from the
# keyframe before the cut, typically 0-10 s of frames with x264's default GOP of 250.
SHARE_GAP = 3.0

BackgroundKind = Literal["blur", "image", "crop"]


@dataclass(frozen=True)
class Canvas:
    """What every segment of a pass is fitted to."""

    width: int
    height: int
    rate: str  # the frame rate as ffmpeg reads it (``rate_text``)
    background: BackgroundKind
    radius: float  # of the blur, ICE's Radius (0-1)

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


def background_stills(
    graph: FilterGraph, image: MediaInfo, count: int, canvas: Canvas
) -> list[str]:
    """The background still, decoded and scaled once, then split: one frame per segment."""
    k = graph.add_input(image)
    labels = graph.labels.many("bgi", count)
    split = f"split={count}" + "".join(f"[{label}]" for label in labels)
    graph.add(
        f"[{k}:v]fps={canvas.rate},{cover(canvas.width, canvas.height)},format=yuv420p,{split}"
    )
    return labels


def decode_runs(
    graph: FilterGraph,
    segments: list[FramedSegment],
    sources: list[MediaInfo],
    *,
    serial: bool = False,
) -> list[str]:
    """Open the segments' inputs; per segment, the start of its chain: an input label, or a
    split branch trimmed to the segment's start (``trim`` then ``setpts``, so its timestamps
    are those a seek to ``source_in`` gives and the frames are the very same).

    A run is consecutive segments reading one film forward, each starting at most
    ``SHARE_GAP`` after the previous one ends."""
    runs: list[list[int]] = []
    for n, framed in enumerate(segments):
        if runs and sources[n].kind == "video":
            last = segments[runs[-1][-1]]  # the same source key: the same film
            gap = framed.segment.source_in - (last.segment.source_in + last.duration)
            if last.segment.source == framed.segment.source and -1e-6 <= gap <= SHARE_GAP:
                runs[-1].append(n)
                continue
        runs.append([n])
    heads = [""] * len(segments)
    for run in runs:
        first, last = segments[run[0]], segments[run[-1]]
        src = sources[run[0]]
        if src.kind == "image":
            heads[run[0]] = f"[{graph.add_input(src)}:v]"
            continue
        start = first.segment.source_in
        length = last.segment.source_in + last.duration - start + SEEK_MARGIN
        options = ["-threads", "1"] if serial else []
        options += ["-ss", secs(start)] if start > 0 else []
        k = graph.add_input(src, *options, "-t", secs(length))
        if len(run) == 1:
            heads[run[0]] = f"[{k}:v]"
            continue
        branches = graph.labels.many("d", len(run))
        graph.add(f"[{k}:v]split={len(run)}" + "".join(f"[{b}]" for b in branches))
        for n, branch in zip(run, branches, strict=True):
            offset = secs(segments[n].segment.source_in - start)
            shift = f"trim=start={offset},setpts=PTS-{offset}/TB," if offset != "0" else ""
            heads[n] = f"[{branch}]{shift}"
    return heads


def segment_picture(
    graph: FilterGraph,
    framed: FramedSegment,
    src: MediaInfo,
    decoded: str,
    canvas: Canvas,
    background_still: str | None,
) -> tuple[str, list[str]]:
    """Statements turning a segment's decoded frames (``decoded``, from ``decode_runs``) into
    ``framed.frames`` canvas-sized frames; their label, and warnings."""
    seg = framed.segment
    w, h = canvas.size
    warnings: list[str] = []
    still = src.kind == "image"
    if still:
        head = f"{decoded}fps={canvas.rate}"
    else:
        needed = framed.duration
        available = seg.source_out - seg.source_in
        if src.duration is not None:
            available = min(available, src.duration - seg.source_in)
        if available < needed - 1.5 / framed.fps:
            warnings.append(
                f"segment {seg.index}: the source range ({max(available, 0):.2f} s) is shorter "
                f"than the segment ({needed:.2f} s): its last frame is held"
            )
        head = (
            f"{decoded}fps={canvas.rate},tpad=stop_mode=clone:stop_duration={secs(needed + 1)},"
            f"trim=end_frame={framed.frames},setpts=N"
        )
    # A still is composed once, then repeated: `loop` hands out the same frame again.
    repeat = f"loop=loop=-1:size=1,trim=end_frame={framed.frames},setpts=N"
    then_repeat = f",{repeat}" if still else ""
    fitted = _fitted(graph, src, head, canvas, background_still, still, repeat, then_repeat)
    current = fitted
    if seg.filter:
        chain, warning = grade_for(seg.filter)
        if warning:
            warnings.append(f"segment {seg.index}: {warning}")
        if chain:
            graded = graph.label("grade")
            graph.add(f"[{current}]{chain},format=yuv420p[{graded}]")
            current = graded
    if seg.effect:
        effect, warning = effect_for(seg.effect)
        if warning:
            warnings.append(f"segment {seg.index}: {warning}")
        if effect is not None and effect.build is not None:
            ctx = EffectContext(
                width=w, height=h, frames=framed.frames, rate=canvas.rate, fps=framed.fps
            )
            done = graph.label("fx")
            graph.extend(effect.build(current, done, ctx, graph.label))
            current = done
    out = graph.label("s")
    graph.add(f"[{current}]format=yuv420p,settb=1/({canvas.rate}),setpts=N[{out}]")
    return out, warnings


def _fitted(
    graph: FilterGraph,
    src: MediaInfo,
    head: str,
    canvas: Canvas,
    background_still: str | None,
    still: bool,
    repeat: str,
    then_repeat: str,
) -> str:
    """The segment's frames fitted to the canvas over its background; their label."""
    w, h = canvas.size
    tail = graph.label("fit")
    known = bool(src.width and src.height)
    fit = fit_geometry((src.width or w, src.height or h), canvas.size) if known else None
    if canvas.background == "crop" or (fit is not None and fit.axis == "full"):
        graph.add(f"{head},{cover(w, h)},format=yuv420p{then_repeat}[{tail}]")
        if background_still is not None:
            graph.add(f"[{background_still}]nullsink")  # every split output must go somewhere
        return tail
    fg = graph.label("fg")
    if fit is None:
        # Unknown size: fit and overlay on a full background, sized by ffmpeg at run time.
        front, back, bg = graph.label("front"), graph.label("back"), graph.label("bg")
        graph.add(f"{head},split=2[{front}][{back}]")
        if canvas.background == "blur":
            sw, sh, box = blur_canvas(w, h, canvas.radius)
            blur = f",boxblur={box}:2" if box else ""
            graph.add(
                f"[{back}]{cover(sw, sh, 'fast_bilinear')}{blur},"
                f"scale={w}:{h}:flags=bilinear,setsar=1[{bg}]"
            )
        else:
            assert background_still is not None
            graph.add(f"[{back}]nullsink")
            graph.add(f"[{background_still}]{'null' if still else repeat}[{bg}]")
        graph.add(f"[{front}]{fit_scale(w, h)}[{fg}]")
        graph.add(
            f"[{bg}][{fg}]overlay=x=(W-w)/2:y=(H-h)/2:format=yuv420,format=yuv420p"
            f"{then_repeat}[{tail}]"
        )
        return tail
    # Picture and bars stacked: the hidden part of the background is never scaled up.
    assert fit.bars is not None
    fw, fh = fit.size
    sources, bars = graph.labels.many("barsrc", 2), graph.labels.many("bar", 2)
    if canvas.background == "blur":
        sw, sh, box = blur_canvas(w, h, canvas.radius)
        blur = f",boxblur={box}:2" if box else ""
        front, back = graph.label("front"), graph.label("back")
        graph.add(f"{head},split=2[{front}][{back}]")
        graph.add(
            f"[{back}]{cover(sw, sh, 'fast_bilinear')}{blur},split=2[{sources[0]}][{sources[1]}]"
        )
        for i, bar in enumerate(fit.bars):
            cx, cy, cw, ch = bar_source(bar, canvas.size, (sw, sh))
            graph.add(
                f"[{sources[i]}]crop={cw}:{ch}:{cx}:{cy},"
                f"scale={bar[2]}:{bar[3]}:flags=bilinear,setsar=1,format=yuv420p[{bars[i]}]"
            )
        graph.add(f"[{front}]{fit_to(src, fw, fh)},setsar=1,format=yuv420p[{fg}]")
    else:
        assert background_still is not None
        graph.add(f"[{background_still}]split=2[{sources[0]}][{sources[1]}]")
        for i, (bx, by, bw, bh) in enumerate(fit.bars):
            again = "" if still else f",{repeat}"  # a still repeats once stacked
            graph.add(f"[{sources[i]}]crop={bw}:{bh}:{bx}:{by}{again}[{bars[i]}]")
        graph.add(f"{head},{fit_to(src, fw, fh)},setsar=1,format=yuv420p[{fg}]")
    stack = "vstack" if fit.axis == "v" else "hstack"
    graph.add(f"[{bars[0]}][{fg}][{bars[1]}]{stack}=inputs=3,format=yuv420p{then_repeat}[{tail}]")
    return tail


def join(
    graph: FilterGraph, segments: list[FramedSegment], labels: list[str], rate: Fraction
) -> str:
    """Join segment pictures left to right: concat for runs of cuts, xfade for transitions."""
    tb = f"settb=1/({rate_text(rate)}),setpts=N"
    fps = float(rate)
    acc: str | None = None
    run: list[str] = []  # labels waiting to be concatenated onto acc

    def flush() -> str:
        pieces = ([acc] if acc else []) + run
        if len(pieces) == 1:
            return pieces[0]
        out = graph.label("j")
        graph.add("".join(f"[{p}]" for p in pieces) + f"concat=n={len(pieces)}:v=1:a=0,{tb}[{out}]")
        return out

    for framed, label in zip(segments, labels, strict=True):
        if framed.transition and (acc or run):
            acc = flush()
            run = []
            out = graph.label("j")
            graph.add(
                f"[{acc}][{label}]xfade=transition={framed.transition}"
                f":duration={secs(framed.overlap / fps)}:offset={secs(framed.start_frame / fps)},"
                f"{tb}[{out}]"
            )
            acc = out
        else:
            run.append(label)
    return flush()
