from __future__ import annotations

import json

import pytest

from highlights.jobs.identity import ManifestRef, client_token_for, job_id_for
from highlights.jobs.layout import BucketLayout, LayoutError, Marker
from highlights.jobs.states import JobState


def test_job_id_is_readable_and_deterministic() -> None:
    ref = ManifestRef(
        "films", "manifests/promo/Night Train.json", "688A7BF4F233DC9C88A80BF985AB7329"
    )
    job_id = job_id_for(ref)
    assert job_id.startswith("night-train-")
    assert job_id == job_id_for(ManifestRef("films", ref.key, '"688a7bf4f233dc9c88a80bf985ab7329"'))


@pytest.mark.parametrize(
    "other",
    [
        ManifestRef(
            "films", "manifests/promo/Night Train.json", "00000000000000000000000000000000"
        ),
        ManifestRef(
            "films", "manifests/other/Night Train.json", "688A7BF4F233DC9C88A80BF985AB7329"
        ),
        ManifestRef(
            "other", "manifests/promo/Night Train.json", "688A7BF4F233DC9C88A80BF985AB7329"
        ),
    ],
)
def test_another_version_or_place_is_another_job(other: ManifestRef) -> None:
    ref = ManifestRef(
        "films", "manifests/promo/Night Train.json", "688A7BF4F233DC9C88A80BF985AB7329"
    )
    assert job_id_for(other) != job_id_for(ref)
    assert client_token_for(other) != client_token_for(ref)


def test_client_token_fits_alibaba_cloud_rules() -> None:
    token = client_token_for(ManifestRef("b", "manifests/末班车.json", "E" * 32))
    assert len(token) <= 64 and token.isascii()
    assert job_id_for(ManifestRef("b", "manifests/末班车.json", "E" * 32)).startswith("manifest-")


def test_states_only_move_forward() -> None:
    assert JobState.RECEIVED.can_become(JobState.SUBMITTED)
    assert JobState.SUBMITTED.can_become(JobState.SUCCEEDED)
    assert JobState.RECEIVED.can_become(JobState.REJECTED)
    assert JobState.RECEIVED.can_become(JobState.FAILED)
    assert not JobState.PROCESSING.can_become(JobState.SUBMITTED)
    assert not JobState.SUBMITTED.can_become(JobState.REJECTED)
    assert not JobState.SUCCEEDED.can_become(JobState.FAILED)
    assert JobState.SUCCEEDED.can_become(JobState.SUCCEEDED)
    assert {s for s in JobState if s.terminal} == {
        JobState.SUCCEEDED,
        JobState.PARTIAL,
        JobState.FAILED,
        JobState.TIMED_OUT,
        JobState.REJECTED,
        JobState.SUPERSEDED,
    }
    assert JobState.PROCESSING.can_become(JobState.SUPERSEDED)
    assert not JobState.SUPERSEDED.can_become(JobState.SUCCEEDED)


def test_markers_sort_in_due_order() -> None:
    layout = BucketLayout()
    keys = [
        layout.inflight("zz-job", 900),
        layout.inflight("aa-job", 1_000),
        layout.inflight("mm", 99),
    ]
    keys.append(layout.doorbell("zz-job", 950))
    assert [layout.parse_inflight(k) for k in sorted(keys)] == [
        Marker(99, "mm"),
        Marker(900, "zz-job"),
        Marker(950, "zz-job", doorbell=True),
        Marker(1000, "aa-job"),
    ]
    assert layout.parse_inflight(layout.inflight_prefix + "junk") is None
    assert layout.parse_inflight(layout.inflight(".bell", 1)) is None
    assert layout.parse_inflight(layout.inflight_prefix + "0000000001-a.b") is None


def test_state_inside_the_inbox_is_refused() -> None:
    with pytest.raises(LayoutError, match="trigger"):
        BucketLayout(inbox="", state=".highlights/")
    with pytest.raises(LayoutError, match="trigger"):
        BucketLayout(inbox="data/", state="data/state/")
    with pytest.raises(LayoutError):
        BucketLayout(inbox="manifests", state=".highlights/")


def test_nothing_the_pipeline_writes_fires_the_trigger() -> None:
    layout = BucketLayout()
    written = [
        layout.record("a-1"),
        layout.inflight("a-1", 5),
        layout.rejection("manifests/x/a.json"),
        layout.cursor,
        layout.fallback_result("a-1"),
        layout.result("a-1", "a", "manifests/out/v_{index}.mp4"),
    ]
    assert not [key for key in written if layout.would_trigger(key)]


def test_result_goes_next_to_the_videos() -> None:
    layout = BucketLayout()
    assert layout.result("j", "night", "out/night/h_{index}.mp4") == "out/night/night.result.json"
    assert layout.result("j", "night", None) == ".highlights/results/j.result.json"


def test_records_keep_their_stored_name_for_the_producers_job_id() -> None:
    """`producer_job_id` in the code, `ice_job_id` in stored records: old records read, new ones
    stay readable by the code that wrote the old."""
    from highlights.jobs.record import JobRecord, _encode

    old = {
        "job_id": "night-3f2a9c01b7de",
        "state": "SUBMITTED",
        "manifest": {"bucket": "b", "key": "manifests/night.json", "etag": "E"},
        "client_token": "hl-x",
        "created_at": 1.0,
        "updated_at": 1.0,
        "ice_job_id": "ice-1",
    }
    record = JobRecord.model_validate(old)
    assert record.producer_job_id == "ice-1"
    assert json.loads(_encode(record))["ice_job_id"] == "ice-1"
