"""ICE's transitions as ffmpeg's xfade transitions: every name in ``TRANSITION_MAP`` maps to one
of xfade's built-in transitions (docs/render-mapping.md gives the reasoning)."""

from __future__ import annotations

from dataclasses import dataclass

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
