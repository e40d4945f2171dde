"""Observe by difference over the real SDK: the ICE producer lists the fake ICE's unfinished jobs
page by page (ListBatchMediaProducingJobs, ACS3-signed) and the tick reads only those that ended.
The bucket is in memory: the store is not what is tested here."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from highlights.jobs.accept import accept
from highlights.jobs.identity import ManifestRef
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.reconcile import reconcile
from highlights.jobs.states import JobState
from highlights.producers.ice import GET, LIST, IceProducer, clear_client_cache
from highlights.storage.memory import MemoryStore
from tests.integration.ice_server import TEST_CREDENTIALS, IceTestServer
from tests.support import Clock, manifest, oss_url

KEY_ID, SECRET = next(iter(TEST_CREDENTIALS.items()))
BUCKET = "films"
IN_FLIGHT, ENDED = 300, 30


@pytest.fixture
def pipeline(ice_server: IceTestServer) -> Iterator[Pipeline]:
    ice_server.reset()
    clear_client_cache()
    clock = Clock(time.time())  # ICE stamps jobs with the real time; the tick lists from it
    store = MemoryStore(BUCKET, clock=clock)
    producer = IceProducer(
        "cn-shanghai", endpoint=ice_server.endpoint, credentials=(KEY_ID, SECRET, None)
    )
    yield Pipeline(store=store, producer=producer, region="cn-shanghai", clock=clock, workers=8)
    clear_client_cache()


def start_jobs(pipeline: Pipeline, ice_server: IceTestServer) -> dict[str, str]:
    """IN_FLIGHT jobs submitted through the SDK, the first ENDED of them finished at ICE; returns
    {ICE job id: job id} of the finished ones."""
    ended: dict[str, str] = {}
    for i in range(IN_FLIGHT):
        key = f"manifests/night-{i:03d}.json"
        stored = pipeline.store.put(key, json.dumps(manifest(BUCKET)).encode())
        job_id = accept(pipeline, ManifestRef(BUCKET, key, stored.etag)).job_id
        ice_id = pipeline.records.load(job_id).producer_job_id
        assert ice_id is not None
        if i < ENDED:
            ended[ice_id] = job_id
            subs = [
                {
                    "JobId": f"{ice_id}-{n}",
                    "MediaId": f"m{n}",
                    "MediaURL": oss_url(BUCKET, f"out/night/h_{n}.mp4"),
                    "Status": "Success",
                    "Duration": 30.0,
                }
                for n in (1, 2)
            ]
            ice_server.set_job(ice_id, Status="Finished", SubJobList=subs)
        else:
            ice_server.set_job(ice_id, Status="Processing" if i % 3 else "Init")
    return ended


def test_one_tick_lists_every_page_once_and_reads_only_the_jobs_that_ended(
    pipeline: Pipeline, ice_server: IceTestServer
) -> None:
    ended = start_jobs(pipeline, ice_server)
    before = len(ice_server.requests)
    pipeline.clock.advance(31)  # type: ignore[attr-defined]
    tick = reconcile(pipeline)
    requests = ice_server.requests[before:]
    pages = [r.params for r in requests if r.action == LIST]
    reads = [r.params["JobId"] for r in requests if r.action == GET]
    assert (tick.listing, tick.listed, tick.due, tick.vouched) == (True, 270, 300, 270)
    assert sorted(reads) == sorted(ended)  # the 30, once each
    # Every page once: no request repeated, every one signed and answered within MaxResults.
    shown = Counter(
        (p["Status"], p["StartTime"], p["EndTime"], p.get("NextToken", "")) for p in pages
    )
    assert max(shown.values()) == 1 and {p["MaxResults"] for p in pages} == {"100"}
    assert len(pages) == 1 + 2  # 90 Init: one page; 180 Processing: two
    assert {p["Status"] for p in pages} == {"Init", "Processing"}
    assert {p["SortBy"] for p in pages} == {"asc"}
    assert len(_results(pipeline)) == ENDED
    states = Counter(pipeline.records.load(j).state for j in ended.values())
    assert states == Counter({JobState.SUCCEEDED: ENDED})
    document = json.loads(pipeline.store.get("out/night/night-007.result.json"))
    assert document["summary"] == {"requested": 2, "succeeded": 2, "failed": 0}
    watched = json.loads(pipeline.store.get(pipeline.layout.watched))["jobs"]
    assert len(watched) == IN_FLIGHT - ENDED and not set(watched) & set(ended)
    # The next tick: nothing ended, nothing due; the list alone, no read.
    before = len(ice_server.requests)
    pipeline.clock.advance(120)  # type: ignore[attr-defined]
    quiet = reconcile(pipeline)
    assert (quiet.listed, quiet.left_list, quiet.observed, quiet.due) == (270, 0, 0, 0)
    assert ice_server.requests_for(GET) == ice_server.requests_for(GET)[: len(reads)]
    assert {r.action for r in ice_server.requests[before:]} == {LIST}


def test_a_refused_listing_falls_back_to_reading_each_job_and_fails_none(
    pipeline: Pipeline, ice_server: IceTestServer
) -> None:
    ended = start_jobs(pipeline, ice_server)
    ice_server.fail_next(status=403, code="Forbidden.RAM", message="no permission", action=LIST)
    before = len(ice_server.requests)
    pipeline.clock.advance(31)  # type: ignore[attr-defined]
    tick = reconcile(pipeline)
    reads = [r.params["JobId"] for r in ice_server.requests[before:] if r.action == GET]
    assert (tick.listing, tick.due, tick.observed) == (False, IN_FLIGHT, IN_FLIGHT)
    assert (tick.failed, tick.refused, tick.deferred) == (0, 0, 0)
    assert len(reads) == IN_FLIGHT == len(set(reads))
    states = Counter(pipeline.records.load(j).state for j in _all_jobs(pipeline))
    assert states == Counter(
        {JobState.SUCCEEDED: ENDED, JobState.PROCESSING: 180, JobState.SUBMITTED: 90}
    )
    assert set(ended.values()) == {
        j for j in _all_jobs(pipeline) if pipeline.records.load(j).state.terminal
    }
    assert len(_results(pipeline)) == ENDED
    assert not pipeline.store.exists(pipeline.layout.watched)


def _results(pipeline: Pipeline) -> list[str]:
    keys = (o.key for o in pipeline.store.list("out/night/"))
    return [k for k in keys if k.endswith(".result.json")]


def _all_jobs(pipeline: Pipeline) -> list[str]:
    prefix = pipeline.layout.records_prefix
    return [o.key[len(prefix) : -len(".json")] for o in pipeline.store.list(prefix)]
