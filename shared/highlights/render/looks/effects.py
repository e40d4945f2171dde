"""ICE's effects as filters on the segment: the names with an ffmpeg equivalent map to zoom,
shake, blur, fades and reveals through xfade from a colour; the rest are skipped with a warning.

An effect's builder writes statements from the segment's label to the one it is given, and asks
``label`` for any label it links through inside (so two effects never clash)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class EffectContext:
    """What an effect needs to know about the segment it applies to."""

    width: int
    height: int
    frames: int
    rate: str  # the frame rate as ffmpeg reads it, e.g. "25" or "30000/1001"
    fps: float

    @property
    def duration(self) -> float:
        return self.frames / self.fps


Statements = list[str]
NewLabel = Callable[[str], str]  # a fresh link label of a kind (``graph.Labels.new``)
Builder = Callable[[str, str, EffectContext, NewLabel], Statements]

EffectKind = Literal["filter", "reveal", "conceal", "blur", "skip"]


@dataclass(frozen=True)
class EffectMap:
    kind: EffectKind
    note: str
    build: Builder | None = field(default=None, repr=False, compare=False)


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def _chain(filters: str) -> Builder:
    """An effect that is a plain filter chain; ``{W} {H} {D}`` are the size and duration."""

    def build(src: str, dst: str, ctx: EffectContext, label: NewLabel) -> Statements:
        text = filters.format(W=ctx.width, H=ctx.height, D=f"{ctx.duration:.4f}")
        return [f"[{src}]{text}[{dst}]"]

    return build


def _zoom(start: float, amount: float, *, wave: bool = False) -> Builder:
    """Scale up over time and crop the centre: factor start -> start+amount (or in and out)."""

    def build(src: str, dst: str, ctx: EffectContext, label: NewLabel) -> Statements:
        d = f"{ctx.duration:.4f}"
        ramp = f"sin(PI*t/{d})" if wave else f"min(t/{d},1)"
        factor = f"({start:g}+{amount:g}*{ramp})"
        w, h = ctx.width, ctx.height
        sw, sh = f"2*trunc({w}*{factor}/2)", f"2*trunc({h}*{factor}/2)"
        # crop's in_w is not refreshed when the frame size changes: centre from the formula.
        return [
            f"[{src}]scale=w='{sw}':h='{sh}':eval=frame,"
            f"crop=w={w}:h={h}:x='({sw}-{w})/2':y='({sh}-{h})/2'[{dst}]"
        ]

    return build


def _shake(amount: float, *, decay: float = 0.0, speed: float = 1.0) -> Builder:
    """Enlarge a little and move the crop window on sines (decaying for a jolt)."""

    def build(src: str, dst: str, ctx: EffectContext, label: NewLabel) -> Statements:
        w, h = ctx.width, ctx.height
        sw, sh = _even(w * (1 + amount)), _even(h * (1 + amount))
        env = f"*exp(-{decay:g}*t)" if decay else ""
        x = f"({sw - w}/2)*(1+sin(t*{17 * speed:g}){env})"
        y = f"({sh - h}/2)*(1+cos(t*{13 * speed:g}){env})"
        return [f"[{src}]scale={sw}:{sh},crop={w}:{h}:x='{x}':y='{y}'[{dst}]"]

    return build


def _fade(kind: Literal["in", "out"], seconds: float, color: str = "black") -> Builder:
    def build(src: str, dst: str, ctx: EffectContext, label: NewLabel) -> Statements:
        d = min(seconds, ctx.duration / 2)
        start = 0.0 if kind == "in" else ctx.duration - d
        return [f"[{src}]fade=t={kind}:st={start:.4f}:d={d:.4f}:color={color}[{dst}]"]

    return build


def _through_color(
    transition: str, seconds: float, *, at_start: bool, color: str = "black"
) -> Builder:
    """Reveal the segment from a flat colour (or hide it into one) with an xfade transition."""

    def build(src: str, dst: str, ctx: EffectContext, label: NewLabel) -> Statements:
        frames = max(1, min(round(seconds * ctx.fps), ctx.frames // 2))
        d = frames / ctx.fps
        colour = label("plate")
        plate = (
            f"color=c={color}:s={ctx.width}x{ctx.height}:r={ctx.rate}:d={d:.6f},"
            f"format=yuv420p,setsar=1[{colour}]"
        )
        if at_start:
            join = (
                f"[{colour}][{src}]xfade=transition={transition}:duration={d:.6f}:offset=0[{dst}]"
            )
        else:
            offset = (ctx.frames - frames) / ctx.fps
            join = (
                f"[{src}][{colour}]xfade=transition={transition}:duration={d:.6f}"
                f":offset={offset:.6f}[{dst}]"
            )
        return [plate, join]

    return build


def _blur_fade(kind: Literal["in", "out"], seconds: float | None) -> Builder:
    """A blurred copy laid over the picture, fading away (in) or appearing (out)."""

    def build(src: str, dst: str, ctx: EffectContext, label: NewLabel) -> Statements:
        d = ctx.duration if seconds is None else min(seconds, ctx.duration / 2)
        start = 0.0 if kind == "out" else ctx.duration - d
        sw, sh = _even(ctx.width / 4), _even(ctx.height / 4)
        radius = max(2, min(sw, sh) // 20)
        sharp, soft, veil = label("sharp"), label("soft"), label("veil")
        return [
            f"[{src}]split=2[{sharp}][{soft}]",
            f"[{soft}]scale={sw}:{sh},boxblur={radius}:2,scale={ctx.width}:{ctx.height},"
            f"format=yuva420p,fade=t={kind}:st={start:.4f}:d={d:.4f}:alpha=1[{veil}]",
            f"[{sharp}][{veil}]overlay=format=yuv420,format=yuv420p[{dst}]",
        ]

    return build


def _blur(horizontal: bool, vertical: bool) -> Builder:
    def build(src: str, dst: str, ctx: EffectContext, label: NewLabel) -> Statements:
        radius = max(2, min(ctx.width, ctx.height) // 50)
        if horizontal and vertical:
            chain = f"boxblur={radius}:2"
        else:
            size_x, size_y = (radius * 2, 1) if horizontal else (1, radius * 2)
            chain = f"avgblur=sizeX={size_x}:sizeY={size_y}"
        return [f"[{src}]{chain}[{dst}]"]

    return build


def _letterbox(src: str, dst: str, ctx: EffectContext, label: NewLabel) -> Statements:
    bar = _even(ctx.height * 0.11)
    return [
        f"[{src}]drawbox=x=0:y=0:w=iw:h={bar}:color=black:t=fill,"
        f"drawbox=x=0:y=ih-{bar}:w=iw:h={bar}:color=black:t=fill[{dst}]"
    ]


def _rgb_shift(src: str, dst: str, ctx: EffectContext, label: NewLabel) -> Statements:
    shift = max(2, ctx.width // 180)
    return [f"[{src}]rgbashift=rh=-{shift}:bh={shift}[{dst}]"]


def _skip(note: str) -> EffectMap:
    return EffectMap("skip", note)


EFFECT_MAP: dict[str, EffectMap] = {
    "zoom": EffectMap("filter", "zooms in 1 -> 1.25x over the segment", _zoom(1.0, 0.25)),
    "zoomslight": EffectMap("filter", "zooms in 1 -> 1.08x over the segment", _zoom(1.0, 0.08)),
    "zoominout": EffectMap("filter", "zooms in to 1.15x and back out", _zoom(1.0, 0.15, wave=True)),
    "slightshake": EffectMap("filter", "a gentle shake (4% crop moving on sines)", _shake(0.04)),
    "shock": EffectMap("filter", "a decaying jolt (10% crop)", _shake(0.10, decay=3, speed=3)),
    "withcircleshake": EffectMap("filter", "approximation: the shake only", _shake(0.05)),
    "blur": EffectMap("filter", "boxblur over the whole segment", _blur(True, True)),
    "h_blur": EffectMap("filter", "horizontal average blur", _blur(True, False)),
    "v_blur": EffectMap("filter", "vertical average blur", _blur(False, True)),
    "bluropen": EffectMap("blur", "from blurred to sharp over 1 s", _blur_fade("out", 1.0)),
    "blurclose": EffectMap(
        "blur", "from sharp to blurred over the last 1 s", _blur_fade("in", 1.0)
    ),
    "blurring": EffectMap("blur", "becomes blurred over the whole segment", _blur_fade("in", None)),
    "color_to_grey": EffectMap(
        "filter", "colour drains to grey over the segment", _chain("hue=s='max(0,1-t/{D})'")
    ),
    "grey_to_color": EffectMap(
        "filter", "grey gains colour over the segment", _chain("hue=s='min(1,t/{D})'")
    ),
    "black": EffectMap("filter", "fades in from black (1 s)", _fade("in", 1.0)),
    "slightshow": EffectMap("filter", "a quick fade in from black (0.5 s)", _fade("in", 0.5)),
    "whiteshow": EffectMap("filter", "fades in from white (0.6 s)", _fade("in", 0.6, "white")),
    "photograph": EffectMap(
        "filter", "a camera flash: from white in 0.35 s", _fade("in", 0.35, "white")
    ),
    "disappear": EffectMap("filter", "fades out to black (1 s)", _fade("out", 1.0)),
    "open": EffectMap(
        "reveal",
        "opens from the middle (xfade horzopen from black, 0.6 s)",
        _through_color("horzopen", 0.6, at_start=True),
    ),
    "close": EffectMap(
        "conceal",
        "closes to the middle (xfade horzclose to black, 0.6 s)",
        _through_color("horzclose", 0.6, at_start=False),
    ),
    "withcircleopen": EffectMap(
        "reveal",
        "a circle opens from black (xfade circleopen, 0.8 s)",
        _through_color("circleopen", 0.8, at_start=True),
    ),
    "withcircleclose": EffectMap(
        "conceal",
        "a circle closes to black (xfade circleclose, 0.8 s)",
        _through_color("circleclose", 0.8, at_start=False),
    ),
    "slightrectshow": EffectMap(
        "reveal",
        "a rectangle opens from black (xfade rectcrop, 0.6 s)",
        _through_color("rectcrop", 0.6, at_start=True),
    ),
    "wipecross": EffectMap(
        "reveal",
        "a diagonal wipe from black (xfade diagtl, 0.6 s)",
        _through_color("diagtl", 0.6, at_start=True),
    ),
    "movie": EffectMap("filter", "cinema letterbox bars (11% top and bottom)", _letterbox),
    "color_difference": EffectMap(
        "filter",
        "chromatic aberration (rgbashift)",
        _rgb_shift,
    ),
    "withcircleflashlight": EffectMap(
        "filter", "approximation: a spotlight vignette", _chain("vignette=angle=PI/3.5")
    ),
    "image_in_image": _skip("needs a second picture; no equivalent"),
    "starfieldshinee": _skip("a particle overlay; no equivalent"),
}


def effect_for(name: str) -> tuple[EffectMap | None, str | None]:
    """The mapping for an ICE effect, or (None, warning) when skipped or unknown."""
    found = EFFECT_MAP.get(name) or EFFECT_MAP.get(name.lower())
    if found is None:
        return None, f"effect {name!r} has no ffmpeg equivalent here: skipped"
    if found.kind == "skip" or found.build is None:
        return None, f"effect {name!r} skipped: {found.note}"
    return found, None
