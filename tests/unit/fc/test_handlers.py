"""The three handlers on Function Compute's event shapes, as bytes."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from functions.callback.index import handler as callback_handler
from functions.reconcile.index import handler as reconcile_handler
from functions.submit.index import handler as submit_handler
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.states import JobState
from highlights.ports import ServiceRefused, TransientError

from ..jobs.conftest import MANIFEST
from .conftest import (
    Context,
    eventbridge_event,
    http_event,
    oss_event,
    timer_event,
    token_query,
)


def put_manifest(
    pipeline: Pipeline, key: str = "manifests/night train.json", doc: Any = None
) -> str:
    stored = pipeline.store.put(key, json.dumps(doc or MANIFEST).encode())
    return stored.etag


def only_job(pipeline: Pipeline) -> Any:
    [record] = [o.key for o in pipeline.store.list(pipeline.layout.records_prefix)]
    return pipeline.records.load(record.rsplit("/", 1)[-1].removesuffix(".json"))


def test_oss_trigger_submits(pipeline: Pipeline) -> None:
    etag = put_manifest(pipeline)
    answer = submit_handler(oss_event("films", ("manifests/night train.json", etag)), Context())
    [accepted] = answer["accepted"]
    assert accepted["state"] == "SUBMITTED" and not accepted["duplicate"]
    assert only_job(pipeline).state is JobState.SUBMITTED


def test_url_encoded_keys_are_understood(pipeline: Pipeline) -> None:
    etag = put_manifest(pipeline)
    answer = submit_handler(oss_event("films", ("manifests/night+train.json", etag)), Context())
    assert answer["accepted"][0]["state"] == "SUBMITTED"
    assert only_job(pipeline).manifest.key == "manifests/night train.json"


def test_every_entry_is_handled_and_others_skipped(pipeline: Pipeline) -> None:
    etag = put_manifest(pipeline)
    event = oss_event(
        "films",
        ("manifests/night train.json", etag),
        ("images/a.jpg", "X"),
        ("manifests/a.txt", "Y"),
    )
    answer = submit_handler(event, Context())
    assert len(answer["accepted"]) == 1
    assert [s["key"] for s in answer["skipped"]] == ["images/a.jpg", "manifests/a.txt"]


def test_the_same_event_three_times_also_concurrently(pipeline: Pipeline) -> None:
    etag = put_manifest(pipeline)
    event = oss_event("films", ("manifests/night train.json", etag))
    threads = [threading.Thread(target=submit_handler, args=(event, Context())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    submit_handler(event, Context())
    assert len(pipeline.producer.submissions) == 1  # type: ignore[attr-defined]
    assert len(list(pipeline.store.list(pipeline.layout.records_prefix))) == 1


def test_eventbridge_delivery(pipeline: Pipeline) -> None:
    etag = put_manifest(pipeline)
    answer = submit_handler(
        eventbridge_event("films", "manifests/night train.json", etag), Context()
    )
    assert answer["accepted"][0]["state"] == "SUBMITTED"


def test_direct_invocation_writes_the_manifest_into_the_inbox_first(pipeline: Pipeline) -> None:
    event = json.dumps({"manifest": MANIFEST, "name": "from upstream"}).encode()
    answer = submit_handler(event, Context())
    assert answer["accepted"][0]["state"] == "SUBMITTED"
    assert pipeline.store.exists("manifests/direct/from-upstream.json")
    again = submit_handler(event, Context())
    assert again["accepted"][0]["duplicate"]
    assert len(pipeline.producer.submissions) == 1  # type: ignore[attr-defined]


def test_direct_invocation_with_a_taken_name_is_refused(pipeline: Pipeline) -> None:
    submit_handler(json.dumps({"manifest": MANIFEST, "name": "x"}).encode(), Context())
    other = {**MANIFEST, "UserData": {"other": True}}
    with pytest.raises(ValueError, match="different manifest"):
        submit_handler(json.dumps({"manifest": other, "name": "x"}).encode(), Context())


def test_an_event_for_another_bucket_is_skipped(pipeline: Pipeline) -> None:
    """The job id is made of the configured bucket: another's name would be a second identity."""
    etag = put_manifest(pipeline)
    answer = submit_handler(oss_event("elsewhere", ("manifests/night train.json", etag)), Context())
    assert answer["accepted"] == []
    assert "elsewhere" in answer["skipped"][0]["reason"]
    assert list(pipeline.store.list(pipeline.layout.records_prefix)) == []


