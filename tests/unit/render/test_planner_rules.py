"""Planning rules without media: lengths and starts, transitions, seeds, output keys."""

from __future__ import annotations

import random
from typing import Any

import pytest

from highlights.manifest.models import Manifest, OutputConfig, ProcessConfig
from highlights.manifest.vocabulary import DEFAULT_TRANSITIONS
from highlights.render.media import MediaError
from highlights.render.planning import (
    PAD,
    choose_transitions,
    layout,
    manifest_seed,
    output_key,
    output_seed,
    spread,
)
from highlights.storage.urls import folder_key_for_url

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
    found = choose_transitions([3.0, 1.4, 3.0, 3.0], config, rng, uniform="fade")
    # 1.4 < 0.5 + 1: no transition into it nor out of it.
    assert found == [(None, 0.0), (None, 0.0), (None, 0.0), ("fade", 0.5)]


def test_transitions_come_from_the_list_or_the_default_one() -> None:
    config = ProcessConfig(allow_transition=True, use_uniform_transition=False)
    names = {n for n, _ in choose_transitions([3.0] * 30, config, random.Random(2), None) if n}
    assert names <= set(DEFAULT_TRANSITIONS) and len(names) > 1
    own = ProcessConfig(allow_transition=True, transition_list=["wipeleft", "wiperight"])
    names = {n for n, _ in choose_transitions([3.0] * 10, own, random.Random(2), None) if n}
    assert names <= {"wipeleft", "wiperight"}
    off = choose_transitions([3.0] * 3, ProcessConfig(), random.Random(2), None)
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
    assert manifest_seed(manifest()) == manifest_seed(manifest())
    assert manifest_seed(manifest()) != manifest_seed(manifest(Count=2))
    assert 0 <= manifest_seed(manifest()) < 2**31
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
