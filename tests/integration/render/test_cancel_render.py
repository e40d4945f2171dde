"""Cancelling a job the real engine is rendering: its ffmpeg passes are killed at once, the job ends
Failed with the code Cancelled, and nothing of it is left (no output, no work folder)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from highlights.ports import SubmitRequest
from highlights.producers.local import LocalProducer
from highlights.storage.local import LocalStore
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import SceneSpec, make_film, test_tools
from tests.processes import alive as running
from tests.processes import until

pytestmark = [
    pytest.mark.media,
    NEEDS_FFMPEG,
    pytest.mark.skipif(sys.platform != "linux", reason="reads /proc"),
]

NARRATION = (
    "The night train leaves the city. Rain runs down the windows. Nobody on board says a word. "
    "At the bridge the lights go out. Somewhere a door opens and closes again."
)


def renders() -> list[int]:
    """This process's children that are ffmpeg render passes (they read a filter script)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        mine = int(fields[1]) == os.getpid() and fields[0] not in ("Z", "X")
        if mine and any(b"filter_complex" in part for part in command):
            found.append(int(entry.name))
    return found


def test_cancel_stops_a_render_in_flight(tmp_path: Path) -> None:
    root = tmp_path / "bucket"
    scenes = [SceneSpec(5.0, look) for look in ("amber", "teal", "violet", "testsrc2")]
    make_film(root / "media" / "film.mp4", scenes, burn_text=False, with_audio=False)
    store = LocalStore(root)
    engine = LocalProducer(store, region="cn-shanghai", tools=test_tools())
    request = SubmitRequest(
        input_config=json.dumps(
            {
                "MediaArray": ["media/film.mp4"],
                "SpeechTextArray": [NARRATION],
                "SceneInfo": {"Scene": "MovieHighlights"},
            }
        ),
        output_config=json.dumps(
            {"MediaURL": "oss://b/out/v_{index}.mp4", "Width": 1280, "Height": 720}
        ),
    )
    job_id = engine.submit(request, "token", None)
    assert until(lambda: bool(renders()), 120), "the render never started"
    passes = renders()
    assert engine.cancel(job_id, "a newer version of the manifest arrived")
    engine.wait(30)
    assert until(lambda: not any(running(p) for p in passes), 10), passes
    record = json.loads(store.get(f".highlights/engine/{job_id}.json"))
    assert (record["status"], record["error_code"]) == ("Failed", "Cancelled")
    assert record["error_message"] == "cancelled: a newer version of the manifest arrived"
    assert not store.path_for("out/v_1.mp4").exists()
    assert not any(p.name.startswith(".v_1.mp4.tmp-") for p in (root / "out").glob(".*"))
    assert not (root / ".highlights" / "engine" / "work" / job_id).exists()
