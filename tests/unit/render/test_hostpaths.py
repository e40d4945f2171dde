"""Host paths out of what a job reports: keys for the store's files, file names for the rest."""

from __future__ import annotations

import pytest

from highlights.render.hostpaths import scrub, scrub_timeline

ROOT = "/srv/buckets/night"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"[mov,mp4 @ 0x55] {ROOT}/media/evil.mp4: Invalid data",
         "[mov,mp4 @ 0x55] media/evil.mp4: Invalid data"),
        (f"script {ROOT}/.highlights/engine/work/j1/render-1.video0.txt",
         "script .highlights/engine/work/j1/render-1.video0.txt"),
        ("could not open /usr/share/fonts/opentype/noto/NotoSansCJK.ttc",
         "could not open NotoSansCJK.ttc"),
        ("'/tmp/contact-x1/b3.txt': no such file", "'b3.txt': no such file"),
        # Not paths: URLs, keys, rates, ratios.
        ("https://b.oss-cn-shanghai.aliyuncs.com/out/v_1.mp4", None),
        ("oss://b/media/film.mp4 and media/film.mp4", None),
        ("30000/1001 fps, 16/9, 1/2 speed", None),
    ],
)  # fmt: skip
def test_scrub(text: str, expected: str | None) -> None:
    assert scrub(text, ROOT) == (text if expected is None else expected)


def test_a_timeline_keeps_the_manifest_texts_as_written() -> None:
    timeline = {
        "index": 1,
        "warnings": [f"segment 2: {ROOT}/media/film.mp4 is short"],
        "segments": [
            {"caption": "see /usr/local/bin/tool", "narration": {"audio": "speech/a.wav",
                                                                  "text": "/a/b/c"}},
            {"caption": "no narration", "narration": None},
        ],
        "title": {"text": "/etc/motd"},
    }  # fmt: skip
    scrubbed = scrub_timeline(timeline, ROOT)
    assert scrubbed["warnings"] == ["segment 2: media/film.mp4 is short"]
    assert scrubbed["segments"] == timeline["segments"]
    assert scrubbed["title"] == {"text": "/etc/motd"}
