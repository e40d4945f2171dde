"""FakeProducer: the scriptable Producer that the use-case tests and benchmarks rely on."""

from __future__ import annotations

import json
import threading

import pytest

from highlights.ports import (
    JobStatus,
    NotFound,
    PermanentError,
    Producer,
    SubJob,
    SubmitRequest,
    TransientError,
)
from highlights.producers.fake import (
    FakeProducer,
    plan_failed,
    plan_partial,
    plan_steps,
    plan_stuck,
    plan_success,
    planned_outputs,
)
from tests.support import Clock

URL = "https://b.oss-cn-shanghai.aliyuncs.com/out/clip_{index}.mp4"


def request(count: int | None = 2, **extra: object) -> SubmitRequest:
    output: dict[str, object] = {"MediaURL": URL, "Width": 1080, "Height": 1920}
    if count is not None:
        output["Count"] = count
    fields = {"input_config": json.dumps({"MediaArray": ["a.mp4"]})} | extra
    return SubmitRequest(output_config=json.dumps(output), **fields)  # type: ignore[arg-type]


def walk(producer: FakeProducer, job_id: str, n: int) -> list[str]:
    return [producer.get(job_id).status for _ in range(n)]


# -- the default plan -----------------------------------------------------------------------------


def test_is_a_producer() -> None:
    assert isinstance(FakeProducer(), Producer)


def test_default_plan_walks_init_processing_finished() -> None:
    producer = FakeProducer()
    job_id = producer.submit(request(), "tok-1", None)
    assert walk(producer, job_id, 5) == ["Init", "Processing", "Finished", "Finished", "Finished"]


def test_finished_job_reports_every_output() -> None:
    producer = FakeProducer()
    job_id = producer.submit(request(count=3), "tok", None)
    producer.advance(job_id)
    status = producer.get(job_id)
    assert status.job_id == job_id
    assert status.terminal
    assert [s.index for s in status.sub_jobs] == [1, 2, 3]
    assert {s.status for s in status.sub_jobs} == {"Success"}
    assert [s.media_url for s in status.sub_jobs] == [URL.format(index=i) for i in (1, 2, 3)]
    assert all(s.media_id and s.duration and s.job_id for s in status.sub_jobs)
    assert len({s.media_id for s in status.sub_jobs}) == 3
    assert status.create_time and status.complete_time


def test_running_steps_carry_sub_jobs_without_results() -> None:
    producer = FakeProducer()
    job_id = producer.submit(request(count=2), "tok", None)
    init, processing = producer.get(job_id), producer.get(job_id)
    assert [s.status for s in init.sub_jobs] == ["Init", "Init"]
    assert [s.status for s in processing.sub_jobs] == ["Processing", "Processing"]
    assert all(s.media_url is None for s in processing.sub_jobs)
    assert processing.complete_time is None
    assert not processing.terminal


def test_count_defaults_to_one() -> None:
    outputs = planned_outputs(request(count=None))
    assert [(o.index, o.media_url) for o in outputs] == [(1, URL.format(index=1))]


def test_vod_output_uses_storage_location_and_file_name() -> None:
    req = SubmitRequest(
        input_config="{}",
        output_config=json.dumps(
            {"StorageLocation": "outin-x.oss-cn-shanghai.aliyuncs.com", "FileName": "v_{index}.mp4"}
        ),
    )
    assert (
        planned_outputs(req)[0].media_url == "https://outin-x.oss-cn-shanghai.aliyuncs.com/v_1.mp4"
    )


@pytest.mark.parametrize("output_config", ["not json", "[]", '{"Count": 0}', '{"Count": "2"}'])
def test_bad_output_config_is_refused(output_config: str) -> None:
    producer = FakeProducer()
    with pytest.raises(PermanentError) as err:
        producer.submit(SubmitRequest(input_config="{}", output_config=output_config), "t", None)
    assert err.value.code == "InvalidParameter"
    assert producer.submissions == []


# -- submit and idempotency -----------------------------------------------------------------------


