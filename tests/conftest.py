from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from highlights.demo_media import Film


@pytest.fixture(autouse=True)
def _isolated_environment() -> Iterator[None]:
    """Settings live in the environment, and `highlights run`/`serve` set them as Function Compute
    would: no test may leak them into the next."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    from highlights.fc import app

    app.reset()


@pytest.fixture(scope="session")
def dialogue_film(tmp_path_factory: pytest.TempPathFactory) -> Film:
    """The film the media suites share (``tests.media.DIALOGUE_SCENES``), made once."""
    from tests.media import have_ffmpeg, make_dialogue_film

    if not have_ffmpeg():
        pytest.skip("ffmpeg/ffprobe not installed (apt-get install ffmpeg)")
    return make_dialogue_film(tmp_path_factory.mktemp("dialogue-film") / "film.mp4")