def test_the_function_timeout_bounds_an_invocation() -> None:
    from highlights.fc.invocation import function_timeout

    assert function_timeout(None) is None
    assert function_timeout(type("C", (), {"function": {"timeout": 12}})()) == 12
    function = type("F", (), {"timeout": "300"})()
    assert function_timeout(type("C", (), {"function": function})()) == 300
    assert function_timeout(type("C", (), {"function": {"timeout": "x"}})()) is None


def test_malformed_events_answer_without_raising(pipeline: Pipeline) -> None:
    assert "not JSON" in submit_handler(b"{nope", Context())["error"]
    assert "unknown event" in submit_handler(b'{"hello": 1}', Context())["error"]


def test_transient_submit_error_raises_for_the_platform_to_retry(pipeline: Pipeline) -> None:
    etag = put_manifest(pipeline)
    pipeline.producer.fail_next_submit(TransientError("throttled", code="Throttling.User"))  # type: ignore[attr-defined]
    with pytest.raises(TransientError):
        submit_handler(oss_event("films", ("manifests/night train.json", etag)), Context())


def submitted_job(pipeline: Pipeline) -> str:
    etag = put_manifest(pipeline)
    return submit_handler(oss_event("films", ("manifests/night train.json", etag)), Context())[
        "accepted"
    ][0]["job_id"]


def complete_body(job_id: str = "x") -> dict[str, Any]:
    return {
        "EventType": "BatchProduceMediaComplete",
        "UserId": 1,
        "EventTime": "2026-11-29T12:00:00Z",
        "MessageBody": {
            "JobId": "ice-1",
            "Status": "Finished",
            "UserData": json.dumps({"HighlightsJobId": job_id}),
        },
    }


def test_signed_callback_observes_the_job(pipeline: Pipeline) -> None:
    job_id = submitted_job(pipeline)
    pipeline.producer.advance(pipeline.producer.submissions[0].job_id)  # type: ignore[attr-defined]
    answer = callback_handler(
        http_event(complete_body(job_id), query={"job": job_id}, base64_body=True), Context()
    )
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"job_id": job_id, "state": "SUCCEEDED"}
    assert set(answer) == {"statusCode", "headers", "body", "isBase64Encoded"}


def test_callback_signed_over_the_bare_url_with_the_old_key(pipeline: Pipeline) -> None:
    from .conftest import CALLBACK_URL

    job_id = submitted_job(pipeline)
    event = http_event(complete_body(job_id), key="OldKey2025b", url=CALLBACK_URL)
    assert callback_handler(event, Context())["statusCode"] == 200


def test_unsigned_callback_to_the_exact_notify_address_finishes_the_job(
    pipeline: Pipeline,
) -> None:
    job_id = submitted_job(pipeline)
    (submission,) = pipeline.producer.submissions  # type: ignore[attr-defined]
    assert submission.notify_url.endswith("&t=" + token_query(job_id)["t"])
    pipeline.producer.advance(submission.job_id)  # type: ignore[attr-defined]
    event = http_event(complete_body(job_id), query=token_query(job_id), key=None)
    answer = callback_handler(event, Context())
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"job_id": job_id, "state": "SUCCEEDED"}
    assert list(pipeline.store.list(pipeline.layout.inflight_prefix)) == []  # doorbell gone too


def test_a_token_of_the_old_key_still_verifies(pipeline: Pipeline) -> None:
    job_id = submitted_job(pipeline)
    query = token_query(job_id, "OldKey2025b")
    answer = callback_handler(http_event(complete_body(job_id), query=query, key=None), Context())
    assert answer["statusCode"] == 200


def _other_token(job_id: str) -> dict[str, str]:
    return {"job": job_id, "t": token_query("another-job-000000000000")["t"]}


def _altered_token(job_id: str) -> dict[str, str]:
    query = token_query(job_id)
    last = query["t"][-1]
    return {**query, "t": query["t"][:-1] + ("A" if last != "A" else "B")}


