"""Media is media: what the engine opens is a file of the bucket read by a plain demuxer.

The trap: ``media/evil.mp4`` is an HLS playlist whose segment is a file outside the bucket. That
file is a FIFO with a watcher, so *opening* it is noticed (an unguarded ffprobe trips it, which
shows the trap works). Jobs go through ``LocalProducer`` and the real engine, as `run`/`serve`
drive them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from highlights.manifest.models import ProcessConfig
from highlights.ports import SubmitRequest
from highlights.producers.local import LocalProducer
from highlights.render.errors import ToolError
from highlights.render.ffmpeg import ffprobe_path, input_args, run_ffmpeg
from highlights.render.planning.analysis import analyse
from highlights.render.planning.warnings import Warnings
from highlights.render.probe import MediaRefused, probe
from highlights.storage.local import LocalStore
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import SceneSpec, make_film, make_image, make_tone, test_tools

pytestmark = [pytest.mark.media, NEEDS_FFMPEG]


class Tripwire:
    """A FIFO: a thread keeps opening it for writing, which returns once something opens it
    for reading. ``close`` says whether anything did."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.opened = 0
        self._closing = False
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while True:
            fd = os.open(self.path, os.O_WRONLY)  # blocks until a reader opens the FIFO
            os.close(fd)  # the reader sees the end of the file
            if self._closing:
                return
            self.opened += 1

    def close(self) -> int:
        self._closing = True
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # releases the watcher
        self._thread.join(5)
        os.close(fd)
        return self.opened


@pytest.fixture
def bucket(tmp_path: Path) -> Iterator[tuple[LocalStore, Tripwire]]:
    root = tmp_path / "bucket"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    wire = Tripwire(outside / "private.ts")
    make_film(root / "media" / "film.mp4", [SceneSpec(2.0, "amber"), SceneSpec(2.0, "teal")],
              burn_text=False)  # fmt: skip
    playlist = (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:2.0,\nfile://{wire.path}\n#EXT-X-ENDLIST\n"
    )
    (root / "media" / "evil.mp4").write_text(playlist)
    yield LocalStore(root), wire
    wire.close()


def submit(store: LocalStore, inputs: dict[str, Any], **editing: Any) -> dict[str, Any]:
    """Render a job with the real engine; its record as the engine keeps it."""
    engine = LocalProducer(store, region="cn-shanghai", tools=test_tools())
    narration = {
        "SpeechTextArray": ["A storm is coming."],
        "SceneInfo": {"Scene": "MovieHighlights"},
    }
    output = {"MediaURL": "oss://b/out/v_{index}.mp4", "Width": 320, "Height": 180}
    request = SubmitRequest(
        input_config=json.dumps(narration | inputs),
        editing_config=json.dumps(editing) if editing else None,
        output_config=json.dumps(output),
    )
    job_id = engine.submit(request, f"token-{json.dumps(inputs)}", None)
    engine.wait(240)
    return json.loads(store.get(f".highlights/engine/{job_id}.json"))


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_the_trap_works_and_probing_refuses_the_playlist(
    bucket: tuple[LocalStore, Tripwire],
) -> None:
    store, wire = bucket
    evil = store.path_for("media/evil.mp4")
    # Without the engine's guard, ffprobe follows the playlist out of the bucket.
    subprocess.run([ffprobe_path(), "-v", "error", "-show_format", str(evil)],
                   capture_output=True, timeout=60, check=False)  # fmt: skip
    assert wire.opened >= 1
    before = wire.opened
    with pytest.raises(MediaRefused) as refused:
        probe(evil)
    assert refused.value.demuxer == "hls" and refused.value.code == "InvalidMedia.Refused"
    assert "evil.mp4" in str(refused.value) and str(store.root) not in str(refused.value)
    assert wire.opened == before


def test_a_film_turned_into_a_playlist_after_probing_is_not_followed(
    bucket: tuple[LocalStore, Tripwire], tmp_path: Path
) -> None:
    store, wire = bucket
    swapped = store.path_for("media/swapped.mp4")
    shutil.copy(store.path_for("media/film.mp4"), swapped)
    info = probe(swapped)
    shutil.copy(store.path_for("media/evil.mp4"), swapped)
    # Opened as the demuxer probing found (mov), never as whatever the file says it is now.
    for found in (info.format_name, ""):
        with pytest.raises(ToolError):
            run_ffmpeg([*input_args(swapped, found), "-f", "null", "-"], timeout=60)
    assert wire.close() == 0


def sticker(key: str) -> dict[str, Any]:
    return {"MediaURL": key, "X": 0, "Y": 0, "Width": 0.2, "Height": 0.2}


