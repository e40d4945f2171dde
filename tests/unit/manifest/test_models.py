from __future__ import annotations

import json
from typing import Any

from highlights.manifest import Manifest, validate_manifest
from highlights.manifest.models import api_alias

from .conftest import REGION


def test_aliases_mirror_the_api() -> None:
    assert api_alias("media_url") == "MediaURL"
    assert api_alias("image_id") == "ImageId"
    assert api_alias("fe_canvas") == "FECanvas"
    assert api_alias("enable_temporal_opt") == "EnableTemporalOpt"


def test_wire_form_is_json_strings_holding_only_what_was_set(narration: dict[str, Any]) -> None:
    narration["EditingConfig"] = {"ProcessConfig": {"AllowTransition": True}}
    manifest = Manifest.model_validate(narration)
    wire = manifest.to_wire()
    assert set(wire) == {"InputConfig", "EditingConfig", "OutputConfig"}
    assert all(isinstance(v, str) for v in wire.values())
    assert json.loads(wire["EditingConfig"]) == {"ProcessConfig": {"AllowTransition": True}}
    assert json.loads(wire["OutputConfig"]) == narration["OutputConfig"]
    assert json.loads(wire["InputConfig"]) == narration["InputConfig"]


def test_unset_editing_config_is_not_sent_but_defaults_are_readable(
    narration: dict[str, Any],
) -> None:
    manifest = Manifest.model_validate(narration)
    assert "EditingConfig" not in manifest.to_wire()
    process = manifest.editing_config.process_config
    assert process.enable_clip_detection is True
    assert process.enable_temporal_opt is False
    assert process.vfx_effect_probability == 0.5
    assert process.transition_duration == 0.5
    assert process.use_uniform_transition is True
    assert manifest.editing_config.media_config.volume == 0
    assert manifest.editing_config.background_music_config.volume == 0.2
    assert manifest.editing_config.speech_config.volume == 1
    assert manifest.output_config.count == 1


def test_caption_y_defaults_follow_orientation(narration: dict[str, Any]) -> None:
    manifest = Manifest.model_validate(narration)
    title = manifest.editing_config.title_config
    asr = manifest.editing_config.speech_config.asr_config
    assert [title.default_y(o) for o in ("vertical", "horizontal", "square")] == [0.1, 0.05, 0.08]
    assert [asr.default_y(o) for o in ("vertical", "horizontal", "square")] == [0.8, 0.9, 0.85]
    assert manifest.output_config.orientation == "vertical"


def test_mode_is_derived(narration: dict[str, Any], storyboard: dict[str, Any]) -> None:
    assert Manifest.model_validate(narration).mode == "global_narration"
    assert Manifest.model_validate(storyboard).mode == "storyboard"


def test_legacy_sticker_is_folded_into_sticker_array(narration: dict[str, Any]) -> None:
    legacy = {"MediaId": "0" * 32, "X": 1, "Y": 2, "Width": 30, "Height": 40}
    narration["InputConfig"]["Sticker"] = legacy
    narration["InputConfig"]["StickerArray"] = [{**legacy, "MediaId": "1" * 32}]
    validation = validate_manifest(narration, region=REGION)
    assert validation.ok, validation.errors
    assert [w.path for w in validation.warnings] == ["InputConfig.Sticker"]
    sent = json.loads(validation.manifest.to_wire()["InputConfig"])  # type: ignore[union-attr]
    assert "Sticker" not in sent
    assert [s["MediaId"] for s in sent["StickerArray"]] == ["0" * 32, "1" * 32]


def test_round_trip_of_the_examples_is_stable(
    narration: dict[str, Any], storyboard: dict[str, Any]
) -> None:
    for doc in (narration, storyboard):
        first = Manifest.model_validate(doc)
        again = Manifest.model_validate(first.to_document())
        assert again.to_wire() == first.to_wire()
        assert again == first