@pytest.mark.parametrize(
    "tamper",
    [
        {"key": None},
        {"key": "WrongKey1"},
        {"timestamp": 1_000_000_000},
        {"url": "https://attacker.example.com/ice"},
        {"key": None, "query": "altered"},
        {"key": None, "query": "other"},
        {"key": None, "query": "bare"},
        {"key": None, "query": "no-token"},
    ],
    ids=[
        "unsigned",
        "forged",
        "stale",
        "other-url",
        "altered-token",
        "other-jobs-token",
        "bare-url",
        "job-without-token",
    ],
)
def test_bad_callbacks_change_nothing(pipeline: Pipeline, tamper: dict[str, Any]) -> None:
    job_id = submitted_job(pipeline)
    pipeline.producer.advance(pipeline.producer.submissions[0].job_id)  # type: ignore[attr-defined]
    before = {o.key: pipeline.store.get(o.key) for o in pipeline.store.list("")}
    queries = {
        "altered": _altered_token(job_id),
        "other": _other_token(job_id),
        "bare": {},
        "no-token": {"job": job_id},
    }
    tamper = dict(tamper)
    query = queries[tamper.pop("query", "no-token")]
    answer = callback_handler(http_event(complete_body(job_id), query=query, **tamper), Context())
    assert answer["statusCode"] == 401
    assert {o.key: pipeline.store.get(o.key) for o in pipeline.store.list("")} == before
    assert pipeline.producer.get_calls == 0  # type: ignore[attr-defined]


def test_malformed_body_is_400(pipeline: Pipeline) -> None:
    assert callback_handler(http_event(b"not json"), Context())["statusCode"] == 400
    assert callback_handler(b"][", Context())["statusCode"] == 400


def test_other_events_and_unknown_jobs_are_200(pipeline: Pipeline) -> None:
    body = {"EventType": "ProduceMediaComplete", "MessageBody": {}}
    assert callback_handler(http_event(body), Context())["statusCode"] == 200
    answer = callback_handler(
        http_event(complete_body("ghost-1"), query={"job": "ghost-1"}), Context()
    )
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["known"] is False


@pytest.mark.parametrize(
    "error",
    [
        TransientError("down", code="ServiceUnavailable"),
        ServiceRefused("refused", code="Forbidden.RAM"),
    ],
    ids=["transient", "refused"],
)
def test_a_producer_that_cannot_answer_still_gets_200_and_the_doorbell_rings(
    pipeline: Pipeline, error: Exception
) -> None:
    job_id = submitted_job(pipeline)
    pipeline.producer.fail_next_get(error)  # type: ignore[attr-defined]
    answer = callback_handler(
        http_event(complete_body(job_id), query=token_query(job_id), key=None), Context()
    )
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"job_id": job_id, "queued": True}
    bells = [
        o.key
        for o in pipeline.store.list(pipeline.layout.inflight_prefix)
        if o.key.endswith(".bell")
    ]
    assert len(bells) == 1 and job_id in bells[0]
    # the next tick answers the doorbell at once, whatever the job's own back-off says
    pipeline.producer.advance(pipeline.producer.submissions[0].job_id)  # type: ignore[attr-defined]
    summary = reconcile_handler(timer_event(), Context())
    assert summary["doorbells"] == 1
    assert pipeline.records.load(job_id).state is JobState.SUCCEEDED
    assert list(pipeline.store.list(pipeline.layout.inflight_prefix)) == []


def test_timer_reconciles(pipeline: Pipeline) -> None:
    pipeline.store.put("manifests/lost.json", json.dumps(MANIFEST).encode())
    summary = reconcile_handler(timer_event(), Context())
    assert summary["accepted"] == 1 and summary["trigger_time"] == "2026-11-29T07:49:00Z"


def test_logs_are_json_lines_with_ids_and_no_secrets(pipeline: Pipeline) -> None:
    import io
    import logging

    out = io.StringIO()
    handlers = [
        h for h in logging.getLogger("highlights").handlers if isinstance(h, logging.StreamHandler)
    ]
    assert handlers, "powertools' handler is missing"
    previous = [h.setStream(out) for h in handlers]
    try:
        job_id = submitted_job(pipeline)
        callback_handler(http_event(complete_body(job_id), query={"job": job_id}), Context())
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)  # type: ignore[arg-type]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines, "no log lines"
    submitted = [line for line in lines if line["message"] == "job submitted"]
    assert submitted and submitted[0]["job_id"] == job_id and submitted[0]["producer_job_id"]
    assert submitted[0]["manifest_key"] == "manifests/night train.json"
    assert all(line.get("request_id") == "fc-request-1" for line in lines)
    text = json.dumps(lines)
    assert "NewKey2026a" not in text and "OldKey2025b" not in text


