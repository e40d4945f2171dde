"""IceProducer through the real SDK against the fake ICE endpoint (tests/integration/ice_server.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from highlights.credentials import from_env as credentials_from_env
from highlights.ports import (
    NotFound,
    PermanentError,
    Producer,
    ServiceRefused,
    SubmitRequest,
    TransientError,
)
from highlights.producers import ice as ice_module
from highlights.producers.ice import (
    IceProducer,
    clear_client_cache,
    ice_endpoint,
    job_status,
    parse_extend,
    user_data_json,
)
from tests.integration.ice_server import GET, SUBMIT, TEST_CREDENTIALS, IceTestServer
from tests.support import Clock

KEY_ID, SECRET = next(iter(TEST_CREDENTIALS.items()))
CREDS = (KEY_ID, SECRET, None)
STS_TOKEN = "sts-security-token-value-0123456789"

REQUEST = SubmitRequest(
    input_config=json.dumps(
        {"MediaArray": ["https://b.oss-cn-shanghai.aliyuncs.com/in/电影 1.mp4"]}
    ),
    output_config=json.dumps(
        {"MediaURL": "https://b.oss-cn-shanghai.aliyuncs.com/out/hl_{index}.mp4", "Count": 3}
    ),
    editing_config=json.dumps({"ProcessConfig": {"EnableClipDetection": True}}),
    template_config=None,
    user_data={"Job": "job-1", "Title": "精彩片段 + more"},
)
NOTIFY = "https://example.com/callback?source=ice&x=1"


@pytest.fixture
def server(ice_server: IceTestServer) -> Iterator[IceTestServer]:
    ice_server.reset()
    clear_client_cache()
    yield ice_server
    ice_server.reset()


@pytest.fixture
def fake_time() -> Clock:
    return Clock()


def make_producer(
    server: IceTestServer, fake_time: Clock | None = None, **kwargs: Any
) -> IceProducer:
    options: dict[str, Any] = {
        "endpoint": server.endpoint,
        "credentials": CREDS,
        "connect_timeout_ms": 500,
        "read_timeout_ms": 500,
        "budget_seconds": 5.0,
    }
    if fake_time is not None:
        options.update(sleep=fake_time.sleep, clock=fake_time.clock)
    options.update(kwargs)
    return IceProducer("cn-shanghai", **options)


@pytest.fixture
def producer(server: IceTestServer, fake_time: Clock) -> IceProducer:
    return make_producer(server, fake_time)


# -- configuration ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "endpoint", "expected"),
    [
        ("cn-shanghai", None, ("ice.cn-shanghai.aliyuncs.com", "https")),
        ("ap-southeast-1", None, ("ice.ap-southeast-1.aliyuncs.com", "https")),
        (
            "cn-beijing",
            "ice-vpc.cn-beijing.aliyuncs.com",
            ("ice-vpc.cn-beijing.aliyuncs.com", "https"),
        ),
        ("cn-beijing", "http://127.0.0.1:8123", ("127.0.0.1:8123", "http")),
        ("cn-beijing", "https://ice.example.com/", ("ice.example.com", "https")),
        ("cn-beijing", "", ("ice.cn-beijing.aliyuncs.com", "https")),
    ],
)
def test_endpoint(region: str, endpoint: str | None, expected: tuple[str, str]) -> None:
    assert ice_endpoint(region, endpoint) == expected


@pytest.mark.parametrize(
    ("region", "endpoint"), [("", None), ("Shanghai!", None), ("x", "ftp://h"), ("x", "a b")]
)
def test_bad_endpoint(region: str, endpoint: str | None) -> None:
    with pytest.raises(ValueError, match=r"region|endpoint"):
        ice_endpoint(region, endpoint)


def test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    assert credentials_from_env(
        {"ALIBABA_CLOUD_ACCESS_KEY_ID": "i", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"}
    ) == ("i", "s", None)
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", raising=False)
    with pytest.raises(ServiceRefused) as caught:
        IceProducer("cn-shanghai")
    assert caught.value.code == "InvalidCredentials"


def test_is_a_producer_and_repr_has_no_secret(server: IceTestServer) -> None:
    producer = make_producer(server, credentials=(KEY_ID, SECRET, STS_TOKEN))
    assert isinstance(producer, Producer)
    assert SECRET not in repr(producer)
    assert STS_TOKEN not in repr(producer)


def test_sdk_is_imported_lazily_and_the_client_built_once() -> None:
    code = """
