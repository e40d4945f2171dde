"""Burned-in subtitles read with tesseract from a generated film without a subtitle file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from highlights.manifest.models import Manifest
from highlights.render import ocr
from highlights.render import process as process_module
from highlights.render.ffmpeg import ffmpeg_path
from highlights.render.media import sidecar_key
from highlights.render.planning import plan_timelines
from highlights.render.probe import probe
from highlights.render.subtitles import similarity
from highlights.render.timeline import Segment
from highlights.storage.local import LocalStore
from highlights.storage.urls import folder_key_for_url
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import Film, SceneSpec, make_film

pytestmark = [
    pytest.mark.media,
    NEEDS_FFMPEG,
    pytest.mark.skipif(
        not ocr.ocr_available(),
        reason="tesseract with eng and chi_sim not installed "
        "(apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim)",
    ),
]

SCENES = [
    SceneSpec(3.0, "testsrc2", dialogue="We leave for the coast at dawn.", tone_hz=330),
    SceneSpec(3.0, "smptebars", dialogue="The storm is coming tonight.", tone_hz=440),
    SceneSpec(3.0, "mandelbrot", dialogue="他终于找到了那把钥匙。", tone_hz=550),
    SceneSpec(3.0, "gradients", dialogue="Nobody leaves this island alive.", tone_hz=660),
    SceneSpec(3.0, "amber", dialogue="Bring the lantern to the old lighthouse.", tone_hz=770),
]
NARRATION = [
    "At dawn they leave for the coast.",
    "A storm is coming tonight.",
    "他找到了那把钥匙。",
    "Nobody leaves the island alive.",
    "They bring a lantern to the lighthouse.",
]
SHUFFLE = [3, 0, 4, 2, 1]
KEYS = folder_key_for_url("cn-shanghai")


@dataclass(frozen=True)
class Bucket:
    store: LocalStore
    film: Film
    cache: Path


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Bucket:
    root = tmp_path_factory.mktemp("ocr-bucket")
    film = make_film(root / "films" / "burned.mp4", SCENES, size=(320, 180), burn_text=True)
    store = LocalStore(root)
    assert sidecar_key("films/burned.mp4", store) is None
    assert not probe(film.path).subtitle_streams
    return Bucket(store, film, root / ".highlights" / "cache")


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def test_burned_in_dialogue_is_read_in_the_right_scene(bucket: Bucket, tmp_path: Path) -> None:
    film = bucket.film
    cues = ocr.burned_in_cues(film.path, probe(film.path), cache_dir=tmp_path)
    for scene in film.of_kind("scene"):
        dialogue = scene.spec.dialogue or ""
        found = [c for c in cues if similarity(c.text, dialogue) >= 0.5]
        assert found, (dialogue, cues)
        for cue in found:
            # Each reading lies mostly in its own scene (cue edges are one sample coarse).
            inside = overlap((cue.start, cue.end), (scene.start, scene.end))
            assert inside >= 0.5 * (cue.end - cue.start), (cue, scene)
    assert all(0 <= c.start < c.end <= film.duration + 1e-6 for c in cues)


def test_a_second_read_comes_from_the_cache(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = probe(bucket.film.path)
    runs: list[list[str]] = []
    real_spawn = process_module._spawn  # every tool the engine starts goes through it

    def counting(*args: Any, **kwargs: Any) -> Any:
        runs.append(list(args[0]))
        return real_spawn(*args, **kwargs)

    monkeypatch.setattr(process_module, "_spawn", counting)
    first = ocr.burned_in_cues(bucket.film.path, info, cache_dir=tmp_path)
    tesseract_calls = [r for r in runs if any("tesseract" in Path(a).name for a in r)]
    ffmpeg_calls = [r for r in runs if r[0] == ffmpeg_path()]
    assert len(ffmpeg_calls) == 1  # one sampling pass
    assert 1 <= len(tesseract_calls) <= 2 * 2  # 15 samples: two tiles, each read at most twice
    runs.clear()
    assert ocr.burned_in_cues(bucket.film.path, info, cache_dir=tmp_path) == first
    assert runs == []
    assert any(tmp_path.glob("ocr-burned-*.json"))


def manifest(narration: list[str]) -> Manifest:
    return Manifest.model_validate(
        {
            "InputConfig": {
                "MediaArray": ["https://any.oss-cn-shanghai.aliyuncs.com/films/burned.mp4"],
                "SpeechTextArray": [" ".join(narration)],
                "SceneInfo": {"Scene": "MovieHighlights"},
            },
            "EditingConfig": {"ProcessConfig": {"EnableSubtitleMatch": True}},
            "OutputConfig": {
                "MediaURL": "oss://bucket/out/highlight_{index}.mp4",
                "Width": 320,
                "Height": 180,
            },
        }
    )


def scene_of(film: Film, segment: Segment) -> int | None:
    for k, scene in enumerate(film.of_kind("scene")):
        if scene.start - 1e-6 <= segment.source_in and segment.source_out <= scene.end + 1e-6:
            return k
    return None


def test_subtitle_match_uses_burned_in_text_without_a_subtitle_file(
    bucket: Bucket, tmp_path: Path
) -> None:
    (timeline,) = plan_timelines(
        manifest([NARRATION[k] for k in SHUFFLE]),
        bucket.store,
        tmp_path,
        key_for_url=KEYS,
        cache_dir=bucket.cache,
        preview_prefix="previews/",
        contact_sheets=False,
    )
    assert [scene_of(bucket.film, s) for s in timeline.segments] == SHUFFLE
    scenes = bucket.film.of_kind("scene")
    for seg, k in zip(timeline.segments, SHUFFLE, strict=True):
        assert seg.match == "subtitle"
        assert seg.matched_text is not None
        assert similarity(seg.matched_text, scenes[k].spec.dialogue or "") >= 0.5
    assert not any("no sidecar subtitles" in w for w in timeline.warnings)


def test_without_ocr_the_warning_says_so(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: False)
    (timeline,) = plan_timelines(
        manifest(NARRATION[:2]),
        bucket.store,
        tmp_path,
        key_for_url=KEYS,
        cache_dir=tmp_path / "cache",
        preview_prefix="previews/",
        contact_sheets=False,
    )
    assert any("OCR (tesseract) is not installed" in w for w in timeline.warnings)
