"""Whatever arrives, the handlers answer: random and mangled HTTP callback requests and OSS event
bodies never raise out of a handler, and never leave a job RECEIVED."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.callback.index import handler as callback_handler
from functions.submit.index import handler as submit_handler
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.states import JobState

from .conftest import Context, http_event, oss_event, token_query

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.text(max_size=40)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def _no_received(pipeline: Pipeline) -> None:
    for obj in pipeline.store.list(pipeline.layout.records_prefix):
        record = pipeline.records.load(obj.key.rsplit("/", 1)[1].removesuffix(".json"))
        assert record.state is not JobState.RECEIVED, record


@FUZZ
@given(
    query=st.dictionaries(st.sampled_from(["job", "t", "x"]) | text, text, max_size=3),
    headers=st.dictionaries(
        st.sampled_from(["X-ICE-TIMESTAMP", "X-ICE-SIGNATURE", "Content-Type"]) | text,
        text,
        max_size=4,
    ),
    body=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()),
    base64_flag=st.booleans(),
    shape=json_values,
)
def test_callback_requests_never_raise(
    pipeline: Pipeline,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    base64_flag: bool,
    shape: Any,
) -> None:
    event = json.loads(http_event(body.decode("latin-1"), query=query, key=None))
    event["headers"].update(headers)
    event["isBase64Encoded"] = base64_flag
    for candidate in (event, {**event, "headers": shape}, {**event, "body": shape}, shape):
        answer = callback_handler(json.dumps(candidate).encode(), Context())
        assert answer["statusCode"] in (200, 400, 401)
    answer = callback_handler(body, Context())
    assert answer["statusCode"] in (400, 401)
    _no_received(pipeline)


@FUZZ
@given(job=text, body=st.binary(max_size=200))
def test_a_valid_token_with_any_body_never_raises(
    pipeline: Pipeline, job: str, body: bytes
) -> None:
    event = http_event(body.decode("latin-1"), query=token_query(job or "j"), key=None)
    answer = callback_handler(event, Context())
    assert answer["statusCode"] in (200, 400)


@FUZZ
@given(
    records=st.lists(json_values, max_size=3),
    key=text
    | st.sampled_from(["manifests/../x.json", "manifests//a.json", "manifests/a\x00.json"]),
    shape=json_values,
)
def test_oss_events_never_raise_nor_leave_a_job_received(
    pipeline: Pipeline, records: list[Any], key: str, shape: Any
) -> None:
    candidates: list[Any] = [
        {"events": records},
        {"events": [{"oss": {"bucket": {"name": "films"}, "object": shape}}]},
        json.loads(oss_event("films", (key, "0" * 32))),
        {"source": "acs.oss", "data": shape},
        {"manifest": shape},
        shape,
    ]
    for candidate in candidates:
        answer = submit_handler(json.dumps(candidate).encode(), Context())
        assert isinstance(answer, dict)
    answer = submit_handler(b"\xff" + json.dumps(shape).encode(), Context())
    assert "error" in answer
    _no_received(pipeline)
