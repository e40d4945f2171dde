"""Planner rules without media: lengths and starts, transitions, seeds, output keys, references."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest

from highlights.manifest.models import Manifest, OutputConfig, ProcessConfig
from highlights.manifest.vocabulary import DEFAULT_TRANSITIONS
from highlights.render.media import MediaError, resolve, resolve_key
from highlights.render.planner import (
    PAD,
    job_seed,
    layout,
    output_key,
    output_seed,
    plan_transitions,
    spread,
)
from highlights.storage.local import LocalStore
from highlights.storage.urls import folder_key_for_url

MEDIA_ID = "0123456789abcdef0123456789abcdef"
KEYS = folder_key_for_url("cn-shanghai")


# -- lengths, starts and transitions ----------------------------------------------------------------


def test_starts_overlap_by_the_transition_into_each_segment() -> None:
    bases = [3.0, 4.0, 2.5]
    durations, starts, total = layout(bases, [True, True, True], [0.0, 0.5, 0.5])
    # A spoken segment also covers the transition out of it, so its speech ends before the next.
    assert durations == [3.5, 4.5, 2.5]
    assert starts == [0.0, 3.0, 7.0]
    assert total == 9.5
    for i in range(2):
        speech_end = starts[i] + bases[i] - PAD
        assert speech_end < starts[i + 1]


def test_a_silent_shot_lasts_exactly_its_duration() -> None:
    durations, starts, total = layout([3.0, 5.0, 2.0], [True, False, True], [0.0, 0.5, 0.5])
    assert durations[1] == 5.0  # the transition out of it overlaps its tail
    assert starts == [0.0, 3.0, 7.5]
    assert total == 9.5


def test_cuts_add_up_and_durations_are_rounded_up_to_milliseconds() -> None:
    durations, starts, total = layout([1.00012, 2.0], [True, True], [0.0, 0.0])
    assert durations == [1.001, 2.0]
    assert starts == [0.0, 1.001]
    assert total == pytest.approx(3.001)
    assert layout([], [], []) == ([], [], 0.0)


def test_transitions_are_skipped_on_clips_too_short_for_them() -> None:
    config = ProcessConfig(allow_transition=True, transition_duration=0.5)
    rng = random.Random(1)
    found = plan_transitions([3.0, 1.4, 3.0, 3.0], config, rng, uniform="fade")
    # 1.4 < 0.5 + 1: no transition into it nor out of it.
    assert found == [(None, 0.0), (None, 0.0), (None, 0.0), ("fade", 0.5)]


def test_transitions_come_from_the_list_or_the_default_one() -> None:
    config = ProcessConfig(allow_transition=True, use_uniform_transition=False)
    names = {n for n, _ in plan_transitions([3.0] * 30, config, random.Random(2), None) if n}
    assert names <= set(DEFAULT_TRANSITIONS) and len(names) > 1
    own = ProcessConfig(allow_transition=True, transition_list=["wipeleft", "wiperight"])
    names = {n for n, _ in plan_transitions([3.0] * 10, own, random.Random(2), None) if n}
    assert names <= {"wipeleft", "wiperight"}
    off = plan_transitions([3.0] * 3, ProcessConfig(), random.Random(2), None)
    assert off == [(None, 0.0)] * 3


# -- seeds and spreading ----------------------------------------------------------------------------


def manifest(**output: Any) -> Manifest:
    return Manifest.model_validate(
        {
            "InputConfig": {
                "MediaArray": ["films/a.mp4"],
                "SpeechTextArray": ["One sentence. Another one."],
                "SceneInfo": {"Scene": "MovieHighlights"},
            },
            "OutputConfig": {"MediaURL": "oss://b/out/v_{index}.mp4", "Width": 320, "Height": 180}
            | output,
        }
    )


def test_the_job_seed_follows_the_manifest_and_output_seeds_follow_the_index() -> None:
    assert job_seed(manifest()) == job_seed(manifest())
    assert job_seed(manifest()) != job_seed(manifest(Count=2))
    assert 0 <= job_seed(manifest()) < 2**31
    assert [output_seed(100, k) for k in (1, 2, 3)] == [100, 101, 102]


def test_spread_gives_outputs_different_items_while_there_are_enough() -> None:
    items = ["a", "b", "c"]
    picks = [spread(items, 5, "title", k) for k in (1, 2, 3)]
    assert sorted(picks) == items
    assert [spread(items, 5, "title", k) for k in (1, 2, 3)] == picks
    assert spread(items, 5, "title", 4) == picks[0]
    other = [[spread(items, s, "title", k) for k in (1, 2, 3)] for s in range(10)]
    assert len({tuple(o) for o in other}) > 1


# -- output keys ------------------------------------------------------------------------------------


def test_output_keys_replace_index_from_one() -> None:
    out = OutputConfig(
        media_url="https://bkt.oss-cn-shanghai.aliyuncs.com/o/v_{index}.mp4", width=320, height=180
    )
    assert [output_key(out, k, KEYS) for k in (1, 2)] == ["o/v_1.mp4", "o/v_2.mp4"]
    vod = OutputConfig(
        storage_location="outin-x.oss-cn-shanghai.aliyuncs.com",
        file_name="n_{index}.mp4",
        width=320,
        height=180,
    )
    assert output_key(vod, 3, KEYS) == "n_3.mp4"
    preview = OutputConfig(
        media_url="oss://b/v_{index}.mp4", generate_preview_only=True, width=320, height=180
    )
    assert output_key(preview, 1, KEYS) is None
    elsewhere = OutputConfig(
        media_url="https://bkt.oss-cn-beijing.aliyuncs.com/v_{index}.mp4", width=320, height=180
    )
    with pytest.raises(MediaError) as caught:
        output_key(elsewhere, 1, KEYS)
    assert caught.value.code == "InvalidMedia.OutsideBucket"


# -- media references -------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    root = tmp_path / "bucket"
    for key in ("films/a.mp4", f"media/{MEDIA_ID}.mp4", f"media/{MEDIA_ID}.srt", "pics/p.png"):
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return LocalStore(root)


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("https://any-bucket.oss-cn-shanghai.aliyuncs.com/films/a.mp4", "films/a.mp4"),
        ("http://other.oss-cn-shanghai-internal.aliyuncs.com/films/a.mp4", "films/a.mp4"),
        ("oss://whatever/films/a.mp4", "films/a.mp4"),
        ("films/a.mp4", "films/a.mp4"),
        ("pics/p.png", "pics/p.png"),  # images are media too: stills
        (MEDIA_ID, f"media/{MEDIA_ID}.mp4"),  # the .srt beside it is a sidecar, not the medium
        (MEDIA_ID.upper(), None),
    ],
)
def test_references_resolve_to_keys_inside_the_store(
    store: LocalStore, reference: str, key: str | None
) -> None:
    if key is None:  # media IDs are matched as written; an upper-case one names no file here
        with pytest.raises(MediaError) as caught:
            resolve_key(reference, store, KEYS)
        assert caught.value.code == "InvalidMedia.NotFound"
        return
    assert resolve_key(reference, store, KEYS) == key
    assert resolve(reference, store, KEYS) == store.root / key


@pytest.mark.parametrize(
    ("reference", "code"),
    [
        ("films/missing.mp4", "InvalidMedia.NotFound"),
        ("ffffffffffffffffffffffffffffffff", "InvalidMedia.NotFound"),
        ("https://b.oss-cn-beijing.aliyuncs.com/films/a.mp4", "InvalidMedia.OutsideBucket"),
        ("https://example.com/films/a.mp4", "InvalidMedia.OutsideBucket"),
        ("/etc/passwd", "InvalidMedia.OutsideBucket"),
        ("../outside.mp4", "InvalidMedia.OutsideBucket"),
        ("oss://b/../../outside.mp4", "InvalidMedia.OutsideBucket"),
        ("http://[your-bucket].oss-[your-region-id].aliyuncs.com/x.mp4", "InvalidMedia.NotFound"),
    ],
)
def test_unusable_references_raise_a_clear_error(
    store: LocalStore, reference: str, code: str
) -> None:
    with pytest.raises(MediaError) as caught:
        resolve(reference, store, KEYS)
    assert caught.value.code == code
    assert caught.value.reference == reference
    assert reference in caught.value.message or "placeholder" in caught.value.message


def test_a_symlink_out_of_the_store_is_refused(store: LocalStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"secret")
    os.symlink(secret, store.root / "films" / "link.mp4")
    with pytest.raises(MediaError) as caught:
        resolve("films/link.mp4", store, KEYS)
    assert caught.value.code == "InvalidMedia.OutsideBucket"


def test_an_ambiguous_media_id_is_refused(store: LocalStore) -> None:
    (store.root / "media" / f"{MEDIA_ID}-cut.mp4").write_bytes(b"x")
    with pytest.raises(MediaError) as caught:
        resolve(MEDIA_ID, store, KEYS)
    assert caught.value.code == "InvalidMedia.Ambiguous"
    assert MEDIA_ID in caught.value.message