@pytest.mark.parametrize(
    "inputs",
    [
        {"MediaArray": ["media/evil.mp4"]},
        {"MediaArray": ["media/film.mp4"], "StickerArray": [sticker("media/evil.mp4")]},
        {"MediaArray": ["media/film.mp4"], "BackgroundMusicArray": ["media/evil.mp4"]},
    ],
    ids=["MediaArray", "StickerArray", "BackgroundMusicArray"],
)
def test_a_job_using_the_playlist_fails_and_reads_nothing_outside(
    bucket: tuple[LocalStore, Tripwire], inputs: dict[str, Any]
) -> None:
    store, wire = bucket
    record = submit(store, inputs)
    assert record["status"] == "Failed", record
    assert record["error_code"] == "InvalidMedia.Refused"
    assert "media/evil.mp4" in record["error_message"] and "'hls'" in record["error_message"]
    assert not any(str(store.root) in s for s in strings(record))
    assert not store.path_for("out/v_1.mp4").exists()
    assert wire.close() == 0


def test_a_jpeg_is_one_picture_never_a_numbered_pattern(tmp_path: Path) -> None:
    literal = make_image(tmp_path / "shot%d.jpg", (160, 90), look="teal")
    make_image(tmp_path / "shot1.jpg", (320, 180), look="amber")  # what the pattern would read
    info = probe(literal)
    assert (info.kind, info.width, info.height, info.format_name) == ("image", 160, 90,
                                                                      "image2pipe")  # fmt: skip
    out = tmp_path / "decoded.png"
    run_ffmpeg([*input_args(literal, info.format_name), "-frames:v", "1", "-update", "1",
                str(out)], timeout=60)  # fmt: skip
    assert (probe(out).width, probe(out).height) == (160, 90)


def test_a_symlinked_sidecar_leading_out_fails_the_job_and_is_never_read(
    bucket: tuple[LocalStore, Tripwire], tmp_path: Path
) -> None:
    store, _ = bucket
    secret = tmp_path / "elsewhere" / "secret.srt"
    secret.write_text("1\n00:00:00,000 --> 00:00:03,000\nSECRET LINE FROM OUTSIDE\n")
    (store.root / "media" / "film.srt").symlink_to(secret)
    record = submit(
        store,
        {"MediaArray": ["media/film.mp4"]},
        ProcessConfig={"EnableSubtitleMatch": True},
    )
    assert record["status"] == "Failed"
    assert record["error_code"] == "InvalidMedia.OutsideBucket"
    assert "media/film.srt" in record["error_message"]
    assert not any("SECRET" in s or str(store.root) in s for s in strings(record))


def test_a_sidecar_that_is_no_subtitles_fails_the_job_naming_it(
    bucket: tuple[LocalStore, Tripwire],
) -> None:
    store, _ = bucket
    store.put("media/film.srt", store.get("media/film.mp4")[:4096])  # a video under an .srt name
    record = submit(
        store, {"MediaArray": ["media/film.mp4"]}, ProcessConfig={"EnableSubtitleMatch": True}
    )
    assert record["status"] == "Failed"
    assert record["error_code"] == "InvalidMedia.Unsupported"
    assert "media/film.srt" in record["error_message"]
    assert "not SubRip, ASS/SSA or WebVTT" in record["error_message"]


def test_a_sidecar_without_dialogue_is_named_in_the_warning(
    bucket: tuple[LocalStore, Tripwire], tmp_path: Path
) -> None:
    store, _ = bucket
    drawing = "Dialogue: 0,0:00:00.50,0:00:02.00,Default,,0,0,0,,{\\p1}m 0 0 l 9 0 9 9{\\p0}"
    store.put("media/film.ass", f"[Script Info]\n\n[Events]\n{drawing}\n".encode())
    found = Warnings()
    analyse("media/film.mp4", store, ProcessConfig(EnableSubtitleMatch=True), tmp_path,
            want_faces=False, warnings=found)  # fmt: skip
    assert found.as_list() == [
        "media/film.mp4: its subtitles media/film.ass hold no dialogue to match with"
    ]


ABSOLUTE = re.compile(r"(?<![\w:/.%~-])/(?:[^\s/'\"]+/)+")


def test_what_a_job_reports_names_keys_never_host_paths(
    bucket: tuple[LocalStore, Tripwire],
) -> None:
    store, _ = bucket
    # A cut-off MP4: ffprobe's complaint names the file by its absolute path.
    store.put("media/broken.mp4", store.get("media/film.mp4")[:100])
    make_tone(store.root / "media" / "theme.m4a", 2.0)
    record = submit(
        store,
        {
            "MediaArray": ["media/film.mp4"],
            "StickerArray": [sticker("media/broken.mp4")],
            "BackgroundMusicArray": ["media/theme.m4a"],
        },
    )
    [output] = record["outputs"]
    assert not output["ok"]
    assert "media/broken.mp4: Invalid data found" in output["error_message"]
    [timeline] = record["timelines"]
    assert timeline["segments"][0]["narration"]["audio"].startswith("speech/")
    assert store.exists(timeline["contact_sheet"])
    work = store.root / ".highlights" / "engine" / "work"
    for text in strings(record):
        assert str(store.root) not in text and str(work) not in text, text
        assert not ABSOLUTE.search(text), text
    assert not (work / record["job_id"]).exists()  # the work folder went with the job