import sys
from highlights.producers.ice.producer import IceProducer, _CLIENTS
p = IceProducer("cn-shanghai", credentials=("id", "secret", None))
assert "alibabacloud_ice20201109" not in sys.modules, "SDK imported before the first call"
assert "alibabacloud_tea_openapi" not in sys.modules
p.warm_up()
assert "alibabacloud_ice20201109.client" in sys.modules
q = IceProducer("cn-shanghai", credentials=("id", "secret", None))
assert p._client() is q._client()
assert len(_CLIENTS) == 1
r = IceProducer("cn-shanghai", credentials=("id", "secret", None), read_timeout_ms=1234)
assert r._client() is not p._client()
client = p._client()
assert client._endpoint == "ice.cn-shanghai.aliyuncs.com", client._endpoint
assert client._protocol == "https"
assert client._read_timeout == 8000 and client._connect_timeout == 3000
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_user_data_json() -> None:
    assert user_data_json(SubmitRequest("{}", "{}"), None) is None
    assert user_data_json(SubmitRequest("{}", "{}"), "https://x") == '{"NotifyAddress":"https://x"}'
    text = user_data_json(REQUEST, NOTIFY)
    assert (
        text
        == '{"Job":"job-1","Title":"精彩片段 + more","NotifyAddress":"https://example.com/callback?source=ice&x=1"}'
    )


def test_user_data_over_512_bytes_is_refused_before_sending(
    producer: IceProducer, server: IceTestServer
) -> None:
    big = SubmitRequest("{}", "{}", user_data={"Title": "片" * 170})  # 3 bytes each
    with pytest.raises(PermanentError) as caught:
        producer.submit(big, "tok", None)
    assert caught.value.code == "InvalidParameter.UserData"
    assert server.requests == []


def test_client_token_is_checked_before_sending(
    producer: IceProducer, server: IceTestServer
) -> None:
    for token in ("x" * 65, "令牌"):
        with pytest.raises(PermanentError) as caught:
            producer.submit(REQUEST, token, None)
        assert caught.value.code == "InvalidParameter.ClientToken"
    assert server.requests == []


# -- submit -----------------------------------------------------------------------------------------


def test_submit_sends_the_action_and_parameters(
    producer: IceProducer, server: IceTestServer
) -> None:
    job_id = producer.submit(REQUEST, "token-1", NOTIFY)
    (sent,) = server.requests
    assert sent.action == SUBMIT
    assert sent.method == "POST"
    assert sent.headers["x-acs-version"] == "2020-11-09"
    assert sent.headers["authorization"].startswith(f"ACS3-HMAC-SHA256 Credential={KEY_ID},")
    # Where the SDK puts them: ClientToken, OutputConfig, UserData in the query; configs in the body.
    assert sent.query["ClientToken"] == "token-1"
    assert json.loads(sent.query["OutputConfig"]) == json.loads(REQUEST.output_config)
    assert sent.form["InputConfig"] == REQUEST.input_config
    assert sent.form["EditingConfig"] == REQUEST.editing_config
    assert "TemplateConfig" not in sent.params
    assert json.loads(sent.query["UserData"]) == {**REQUEST.user_data, "NotifyAddress": NOTIFY}
    assert sent.query["UserData"] == user_data_json(REQUEST, NOTIFY)  # compact, not ASCII-escaped
    job = server.jobs[job_id]
    assert job.client_token == "token-1"


def test_submit_with_sts_credentials_sends_the_token(server: IceTestServer) -> None:
    producer = make_producer(server, credentials=(KEY_ID, SECRET, STS_TOKEN))
    producer.submit(REQUEST, "token-sts", None)
    (sent,) = server.requests
    assert sent.headers["x-acs-security-token"] == STS_TOKEN
    assert "UserData" in sent.query and "NotifyAddress" not in sent.query["UserData"]


