"""The three handlers on Function Compute's event shapes, a folder bucket and the real local engine."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from functions.reconcile.index import handler as reconcile_handler
from functions.submit.index import handler as submit_handler
from highlights.fc import app
from highlights.storage.local import LocalStore
from tests.unit.fc.conftest import Context, oss_event, timer_event

from .conftest import ffprobe, narration_manifest, write

pytestmark = pytest.mark.media


def test_manifest_to_mp4s_through_the_handlers(
    bucket: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIGHLIGHTS_STORE", str(bucket))
    monkeypatch.setenv("HIGHLIGHTS_REGION", "cn-shanghai")
    app.reset()
    key = "manifests/e2e.json"
    write(bucket / key, narration_manifest())
    store = LocalStore(bucket)
    head = store.head(key)
    answer = submit_handler(oss_event(store.bucket, (key, head.etag)), Context())
    [accepted] = answer["accepted"]
    assert accepted["state"] == "SUBMITTED"

    result_path = bucket / "out" / "e2e" / "e2e.result.json"
    pipeline = app.system().pipeline
    deadline = time.monotonic() + 240
    skew = 0.0
    while not result_path.exists() and time.monotonic() < deadline:
        # No callback URL is configured: the timer alone finishes the job. Each tick comes "ten
        # minutes later", so every poll is due.
        skew += 600
        pipeline.clock = lambda skew=skew: time.time() + skew
        reconcile_handler(timer_event(), Context())
        time.sleep(0.3)
    result = json.loads(result_path.read_text())
    assert result["job"]["state"] == "SUCCEEDED", result
    assert result["summary"] == {"requested": 2, "succeeded": 2, "failed": 0}
    timelines = {t["index"]: t for t in result["timelines"]}
    for row in result["outputs"]:
        video = bucket / "out" / "e2e" / f"h_{row['index']}.mp4"
        info = ffprobe(video)
        streams = {s["codec_type"]: s for s in info["streams"]}
        assert (streams["video"]["codec_name"], streams["audio"]["codec_name"]) == ("h264", "aac")
        assert (streams["video"]["width"], streams["video"]["height"]) == (360, 640)
        assert abs(float(info["format"]["duration"]) - timelines[row["index"]]["duration"]) <= 0.1
        assert row["media_url"].endswith(f"/out/e2e/h_{row['index']}.mp4")
        assert (bucket / timelines[row["index"]]["contact_sheet"]).is_file()
    # Two outputs, reproducible but not identical.
    assert timelines[1]["seed"] != timelines[2]["seed"]
