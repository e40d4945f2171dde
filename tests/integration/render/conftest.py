"""A small generated film with known cuts, a black gap and credits, shared by the render tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from highlights.render.ffmpeg import have_ffmpeg
from tests.media import Film, SceneSpec, make_film

NEEDS_FFMPEG = pytest.mark.skipif(
    not have_ffmpeg(), reason="ffmpeg/ffprobe not installed (apt-get install ffmpeg)"
)

SCENES = [
    SceneSpec.credits(1.6, "导演 DIRECTOR\n主演 STARRING\n高光影业 PICTURES"),
    SceneSpec(2.0, "testsrc2", dialogue="我们明天一早出发。", tone_hz=330),
    SceneSpec(2.0, "smptebars", dialogue="The storm is coming tonight.", tone_hz=440),
    SceneSpec(2.0, "mandelbrot", dialogue="他终于找到了那把钥匙。", tone_hz=550),
    SceneSpec.black(0.8),
    SceneSpec(2.0, "life", dialogue="Nobody leaves this island alive.", tone_hz=660),
    SceneSpec(2.0, "amber", dialogue="这就是故事的结局。", tone_hz=770),
    SceneSpec.credits(1.6, "THE END\n剧终\nTHANKS FOR WATCHING", scroll=True),
]


@pytest.fixture(scope="package")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not have_ffmpeg():
        pytest.skip("ffmpeg/ffprobe not installed (apt-get install ffmpeg)")
    return tmp_path_factory.mktemp("render-media")


@pytest.fixture(scope="package")
def film(media_dir: Path) -> Film:
    """About 14 s at 320x180: credits, five scenes with burned-in dialogue, a black gap, credits;
    a sidecar .srt and the same cues embedded as a mov_text stream."""
    return make_film(media_dir / "film.mp4", SCENES, sidecar_srt=True, embed_subtitles=True)
