"""Shot detection on a generated film whose cuts, black gap and credits are known exactly."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from highlights.render import process as process_module
from highlights.render.errors import RenderError
from highlights.render.ffmpeg import ffmpeg_path
from highlights.render.probe import probe
from highlights.render.shot_rules import Shot, build_analysis
from highlights.render.shots import analyse, detect_shots
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import Film, make_image, make_tone

pytestmark = [pytest.mark.media, NEEDS_FFMPEG]

TOLERANCE = 0.2


@pytest.fixture
def tool_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every external program the code under test starts (its argv)."""
    calls: list[list[str]] = []
    real: Callable[..., Any] = process_module._spawn  # every tool the engine starts goes through it

    def counting(argv: list[str], *args: Any, **kwargs: Any) -> Any:
        calls.append([str(a) for a in argv])
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(process_module, "_spawn", counting)
    return calls


def overlap(shot: Shot, start: float, end: float) -> float:
    return max(0.0, min(shot.end, end) - max(shot.start, start))


def test_cut_points_are_within_tolerance_of_the_true_ones(film: Film) -> None:
    analysis = detect_shots(film.path, probe(film.path))
    for true_cut in film.cuts:
        assert any(abs(true_cut - c) <= TOLERANCE for c in analysis.cuts), true_cut
    for found in analysis.cuts:
        assert any(abs(found - c) <= TOLERANCE for c in film.cuts), found


def test_each_scene_is_one_kept_shot(film: Film) -> None:
    analysis = detect_shots(film.path)
    scenes = film.of_kind("scene")
    assert len(analysis.shots) == len(scenes)
    for shot, scene in zip(analysis.shots, scenes, strict=True):
        assert shot.kind == "content"
        assert shot.start == pytest.approx(scene.start, abs=TOLERANCE)
        assert shot.end == pytest.approx(scene.end, abs=TOLERANCE)


def test_black_gap_is_dropped(film: Film) -> None:
    analysis = detect_shots(film.path)
    (gap,) = film.of_kind("black")
    assert all(overlap(s, gap.start, gap.end) < 0.05 for s in analysis.shots)
    assert any(
        d.kind == "black" and overlap(d, gap.start, gap.end) > 0.9 * (gap.end - gap.start)
        for d in analysis.dropped
    )


def test_opening_and_closing_credits_are_recognised_and_left_out(film: Film) -> None:
    analysis = detect_shots(film.path)
    opening, closing = film.of_kind("credits")
    assert analysis.opening_credits is not None
    assert analysis.closing_credits is not None
    assert analysis.opening_credits.start == pytest.approx(opening.start, abs=TOLERANCE)
    assert analysis.opening_credits.end == pytest.approx(opening.end, abs=TOLERANCE)
    assert analysis.closing_credits.start == pytest.approx(closing.start, abs=TOLERANCE)
    assert analysis.closing_credits.end == pytest.approx(closing.end, abs=TOLERANCE)
    for credits in (opening, closing):
        assert all(overlap(s, credits.start, credits.end) < 0.05 for s in analysis.shots)


def test_second_call_reads_the_cache_and_runs_no_tool(
    film: Film, tmp_path: Path, tool_calls: list[list[str]]
) -> None:
    info = probe(film.path)
    tool_calls.clear()
    first = detect_shots(film.path, info, cache_dir=tmp_path)
    assert any(argv[0] == ffmpeg_path() for argv in tool_calls)
    assert not first.from_cache

    tool_calls.clear()
    second = detect_shots(film.path, info, cache_dir=tmp_path)
    other_rules = detect_shots(film.path, info, cache_dir=tmp_path, threshold=0.6, min_shot=0.5)
    assert tool_calls == []
    assert second.from_cache
    assert other_rules.from_cache
    assert second.shots == first.shots
    assert second.cuts == first.cuts

    # A touched file is a new file: decoded again.
    stat = film.path.stat()
    os.utime(film.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    detect_shots(film.path, info, cache_dir=tmp_path)
    assert any(argv[0] == ffmpeg_path() for argv in tool_calls)


def test_parallel_time_ranges_measure_what_one_pass_does(film: Film) -> None:
    whole = build_analysis(analyse(film.path, film.duration, jobs=1))
    split = build_analysis(analyse(film.path, film.duration, jobs=3, min_chunk=4.0))
    assert len(split.cuts) == len(whole.cuts)
    for a, b in zip(split.cuts, whole.cuts, strict=True):
        assert a == pytest.approx(b, abs=0.05)
    assert len(split.shots) == len(whole.shots)
    for a_shot, b_shot in zip(split.shots, whole.shots, strict=True):
        assert a_shot.start == pytest.approx(b_shot.start, abs=0.05)
        assert a_shot.end == pytest.approx(b_shot.end, abs=0.05)


def test_a_film_without_a_cut_is_one_shot_whole_or_in_ranges(media_dir: Path) -> None:
    # Nothing changes from frame to frame: the scene filter passes no frame after the first, and
    # ffmpeg 7+ fails a pass whose output got none (make test-ffmpeg-new runs this on 9.0).
    still = media_dir / "uncut.mp4"
    subprocess.run(
        [ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", "color=c=0x3060a0:s=320x180:r=25:d=6",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-y", str(still)],
        check=True, timeout=60,
    )  # fmt: skip
    whole = detect_shots(still)
    assert [(s.start, s.end) for s in whole.shots] == [(0.0, pytest.approx(6.0, abs=0.05))]
    split = build_analysis(analyse(still, 6.0, jobs=3, min_chunk=2.0))
    assert split.cuts == () and len(split.shots) == 1


def test_an_image_is_one_still_shot_without_decoding(
    media_dir: Path, tool_calls: list[list[str]]
) -> None:
    image = make_image(media_dir / "poster.png", text="海报")
    info = probe(image)
    tool_calls.clear()
    analysis = detect_shots(image, info, still_duration=2.5)
    assert analysis.shots == (Shot(0.0, 2.5, "still"),)
    assert tool_calls == []


def test_audio_has_no_shots(media_dir: Path) -> None:
    tone = make_tone(media_dir / "tone.m4a", 1.0)
    with pytest.raises(RenderError, match="no video stream"):
        detect_shots(tone)
