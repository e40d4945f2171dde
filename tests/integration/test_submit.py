"""`highlights submit` against the OSS server the integration tests run (moto behind the OSS
dialect) with the fake ICE finishing the job, driven through the real handlers; and on a folder
with `highlights serve` running."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import oss2
import pytest

from functions.callback.index import handler as callback_handler
from functions.submit.index import handler as submit_handler
from highlights import cli
from highlights.fc import app
from highlights.local.platform import local_settings
from highlights.local.serve import serve
from highlights.local.submit import submit, target
from highlights.ports import SubmitRequest
from highlights.producers import local as engine
from highlights.producers.local import OutputResult, RenderOutcome
from highlights.storage.local import LocalStore
from tests.integration.ice_server import TEST_CREDENTIALS, IceTestServer
from tests.integration.oss_server import OssTestServer
from tests.support import manifest, oss_url
from tests.unit.fc.conftest import CALLBACK_URL, Context, http_event, oss_event

BUCKET = "submit-bucket"
KEY_ID, SECRET = next(iter(TEST_CREDENTIALS.items()))
URL = oss_url(BUCKET).rstrip("/")
MANIFEST = manifest(BUCKET, speech="A train crosses the bridge at night.", count=1)
MANIFEST["InputConfig"]["MediaArray"] = [f"{URL}/media/film.mp4"]


@pytest.fixture(scope="module")
def bucket_name(oss_server: OssTestServer) -> str:
    oss_server.create_bucket(BUCKET)
    return BUCKET


@pytest.fixture
def cloud(
    bucket_name: str,
    oss_server: OssTestServer,
    ice_server: IceTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[oss2.Bucket]:
    """The environment the deployed functions have, and the one `submit` reads its credentials
    and endpoint from (the same variables)."""
    ice_server.reset()
    env = {
        "HIGHLIGHTS_STORE": f"oss://{bucket_name}",
        "HIGHLIGHTS_REGION": "cn-shanghai",
        "HIGHLIGHTS_OSS_ENDPOINT": oss_server.endpoint,
        "HIGHLIGHTS_ICE_ENDPOINT": ice_server.endpoint,
        "HIGHLIGHTS_CALLBACK_URL": CALLBACK_URL,
        "HIGHLIGHTS_CALLBACK_KEYS": "NewKey2026a",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    app.reset()
    yield oss2.Bucket(oss2.Auth(KEY_ID, SECRET), oss_server.endpoint, bucket_name)
    app.reset()


def puts_of(oss_server: OssTestServer, key: str) -> int:
    return sum(
        1
        for r in oss_server.dialect.requests
        if r.method == "PUT" and r.path.endswith(f"/{BUCKET}/{key}")
    )


def test_an_invalid_manifest_uploads_nothing(
    tmp_path: Path,
    cloud: oss2.Bucket,
    oss_server: OssTestServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(MANIFEST))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**MANIFEST, "OutputConfig": {"Width": 1}}))
    before = len(oss_server.dialect.requests)
    code = cli.main(["submit", str(good), str(bad), "--to", f"oss://{BUCKET}"])
    said = capsys.readouterr()
    assert code == 2, said
    assert len(oss_server.dialect.requests) == before  # not even asked
    # the report `highlights validate` gives
    assert cli.main(["validate", "--region", "cn-shanghai", str(good), str(bad)]) == 1
    assert said.out == capsys.readouterr().out
    assert "OutputConfig.Width" in said.out and "nothing uploaded" in said.err


def drive(cloud: oss2.Bucket, ice_server: IceTestServer, key: str, stop: threading.Event) -> None:
    """What OSS and ICE do once the manifest lands: the trigger calls the submit function, ICE
    renders the job and calls back."""
    deadline = time.monotonic() + 60
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            etag = cloud.head_object(key).etag
            break
        except oss2.exceptions.NotFound:
            time.sleep(0.05)
    else:
        return
    answer = submit_handler(oss_event(BUCKET, (key, etag)), Context())
    [accepted] = answer["accepted"]
    [ice_job] = ice_server.jobs
    ice_server.set_job(
        ice_job,
        Status="Finished",
        SubJobList=[
            {
                "JobId": "s1",
                "MediaId": "m1",
                "MediaURL": f"{URL}/out/night/h_1.mp4",
                "Status": "Success",
                "Duration": 12.5,
            }
        ],
    )
    body = {"EventType": "BatchProduceMediaComplete", "MessageBody": {"JobId": ice_job}}
    reply = callback_handler(http_event(body, query={"job": accepted["job_id"]}), Context())
    assert reply["statusCode"] == 200, reply


def test_a_valid_manifest_is_uploaded_once_and_followed_to_its_end(
    tmp_path: Path, cloud: oss2.Bucket, oss_server: OssTestServer, ice_server: IceTestServer
) -> None:
    path = tmp_path / "night.json"
    path.write_text(json.dumps(MANIFEST, indent=2))
    settings = target(f"oss://{BUCKET}")
    stop = threading.Event()
    driver = threading.Thread(target=drive, args=(cloud, ice_server, "manifests/night.json", stop))
    driver.start()
    out = io.StringIO()
    try:
        code = submit([path], settings, human=cli._human, timeout=60, out=out)
    finally:
        stop.set()
        driver.join(timeout=60)
    said = out.getvalue()
    assert code == 0, said
    assert f"uploaded  oss://{BUCKET}/manifests/night.json  job night-" in said
    job_id = said.split("  job ", 1)[1].split()[0]
    lines = said.splitlines()
    assert f"job {job_id}: SUCCEEDED" in lines
    assert f"  result  oss://{BUCKET}/out/night/night.result.json" in lines
    assert f"  report  oss://{BUCKET}/out/night/night.report.html" in lines
    assert f"  video   {URL}/out/night/h_1.mp4  (12.5 s)" in lines
    assert puts_of(oss_server, "manifests/night.json") == 1
    assert cloud.get_object("manifests/night.json").read() == path.read_bytes()

    # again: the same bytes are already there; nothing is uploaded, the same job is reported
    out = io.StringIO()
    assert submit([path], settings, human=cli._human, timeout=60, out=out) == 0
    again = out.getvalue()
    assert f"unchanged oss://{BUCKET}/manifests/night.json  job {job_id}" in again
    assert f"job {job_id}: SUCCEEDED" in again.splitlines()
    assert puts_of(oss_server, "manifests/night.json") == 1

    # other bytes under that name: refused, never overwritten
    path.write_text(json.dumps({**MANIFEST, "UserData": {"v": 2}}))
    out = io.StringIO()
    assert submit([path], settings, human=cli._human, timeout=60, out=out) == 2
    assert puts_of(oss_server, "manifests/night.json") == 1


def test_no_wait_returns_after_the_upload(
    tmp_path: Path,
    cloud: oss2.Bucket,
    oss_server: OssTestServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "later.json"
    path.write_text(json.dumps(MANIFEST))
    code = cli.main(["submit", str(path), "--to", f"oss://{BUCKET}", "--no-wait"])
    assert code == 0
    assert puts_of(oss_server, "manifests/later.json") == 1
    job_id = capsys.readouterr().out.split("  job ", 1)[1].split()[0]
    assert not cloud.object_exists(f".highlights/jobs/{job_id}.json")  # nothing ran it yet


def quick_render(
    job_id: str, request: SubmitRequest, store: LocalStore, work: Path, progress: Any, **_: Any
) -> RenderOutcome:
    store.put("out/h_1.mp4", b"a video")
    url = f"{oss_url('demo')}out/h_1.mp4"
    return RenderOutcome(
        outputs=[OutputResult(1, True, key="out/h_1.mp4", media_url=url, duration=2.0)]
    )


def test_to_a_folder_that_serve_watches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_default_renderer", lambda: quick_render)
    for name in ("HIGHLIGHTS_STORE", "HIGHLIGHTS_CALLBACK_URL", "HIGHLIGHTS_CALLBACK_KEYS"):
        monkeypatch.delenv(name, raising=False)
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    document = manifest("demo", outputs="out", count=1, size=(320, 180))
    path = tmp_path / "night.json"
    path.write_text(json.dumps(document))
    stop = threading.Event()
    thread = threading.Thread(
        target=serve,
        args=(local_settings(bucket),),
        kwargs={"port": 0, "interval": 0.1, "out": io.StringIO(), "stop": stop},
    )
    thread.start()
    out = io.StringIO()
    try:
        code = submit([path], target(str(bucket)), human=cli._human, timeout=60, out=out)
    finally:
        stop.set()
        thread.join(timeout=30)
        app.reset()
    said = out.getvalue()
    assert code == 0, said
    assert f"uploaded  {bucket / 'manifests' / 'night.json'}" in said
    assert f"  report  {bucket / 'out' / 'night.report.html'}" in said.splitlines()
    assert f"  video   {bucket / 'out' / 'h_1.mp4'}  (2.0 s)" in said.splitlines()


def test_a_folder_must_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "night.json"
    path.write_text(json.dumps(MANIFEST))
    assert cli.main(["submit", str(path), "--to", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()
