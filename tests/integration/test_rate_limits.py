"""The ICE and OSS adapters take a token from their service's bucket before every request (every
attempt, every listing page), over real HTTP; the bucket runs on a fake clock, so nothing waits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from highlights import budget
from highlights.credentials import Credentials
from highlights.ports import SubmitRequest
from highlights.producers.ice import GET, IceProducer, clear_client_cache
from highlights.rate import TokenBucket
from highlights.storage.oss import OssStore
from tests.integration.ice_server import TEST_CREDENTIALS, IceTestServer
from tests.integration.oss_server import OssTestServer
from tests.support import Clock

BUCKET = "rate-bucket"
KEY_ID, SECRET = next(iter(TEST_CREDENTIALS.items()))


@pytest.fixture
def clock() -> Clock:
    return Clock(0.0)


@pytest.fixture
def ice(ice_server: IceTestServer) -> Iterator[IceTestServer]:
    ice_server.reset()
    clear_client_cache()
    yield ice_server
    clear_client_cache()


def test_every_ice_request_and_retry_waits_for_its_token(ice: IceTestServer, clock: Clock) -> None:
    bucket = TokenBucket(10, burst=1, clock=clock, sleep=clock.sleep)
    producer = IceProducer(
        "cn-shanghai",
        endpoint=ice.endpoint,
        credentials=(KEY_ID, SECRET, None),
        limiter=bucket,
        sleep=lambda s: None,
    )
    job = producer.submit(SubmitRequest(input_config="{}", output_config="{}"), "t-1", None)
    ice.throttle_next(2, action=GET)
    producer.get(job)  # two throttled attempts, then the answer
    assert len(ice.requests) == 1 + 3
    assert clock.sleeps == pytest.approx([0.1] * 3)  # every request after the first waited
    with budget.budget(0.05, clock=clock), pytest.raises(budget.DeadlineExceeded):
        producer.get(job)  # the next token comes after the budget: not even sent
    assert len(ice.requests) == 4


@pytest.fixture
def oss(oss_server: OssTestServer) -> OssTestServer:
    oss_server.create_bucket(BUCKET)
    return oss_server


def test_every_oss_request_and_listing_page_waits_for_its_token(
    oss: OssTestServer, clock: Clock
) -> None:
    bucket = TokenBucket(100, burst=1, clock=clock, sleep=clock.sleep)
    store = OssStore(
        BUCKET,
        region="cn-shanghai",
        endpoint=oss.endpoint,
        credentials=Credentials("test-key-id", "test-key-secret-value"),
        limiter=bucket,
    )
    for i in range(5):
        store.put(f"k/{i}", b"x")
    assert [o.key for o in store.list("k/", page_size=2)] == [f"k/{i}" for i in range(5)]
    assert store.get("k/0") == b"x"
    # 5 puts, 3 pages, 1 get: 9 requests, the first from the burst
    assert clock.sleeps == pytest.approx([0.01] * 8)
