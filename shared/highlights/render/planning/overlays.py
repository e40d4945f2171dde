"""What goes over and under an output's segments: title, sub-headings, captions, background,
stickers, music. Items drawn from an array go round the job seed's permutation (``spread``)."""

from __future__ import annotations

from dataclasses import dataclass

from highlights.manifest.models import Manifest, Orientation, SubHeadingStyle
from highlights.render.planning.choices import spread
from highlights.render.planning.references import ResolvedMedia
from highlights.render.timeline import Background, Captions, Music, StickerOverlay, TextOverlay

SUB_HEADING_STEP = 0.06  # default Y of level n: the title's Y + n x this
DEFAULT_BLUR = 0.5


@dataclass(frozen=True)
class Overlays:
    title: TextOverlay | None
    sub_headings: list[TextOverlay]
    captions: Captions | None
    background: Background
    stickers: list[StickerOverlay]
    music: Music | None


def overlays(
    manifest: Manifest,
    resolved: ResolvedMedia,
    seed: int,
    index: int,
    *,
    narrated: bool,
) -> Overlays:
    """Output ``index``'s overlays (``seed`` is the job's); captions only when ``narrated``."""
    inputs, editing = manifest.input_config, manifest.editing_config
    orientation: Orientation = manifest.output_config.orientation
    title_config = editing.title_config
    title_y = title_config.y if title_config.y is not None else title_config.default_y(orientation)
    title = None
    if inputs.title_array:
        title = TextOverlay(
            text=spread(inputs.title_array, seed, "title", index),
            y=title_y,
            font_size=title_config.font_size,
            alignment=title_config.alignment,
        )
    levels: dict[int, list[str]] = {}
    for heading in inputs.sub_heading_array or []:
        levels.setdefault(heading.level, []).extend(heading.title_array)
    styles: dict[str, SubHeadingStyle] = {str(k): v for k, v in editing.sub_heading_config.items()}
    sub_headings = []
    for level in sorted(levels):
        style = styles.get(str(level))
        y = (
            style.y
            if style is not None and style.y is not None
            else title_y + SUB_HEADING_STEP * level
        )
        sub_headings.append(
            TextOverlay(
                text=spread(levels[level], seed, f"sub-heading-{level}", index),
                y=y,
                font_size=style.font_size if style is not None else None,
                alignment=style.alignment if style is not None else "TopCenter",
                level=level,
            )
        )
    captions = None
    if narrated:
        asr = editing.speech_config.asr_config
        captions = Captions(
            y=asr.y if asr.y is not None else asr.default_y(orientation),
            font_size=asr.font_size,
            alignment=asr.alignment,
        )
    if resolved.backgrounds:
        background = Background(
            kind="image", image=spread(resolved.backgrounds, seed, "background", index)
        )
    else:
        radius = editing.background_image_config.radius
        background = Background(kind="blur", radius=DEFAULT_BLUR if radius is None else radius)
    music = None
    if resolved.music:
        music = Music(
            source=spread(resolved.music, seed, "music", index),
            volume=editing.background_music_config.volume,
        )
    return Overlays(title, sub_headings, captions, background, list(resolved.stickers), music)