def test_dead_letters_are_kept_in_the_bucket_and_listed(pipeline: Pipeline) -> None:
    import io

    from functions.deadletter.index import handler as dead_letter_handler
    from highlights.bootstrap import BucketView
    from highlights.local.browse import dead_letters

    event = json.dumps(
        {"requestContext": {"condition": "RetriesExhausted"}, "requestPayload": "{}"}
    ).encode()
    kept = dead_letter_handler(event, Context())["kept"]
    assert kept.startswith(".highlights/dead-letters/") and not pipeline.layout.would_trigger(kept)
    assert pipeline.store.get(kept) == event
    out = io.StringIO()
    dead_letters(BucketView(pipeline.store, pipeline.layout), out=out)
    assert "RetriesExhausted" in out.getvalue()


def test_the_callback_initializer_warms_the_producer(system: Any) -> None:
    from functions.callback.index import initializer

    warmed: list[bool] = []
    system.producer.warm_up = lambda: warmed.append(True)
    initializer(Context())
    assert warmed == [True] and system.warm is not None and system.warm.is_set()


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b'{"InputConfig": ' + b"[" * 5000 + b"]" * 5000 + b"}", "$"),
        (b'{"OutputConfig": {"Count": 1' + b"0" * 5000 + b"}}", "OutputConfig.Count"),
        (
            json.dumps(
                {
                    **MANIFEST,
                    "OutputConfig": {
                        **MANIFEST["OutputConfig"],
                        "MediaURL": "https://films.oss-cn-shanghai.aliyuncs.com/.highlights/jobs/h_{index}.mp4",
                    },
                }
            ).encode(),
            "OutputConfig.MediaURL",
        ),
        (
            json.dumps(
                {
                    **MANIFEST,
                    "OutputConfig": {
                        **MANIFEST["OutputConfig"],
                        "MediaURL": "https://films.oss-cn-shanghai.aliyuncs.com/out//../h_{index}.mp4",
                    },
                }
            ).encode(),
            "OutputConfig.MediaURL",
        ),
    ],
    ids=["deep-nesting", "5000-digits", "output-over-job-records", "output-dot-dot"],
)
def test_poison_manifests_end_rejected_at_once_with_their_report(
    pipeline: Pipeline, raw: bytes, path: str
) -> None:
    stored = pipeline.store.put("manifests/poison.json", raw)
    answer = submit_handler(oss_event("films", ("manifests/poison.json", stored.etag)), Context())
    [accepted] = answer["accepted"]
    assert accepted["state"] == "REJECTED"
    report = json.loads(
        pipeline.store.get(".highlights/rejected/manifests/poison.json.errors.json")
    )
    assert any(e["path"].startswith(path) for e in report["errors"]), report["errors"]
    assert list(pipeline.store.list(pipeline.layout.inflight_prefix)) == []
    assert pipeline.producer.submit_calls == 0  # type: ignore[attr-defined]


def test_a_folder_stands_for_any_bucket_and_identity_is_its_own() -> None:
    """On a folder the event's bucket name does not matter: the trigger and the sweep derive the
    same job id from the store's own name."""
    from highlights.bootstrap import build
    from highlights.config import Settings
    from highlights.fc import app
    from highlights.jobs.identity import ManifestRef, job_id_for
    from highlights.producers.fake import FakeProducer
    from highlights.storage.memory import MemoryStore

    settings = Settings(store="/srv/bucket", producer="local", region="cn-shanghai")
    store = MemoryStore("local")
    system = build(settings, store=store, producer=FakeProducer())
    stored = store.put("manifests/a.json", json.dumps(MANIFEST).encode())
    with app.installed(system):
        answer = submit_handler(oss_event("any-name", ("manifests/a.json", stored.etag)), Context())
    [accepted] = answer["accepted"]
    assert accepted["job_id"] == job_id_for(ManifestRef("local", "manifests/a.json", stored.etag))
