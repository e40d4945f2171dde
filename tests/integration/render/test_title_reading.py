"""Titles over pictures confirmed by tesseract: a bright fractal at the film's start looks like
titles to the sampled grid but has no words, so it is kept; drawn titles are still dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from highlights.render import ocr, title_ocr
from highlights.render.shots import ShotAnalysis, detect_shots
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

# At 720p the mandelbrot's bright rim is a centred crisp row drifting up the frame: the look
# rules call the opening shot titles (checked below, so the test cannot pass vacuously).
SCENES = [
    SceneSpec(5.0, "mandelbrot"),
    SceneSpec(2.0, "amber"),
    SceneSpec(2.0, "teal"),
    SceneSpec.titles(2.5, "DIRECTED BY A. PERSON", "testsrc2"),
]
FRACTAL = (0.0, 5.0)


@pytest.fixture(scope="module")
def fractal_film(media_dir: Path) -> Film:
    return make_film(media_dir / "titles" / "fractal.mp4", SCENES, (1280, 720))


def spans(analysis: ShotAnalysis, kind: str | None = None) -> list[tuple[float, float]]:
    shots = analysis.shots if kind is None else [d for d in analysis.dropped if d.kind == kind]
    return [(round(s.start, 1), round(s.end, 1)) for s in shots]


def test_a_fractal_that_looks_like_titles_is_read_and_kept(
    fractal_film: Film, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (title,) = fractal_film.of_kind("titles")
    drawn = (round(title.start, 1), round(title.end, 1))
    by_look = detect_shots(fractal_film.path, read_titles=False)
    assert spans(by_look, "titles") == [FRACTAL, drawn]

    read = detect_shots(fractal_film.path, cache_dir=tmp_path)
    assert FRACTAL in spans(read)
    assert spans(read, "titles") == [drawn]  # the drawn title is read: still dropped
    assert len(list(tmp_path.glob("titles-*.json"))) == 2  # one outcome per candidate shot

    # A second job on the same film reads nothing: the outcomes come from the cache.
    def no_reading(*args: Any, **kw: Any) -> bool:
        raise AssertionError("read again")

    monkeypatch.setattr(title_ocr, "_read_region", no_reading)
    again = detect_shots(fractal_film.path, cache_dir=tmp_path)
    assert (spans(again), spans(again, "titles")) == (spans(read), spans(read, "titles"))


def test_without_tesseract_the_look_decides_alone(
    fractal_film: Film, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: False)
    analysis = detect_shots(fractal_film.path)
    assert spans(analysis, "titles")[0] == FRACTAL
