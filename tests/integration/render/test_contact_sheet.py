"""Contact sheets: one cell per segment, the right frame in it, the sheet beside the video."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import Any

import pytest

from highlights.manifest.models import Manifest
from highlights.render import contact_sheet
from highlights.render import process as process_module
from highlights.render.contact_sheet import (
    BAND_HEIGHT,
    CELL_HEIGHT,
    CELL_WIDTH,
    COLUMNS,
    PADDING,
    TEXT_SIZE,
    render_contact_sheet,
    sheet_key,
    shown_segments,
    wrap,
)
from highlights.render.ffmpeg import ffmpeg_path, ffprobe_path
from highlights.render.keys import EngineKeys
from highlights.render.planning import plan_timelines
from highlights.render.probe import probe
from highlights.render.timeline import Segment, Timeline
from highlights.storage.local import LocalStore
from highlights.storage.urls import folder_key_for_url
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import Film, SceneSpec, make_film, make_image

pytestmark = [pytest.mark.media, NEEDS_FFMPEG]

LOOKS = ["amber", "teal", "violet"]


def sheet_size(segments: int) -> tuple[int, int]:
    """Pixel size of the sheet for that many segments: the layout the module docstring gives."""
    columns = max(1, min(COLUMNS, segments))
    rows = max(1, math.ceil(segments / columns))
    cell_h = CELL_HEIGHT + BAND_HEIGHT
    return (
        columns * CELL_WIDTH + (columns + 1) * PADDING,
        rows * cell_h + (rows + 1) * PADDING,
    )


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalStore, Film]:
    root = tmp_path_factory.mktemp("sheet")
    scenes = [SceneSpec(3.0, look, dialogue=f"Line {k}") for k, look in enumerate(LOOKS)]
    film = make_film(root / "films" / "colours.mp4", scenes, with_audio=False, burn_text=False)
    make_image(root / "pics" / "still.png", look="teal")
    return LocalStore(root), film


def mean_rgb(png: Path, x: int, y: int, w: int, h: int) -> tuple[int, int, int]:
    done = subprocess.run(
        [ffmpeg_path(), "-v", "error", "-i", str(png), "-vf",
         f"crop={w}:{h}:{x}:{y},scale=1:1:flags=area", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True, timeout=30,
    )  # fmt: skip
    r, g, b = done.stdout[:3]
    return r, g, b


def kind_of(rgb: tuple[int, int, int]) -> str:
    r, g, b = rgb
    if r > g > b and b < 80:
        return "amber"
    if g > r and b > r:
        return "teal"
    if b > r > g:
        return "violet"
    return f"unknown {rgb}"


def segment(index: int, source: str, start: float, text: str) -> Segment:
    return Segment(
        index=index,
        start=0.0,
        duration=1.0,
        source=source,
        source_in=start,
        source_out=start + 1.0,
        caption=text,
    )


def test_each_cell_shows_the_middle_of_its_range(
    bucket: tuple[LocalStore, Film], tmp_path: Path
) -> None:
    store, film = bucket
    scenes = film.of_kind("scene")
    order = [2, 0, 1, 2, 1]  # five cells: a second row, partly empty
    segments = [
        segment(k + 1, "films/colours.mp4", scenes[s].start + 1.0, f"场景 {s}: the {LOOKS[s]} one")
        for k, s in enumerate(order)
    ]
    segments.append(segment(6, "pics/still.png", 0.0, "一张静止的图片"))
    timeline = Timeline(index=1, seed=0, width=320, height=180, duration=6.0, segments=segments)
    png = render_contact_sheet(timeline, store, tmp_path / "sheet.png")
    info = probe(png)
    assert (info.width, info.height) == sheet_size(6)
    assert sheet_size(6) == (
        COLUMNS * CELL_WIDTH + (COLUMNS + 1) * PADDING,
        2 * (CELL_HEIGHT + 72) + 3 * PADDING,
    )
    expected = [LOOKS[s] for s in order] + ["teal"]
    for k, look in enumerate(expected):
        row, col = divmod(k, COLUMNS)
        x = PADDING + col * (CELL_WIDTH + PADDING) + 20
        y = PADDING + row * (CELL_HEIGHT + 72 + PADDING) + 20
        assert kind_of(mean_rgb(png, x, y, CELL_WIDTH - 40, CELL_HEIGHT - 40)) == look, k


def plan(m: Manifest, store: LocalStore, work: Path, job_id: str) -> list[Timeline]:
    keys = EngineKeys()
    return plan_timelines(
        m,
        store,
        work,
        key_for_url=folder_key_for_url("cn-shanghai"),
        seed=3,
        cache_dir=store.path_for(keys.cache),
        preview_prefix=keys.previews(job_id),
    )


def test_planning_writes_one_sheet_beside_each_video(
    bucket: tuple[LocalStore, Film], tmp_path: Path
) -> None:
    store, _ = bucket
    m = Manifest.model_validate(
        {
            "InputConfig": {
                "MediaArray": ["films/colours.mp4"],
                "SpeechTextArray": ["第一句话。 The second sentence.", "Only one sentence here."],
                "SceneInfo": {"Scene": "MovieHighlights"},
            },
            "OutputConfig": {
                "MediaURL": "oss://b/out/v_{index}.mp4",
                "Count": 2,
                "Width": 320,
                "Height": 180,
            },
        }
    )
    timelines = plan(m, store, tmp_path, "job-0")
    for timeline in timelines:
        assert timeline.contact_sheet == f"out/v_{timeline.index}.contact.png"
        info = probe(store.path_for(timeline.contact_sheet))
        assert (info.kind, info.width, info.height) == (
            "image",
            *sheet_size(len(timeline.segments)),
        )
    preview = m.model_copy(
        update={"output_config": m.output_config.model_copy(update={"generate_preview_only": True})}
    )
    (first, second) = plan(preview, store, tmp_path, "job-1")
    assert first.contact_sheet == ".highlights/previews/job-1/preview_1.contact.png"
    assert second.contact_sheet == ".highlights/previews/job-1/preview_2.contact.png"
    assert store.exists(first.contact_sheet) and store.exists(second.contact_sheet)


def test_sheet_keys() -> None:
    assert sheet_key("out/v_1.mp4", 1, "p/") == "out/v_1.contact.png"
    assert sheet_key("v_2.mp4", 2, "p/") == "v_2.contact.png"
    assert (
        sheet_key(None, 3, ".highlights/previews/j/")
        == ".highlights/previews/j/preview_3.contact.png"
    )
    assert sheet_size(1) == (CELL_WIDTH + 2 * PADDING, CELL_HEIGHT + 72 + 2 * PADDING)


def test_text_wraps_at_spaces_for_latin_and_anywhere_for_chinese() -> None:
    width = CELL_WIDTH - 12
    english = wrap("The storm is coming tonight and nobody will sleep", width, TEXT_SIZE, 3)
    assert len(english) == 2
    assert " ".join(english) == "The storm is coming tonight and nobody will sleep"
    chinese = wrap("他终于在抽屉里找到了那把旧钥匙然后打开了门", width, TEXT_SIZE, 3)
    assert "".join(chinese) == "他终于在抽屉里找到了那把旧钥匙然后打开了门"
    assert all(len(line) <= width // TEXT_SIZE for line in chinese)
    long = wrap("word " * 200, width, TEXT_SIZE, 3)
    assert len(long) == 3 and long[-1].endswith("…")
    assert wrap("", width, TEXT_SIZE, 3) == []


def test_a_long_timeline_takes_a_bounded_number_of_ffmpeg_runs(
    bucket: tuple[LocalStore, Film], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, film = bucket
    monkeypatch.setattr(contact_sheet, "MAX_CELLS", 14)  # 600 segments: 14 cells, 2 bands
    scenes = film.of_kind("scene")
    segments = [
        segment(k + 1, "films/colours.mp4", scenes[k % 3].start + 1.0, f"shot {k}")
        for k in range(600)
    ]
    timeline = Timeline(index=1, seed=0, width=320, height=180, duration=600.0, segments=segments)
    started: list[str] = []
    real = process_module._spawn

    def counting(argv: list[str], *args: Any, **kwargs: Any) -> Any:
        started.append(argv[0])
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(process_module, "_spawn", counting)
    png = render_contact_sheet(timeline, store, tmp_path / "sheet.png")
    assert started.count(ffmpeg_path()) == 3  # bands of 12 and 2 cells, then the stack
    assert started.count(ffprobe_path()) == 1  # the one source, probed once
    monkeypatch.setattr(process_module, "_spawn", real)
    assert (probe(png).width, probe(png).height) == sheet_size(14)
    shown = shown_segments(segments, 14)
    assert (shown[0].index, shown[-1].index) == (1, 600)
    for k in (0, 6, 11, 12, 13):  # cells of each band, on both sides of the join
        row, col = divmod(k, COLUMNS)
        x = PADDING + col * (CELL_WIDTH + PADDING) + 20
        y = PADDING + row * (CELL_HEIGHT + 72 + PADDING) + 20
        look = LOOKS[(shown[k].index - 1) % 3]
        assert kind_of(mean_rgb(png, x, y, CELL_WIDTH - 40, CELL_HEIGHT - 40)) == look, k