def test_job_ids_are_deterministic() -> None:
    producer = FakeProducer()
    assert [producer.submit(request(), f"t{i}", None) for i in range(3)] == [
        "fake-1",
        "fake-2",
        "fake-3",
    ]


def test_same_token_same_request_is_the_same_job() -> None:
    producer = FakeProducer()
    first = producer.submit(request(), "tok", "https://cb.example/x")
    again = producer.submit(request(), "tok", "https://cb.example/x")
    assert again == first
    assert producer.submit_calls == 2
    assert len(producer.submissions) == 1


def test_same_token_different_request_is_a_mismatch() -> None:
    producer = FakeProducer()
    producer.submit(request(count=2), "tok", None)
    for args in ((request(count=3), "tok", None), (request(count=2), "tok", "https://other")):
        with pytest.raises(PermanentError) as err:
            producer.submit(*args)
        assert err.value.code == "IdempotentParameterMismatch"
    assert len(producer.submissions) == 1


def test_empty_token_means_no_idempotency() -> None:
    producer = FakeProducer()
    assert producer.submit(request(), "", None) != producer.submit(request(), "", None)


def test_token_longer_than_64_ascii_is_refused() -> None:
    producer = FakeProducer()
    for token in ("x" * 65, "中文"):
        with pytest.raises(PermanentError) as err:
            producer.submit(request(), token, None)
        assert err.value.code == "InvalidParameter"
    producer.submit(request(), "x" * 64, None)


def test_submission_records_notify_address_in_user_data() -> None:
    producer = FakeProducer()
    req = request(user_data={"Manifest": "manifests/a.json"})
    job_id = producer.submit(req, "tok", "https://cb.example/hook")
    (sub,) = producer.submissions
    assert sub == producer.submission(job_id)
    assert sub.job_id == job_id
    assert sub.client_token == "tok"
    assert sub.request == req
    assert sub.notify_url == "https://cb.example/hook"
    assert sub.user_data == {
        "Manifest": "manifests/a.json",
        "NotifyAddress": "https://cb.example/hook",
    }
    assert req.user_data == {"Manifest": "manifests/a.json"}  # the caller's dict is untouched


def test_user_data_limit() -> None:
    big = request(user_data={"x": "y" * 600})
    with pytest.raises(PermanentError) as err:
        FakeProducer().submit(big, "tok", None)
    assert err.value.code == "InvalidParameter"
    assert FakeProducer(max_user_data_bytes=None).submit(big, "tok", None) == "fake-1"


# -- scripted outcomes ----------------------------------------------------------------------------


def test_partial_failure() -> None:
    producer = FakeProducer()
    producer.script_next(plan_partial({2: ("ProduceFailed", "no shots")}, processing_steps=0))
    job_id = producer.submit(request(count=3), "tok", None)
    assert walk(producer, job_id, 1) == ["Init"]
    status = producer.get(job_id)
    assert status.status == "Finished"
    assert [s.status for s in status.sub_jobs] == ["Success", "Failed", "Success"]
    failed = status.sub_jobs[1]
    assert (failed.error_code, failed.error_message) == ("ProduceFailed", "no shots")
    assert failed.media_url is None
    assert failed.media_id is None


def test_partial_with_plain_indexes() -> None:
    producer = FakeProducer(plan=plan_partial([1, 2]))
    job_id = producer.submit(request(count=2), "tok", None)
    producer.advance(job_id)
    status = producer.get(job_id)
    assert status.status == "Finished"
    assert all(s.status == "Failed" and s.error_code for s in status.sub_jobs)


def test_partial_with_an_unknown_index_is_a_scripting_error() -> None:
    producer = FakeProducer(plan=plan_partial({5: ("X", "y")}))
    with pytest.raises(ValueError, match="no output numbered"):
        producer.submit(request(count=2), "tok", None)


