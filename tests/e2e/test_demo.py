"""`highlights demo` (what `make demo` runs): generated media, both modes, real MP4s."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from highlights.demo import demo, film_scenes
from highlights.local.platform import local_settings
from tests.support import output_shape

from .conftest import ffprobe, need_ffmpeg

pytestmark = pytest.mark.media


def test_demo_ends_with_videos_results_and_sheets_for_both_modes(tmp_path: Path) -> None:
    need_ffmpeg()
    bucket = tmp_path / "demo-bucket"
    out = io.StringIO()
    assert demo(local_settings(bucket), out=out) == 0, out.getvalue()
    results = sorted((bucket / "outputs" / "demo").glob("*.result.json"))
    assert [r.name for r in results] == [
        "demo-global-narration.result.json",
        "demo-storyboard.result.json",
    ]
    # The film's opening credits, black gap and closing credits, from the demo's own scene list.
    off_limits, t = [], 0.0
    for scene in film_scenes():
        if scene.kind != "scene":
            off_limits.append((t, t + scene.duration))
        t += scene.duration
    assert len(off_limits) == 3
    modes = set()
    for path in results:
        result = json.loads(path.read_text())
        assert result["job"]["state"] == "SUCCEEDED"
        modes.add(
            "storyboard"
            if "ShotInfo" in result["request"]["InputConfig"]["SceneInfo"]
            else "narration"
        )
        for row, timeline in zip(result["outputs"], result["timelines"], strict=True):
            video = bucket / "outputs" / "demo" / Path(row["media_url"]).name
            info = ffprobe(video)
            assert abs(float(info["format"]["duration"]) - timeline["duration"]) <= 0.1
            assert (bucket / timeline["contact_sheet"]).is_file()
            for segment in timeline["segments"]:
                used = (segment["source_in"], segment["source_out"])
                assert not any(used[0] < end and start < used[1] for start, end in off_limits), used
    assert modes == {"storyboard", "narration"}
    assert "demo finished" in out.getvalue()
    # `make demo` prints what the README shows, up to names, numbers and repeated lines.
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("$ make demo\n", 1)[1].split("```", 1)[0]
    assert output_shape(out.getvalue()) == output_shape(shown)
