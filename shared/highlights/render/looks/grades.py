"""ICE's filters as colour grades: every name in ``FILTER_MAP`` maps to a grade made of ``eq``,
``hue``, ``lutyuv`` (tint and lifted blacks), ``curves`` presets and ``vignette``; a family keeps
a character (warm, cool, faded, vivid ...) and each member a distinct variation."""

from __future__ import annotations

from dataclasses import dataclass


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