def test_whole_job_failure() -> None:
    producer = FakeProducer()
    producer.script_next(plan_failed("InvalidParameter.Media", "bad input"))
    job_id = producer.submit(request(), "tok", None)
    assert walk(producer, job_id, 3) == ["Init", "Processing", "Failed"]
    status = producer.get(job_id)
    assert status.terminal
    assert (status.error_code, status.error_message) == ("InvalidParameter.Media", "bad input")
    assert all(s.status == "Failed" for s in status.sub_jobs)
    assert status.complete_time


def test_stuck_job_never_finishes() -> None:
    producer = FakeProducer(plan=plan_stuck())
    job_id = producer.submit(request(), "tok", None)
    assert walk(producer, job_id, 50)[1:] == ["Processing"] * 49
    producer.advance(job_id)
    assert producer.get(job_id).status == "Processing"


def test_script_next_applies_in_order_then_default() -> None:
    producer = FakeProducer()
    producer.script_next(plan_failed(), plan_stuck())
    ids = [producer.submit(request(), f"t{i}", None) for i in range(3)]
    for job_id in ids:
        producer.advance(job_id)
    assert [producer.get(j).status for j in ids] == ["Failed", "Processing", "Finished"]


def test_literal_steps_get_the_real_job_id() -> None:
    steps = (
        JobStatus("", "Processing"),
        JobStatus("", "Finished", (SubJob(index=1, status="Success", media_url="u"),)),
    )
    producer = FakeProducer(plan=plan_steps(*steps))
    job_id = producer.submit(request(), "tok", None)
    assert [(s.job_id, s.status) for s in (producer.get(job_id), producer.get(job_id))] == [
        (job_id, "Processing"),
        (job_id, "Finished"),
    ]
    with pytest.raises(ValueError, match="at least one step"):
        plan_steps()


def test_set_plan_rescripts_a_running_job() -> None:
    producer = FakeProducer(plan=plan_stuck())
    job_id = producer.submit(request(), "tok", None)
    walk(producer, job_id, 4)
    producer.set_plan(job_id, plan_success(processing_steps=0))
    assert walk(producer, job_id, 2) == ["Init", "Finished"]


def test_peek_does_not_move_the_job() -> None:
    producer = FakeProducer()
    job_id = producer.submit(request(), "tok", None)
    assert producer.peek(job_id).status == "Init"
    assert producer.peek(job_id).status == "Init"
    assert producer.get_calls == 0
    assert producer.get(job_id).status == "Init"
    assert producer.peek(job_id).status == "Processing"


# -- clock-driven steps ---------------------------------------------------------------------------


def test_clock_mode_moves_one_step_per_tick() -> None:
    clock = Clock(1_700_000_000.0)
    producer = FakeProducer(clock=clock, step_seconds=10)
    job_id = producer.submit(request(), "tok", None)
    assert walk(producer, job_id, 3) == ["Init"] * 3
    clock.now += 10
    assert producer.get(job_id).status == "Processing"
    clock.now += 9.9
    assert producer.get(job_id).status == "Processing"
    clock.now += 0.1
    status = producer.get(job_id)
    assert status.status == "Finished"
    assert status.complete_time == "2023-11-14T22:13:40Z"
    assert status.create_time == "2023-11-14T22:13:20Z"
    clock.now += 1000
    assert producer.get(job_id).complete_time == "2023-11-14T22:13:40Z"


def test_clock_mode_advance() -> None:
    clock = Clock()
    producer = FakeProducer(clock=clock, step_seconds=60)
    job_id = producer.submit(request(), "tok", None)
    producer.advance(job_id, 1)
    assert producer.get(job_id).status == "Processing"
    producer.advance(job_id)
    assert producer.get(job_id).status == "Finished"


def test_step_seconds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="step_seconds"):
        FakeProducer(step_seconds=0)


# -- faults ---------------------------------------------------------------------------------------


def test_get_of_an_unknown_job_is_not_found() -> None:
    producer = FakeProducer()
    with pytest.raises(NotFound):
        producer.get("fake-404")
    with pytest.raises(NotFound):
        producer.peek("fake-404")


