from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from highlights.render.process import tool_scope
from tests.media import Film, copy_film, dialogue_film_once, make_image, make_tone, test_tools

pytestmark = pytest.mark.media

URL = "https://e2e-bucket.oss-cn-shanghai.aliyuncs.com"


def need_ffmpeg() -> None:
    if not (shutil.which("ffmpeg") and shutil.which("ffprobe") and shutil.which("espeak-ng")):
        pytest.skip("ffmpeg, ffprobe and espeak-ng are installed by `make test`")


@pytest.fixture(autouse=True)
def _tools() -> Iterator[None]:
    """What render code called from a test runs (``test_tools``); the engine's own renders take
    the tools their LocalProducer was built with."""
    with tool_scope(tools=test_tools()):
        yield


@pytest.fixture(scope="session")
def dialogue_film(tmp_path_factory: pytest.TempPathFactory) -> Film:
    """The film the media suites share (``tests.media.DIALOGUE_SCENES``), made once a session."""
    return dialogue_film_once(tmp_path_factory)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory, dialogue_film: Film) -> Path:
    """The shared generated film (credits, scenes with dialogue and a sidecar .srt, a black gap),
    music, a sticker: made once per session and copied into each test's bucket."""
    need_ffmpeg()
    root = tmp_path_factory.mktemp("e2e-media")
    film = copy_film(dialogue_film, root / "media" / "film.mp4")
    assert film.srt is not None
    make_tone(root / "media" / "music.m4a", 4.0, frequency=330)
    make_image(root / "media" / "badge.png", (96, 48), look="amber", text="E2E")
    return root


@pytest.fixture
def bucket(media: Path, tmp_path: Path) -> Path:
    root = tmp_path / "bucket"
    shutil.copytree(media, root)
    return root


def narration_manifest(**output: Any) -> dict[str, Any]:
    return {
        "InputConfig": {
            "MediaArray": [f"{URL}/media/film.mp4"],
            "TitleArray": ["E2E Title"],
            "SpeechTextArray": [
                "The last train pulls out of the station. At sunrise people head home."
            ],
            "SceneInfo": {"Scene": "MovieHighlights"},
            "StickerArray": [
                {
                    "MediaURL": f"{URL}/media/badge.png",
                    "X": 0.7,
                    "Y": 0.02,
                    "Width": 0.25,
                    "Height": 0.08,
                }
            ],
            "BackgroundMusicArray": [f"{URL}/media/music.m4a"],
        },
        "EditingConfig": {"ProcessConfig": {"EnableSubtitleMatch": True}},
        "OutputConfig": {
            "MediaURL": f"{URL}/out/e2e/h_{{index}}.mp4",
            "Count": 2,
            "Width": 360,
            "Height": 640,
            **output,
        },
    }


def write(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)
