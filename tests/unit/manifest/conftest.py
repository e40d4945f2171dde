from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

REGION = "cn-shanghai"
BUCKET_URL = "https://films.oss-cn-shanghai.aliyuncs.com"
SEED = Path(__file__).resolve().parents[4] / "shared" / "seed" / "movie-highlights-parameters.txt"

_NARRATION: dict[str, Any] = {
    "InputConfig": {
        "MediaArray": [f"{BUCKET_URL}/in/film.mp4"],
        "SpeechTextArray": ["The city sleeps. A train crosses the bridge."],
        "SceneInfo": {"Scene": "MovieHighlights"},
    },
    "OutputConfig": {
        "MediaURL": f"{BUCKET_URL}/out/h_{{index}}.mp4",
        "Width": 1080,
        "Height": 1920,
    },
}

_STORYBOARD: dict[str, Any] = {
    "InputConfig": {
        "MediaArray": [f"{BUCKET_URL}/in/film.mp4"],
        "SceneInfo": {
            "Scene": "MovieHighlights",
            "FaceInfo": {
                "ImageInfoList": [{"Name": "Lin", "ImageURL": "https://cdn.example.com/lin.png"}]
            },
            "ShotInfo": {
                "ShotScripts": [
                    {"ScriptText": "A train at night.", "SpeechText": "The train runs."},
                    {
                        "Descriptions": ["Lin at the window"],
                        "Characters": ["Lin"],
                        "SpeechText": "She waits.",
                    },
                    {"ScriptText": "The station.", "Duration": 3, "Volume": 1},
                ]
            },
        },
    },
    "OutputConfig": {"MediaURL": f"{BUCKET_URL}/out/s_{{index}}.mp4", "Width": 1280, "Height": 720},
}


@pytest.fixture
def narration() -> dict[str, Any]:
    return copy.deepcopy(_NARRATION)


@pytest.fixture
def storyboard() -> dict[str, Any]:
    return copy.deepcopy(_STORYBOARD)


def dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2)


@pytest.fixture(scope="session")
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip("the seed document (../shared/seed) is not beside this checkout")
    return SEED.read_text(encoding="utf-8")