def test_fail_next_submit_then_recover() -> None:
    producer = FakeProducer()
    producer.fail_next_submit(TransientError("throttled", code="Throttling.User"), times=2)
    for _ in range(2):
        with pytest.raises(TransientError) as err:
            producer.submit(request(), "tok", None)
        assert err.value.code == "Throttling.User"
    assert producer.submissions == []
    assert producer.submit(request(), "tok", None) == "fake-1"
    assert producer.submit_calls == 3


def test_lost_answer_then_retry_with_same_token_finds_the_job() -> None:
    producer = FakeProducer()
    producer.fail_next_submit(TimeoutError("read timed out"), after_accept=True)
    with pytest.raises(TimeoutError):
        producer.submit(request(), "tok", None)
    assert producer.submit(request(), "tok", None) == "fake-1"
    assert len(producer.submissions) == 1


def test_fail_next_get_does_not_move_the_job() -> None:
    producer = FakeProducer()
    job_id = producer.submit(request(), "tok", None)
    producer.fail_next_get(PermanentError("denied", code="Forbidden"))
    producer.fail_next_get(RuntimeError("boom"), times=2)
    with pytest.raises(PermanentError):
        producer.get(job_id)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            producer.get(job_id)
    assert walk(producer, job_id, 3) == ["Init", "Processing", "Finished"]
    assert producer.get_calls == 6


# -- threads --------------------------------------------------------------------------------------


def test_concurrent_submits_with_one_token_make_one_job() -> None:
    producer = FakeProducer()
    barrier = threading.Barrier(8)
    ids: list[str] = []

    def submit() -> None:
        barrier.wait()
        ids.append(producer.submit(request(), "shared-token", None))

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert ids == ["fake-1"] * 8
    assert len(producer.submissions) == 1
    assert producer.submit_calls == 8


def test_concurrent_distinct_submits_get_distinct_ids() -> None:
    producer = FakeProducer()
    barrier = threading.Barrier(8)
    ids: list[str] = []

    def submit(i: int) -> None:
        barrier.wait()
        for j in range(25):
            ids.append(producer.submit(request(), f"t{i}-{j}", None))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(ids) == sorted(f"fake-{n}" for n in range(1, 201))


def test_render_seconds_gives_each_job_its_own_time() -> None:
    clock = Clock(0.0)
    times = {"fake-1": 100.0, "fake-2": 400.0}
    producer = FakeProducer(clock=clock, render_seconds=lambda job_id, r: times[job_id])
    first = producer.submit(request(), "a", None)
    second = producer.submit(request(), "b", None)
    clock.advance(99)
    assert producer.peek(first).status == "Processing"  # Init, Processing, Finished over 100 s
    clock.advance(1)
    assert (producer.peek(first).status, producer.peek(second).status) == ("Finished", "Init")
    clock.advance(300)
    assert producer.peek(second).status == "Finished"


def test_list_unfinished_answers_as_ice_lists_its_jobs() -> None:
    clock = Clock(0.0)
    producer = FakeProducer(
        clock=clock, listing=True, render_seconds=lambda job_id, r: 100.0 * int(job_id[5:])
    )
    assert FakeProducer(clock=clock).list_unfinished(0.0) is None  # listing is opt-in
    ids = [producer.submit(request(), f"t{i}", None) for i in range(1, 251)]
    clock.advance(100)  # fake-1 finished; fake-2 is halfway (Processing); the rest are Init
    found = producer.list_unfinished(0.0)
    assert found is not None and set(found) == set(ids[1:])
    assert found["fake-2"] == "Processing" and found["fake-3"] == "Init"
    assert producer.list_calls == 3 + 1  # 248 Init: three pages of 100; 1 Processing: one
    assert producer.list_unfinished(clock.now + 1) == {}  # created before `since`: left out
    producer.fail_next_list(TransientError("slow", code="Timeout"))
    with pytest.raises(TransientError):
        producer.list_unfinished(0.0)
    assert producer.get_calls == 0  # listing reads no job