def test_same_token_twice_makes_one_job(producer: IceProducer, server: IceTestServer) -> None:
    first = producer.submit(REQUEST, "token-same", NOTIFY)
    second = producer.submit(REQUEST, "token-same", NOTIFY)
    assert first == second
    assert len(server.jobs) == 1
    assert len(server.requests_for(SUBMIT)) == 2


def test_same_token_different_request_is_a_permanent_mismatch(
    producer: IceProducer, server: IceTestServer, fake_time: Clock
) -> None:
    producer.submit(REQUEST, "token-mismatch", NOTIFY)
    with pytest.raises(PermanentError) as caught:
        producer.submit(REQUEST, "token-mismatch", "https://example.com/other")
    assert caught.value.code == "IdempotentParameterMismatch"
    assert len(server.requests_for(SUBMIT)) == 2  # not retried
    assert fake_time.sleeps == []
    assert len(server.jobs) == 1


@pytest.mark.parametrize("status", [400, 503, 429])
def test_throttled_twice_then_ok(
    producer: IceProducer, server: IceTestServer, fake_time: Clock, status: int
) -> None:
    server.throttle_next(2, status=status, action=SUBMIT)
    job_id = producer.submit(REQUEST, "token-throttle", None)
    assert len(server.requests_for(SUBMIT)) == 3
    assert len(fake_time.sleeps) == 2
    assert 0 <= fake_time.sleeps[0] < 0.2 and 0 <= fake_time.sleeps[1] < 0.4
    assert list(server.jobs) == [job_id]
    assert {r.query["ClientToken"] for r in server.requests} == {"token-throttle"}


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (500, "InternalError"),
        (503, "ServiceUnavailable"),
        (502, "BadGateway"),
        (403, "RequestsTooFrequent"),
    ],
)
def test_server_errors_then_ok(
    producer: IceProducer, server: IceTestServer, status: int, code: str
) -> None:
    server.fail_next(1, status=status, code=code)
    job_id = producer.submit(REQUEST, f"token-{status}", None)
    assert len(server.requests) == 2
    assert list(server.jobs) == [job_id]


def test_stall_past_the_read_timeout_reuses_the_token(
    producer: IceProducer, server: IceTestServer
) -> None:
    server.stall_next(1.5, after_accept=True, action=SUBMIT)  # the job is created, the answer late
    started = time.monotonic()
    job_id = producer.submit(REQUEST, "token-stall", NOTIFY)
    assert time.monotonic() - started < 1.4  # the read timeout (0.5 s) cut the first attempt
    sent = server.requests_for(SUBMIT)
    assert len(sent) == 2
    assert [r.query["ClientToken"] for r in sent] == ["token-stall", "token-stall"]
    assert list(server.jobs) == [job_id]  # exactly one job


def test_stall_before_the_call_took_effect(producer: IceProducer, server: IceTestServer) -> None:
    server.stall_next(1.0, after_accept=False, action=SUBMIT)
    job_id = producer.submit(REQUEST, "token-stall-before", None)
    time.sleep(1.2)  # let the stalled request finish too: it must not make a second job
    assert list(server.jobs) == [job_id]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "InvalidParameter"),
        (400, "InvalidParameter.OutputConfig"),
        (400, "MissingParameter"),
        (400, "IdempotentParameterMismatch"),
        (500, "InvalidParameter.Internal"),  # a job-level code wins over a 5xx status
    ],
)
def test_job_level_errors_are_permanent_and_not_retried(
    producer: IceProducer, server: IceTestServer, fake_time: Clock, status: int, code: str
) -> None:
    server.fail_next(5, status=status, code=code, message=f"scripted {code}")
    with pytest.raises(PermanentError) as caught:
        producer.submit(REQUEST, "token-perm", None)
    assert caught.value.code == code
    assert f"scripted {code}" in caught.value.message
    assert str(status) in caught.value.message
    assert len(server.requests) == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (403, "Forbidden.RAM"),
        (403, "NoPermission"),
        (404, "InvalidAccessKeyId.NotFound"),
        (400, "InvalidSecurityToken.Expired"),
        (400, "SignatureDoesNotMatch"),
        (404, "InvalidAction.NotFound"),
        (400, "OperationDenied.Suspended"),
        (403, "ServiceNotActivated"),
        (403, ""),
        (401, "Whatever"),
        (400, "InsufficientBalance"),
        (400, "IllegalTimestamp"),
        (404, "InvalidApi.NotFound"),
        (400, "SomethingUndocumented"),
    ],
)
def test_a_refused_caller_is_service_refused_not_a_job_error(
    producer: IceProducer, server: IceTestServer, fake_time: Clock, status: int, code: str
) -> None:
    server.fail_next(5, status=status, code=code, message=f"scripted {code}")
    with pytest.raises(ServiceRefused) as caught:
        producer.submit(REQUEST, "token-refused", None)
    assert caught.value.code == (code or f"HTTP{status}")
    assert not isinstance(caught.value, PermanentError)
    assert len(server.requests) == 1 and fake_time.sleeps == []
    with pytest.raises(ServiceRefused):
        producer.get("job-x")  # a refused read is never "no such job"


