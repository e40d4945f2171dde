"""probe() on generated files of each kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from highlights.render.errors import ToolError
from highlights.render.probe import probe
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import Film, make_image, make_tone

pytestmark = [pytest.mark.media, NEEDS_FFMPEG]


def test_film(film: Film) -> None:
    info = probe(film.path)
    assert info.kind == "video"
    assert info.duration == pytest.approx(film.duration, abs=0.1)
    assert (info.width, info.height) == film.size
    assert info.fps == pytest.approx(25)
    assert info.has_audio
    assert [(s.codec, s.language) for s in info.subtitle_streams] == [("mov_text", "chi")]


@pytest.mark.parametrize("name", ["still.png", "still.jpg", "still.webp"])
def test_images_are_stills(media_dir: Path, name: str) -> None:
    info = probe(make_image(media_dir / name, (64, 48)))
    assert info.kind == "image"
    assert info.duration is None
    assert (info.width, info.height) == (64, 48)


def test_audio(media_dir: Path) -> None:
    info = probe(make_tone(media_dir / "tone.wav", 1.5))
    assert info.kind == "audio"
    assert info.duration == pytest.approx(1.5, abs=0.01)
    assert info.width is None


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video")
    with pytest.raises(ToolError) as caught:
        probe(junk)
    assert "junk.mp4" in str(caught.value)
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "missing.mp4")
