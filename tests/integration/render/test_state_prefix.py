"""Everything the engine keeps in the bucket goes under the state prefix it was given: a real job,
rendered end to end with ``_state/``, leaves nothing under ``.highlights/``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from highlights.ports import SubmitRequest
from highlights.producers.local import LocalProducer
from highlights.storage.local import LocalStore
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import Film, copy_film, test_tools

pytestmark = [pytest.mark.media, NEEDS_FFMPEG]


def request(**output: object) -> SubmitRequest:
    return SubmitRequest(
        input_config=json.dumps(
            {
                "MediaArray": ["oss://b/films/film.mp4"],
                "SpeechTextArray": ["The storm is coming tonight."],
                "SceneInfo": {"Scene": "MovieHighlights"},
            }
        ),
        editing_config=json.dumps({"ProcessConfig": {"EnableSubtitleMatch": True}}),
        output_config=json.dumps({"Width": 320, "Height": 180, **output}),
    )


def test_a_job_with_another_state_prefix_writes_nothing_under_highlights(
    film: Film, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "bucket")
    copy_film(film, store.root / "films" / "film.mp4")
    engine = LocalProducer(store, state_prefix="_state/", tools=test_tools())
    final = engine.submit(request(MediaURL="oss://b/out/v_{index}.mp4"), "token-final", None)
    preview = engine.submit(request(GeneratePreviewOnly=True), "token-preview", None)
    engine.wait(240)
    for job_id in (final, preview):
        status = engine.get(job_id)
        assert (status.status, [s.status for s in status.sub_jobs]) == ("Finished", ["Success"])
    assert store.exists("out/v_1.mp4") and store.exists("out/v_1.contact.png")
    kept = sorted(o.key for o in store.list("_state/"))
    assert f"_state/engine/{final}.json" in kept and f"_state/engine/{preview}.json" in kept
    assert f"_state/previews/{preview}/preview_1.mp4" in kept
    assert f"_state/previews/{preview}/preview_1.contact.png" in kept
    assert any(k.startswith("_state/cache/shots-") for k in kept)  # analyses
    assert any(k.startswith("_state/cache/speech-") for k in kept)  # and speech, kept for later
    assert not (store.root / "_state" / "engine" / "work").exists() or not any(
        (store.root / "_state" / "engine" / "work").iterdir()
    )  # work folders went with their jobs
    assert not (store.root / ".highlights").exists()