def test_wrong_secret_is_refused(server: IceTestServer, fake_time: Clock) -> None:
    producer = make_producer(server, fake_time, credentials=(KEY_ID, "wrong-secret", None))
    with pytest.raises(ServiceRefused) as caught:
        producer.submit(REQUEST, "token-sig", None)
    assert caught.value.code == "SignatureDoesNotMatch"
    assert "wrong-secret" not in str(caught.value)
    assert len(server.requests) == 1


def test_budget_exhausted_raises_the_last_transient_code(
    producer: IceProducer, server: IceTestServer, fake_time: Clock
) -> None:
    server.fail_next(1, status=500, code="InternalError")
    server.throttle_next(1000)
    with pytest.raises(TransientError) as caught:
        producer.submit(REQUEST, "token-budget", None)
    assert caught.value.code == "Throttling.User"
    assert sum(fake_time.sleeps) < producer.budget_seconds
    attempts = len(server.requests)
    assert attempts == len(fake_time.sleeps) + 1
    assert 3 <= attempts < 100


def test_budget_bounds_the_wall_time_of_stalled_calls(server: IceTestServer) -> None:
    producer = make_producer(server, budget_seconds=1.6, backoff_base=0.05, backoff_cap=0.1)
    server.stall_next(2.0, times=10, action=GET)
    server.add_job("job-slow")
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        producer.get("job-slow")
    elapsed = time.monotonic() - started
    seen = [round(r.at - server.requests[0].at, 3) for r in server.requests]
    assert caught.value.code == "Timeout", (elapsed, seen)
    assert elapsed < 1.6 + 0.4, (elapsed, seen)  # the last attempt's timeouts are clipped
    assert len(server.requests) >= 2, (elapsed, seen)


