"""ICE's transitions, filters and effects as ffmpeg filters: the mapping tables (pure data).

ICE renders its looks with its own shaders and LUTs, which are not published. The local engine
maps every name to the closest thing ffmpeg 5.1 can do in one filter graph:

- transitions: every name in ``TRANSITIONS`` maps to one of xfade's built-in transitions;
- filters: every name in ``FILTERS`` maps to a colour grade made of ``eq``, ``hue``, ``lutyuv``
  (tint and lifted blacks), ``curves`` presets and ``vignette``; a family keeps a character
  (warm, cool, faded, vivid ...) and each member a distinct variation;
- effects: the names with an ffmpeg equivalent map to filters on the segment (zoom, shake, blur,
  fades, reveals through xfade from a colour); the rest are skipped with a warning.

docs/render-mapping.md lists the same tables with the reasoning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

# -- transitions -------------------------------------------------------------------------------

# xfade transitions available in ffmpeg 5.1 (the later hlwind, coverleft ... are not).
XFADE_TRANSITIONS: frozenset[str] = frozenset(
    [
        "fade",
        "wipeleft",
        "wiperight",
        "wipeup",
        "wipedown",
        "slideleft",
        "slideright",
        "slideup",
        "slidedown",
        "circlecrop",
        "rectcrop",
        "distance",
        "fadeblack",
        "fadewhite",
        "radial",
        "smoothleft",
        "smoothright",
        "smoothup",
        "smoothdown",
        "circleopen",
        "circleclose",
        "vertopen",
        "vertclose",
        "horzopen",
        "horzclose",
        "dissolve",
        "pixelize",
        "diagtl",
        "diagtr",
        "diagbl",
        "diagbr",
        "hlslice",
        "hrslice",
        "vuslice",
        "vdslice",
        "hblur",
        "fadegrays",
        "wipetl",
        "wipetr",
        "wipebl",
        "wipebr",
        "squeezeh",
        "squeezev",
        "zoomin",
        "fadefast",
        "fadeslow",
    ]
)


@dataclass(frozen=True)
class TransitionMap:
    xfade: str
    note: str


TRANSITION_MAP: dict[str, TransitionMap] = {
    name: TransitionMap(xfade, note)
    for name, xfade, note in [
        ("fade", "fade", "same"),
        ("fadecolor", "fadeblack", "through a colour (black)"),
        ("fadegrayscale", "fadegrays", "through grey"),
        ("wipeleft", "wipeleft", "same"),
        ("wiperight", "wiperight", "same"),
        ("wipeup", "wipeup", "same"),
        ("wipedown", "wipedown", "same"),
        ("directional", "slideleft", "the next picture pushes in from one side"),
        ("directionalwipe", "smoothleft", "a soft-edged wipe"),
        ("directionalwarp", "smoothright", "a soft, warped wipe"),
        ("crosswarp", "smoothleft", "a warped horizontal sweep"),
        ("bounce_up", "slideup", "slides up (no bounce)"),
        ("bounce_down", "slidedown", "slides down (no bounce)"),
        ("cube", "slideleft", "a rotating cube: pushes sideways"),
        ("swap", "slideright", "the pictures swap places sideways"),
        ("circlecrop", "circlecrop", "same"),
        ("circle", "circlecrop", "a circle closes on the first picture and opens on the next"),
        ("circleopen", "circleopen", "same"),
        ("zoomincircles", "circleopen", "circles open onto the next picture"),
        ("heart", "circleopen", "a shape opening from the centre (no heart shape)"),
        ("waterdrop", "circleopen", "a drop spreading from the centre"),
        ("ripple", "circleopen", "ripples spreading from the centre"),
        ("radial", "radial", "same"),
        ("angular", "radial", "an angular sweep"),
        ("pinwheel", "radial", "a rotating sweep"),
        ("swirl", "radial", "a rotating sweep (no swirl distortion)"),
        ("polarfunction", "radial", "a polar-shaped sweep"),
        ("kaleidoscope", "radial", "a rotating sweep (no mirroring)"),
        ("crazyparametricfun", "radial", "a curved sweep"),
        ("colordistance", "distance", "xfade's colour-distance transition"),
        ("linearblur", "hblur", "blurs across"),
        ("simplezoom", "zoomin", "zooms into the first picture"),
        ("dreamyzoom", "zoomin", "zooms into the first picture"),
        ("rotatescalefade", "zoomin", "scales and fades (no rotation)"),
        ("dreamy", "fadeslow", "a soft, lingering cross-fade"),
        ("morph", "fade", "a cross-fade (no displacement)"),
        ("colorphase", "fade", "a cross-fade (channels together)"),
        ("multiplyblend", "fadeblack", "darkens through the middle, like a multiply blend"),
        ("burn", "fadewhite", "burns out through white"),
        ("undulatingburnout", "fadewhite", "burns out through white"),
        ("displacement", "dissolve", "a noisy dissolve"),
        ("perlin", "dissolve", "a noise-threshold dissolve"),
        ("polka", "dissolve", "a dotted dissolve"),
        ("crosshatch", "dissolve", "a patterned dissolve"),
        ("luma", "dissolve", "a luma-map dissolve"),
        ("randomsquares", "dissolve", "a random dissolve (pixels, not squares)"),
        ("pixelize", "pixelize", "same"),
        ("mosaic", "pixelize", "blocks"),
        ("hexagonalize", "pixelize", "blocks (square, not hexagons)"),
        ("gridflip", "pixelize", "tiles"),
        ("flyeye", "pixelize", "facets"),
        ("glitchmemories", "pixelize", "a blocky glitch"),
        ("glitchdisplace", "pixelize", "a blocky glitch"),
        ("windowslice", "hlslice", "slices sweep across"),
        ("windowblinds", "vdslice", "blinds"),
        ("wind", "hrslice", "streaks blow across"),
        ("doomscreentransition_up", "vuslice", "columns melt upwards"),
        ("doomscreentransition_down", "vdslice", "columns melt downwards"),
        ("bowTieHorizontal", "horzopen", "opens from the middle, horizontally"),
        ("bowTieVertical", "vertopen", "opens from the middle, vertically"),
        ("doorway", "vertopen", "doors open from the middle"),
        ("squareswire", "rectcrop", "a rectangle closes and opens"),
        ("squeeze", "squeezev", "squeezes vertically"),
    ]
}

DEFAULT_XFADE = "fade"


def xfade_for(name: str) -> tuple[str, str | None]:
    """The xfade transition for an ICE transition name, and a warning when it is unknown."""
    found = TRANSITION_MAP.get(name)
    if found is None:
        lowered = {k.lower(): v for k, v in TRANSITION_MAP.items()}.get(name.lower())
        if lowered is not None:
            return lowered.xfade, None
        if name in XFADE_TRANSITIONS:  # an xfade name used directly
            return name, None
        return DEFAULT_XFADE, f"unknown transition {name!r}: a cross-fade is used"
    return found.xfade, None


# -- filters (colour grades) -------------------------------------------------------------------


@dataclass(frozen=True)
class Grade:
    """A colour grade. Neutral values leave the picture unchanged.

    ``warmth`` shifts towards orange (> 0) or blue (< 0); ``tint`` towards magenta (> 0) or
    green (< 0); ``fade`` lifts the blacks (a matte, faded-film look), 0..1.
    """

    note: str
    contrast: float = 1.0
    brightness: float = 0.0
    saturation: float = 1.0
    gamma: float = 1.0
    warmth: float = 0.0
    tint: float = 0.0
    fade: float = 0.0
    hue: float = 0.0  # degrees
    curves: str | None = None  # an ffmpeg curves preset
    vignette: bool = False

    def filters(self) -> str:
        parts: list[str] = []
        eq = []
        if self.contrast != 1.0:
            eq.append(f"contrast={self.contrast:g}")
        if self.brightness:
            eq.append(f"brightness={self.brightness:g}")
        if self.saturation != 1.0:
            eq.append(f"saturation={self.saturation:g}")
        if self.gamma != 1.0:
            eq.append(f"gamma={self.gamma:g}")
        if eq:
            parts.append("eq=" + ":".join(eq))
        if self.hue:
            parts.append(f"hue=h={self.hue:g}")
        lut = []
        if self.fade:
            lift = round(self.fade * 48)
            lut.append(f"y='clip({16 + lift}+(val-16)*{(219 - lift) / 219:.4f},0,255)'")
        du = round(-12 * self.warmth + 6 * self.tint)
        dv = round(14 * self.warmth + 6 * self.tint)
        if du:
            lut.append(f"u='clip(val{du:+d},0,255)'")
        if dv:
            lut.append(f"v='clip(val{dv:+d},0,255)'")
        if lut:
            parts.append("lutyuv=" + ":".join(lut))
        if self.curves:
            parts.append(f"curves=preset={self.curves}")
        if self.vignette:
            parts.append("vignette=angle=PI/5")
        return ",".join(parts) or "null"


FILTER_MAP: dict[str, Grade] = {
    # m: modern looks
    "m1": Grade("modern: punchy", contrast=1.1, saturation=1.15),
    "m2": Grade("modern: warm", contrast=1.05, warmth=0.6),
    "m3": Grade("modern: cool", saturation=0.95, warmth=-0.6),
    "m4": Grade("modern: matte", saturation=0.85, fade=0.3),
    "m5": Grade("modern: moody", contrast=1.25, saturation=0.8, vignette=True),
    "m6": Grade("modern: teal and orange", contrast=1.1, warmth=0.5, tint=-0.3),
    "m7": Grade("modern: black and white", contrast=1.15, saturation=0.0),
    "m8": Grade("modern: bright pop", brightness=0.05, saturation=1.2, gamma=0.95),
    # pf: film stocks
    "pf1": Grade("film: vintage curves", curves="vintage"),
    "pf2": Grade("film: warm faded", saturation=0.85, warmth=0.4, fade=0.25),
    "pf3": Grade("film: cross-processed", curves="cross_process"),
    "pf4": Grade("film: cool faded", warmth=-0.4, fade=0.2),
    "pf5": Grade("film: warm, contrasty", contrast=1.2, saturation=0.7, warmth=0.3, vignette=True),
    "pf6": Grade("film: bleached", saturation=0.6, fade=0.35),
    "pf7": Grade("film: magenta cast", tint=0.4, fade=0.2),
    "pf8": Grade("film: golden", contrast=1.1, saturation=1.1, warmth=0.8),
    "pf9": Grade("film: green cast", contrast=1.1, tint=-0.4),
    "pfa": Grade("film: medium contrast, warm", warmth=0.3, curves="medium_contrast"),
    "pfb": Grade("film: nearly monochrome", contrast=1.2, saturation=0.3),
    "pfc": Grade("film: strong contrast", saturation=0.9, curves="strong_contrast", vignette=True),
    # pi: social-media looks
    "pi1": Grade("ins: light and warm", brightness=0.04, saturation=1.1, warmth=0.2),
    "pi2": Grade("ins: airy cool", brightness=0.03, warmth=-0.3, fade=0.15),
    "pi3": Grade("ins: saturated", contrast=1.1, saturation=1.25),
    "pi4": Grade("ins: peach", warmth=0.5, tint=0.2, fade=0.1),
    # pl: instant-camera looks
    "pl1": Grade("instant: vintage with vignette", curves="vintage", vignette=True),
    "pl2": Grade("instant: warm faded", saturation=0.9, warmth=0.5, fade=0.3),
    "pl3": Grade("instant: cross-processed", curves="cross_process", vignette=True),
    "pl4": Grade("instant: cool faded", saturation=0.8, warmth=-0.5, fade=0.25),
    # pj: light, airy looks
    "pj1": Grade("airy: cool, soft", brightness=0.06, contrast=0.9, saturation=0.85, warmth=-0.2),
    "pj2": Grade("airy: fresh green", brightness=0.05, tint=-0.15, fade=0.2),
    "pj3": Grade("airy: pale", brightness=0.08, contrast=0.85, saturation=0.75),
    "pj4": Grade("airy: warm", brightness=0.04, warmth=0.25, fade=0.15),
    # named looks
    "delta": Grade("cool and crisp", contrast=1.15, saturation=1.05, warmth=-0.3),
    "electric": Grade("electric, very saturated", contrast=1.15, saturation=1.4, hue=8),
    "faded": Grade("faded", saturation=0.75, fade=0.35),
    "slowlived": Grade("slow-lived warmth", saturation=0.9, warmth=0.45, fade=0.2),
    "tokoyo": Grade("neon night", contrast=1.1, warmth=-0.5, tint=0.25),
    "urbex": Grade("gritty urban", contrast=1.3, saturation=0.6, vignette=True),
    "warm": Grade("warm", warmth=0.7),
    # f: food, warm and saturated
    "f1": Grade("food: warm", brightness=0.03, saturation=1.2, warmth=0.3),
    "f2": Grade("food: saturated", contrast=1.05, saturation=1.3),
    "f3": Grade("food: bright warm", brightness=0.05, warmth=0.5),
    "f4": Grade("food: rich", contrast=1.1, saturation=1.15, gamma=0.95),
    "f5": Grade("food: golden", saturation=1.2, warmth=0.6),
    "f6": Grade("food: light", brightness=0.06, saturation=1.1, fade=0.1),
    "f7": Grade("food: vivid warm", contrast=1.15, saturation=1.25, warmth=0.2),
    # pv: landscape, vivid
    "pv1": Grade("landscape: vivid", contrast=1.1, saturation=1.35),
    "pv2": Grade("landscape: blue sky", saturation=1.2, warmth=-0.4),
    "pv3": Grade("landscape: foliage", saturation=1.2, tint=-0.3),
    "pv4": Grade("landscape: sunset", contrast=1.15, warmth=0.6),
    "pv5": Grade("landscape: dramatic", saturation=1.1, curves="strong_contrast"),
    "pv6": Grade("landscape: clear", brightness=0.04, saturation=1.15, warmth=-0.2),
    # a: portraits, soft skin tones
    "a1": Grade("portrait: warm soft", brightness=0.05, saturation=0.9, warmth=0.2),
    "a2": Grade("portrait: rosy", brightness=0.03, tint=0.2, fade=0.15),
    "a3": Grade("portrait: soft light", brightness=0.06, contrast=0.92),
    "a4": Grade("portrait: muted warm", saturation=0.8, warmth=0.35, fade=0.1),
    "a5": Grade("portrait: black and white", brightness=0.03, contrast=1.05, saturation=0.0),
    "a6": Grade("portrait: light", saturation=0.9, curves="lighter"),
}


def grade_for(name: str) -> tuple[str | None, str | None]:
    """The filter chain for an ICE filter name, or (None, warning) when it is unknown."""
    grade = FILTER_MAP.get(name) or FILTER_MAP.get(name.lower())
    if grade is None:
        return None, f"unknown filter {name!r}: skipped"
    return grade.filters(), None


# -- effects -------------------------------------------------------------------------------------


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
Builder = Callable[[str, str, EffectContext, str], Statements]

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

    def build(src: str, dst: str, ctx: EffectContext, tag: str) -> Statements:
        text = filters.format(W=ctx.width, H=ctx.height, D=f"{ctx.duration:.4f}")
        return [f"[{src}]{text}[{dst}]"]

    return build


def _zoom(start: float, amount: float, *, wave: bool = False) -> Builder:
    """Scale up over time and crop the centre: factor start -> start+amount (or in and out)."""

    def build(src: str, dst: str, ctx: EffectContext, tag: str) -> Statements:
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

    def build(src: str, dst: str, ctx: EffectContext, tag: str) -> Statements:
        w, h = ctx.width, ctx.height
        sw, sh = _even(w * (1 + amount)), _even(h * (1 + amount))
        env = f"*exp(-{decay:g}*t)" if decay else ""
        x = f"({sw - w}/2)*(1+sin(t*{17 * speed:g}){env})"
        y = f"({sh - h}/2)*(1+cos(t*{13 * speed:g}){env})"
        return [f"[{src}]scale={sw}:{sh},crop={w}:{h}:x='{x}':y='{y}'[{dst}]"]

    return build


def _fade(kind: Literal["in", "out"], seconds: float, color: str = "black") -> Builder:
    def build(src: str, dst: str, ctx: EffectContext, tag: str) -> Statements:
        d = min(seconds, ctx.duration / 2)
        start = 0.0 if kind == "in" else ctx.duration - d
        return [f"[{src}]fade=t={kind}:st={start:.4f}:d={d:.4f}:color={color}[{dst}]"]

    return build


def _through_color(
    transition: str, seconds: float, *, at_start: bool, color: str = "black"
) -> Builder:
    """Reveal the segment from a flat colour (or hide it into one) with an xfade transition."""

    def build(src: str, dst: str, ctx: EffectContext, tag: str) -> Statements:
        frames = max(1, min(round(seconds * ctx.fps), ctx.frames // 2))
        d = frames / ctx.fps
        plate = (
            f"color=c={color}:s={ctx.width}x{ctx.height}:r={ctx.rate}:d={d:.6f},"
            f"format=yuv420p,setsar=1[{tag}c]"
        )
        if at_start:
            join = f"[{tag}c][{src}]xfade=transition={transition}:duration={d:.6f}:offset=0[{dst}]"
        else:
            offset = (ctx.frames - frames) / ctx.fps
            join = (
                f"[{src}][{tag}c]xfade=transition={transition}:duration={d:.6f}"
                f":offset={offset:.6f}[{dst}]"
            )
        return [plate, join]

    return build


def _blur_fade(kind: Literal["in", "out"], seconds: float | None) -> Builder:
    """A blurred copy laid over the picture, fading away (in) or appearing (out)."""

    def build(src: str, dst: str, ctx: EffectContext, tag: str) -> Statements:
        d = ctx.duration if seconds is None else min(seconds, ctx.duration / 2)
        start = 0.0 if kind == "out" else ctx.duration - d
        sw, sh = _even(ctx.width / 4), _even(ctx.height / 4)
        radius = max(2, min(sw, sh) // 20)
        return [
            f"[{src}]split=2[{tag}a][{tag}b]",
            f"[{tag}b]scale={sw}:{sh},boxblur={radius}:2,scale={ctx.width}:{ctx.height},"
            f"format=yuva420p,fade=t={kind}:st={start:.4f}:d={d:.4f}:alpha=1[{tag}c]",
            f"[{tag}a][{tag}c]overlay=format=yuv420,format=yuv420p[{dst}]",
        ]

    return build


def _blur(horizontal: bool, vertical: bool) -> Builder:
    def build(src: str, dst: str, ctx: EffectContext, tag: str) -> Statements:
        radius = max(2, min(ctx.width, ctx.height) // 50)
        if horizontal and vertical:
            chain = f"boxblur={radius}:2"
        else:
            size_x, size_y = (radius * 2, 1) if horizontal else (1, radius * 2)
            chain = f"avgblur=sizeX={size_x}:sizeY={size_y}"
        return [f"[{src}]{chain}[{dst}]"]

    return build


def _letterbox(src: str, dst: str, ctx: EffectContext, tag: str) -> Statements:
    bar = _even(ctx.height * 0.11)
    return [
        f"[{src}]drawbox=x=0:y=0:w=iw:h={bar}:color=black:t=fill,"
        f"drawbox=x=0:y=ih-{bar}:w=iw:h={bar}:color=black:t=fill[{dst}]"
    ]


def _rgb_shift(src: str, dst: str, ctx: EffectContext, tag: str) -> Statements:
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
