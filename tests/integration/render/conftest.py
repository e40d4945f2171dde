"""The render tests: the shared generated film (``dialogue_film``, known cuts, a black gap,
credits and dialogue), a folder for media of their own, and the tools they render with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from highlights.render.process import tool_scope
from tests.media import Film, dialogue_film_once, have_ffmpeg, test_tools

NEEDS_FFMPEG = pytest.mark.skipif(
    not have_ffmpeg(), reason="ffmpeg/ffprobe not installed (apt-get install ffmpeg)"
)


@pytest.fixture(autouse=True)
def _tools() -> Iterator[None]:
    """What the code under test runs, as the engine's settings would give it (``test_tools``)."""
    with tool_scope(tools=test_tools()):
        yield


@pytest.fixture(scope="session")
def dialogue_film(tmp_path_factory: pytest.TempPathFactory) -> Film:
    """The film the media suites share (``tests.media.DIALOGUE_SCENES``), made once a session."""
    return dialogue_film_once(tmp_path_factory)


@pytest.fixture(scope="package")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not have_ffmpeg():
        pytest.skip("ffmpeg/ffprobe not installed (apt-get install ffmpeg)")
    return tmp_path_factory.mktemp("render-media")


@pytest.fixture
def film(dialogue_film: Film) -> Film:
    """About 24 s at 320x180: credits, five scenes with burned-in dialogue, a black gap, credits;
    a sidecar .srt and the same cues embedded as a mov_text stream."""
    return dialogue_film