def test_network_errors_are_transient(fake_time: Clock) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    producer = IceProducer(
        "cn-shanghai",
        endpoint=f"http://127.0.0.1:{port}",
        credentials=CREDS,
        connect_timeout_ms=300,
        read_timeout_ms=300,
        budget_seconds=2.0,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    with pytest.raises(TransientError) as caught:
        producer.submit(REQUEST, "token-net", None)
    assert caught.value.code == "NetworkError"
    assert caught.value.__cause__ is None
    assert "?" not in caught.value.message or "?…" in caught.value.message  # no query strings
    assert "token-net" not in caught.value.message
    assert len(fake_time.sleeps) >= 2


def test_secrets_echoed_by_the_server_are_masked(server: IceTestServer, fake_time: Clock) -> None:
    producer = make_producer(server, fake_time, credentials=(KEY_ID, SECRET, STS_TOKEN))
    server.fail_next(1, status=403, code="Forbidden", message=f"token {STS_TOKEN} secret {SECRET}")
    with pytest.raises(ServiceRefused) as caught:
        producer.submit(REQUEST, "token-echo", None)
    assert STS_TOKEN not in str(caught.value) and SECRET not in str(caught.value)
    assert caught.value.__cause__ is None


def test_rate_limited_burst_succeeds_within_the_budget(server: IceTestServer) -> None:
    producer = make_producer(server, budget_seconds=10.0, backoff_base=0.05, backoff_cap=0.5)
    server.rate_limit(4)
    results: dict[int, object] = {}

    def submit(i: int) -> None:
        try:
            results[i] = producer.submit(REQUEST, f"token-burst-{i}", None)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(isinstance(r, str) for r in results.values()), results
    assert len(set(results.values())) == 10
    assert len(server.jobs) == 10
    assert len(server.requests) > 10  # some were throttled and retried


# -- get --------------------------------------------------------------------------------------------


def test_get_maps_the_job_and_every_sub_job(producer: IceProducer, server: IceTestServer) -> None:
    job_id = producer.submit(REQUEST, "token-get", None)
    assert producer.get(job_id).status == "Init"
    server.set_job(
        job_id,
        Status="Finished",
        CompleteTime="2025-01-02T03:04:05Z",
        Extend=json.dumps({"ErrorCode": "PartialFailure", "ErrorMessage": "1 of 3 failed"}),
        SubJobList=[
            {
                "JobId": "sub-1",
                "MediaId": "media-1",
                "MediaURL": "https://b.oss-cn-shanghai.aliyuncs.com/out/hl_1.mp4",
                "Status": "Success",
                "Duration": 31.5,
                "ProjectId": "p1",
            },
            {
                "JobId": "sub-2",
                "Status": "Failed",
                "ErrorCode": "InvalidMaterial.NotFound",
                "ErrorMessage": "The specified clips url not found",
            },
            {"JobId": "sub-3", "MediaId": "media-3", "Status": "Success", "Duration": "12"},
        ],
    )
    status = producer.get(job_id)
    assert (status.job_id, status.status, status.terminal) == (job_id, "Finished", True)
    assert (status.error_code, status.error_message) == ("PartialFailure", "1 of 3 failed")
    assert status.complete_time == "2025-01-02T03:04:05Z"
    assert status.create_time is not None
    assert status.job_type == "Smart_Mix"
    first, second, third = status.sub_jobs
    assert (first.index, first.status, first.job_id, first.media_id) == (
        1,
        "Success",
        "sub-1",
        "media-1",
    )
    assert first.media_url == "https://b.oss-cn-shanghai.aliyuncs.com/out/hl_1.mp4"
    assert first.duration == 31.5
    assert (second.index, second.status) == (2, "Failed")
    assert (second.error_code, second.error_message) == (
        "InvalidMaterial.NotFound",
        "The specified clips url not found",
    )
    assert second.media_id is None and second.duration is None
    assert (third.index, third.duration) == (3, 12.0)
    assert all(r.action in (SUBMIT, GET) for r in server.requests)
    assert server.requests[-1].query["JobId"] == job_id


def test_get_a_failed_job(producer: IceProducer, server: IceTestServer) -> None:
    server.add_job(
        "job-failed",
        Status="Failed",
        Extend='{"ErrorCode":"InvalidParameter","ErrorMessage":"MediaArray is empty"}',
    )
    status = producer.get("job-failed")
    assert (status.status, status.error_code, status.error_message) == (
        "Failed",
        "InvalidParameter",
        "MediaArray is empty",
    )
    assert status.sub_jobs == ()


@pytest.mark.parametrize("extend", [None, "", "not json", "[1, 2]", "{}", '{"ErrorCode": null}'])
def test_missing_or_invalid_extend_is_tolerated(
    producer: IceProducer, server: IceTestServer, extend: str | None
) -> None:
    fields = (
        {"Status": "Processing"} if extend is None else {"Status": "Processing", "Extend": extend}
    )
    server.add_job("job-extend", **fields)
    status = producer.get("job-extend")
    assert (status.status, status.error_code, status.error_message) == ("Processing", None, None)


def test_unknown_states_are_not_terminal(producer: IceProducer, server: IceTestServer) -> None:
    server.add_job("job-odd", Status="Queuing", SubJobList=[{"Status": "Rendering"}])
    status = producer.get("job-odd")
    assert status.status == "Processing" and not status.terminal
    assert status.raw_status == "Queuing"
    assert status.sub_jobs[0].status == "Processing"


@pytest.mark.parametrize(
    "answer",
    [
        (404, "ResourceNotFound"),
        (404, "JobNotFound"),
        (400, "InvalidParameter.JobNotExist"),
        (400, "InvalidParameter"),  # the message names the JobId
        (400, "EntityNotExist.Job"),
    ],
)
def test_unknown_job_is_not_found(
    producer: IceProducer, server: IceTestServer, fake_time: Clock, answer: tuple[int, str] | str
) -> None:
    server.answer_unknown_jobs_with(answer)
    with pytest.raises(NotFound):
        producer.get("no-such-job")
    assert len(server.requests) == 1
    assert fake_time.sleeps == []


def test_a_200_without_the_job_is_transient_not_not_found(
    producer: IceProducer, server: IceTestServer, fake_time: Clock
) -> None:
    server.answer_unknown_jobs_with("empty")
    with pytest.raises(TransientError) as caught:
        producer.get("no-such-job")
    assert caught.value.code == "MalformedResponse"


def test_unknown_access_key_is_refused_not_not_found(server: IceTestServer) -> None:
    producer = make_producer(server, credentials=("unknown-key", SECRET, None))
    with pytest.raises(ServiceRefused) as caught:
        producer.get("some-job")
    assert caught.value.code == "InvalidAccessKeyId.NotFound"
    assert not isinstance(caught.value, NotFound)


def test_get_retries_transient_errors(
    producer: IceProducer, server: IceTestServer, fake_time: Clock
) -> None:
    server.add_job("job-retry", Status="Processing")
    server.throttle_next(1, action=GET)
    server.fail_next(1, status=503, code="ServiceUnavailable", action=GET)
    assert producer.get("job-retry").status == "Processing"
    assert len(server.requests) == 3
    assert len(fake_time.sleeps) == 2


def test_empty_job_id_is_not_found_without_a_call(
    producer: IceProducer, server: IceTestServer
) -> None:
    with pytest.raises(NotFound):
        producer.get("")
    assert server.requests == []


# -- pure helpers -----------------------------------------------------------------------------------


def test_parse_extend() -> None:
    assert parse_extend('{"ErrorCode":"X","ErrorMessage":"y"}') == ("X", "y")
    assert parse_extend({"ErrorCode": "X"}) == ("X", None)
    assert parse_extend("{") == (None, None)
    assert parse_extend(None) == (None, None)
    assert parse_extend(42) == (None, None)


def test_job_status_from_a_plain_object() -> None:
    class Sub:
        status = "Success"
        job_id = "s"
        media_id = "m"
        media_url = "u"
        duration = True  # nonsense is dropped, not crashed on
        error_code = ""
        error_message = None

    class Job:
        job_id = None
        status = "Finished"
        extend = None
        sub_job_list = (Sub(),)
        create_time = None
        complete_time = None

    status = job_status("fallback-id", Job())
    assert status.job_id == "fallback-id"
    assert status.sub_jobs[0].duration is None
    assert status.sub_jobs[0].error_code is None


def test_classification_of_a_code_less_error() -> None:
    from alibabacloud_tea_openapi.exceptions import ClientException, ServerException

    transient = ice_module.classify_error(
        ServerException(status_code=502, code="None", message="m"), SUBMIT
    )
    assert isinstance(transient, TransientError) and transient.code == "HTTP502"
    unknown = ice_module.classify_error(
        ClientException(status_code=418, code=None, message="m"), SUBMIT
    )
    assert isinstance(unknown, ServiceRefused) and unknown.code == "HTTP418"
    gateway = ice_module.classify_error(
        ClientException(status_code=404, code=None, message="m"), GET, job_id="j"
    )
    assert isinstance(gateway, TransientError) and gateway.code == "HTTP404"
    assert ice_module.classify_error(KeyError("bug"), SUBMIT) is None


@pytest.mark.parametrize(
    ("status", "code"), [(404, "InvalidAction.NotFound"), (404, "Forbidden.InstanceNotFound")]
)
def test_a_missing_api_or_instance_is_not_a_missing_job(
    producer: IceProducer, server: IceTestServer, status: int, code: str
) -> None:
    server.fail_next(1, status=status, code=code, action=GET)
    with pytest.raises(ServiceRefused) as caught:
        producer.get("job-x")
    assert caught.value.code == code
    assert not isinstance(caught.value, NotFound)
