"""Sidecar and embedded subtitles of the generated film, and matching narration against them."""

from __future__ import annotations

from pathlib import Path

import pytest

from highlights.render.ffmpeg import escape_filter_value, run_ffmpeg
from highlights.render.media import sidecar_key
from highlights.render.subtitles import Cue, extract_embedded, load_subtitles, similarity
from highlights.storage.local import LocalStore
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import Film, cjk_font, copy_film

pytestmark = [pytest.mark.media, NEEDS_FFMPEG]


def truth(film: Film) -> list[tuple[float, float, str]]:
    return [(s.start, s.end, s.spec.dialogue or "") for s in film.of_kind("scene")]


def assert_cues(cues: list[Cue], expected: list[tuple[float, float, str]]) -> None:
    assert [c.text for c in cues] == [text for _, _, text in expected]
    for cue, (start, end, _) in zip(cues, expected, strict=True):
        assert cue.start == pytest.approx(start, abs=0.01)
        assert cue.end == pytest.approx(end, abs=0.01)


def test_sidecar_srt_is_found_and_parsed(film: Film, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "bucket")
    copy_film(film, store.root / "films" / "film.mp4")
    sidecar = sidecar_key("films/film.mp4", store)
    assert sidecar == "films/film.srt"
    assert_cues(load_subtitles(store.path_for(sidecar)), truth(film))


def test_embedded_stream_is_extracted(film: Film) -> None:
    assert_cues(extract_embedded(film.path), truth(film))


def test_narration_finds_its_scene_by_similarity(film: Film) -> None:
    cues = extract_embedded(film.path)
    for narration, expected in [
        ("At dawn we leave for the coast", "We leave for the coast at dawn."),
        ("这是故事的结局", "这就是故事的结局。"),
        ("A storm was coming that night", "The storm is coming tonight."),
        ("钥匙终于被他找到了", "他终于找到了那把钥匙。"),
    ]:
        best = max(cues, key=lambda c: similarity(narration, c.text))
        assert best.text == expected


def test_escaped_paths_survive_the_filtergraph(tmp_path: Path) -> None:
    weird = tmp_path / "a:b,c's [x];y"
    weird.mkdir()
    text = weird / "text.txt"
    text.write_text("你好", encoding="utf-8")
    font = cjk_font()
    font_opt = f"fontfile={escape_filter_value(font)}:" if font else ""
    out = weird / "out.png"
    graph = f"color=c=black:s=64x32,drawtext={font_opt}textfile={escape_filter_value(str(text))}"
    run_ffmpeg(["-f", "lavfi", "-i", graph, "-frames:v", "1", str(out)])
    assert out.stat().st_size > 0
