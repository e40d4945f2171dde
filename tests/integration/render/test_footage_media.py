"""Real footage's quirks on generated films: black bars (and a dark scene that is not bars), titles
over moving pictures at either end, burned-in dialogue under the captions, and Count outputs."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from highlights.manifest.models import Manifest
from highlights.render.compose import compose
from highlights.render.ffmpeg import ffmpeg_path
from highlights.render.graph.fit import fit_geometry
from highlights.render.ocr import ocr_available, tesseract_path
from highlights.render.planning import plan_timelines
from highlights.render.shots import detect_shots
from highlights.render.subtitles import similarity
from highlights.render.timeline import Timeline
from highlights.storage.local import LocalStore
from highlights.storage.urls import folder_key_for_url
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import Film, SceneSpec, make_film

pytestmark = [pytest.mark.media, NEEDS_FFMPEG]

SIZE = (320, 180)
SCENES = [
    SceneSpec(3.0, "amber", dialogue="We leave for the coast at dawn."),
    SceneSpec(3.0, "night"),  # dark to every edge: never bars
    SceneSpec(3.0, "teal", dialogue="The storm is coming tonight."),
    SceneSpec(3.0, "smptebars"),
]
TITLED = [
    SceneSpec.titles(2.5, "HIGHLIGHTS PICTURES\npresents"),
    SceneSpec.titles(2.5, "THE LONG NIGHT", "testsrc2"),
    SceneSpec(3.0, "amber", dialogue="We leave for the coast at dawn."),
    SceneSpec(3.0, "teal", dialogue="The storm is coming tonight."),
    SceneSpec(3.0, "smptebars", dialogue="Nobody leaves this island alive."),
    SceneSpec(3.0, "rgbtestsrc", dialogue="这就是故事的结局。"),
    SceneSpec.titles(3.0, "DIRECTED BY A. PERSON\n\nMUSIC BY B. COMPOSER", scroll=True),
]
NARRATION = "They leave at dawn. A storm comes tonight. Nobody leaves alive. This is the end."


@dataclass(frozen=True)
class Films:
    pillarbox: Film
    letterbox: Film
    plain: Film
    titled: Film


@pytest.fixture(scope="module")
def films(media_dir: Path) -> Films:
    folder = media_dir / "footage"
    return Films(
        pillarbox=make_film(folder / "pillarbox.mp4", SCENES, SIZE, picture=(240, 180)),
        letterbox=make_film(folder / "letterbox.mp4", SCENES, SIZE, picture=(320, 136)),
        plain=make_film(folder / "plain.mp4", SCENES, SIZE),
        titled=make_film(folder / "titled.mp4", TITLED, SIZE),
    )


def bucket_with(film: Film, tmp_path: Path) -> LocalStore:
    root = tmp_path / "bucket"
    (root / "films").mkdir(parents=True)
    shutil.copyfile(film.path, root / "films" / "film.mp4")
    return LocalStore(root)


def plan(store: LocalStore, size: tuple[int, int], **kw: Any) -> list[Timeline]:
    process = kw.pop("process", {"EnableTemporalOpt": True})
    manifest = Manifest.model_validate(
        {
            "InputConfig": {
                "MediaArray": ["films/film.mp4"],
                "SpeechTextArray": [kw.pop("narration", NARRATION)],
                "SceneInfo": {"Scene": "MovieHighlights"},
            },
            "EditingConfig": {"ProcessConfig": process},
            "OutputConfig": {
                "MediaURL": "oss://bucket/out/highlight_{index}.mp4",
                "Width": size[0],
                "Height": size[1],
                "Count": kw.pop("count", 1),
            },
        }
    )
    return plan_timelines(
        manifest,
        store,
        store.root / "work",
        key_for_url=folder_key_for_url("cn-shanghai"),
        cache_dir=store.root / ".highlights" / "cache",
        preview_prefix=".highlights/previews/test/",
        contact_sheets=False,
        seed=7,
        **kw,
    )


def render(store: LocalStore, timeline: Timeline) -> Path:
    out = store.root / "out" / f"highlight_{timeline.index}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    return compose(timeline, store, out, work_dir=store.root / "work").path


def gray(path: Path, t: float, size: tuple[int, int], *, scale: bool = False) -> bytes:
    """One frame at ``t`` as grey bytes (scaled to ``size`` when ``scale``)."""
    done = subprocess.run(
        [ffmpeg_path(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1",
         *(["-vf", f"scale={size[0]}:{size[1]}"] if scale else []),
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    assert len(done.stdout) == size[0] * size[1]
    return done.stdout


def column_means(frame: bytes, width: int, rows: range) -> list[float]:
    return [sum(frame[y * width + x] for y in rows) / len(rows) for x in range(width)]


def row_means(frame: bytes, width: int, rows: range) -> list[float]:
    return [sum(frame[y * width : (y + 1) * width]) / width for y in rows]


def stripes(means: list[float], width: int = 4) -> list[float]:
    """The mean of every run of ``width`` rows or columns."""
    return [sum(means[k : k + width]) / width for k in range(len(means) - width + 1)]


def mad(a: bytes, b: bytes, width: int, rows: range) -> float:
    total = sum(abs(a[y * width + x] - b[y * width + x]) for y in rows for x in range(width))
    return total / (len(rows) * width)


def bright_segment(film: Film, timeline: Timeline) -> tuple[float, float]:
    """(output time, source time) in the middle of a segment from a flat, bright scene."""
    for seg in timeline.segments:
        middle = (seg.source_in + seg.source_out) / 2
        scene = next(s for s in film.segments if s.start <= middle < s.end)
        if scene.spec.look in ("amber", "teal"):
            return seg.start + min(seg.duration, seg.source_out - seg.source_in) / 2, middle
    raise AssertionError("no segment from a bright scene")


# -- bars -------------------------------------------------------------------------------------


def test_analysis_finds_the_picture_inside_bars_and_a_dark_scene_is_not_bars(films: Films) -> None:
    assert detect_shots(films.pillarbox.path).picture == (40, 0, 240, 180)
    assert detect_shots(films.letterbox.path).picture == (0, 22, 320, 136)
    assert detect_shots(films.plain.path).picture is None


@pytest.mark.parametrize(("which", "size"), [("pillarbox", (180, 320)), ("letterbox", (180, 320)),
                                             ("pillarbox", (320, 180))])  # fmt: skip
def test_outputs_show_no_black_stripes_inside_the_picture(
    films: Films, tmp_path: Path, which: str, size: tuple[int, int]
) -> None:
    film: Film = getattr(films, which)
    store = bucket_with(film, tmp_path)
    (timeline,) = plan(store, size, narration="They leave at dawn. A storm comes tonight.")
    picture = film.picture
    assert picture is not None
    assert all(seg.picture is not None for seg in timeline.segments)
    out = render(store, timeline)
    at, _ = bright_segment(film, timeline)
    frame = gray(out, at, size)
    fit = fit_geometry(picture, size)
    if fit.axis == "v":  # the picture across the canvas, blurred bars above and below it
        top = fit.bars[0][3] if fit.bars else 0
        rows = range(top + 2, top + fit.size[1] - 2)
    else:
        rows = range(size[1] // 4, 3 * size[1] // 4)
    # Kept bars would be black stripes, 10 to 20 pixels wide here, at the picture's sides
    # (pillarbox) or top and bottom (letterbox); the flat scenes are bright to every edge of
    # their picture (a grid line of amber's is a pixel or two).
    assert min(stripes(column_means(frame, size[0], rows))) > 60
    assert min(stripes(row_means(frame, size[0], rows))) > 60


def test_bars_are_found_in_a_10_bit_film(films: Films, tmp_path: Path) -> None:
    # Black is level 64 of 1023 there: a black level given as a raw 8-bit number (24) would
    # take the bars for picture.
    ten = tmp_path / "pillarbox-10bit.mkv"
    subprocess.run(
        [ffmpeg_path(), "-v", "error", "-i", str(films.pillarbox.path), "-t", "3", "-an",
         "-c:v", "ffv1", "-pix_fmt", "yuv420p10le", str(ten)],
        check=True, timeout=60,
    )  # fmt: skip
    assert detect_shots(ten).picture == (40, 0, 240, 180)


def test_a_film_without_bars_is_composed_as_before(films: Films, tmp_path: Path) -> None:
    store = bucket_with(films.plain, tmp_path)
    (timeline,) = plan(store, (180, 320))
    assert all(seg.picture is None for seg in timeline.segments)


# -- titles over pictures ----------------------------------------------------------------------


def test_titles_and_end_credits_over_pictures_are_never_narrated(
    films: Films, tmp_path: Path
) -> None:
    film = films.titled
    analysis = detect_shots(film.path)
    titles = film.of_kind("titles")
    dropped = [d for d in analysis.dropped if d.kind == "titles"]
    assert len(dropped) == len(titles)
    store = bucket_with(film, tmp_path)
    for process in ({"EnableTemporalOpt": True}, {}, {"EnableSubtitleMatch": True}):
        for timeline in plan(store, SIZE, count=2, process=process):
            for seg in timeline.segments:
                for title in titles:
                    assert seg.source_out <= title.start or seg.source_in >= title.end, seg


# -- captions and burned-in dialogue -----------------------------------------------------------


def test_captions_keep_clear_of_the_film_s_own_subtitles(films: Films, tmp_path: Path) -> None:
    size = (640, 360)
    film = films.titled  # dialogue in every scene between the titles
    store = bucket_with(film, tmp_path)
    narration = "They leave for the coast."
    (timeline,) = plan(store, size, narration=narration)
    (seg,) = timeline.segments
    assert seg.burned_text is not None
    out = render(store, timeline)
    at = seg.start + 0.6  # the caption shows while the narration plays
    source_at = seg.source_in + 0.6
    shown, source = gray(out, at, size), gray(film.path, source_at, size, scale=True)
    top, bottom = (round(f * size[1]) for f in seg.burned_text)
    subtitle_rows = range(top, min(size[1], bottom))
    # The film's subtitles are as they were in the source ...
    assert mad(shown, source, size[0], subtitle_rows) < 8
    # ... and the caption is drawn elsewhere: above them, where the output differs.
    differs = [y for y in range(size[1]) if mad(shown, source, size[0], range(y, y + 1)) > 20]
    assert differs and max(differs) < top
    caption_rows = range(min(differs), max(differs) + 1)
    assert len(caption_rows) >= 8  # a line of text
    assert max(shown[y * size[0] + x] for y in caption_rows for x in range(size[0])) > 200
    if ocr_available():  # legible: tesseract reads it back
        crop = tmp_path / "caption.png"
        subprocess.run(
            [ffmpeg_path(), "-v", "error", "-ss", f"{at:.3f}", "-i", str(out), "-frames:v", "1",
             "-vf", f"crop={size[0]}:{len(caption_rows) + 8}:0:{min(differs) - 4},negate",
             "-update", "1", str(crop)],
            check=True, timeout=60,
        )  # fmt: skip
        read = subprocess.run(
            [tesseract_path(), str(crop), "stdout", "-l", "eng", "--psm", "7"],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip
        assert similarity(read, narration) > 0.6, read


# -- Count -------------------------------------------------------------------------------------


def test_count_outputs_differ_and_keep_the_film_s_order(films: Films, tmp_path: Path) -> None:
    store = bucket_with(films.titled, tmp_path)
    timelines = plan(store, SIZE, count=3)
    picks = [tuple((s.source, s.source_in, s.source_out) for s in t.segments) for t in timelines]
    assert len(set(picks)) == 3
    for ranges in picks:
        assert [r[1] for r in ranges] == sorted(r[1] for r in ranges)
    assert not any("same source ranges" in w for t in timelines for w in t.warnings)
    again = plan(store, SIZE, count=3)
    assert [t.model_dump() for t in again] == [t.model_dump() for t in timelines]
