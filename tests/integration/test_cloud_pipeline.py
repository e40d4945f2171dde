"""The production wiring end to end over real HTTP: the OSS store through oss2 against moto, the ICE
producer through its SDK against the fake ICE server, driven through the three handlers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import oss2
import pytest

from functions.callback.index import handler as callback_handler
from functions.reconcile.index import handler as reconcile_handler
from functions.submit.index import handler as submit_handler
from highlights.callback_auth import notify_address
from highlights.fc import app
from highlights.ports import TransientError
from tests.integration.ice_server import TEST_CREDENTIALS, IceTestServer
from tests.integration.oss_server import OssTestServer
from tests.support import manifest, oss_url
from tests.unit.fc.conftest import CALLBACK_URL, Context, http_event, oss_event, timer_event

BUCKET = "pipeline-bucket"
KEY_ID, SECRET = next(iter(TEST_CREDENTIALS.items()))
URL = oss_url(BUCKET).rstrip("/")
MANIFEST = manifest(BUCKET, speech="A train crosses the bridge at night.")
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


def put(bucket: oss2.Bucket, key: str, doc: Any) -> str:
    return bucket.put_object(key, json.dumps(doc).encode()).etag


def test_manifest_to_result_over_both_servers(
    cloud: oss2.Bucket, ice_server: IceTestServer
) -> None:
    etag = put(cloud, "manifests/night.json", MANIFEST)
    answer = submit_handler(oss_event(BUCKET, ("manifests/night.json", etag)), Context())
    [accepted] = answer["accepted"]
    job_id = accepted["job_id"]
    [submit] = ice_server.requests_for("SubmitBatchMediaProducingJob")
    params = submit.params
    assert json.loads(params["OutputConfig"])["Count"] == 2
    assert json.loads(params["UserData"])["NotifyAddress"] == notify_address(
        CALLBACK_URL, job_id, ["NewKey2026a"]
    )
    [ice_job] = ice_server.jobs
    subs = [
        {
            "JobId": "s1",
            "MediaId": "m1",
            "MediaURL": f"{URL}/out/night/h_1.mp4",
            "Status": "Success",
            "Duration": 31.5,
        },
        {
            "JobId": "s2",
            "Status": "Failed",
            "ErrorCode": "MaterialTooShort",
            "ErrorMessage": "too short",
        },
    ]
    ice_server.set_job(ice_job, Status="Finished", SubJobList=subs)

    body = {"EventType": "BatchProduceMediaComplete", "MessageBody": {"JobId": ice_job}}
    reply = callback_handler(http_event(body, query={"job": job_id}), Context())
    assert reply["statusCode"] == 200, reply
    assert json.loads(reply["body"])["state"] == "PARTIAL"

    result = json.loads(cloud.get_object("out/night/night.result.json").read())
    assert result["job"]["state"] == "PARTIAL" and result["job"]["ice_job_id"] == ice_job
    assert [(o["status"], o.get("error_code")) for o in result["outputs"]] == [
        ("Success", None),
        ("Failed", "MaterialTooShort"),
    ]
    assert result["summary"] == {"requested": 2, "succeeded": 1, "failed": 1}
    assert cloud.list_objects(prefix=".highlights/inflight/").object_list == []
    # The same OSS event again: nothing new at ICE.
    submit_handler(oss_event(BUCKET, ("manifests/night.json", etag)), Context())
    assert len(ice_server.requests_for("SubmitBatchMediaProducingJob")) == 1


def test_a_lost_callback_is_finished_by_the_timer(
    cloud: oss2.Bucket, ice_server: IceTestServer
) -> None:
    etag = put(cloud, "manifests/lost-callback.json", MANIFEST)
    submit_handler(oss_event(BUCKET, ("manifests/lost-callback.json", etag)), Context())
    [ice_job] = ice_server.jobs
    ice_server.set_job(
        ice_job,
        Status="Finished",
        SubJobList=[{"JobId": "s", "Status": "Success", "MediaURL": f"{URL}/out/night/h_1.mp4"}],
    )
    pipeline = app.system().pipeline
    pipeline.clock = lambda: time.time() + 3600  # the timer fires an hour later
    summary = reconcile_handler(timer_event(), Context())
    assert summary["observed"] >= 1
    assert (
        json.loads(cloud.get_object("out/night/lost-callback.result.json").read())["job"]["state"]
        == "SUCCEEDED"
    )


def test_a_burst_of_500_manifests_under_throttling(
    cloud: oss2.Bucket, ice_server: IceTestServer
) -> None:
    """ICE allows about 30 requests per second; Function Compute runs instances side by side and
    retries an event whose handler raised. Every manifest must end SUBMITTED, none FAILED."""
    ice_server.rate_limit(30)
    # On a slow machine the burst may not outrun 30 per second by itself: throttle some for sure.
    ice_server.throttle_next(40, action="SubmitBatchMediaProducingJob")
    keys = [f"manifests/burst/m{i:03d}.json" for i in range(500)]
    with ThreadPoolExecutor(8) as pool:
        etags = list(pool.map(lambda k: put(cloud, k, {**MANIFEST, "UserData": {"k": k}}), keys))
    retries = 0
    lock = threading.Lock()

    def deliver(item: tuple[str, str]) -> str:
        nonlocal retries
        for _ in range(4):  # Function Compute's default: the first try and 3 retries
            try:
                return submit_handler(oss_event(BUCKET, item), Context())["accepted"][0]["state"]
            except TransientError:
                with lock:
                    retries += 1
        return "RETRIES_EXHAUSTED"

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        states = list(pool.map(deliver, zip(keys, etags, strict=True)))
    elapsed = time.monotonic() - started
    assert states.count("SUBMITTED") == 500, {s: states.count(s) for s in set(states)}
    assert len(ice_server.jobs) == 500
    attempts = len(ice_server.requests_for("SubmitBatchMediaProducingJob"))
    assert attempts >= 540, "throttled calls must have been retried"
    print(
        f"burst: 500 manifests in {elapsed:.1f} s; {attempts} submit calls; {retries} handler retries"
    )
    ice_server.rate_limit(None)
