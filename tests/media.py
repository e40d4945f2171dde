"""Test media and tools: the library's own generator (``highlights.demo_media``, which the demo
uses too), the one generated film the suites share, and the tools tests render with."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from highlights.demo_media import (
    LOOK_ORDER,
    LOOKS,
    Film,
    SceneSpec,
    Segment,
    cjk_font,
    make_film,
    make_image,
    make_tone,
    write_srt,
)
from highlights.render.tools import Tools

__all__ = [
    "DIALOGUE_SCENES",
    "LOOKS",
    "LOOK_ORDER",
    "Film",
    "SceneSpec",
    "Segment",
    "cjk_font",
    "copy_film",
    "dialogue_film_once",
    "have_ffmpeg",
    "make_dialogue_film",
    "make_film",
    "make_image",
    "make_tone",
    "test_tools",
    "write_srt",
]

# The shared film: opening credits, five scenes with dialogue in English and Chinese (burned in,
# in a sidecar .srt and as a mov_text stream), a black gap, scrolling closing credits.
DIALOGUE_SCENES = [
    SceneSpec.credits(1.6, "导演 DIRECTOR\n主演 STARRING\n高光影业 PICTURES"),
    SceneSpec(4.0, "testsrc2", dialogue="We leave for the coast at dawn.", tone_hz=330),
    SceneSpec(4.0, "smptebars", dialogue="The storm is coming tonight.", tone_hz=440),
    SceneSpec(4.0, "mandelbrot", dialogue="他终于找到了那把钥匙。", tone_hz=550),
    SceneSpec.black(0.8),
    SceneSpec(4.0, "life", dialogue="Nobody leaves this island alive.", tone_hz=660),
    SceneSpec(4.0, "amber", dialogue="这就是故事的结局。", tone_hz=770),
    SceneSpec.credits(1.6, "THE END\n剧终\nTHANKS FOR WATCHING", scroll=True),
]


def make_dialogue_film(path: Path) -> Film:
    """About 24 s at 320x180 (see ``DIALOGUE_SCENES``)."""
    return make_film(path, DIALOGUE_SCENES, sidecar_srt=True, embed_subtitles=True)


_made: dict[str, Film] = {}


def dialogue_film_once(factory: pytest.TempPathFactory) -> Film:
    """The shared film, made the first time a test session asks for it (the ``dialogue_film``
    fixtures of the render and end-to-end suites); tests copy it where they need it
    (``copy_film``). Skips the test when ffmpeg is missing."""
    if not have_ffmpeg():
        pytest.skip("ffmpeg/ffprobe not installed (apt-get install ffmpeg)")
    if "dialogue" not in _made:
        _made["dialogue"] = make_dialogue_film(factory.mktemp("dialogue-film") / "film.mp4")
    return _made["dialogue"]


def copy_film(film: Film, path: Path, *, sidecar: bool = True) -> Film:
    """``film`` copied to ``path``, with its sidecar subtitles beside it (same stem) unless not
    ``sidecar``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(film.path, path)
    srt = None
    if sidecar and film.srt is not None:
        srt = path.with_suffix(".srt")
        shutil.copyfile(film.srt, srt)
    return dataclasses.replace(film, path=path, srt=srt)


def have_ffmpeg() -> bool:
    """ffmpeg and ffprobe can be found (the media tests skip cleanly without them)."""
    tools = test_tools()
    return all(shutil.which(tool) for tool in (tools.ffmpeg, tools.ffprobe))


def test_tools() -> Tools:
    """The tools tests render with: what PATH offers, the ffmpeg of ``HIGHLIGHTS_FFMPEG`` when
    set (``make test-ffmpeg-new`` runs the media tests on a current ffmpeg that way). Tests may
    read the environment; the engine never does (the settings build its ``Tools``)."""
    tools = Tools.on_path()
    ffmpeg = os.environ.get("HIGHLIGHTS_FFMPEG", "").strip()
    return dataclasses.replace(tools, ffmpeg=ffmpeg) if ffmpeg else tools


test_tools.__test__ = False  # type: ignore[attr-defined]  # not a test, whatever its name
