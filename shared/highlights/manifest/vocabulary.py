"""Names ICE accepts: regions, transitions, filters, effects, caption enumerations."""

from __future__ import annotations

import difflib

REGIONS: tuple[str, ...] = (
    "cn-shanghai",
    "cn-beijing",
    "cn-hangzhou",
    "cn-shenzhen",
    "us-west-1",
    "ap-southeast-1",
)

TRANSITIONS: frozenset[str] = frozenset(
    [
        "directional",
        "displacement",
        "windowslice",
        "bowTieVertical",
        "bowTieHorizontal",
        "simplezoom",
        "linearblur",
        "waterdrop",
        "glitchmemories",
        "polka",
        "perlin",
        "directionalwarp",
        "bounce_up",
        "bounce_down",
        "wiperight",
        "wipeleft",
        "wipedown",
        "wipeup",
        "morph",
        "colordistance",
        "circlecrop",
        "swirl",
        "dreamy",
        "gridflip",
        "zoomincircles",
        "radial",
        "mosaic",
        "undulatingburnout",
        "crosshatch",
        "crazyparametricfun",
        "kaleidoscope",
        "windowblinds",
        "hexagonalize",
        "glitchdisplace",
        "dreamyzoom",
        "doomscreentransition_up",
        "doomscreentransition_down",
        "ripple",
        "pinwheel",
        "angular",
        "burn",
        "circle",
        "circleopen",
        "colorphase",
        "crosswarp",
        "cube",
        "directionalwipe",
        "doorway",
        "fade",
        "fadecolor",
        "fadegrayscale",
        "flyeye",
        "heart",
        "luma",
        "multiplyblend",
        "pixelize",
        "polarfunction",
        "randomsquares",
        "rotatescalefade",
        "squareswire",
        "squeeze",
        "swap",
        "wind",
    ]
)

DEFAULT_TRANSITIONS: tuple[str, ...] = (
    "linearblur",
    "colordistance",
    "crosshatch",
    "dreamyzoom",
    "doomscreentransition_up",
)


def _series(prefix: str, last: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(1, last + 1)]


FILTERS: frozenset[str] = frozenset(
    [
        *_series("m", 8),
        *_series("pf", 9),
        "pfa",
        "pfb",
        "pfc",
        *_series("pi", 4),
        *_series("pl", 4),
        *_series("pj", 4),
        "delta",
        "electric",
        "faded",
        "slowlived",
        "tokoyo",
        "urbex",
        "warm",
        *_series("f", 7),
        *_series("pv", 6),
        *_series("a", 6),
    ]
)

# The basic group; ICE has more groups, so an unknown effect is only a warning.
EFFECTS: frozenset[str] = frozenset(
    [
        "open",
        "close",
        "h_blur",
        "v_blur",
        "blur",
        "slightshake",
        "zoominout",
        "movie",
        "zoomslight",
        "color_difference",
        "withcircleopen",
        "withcircleclose",
        "withcircleshake",
        "withcircleflashlight",
        "disappear",
        "shock",
        "bluropen",
        "blurclose",
        "photograph",
        "black",
        "blurring",
        "color_to_grey",
        "grey_to_color",
        "slightrectshow",
        "slightshow",
        "wipecross",
        "whiteshow",
        "image_in_image",
        "zoom",
        "starfieldshinee",
    ]
)


def suggest(name: str, choices: frozenset[str] | tuple[str, ...] | list[str]) -> str | None:
    """The closest accepted name, compared case-insensitively, or None."""
    lowered = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None
