"""Every rule of the contract, each with a failing example that asserts the JSON path."""

from __future__ import annotations

from typing import Any

import pytest

from highlights.manifest import validate_manifest
from highlights.manifest.problems import Problem

from .conftest import BUCKET_URL, REGION

SHOTS = "InputConfig.SceneInfo.ShotInfo.ShotScripts"
PROCESS = "EditingConfig.ProcessConfig"


def errors(doc: dict[str, Any], **kwargs: Any) -> dict[str, Problem]:
    validation = validate_manifest(doc, **{"region": REGION, **kwargs})
    assert validation.manifest is None or not validation.errors
    return {p.path: p for p in validation.errors}


def warnings(doc: dict[str, Any]) -> dict[str, Problem]:
    return {p.path: p for p in validate_manifest(doc, region=REGION).warnings}


def test_valid_fixtures(narration: dict[str, Any], storyboard: dict[str, Any]) -> None:
    assert errors(narration) == {}
    assert errors(storyboard) == {}


# 1. Scene


def test_scene_must_be_movie_highlights(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["SceneInfo"]["Scene"] = "General"
    found = errors(narration)
    assert "MovieHighlights" in found["InputConfig.SceneInfo.Scene"].message


def test_scene_info_is_required(narration: dict[str, Any]) -> None:
    del narration["InputConfig"]["SceneInfo"]
    assert errors(narration)["InputConfig.SceneInfo"].message == "required"


# 2. Mode


def test_both_modes_is_an_error_naming_both_fields(
    narration: dict[str, Any], storyboard: dict[str, Any]
) -> None:
    storyboard["InputConfig"]["SpeechTextArray"] = narration["InputConfig"]["SpeechTextArray"]
    problem = errors(storyboard)["InputConfig.SpeechTextArray"]
    assert "both" in problem.message
    assert "SpeechTextArray" in (problem.accepted or "") and "ShotScripts" in (
        problem.accepted or ""
    )


def test_neither_mode_is_an_error_naming_both_fields(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["SpeechTextArray"] = []
    problem = errors(narration)["InputConfig"]
    assert "SpeechTextArray" in (problem.accepted or "") and "ShotScripts" in (
        problem.accepted or ""
    )


def test_storyboard_without_shots(narration: dict[str, Any]) -> None:
    del narration["InputConfig"]["SpeechTextArray"]
    narration["InputConfig"]["SceneInfo"]["ShotInfo"] = {"ShotScripts": []}
    assert "no shots" in errors(narration)[SHOTS].message


# 3. Shots


def test_a_shot_uses_one_shot_mode(storyboard: dict[str, Any]) -> None:
    storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][1]["ScriptText"] = "Also text"
    assert "one shot mode" in errors(storyboard)[f"{SHOTS}[1].Descriptions"].message


def test_a_shot_must_describe_something(storyboard: dict[str, Any]) -> None:
    storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][0] = {"SpeechText": "Hello."}
    assert f"{SHOTS}[0]" in errors(storyboard)


def test_shot_without_speech_needs_duration(storyboard: dict[str, Any]) -> None:
    del storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][2]["Duration"]
    assert "needs a Duration" in errors(storyboard)[f"{SHOTS}[2].Duration"].message


def test_duration_must_be_positive(storyboard: dict[str, Any]) -> None:
    storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][2]["Duration"] = 0
    assert f"{SHOTS}[2].Duration" in errors(storyboard)


def test_duration_beside_speech_is_an_error(storyboard: dict[str, Any]) -> None:
    storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][0]["Duration"] = 4
    assert (
        "only for a shot without SpeechText" in errors(storyboard)[f"{SHOTS}[0].Duration"].message
    )


def test_shot_volume_is_not_negative(storyboard: dict[str, Any]) -> None:
    storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][2]["Volume"] = -0.5
    assert f"{SHOTS}[2].Volume" in errors(storyboard)


# 4. Faces and characters

FACES = "InputConfig.SceneInfo.FaceInfo.ImageInfoList"


def test_characters_must_name_a_face(storyboard: dict[str, Any]) -> None:
    storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][1]["Characters"] = [
        "Lin",
        "Ghost",
    ]
    problem = errors(storyboard)[f"{SHOTS}[1].Characters[1]"]
    assert "'Ghost'" in problem.message
    assert problem.accepted == "Lin"


def test_face_names_are_unique(storyboard: dict[str, Any]) -> None:
    faces = storyboard["InputConfig"]["SceneInfo"]["FaceInfo"]["ImageInfoList"]
    faces.append({"Name": "Lin", "ImageId": "a" * 32})
    assert "already used" in errors(storyboard)[f"{FACES}[1].Name"].message


@pytest.mark.parametrize(
    "image", [{}, {"ImageURL": "https://cdn.example.com/a.png", "ImageId": "a" * 32}]
)
def test_image_info_has_exactly_one_source(
    storyboard: dict[str, Any], image: dict[str, str]
) -> None:
    storyboard["InputConfig"]["SceneInfo"]["FaceInfo"]["ImageInfoList"][0] = {
        "Name": "Lin",
        **image,
    }
    assert "exactly one" in errors(storyboard)[f"{FACES}[0]"].message


def test_face_url_must_be_public(storyboard: dict[str, Any]) -> None:
    storyboard["InputConfig"]["SceneInfo"]["FaceInfo"]["ImageInfoList"][0]["ImageURL"] = (
        "http://127.0.0.1/a.png"
    )
    assert "public" in errors(storyboard)[f"{FACES}[0].ImageURL"].message


def test_face_url_may_be_any_public_host(storyboard: dict[str, Any]) -> None:
    storyboard["InputConfig"]["SceneInfo"]["FaceInfo"]["ImageInfoList"][0]["ImageURL"] = (
        "https://bkimg.cdn.example.org/pic/face?x-process=resize,h_1080"
    )
    assert errors(storyboard) == {}


# 5. Limits


@pytest.mark.parametrize(
    ("path", "mutate"),
    [
        ("InputConfig.TitleArray", lambda d: d["InputConfig"].update(TitleArray=["t"] * 51)),
        ("InputConfig.TitleArray[0]", lambda d: d["InputConfig"].update(TitleArray=["x" * 51])),
        (
            "InputConfig.SpeechTextArray",
            lambda d: d["InputConfig"].update(SpeechTextArray=["s"] * 51),
        ),
        (
            "InputConfig.SpeechTextArray[0]",
            lambda d: d["InputConfig"].update(SpeechTextArray=["s" * 1001]),
        ),
        (
            "InputConfig.SubHeadingArray[0].Level",
            lambda d: d["InputConfig"].update(SubHeadingArray=[{"Level": 6, "TitleArray": ["a"]}]),
        ),
        (
            "InputConfig.SubHeadingArray[0].TitleArray",
            lambda d: d["InputConfig"].update(
                SubHeadingArray=[{"Level": 1, "TitleArray": ["a"] * 51}]
            ),
        ),
        (
            "InputConfig.SubHeadingArray[0].TitleArray[0]",
            lambda d: d["InputConfig"].update(
                SubHeadingArray=[{"Level": 1, "TitleArray": ["a" * 51]}]
            ),
        ),
        (
            "InputConfig.SubHeadingArray[1].Level",
            lambda d: d["InputConfig"].update(
                SubHeadingArray=[
                    {"Level": 2, "TitleArray": ["a"]},
                    {"Level": 2, "TitleArray": ["b"]},
                ]
            ),
        ),
        (
            "InputConfig.StickerArray",
            lambda d: d["InputConfig"].update(
                StickerArray=[{"MediaId": "a" * 32, "X": 0, "Y": 0, "Width": 1, "Height": 1}] * 51
            ),
        ),
        (
            "InputConfig.StickerArray[0].Opacity",
            lambda d: d["InputConfig"].update(
                StickerArray=[
                    {"MediaId": "a" * 32, "X": 0, "Y": 0, "Width": 1, "Height": 1, "Opacity": 1.5}
                ]
            ),
        ),
        (
            "InputConfig.BackgroundMusicArray",
            lambda d: d["InputConfig"].update(BackgroundMusicArray=["a" * 32] * 51),
        ),
        (
            "InputConfig.BackgroundImageArray",
            lambda d: d["InputConfig"].update(BackgroundImageArray=["a" * 32] * 51),
        ),
        (
            "InputConfig.SceneInfo.FaceInfo.ImageInfoList",
            lambda d: d["InputConfig"]["SceneInfo"].update(
                FaceInfo={
                    "ImageInfoList": [{"Name": f"n{i}", "ImageId": "a" * 32} for i in range(201)]
                }
            ),
        ),
        (
            "EditingConfig.MediaConfig.Volume",
            lambda d: d.update(EditingConfig={"MediaConfig": {"Volume": 10.5}}),
        ),
        (
            f"{PROCESS}.VfxEffectProbability",
            lambda d: d.update(EditingConfig={"ProcessConfig": {"VfxEffectProbability": 1.2}}),
        ),
        (
            f"{PROCESS}.VfxEffectProbability",
            lambda d: d.update(EditingConfig={"ProcessConfig": {"VfxEffectProbability": 0.125}}),
        ),
        (
            f"{PROCESS}.TransitionDuration",
            lambda d: d.update(EditingConfig={"ProcessConfig": {"TransitionDuration": 0}}),
        ),
        (
            "EditingConfig.SubHeadingConfig.6",
            lambda d: d.update(EditingConfig={"SubHeadingConfig": {"6": {"Y": 0.3}}}),
        ),
    ],
)
def test_limits(narration: dict[str, Any], path: str, mutate: Any) -> None:
    mutate(narration)
    assert path in errors(narration)


def test_limits_accept_their_bounds(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["TitleArray"] = ["x" * 50] * 50
    narration["InputConfig"]["SpeechTextArray"] = ["s" * 1000] * 50
    narration["EditingConfig"] = {
        "MediaConfig": {"Volume": 10},
        "ProcessConfig": {"VfxEffectProbability": 0.35, "TransitionDuration": 0.1},
    }
    assert errors(narration) == {}


# 6. Vocabularies


def test_unknown_transition_is_an_error_with_a_suggestion(narration: dict[str, Any]) -> None:
    narration["EditingConfig"] = {"ProcessConfig": {"TransitionList": ["fade", "linearblurr"]}}
    problem = errors(narration)[f"{PROCESS}.TransitionList[1]"]
    assert "did you mean 'linearblur'" in problem.message


def test_unknown_filter_is_an_error_with_a_suggestion(narration: dict[str, Any]) -> None:
    narration["EditingConfig"] = {"ProcessConfig": {"FilterList": ["m1", "wram"]}}
    assert "did you mean 'warm'" in errors(narration)[f"{PROCESS}.FilterList[1]"].message


def test_unknown_effect_is_only_a_warning(narration: dict[str, Any]) -> None:
    narration["EditingConfig"] = {
        "ProcessConfig": {"VfxNotFirstClipEffectList": ["zoomslight", "sparkles"]}
    }
    assert errors(narration) == {}
    assert f"{PROCESS}.VfxNotFirstClipEffectList[1]" in warnings(narration)


# 7. Media


def test_media_array_is_not_empty(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["MediaArray"] = []
    assert "InputConfig.MediaArray" in errors(narration)


@pytest.mark.parametrize(
    "reference",
    [
        "film.mp4",
        "https://example.com/film.mp4",
        "https://films.oss-cn-shanghai.example.com/film.mp4",
        "0123456789abcdef",  # too short for a media ID
    ],
)
def test_media_reference_is_an_id_or_an_oss_url(narration: dict[str, Any], reference: str) -> None:
    narration["InputConfig"]["MediaArray"].append(reference)
    problem = errors(narration)["InputConfig.MediaArray[1]"]
    assert "media ID" in (problem.accepted or "")


def test_oss_url_must_be_in_the_configured_region(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["BackgroundMusicArray"] = [
        "https://films.oss-cn-beijing.aliyuncs.com/m.mp3"
    ]
    problem = errors(narration)["InputConfig.BackgroundMusicArray[0]"]
    assert "cn-beijing" in problem.message and "cn-shanghai" in problem.message


def test_unsupported_region(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["MediaArray"] = ["https://films.oss-eu-central-1.aliyuncs.com/f.mp4"]
    problem = errors(narration)["InputConfig.MediaArray[0]"]
    assert "does not offer movie highlights" in problem.message


def test_without_a_configured_region_urls_must_agree(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["StickerArray"] = [
        {
            "MediaURL": "https://films.oss-cn-beijing.aliyuncs.com/s.png",
            "X": 0,
            "Y": 0,
            "Width": 9,
            "Height": 9,
        }
    ]
    found = errors(narration, region=None)
    assert set(found) == {"InputConfig.StickerArray[0].MediaURL"}
    assert (
        "InputConfig.MediaArray[0] is in cn-shanghai"
        in found["InputConfig.StickerArray[0].MediaURL"].message
    )


def test_validation_region_must_offer_the_scenario(narration: dict[str, Any]) -> None:
    assert "$" in errors(narration, region="eu-west-1")


def test_sticker_needs_an_image(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["StickerArray"] = [{"X": 0, "Y": 0, "Width": 9, "Height": 9}]
    assert "InputConfig.StickerArray[0]" in errors(narration)


def test_sticker_media_id_must_look_like_one(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["StickerArray"] = [
        {"MediaId": "logo.png", "X": 0, "Y": 0, "Width": 9, "Height": 9}
    ]
    assert "InputConfig.StickerArray[0].MediaId" in errors(narration)


def test_placeholders_are_named(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["MediaArray"] = [
        "****9d46c886b45481030f6e****",
        "http://[your-bucket].oss-cn-shanghai.aliyuncs.com/a.mp4",
    ]
    found = errors(narration)
    assert "documentation placeholder '****'" in found["InputConfig.MediaArray[0]"].message
    assert "'[your-bucket]'" in found["InputConfig.MediaArray[1]"].message


# 8. Output


@pytest.mark.parametrize(("field", "value"), [("Width", 127), ("Width", 4097), ("Height", 100)])
def test_output_size_bounds(narration: dict[str, Any], field: str, value: int) -> None:
    narration["OutputConfig"][field] = value
    assert f"OutputConfig.{field}" in errors(narration)


def test_output_short_side(narration: dict[str, Any]) -> None:
    narration["OutputConfig"].update(Width=2400, Height=3840)
    assert "short side" in errors(narration)["OutputConfig"].message


@pytest.mark.parametrize("field", ["Width", "Height"])
def test_output_size_is_required(narration: dict[str, Any], field: str) -> None:
    del narration["OutputConfig"][field]
    assert errors(narration)[f"OutputConfig.{field}"].message == "required"


@pytest.mark.parametrize("count", [0, 101])
def test_output_count(narration: dict[str, Any], count: int) -> None:
    narration["OutputConfig"]["Count"] = count
    assert "OutputConfig.Count" in errors(narration)


def test_output_needs_a_destination(narration: dict[str, Any]) -> None:
    del narration["OutputConfig"]["MediaURL"]
    assert "no destination" in errors(narration)["OutputConfig"].message


def test_preview_only_needs_no_destination(narration: dict[str, Any]) -> None:
    del narration["OutputConfig"]["MediaURL"]
    narration["OutputConfig"]["GeneratePreviewOnly"] = True
    assert errors(narration) == {}


def test_output_has_one_destination_only(narration: dict[str, Any]) -> None:
    narration["OutputConfig"].update(
        StorageLocation="outin-abc.oss-cn-shanghai.aliyuncs.com", FileName="h_{index}.mp4"
    )
    assert "not both" in errors(narration)["OutputConfig.MediaURL"].message


def test_vod_destination(narration: dict[str, Any]) -> None:
    del narration["OutputConfig"]["MediaURL"]
    narration["OutputConfig"].update(
        StorageLocation="outin-abc.oss-cn-shanghai.aliyuncs.com", FileName="h.mp4"
    )
    assert "{index}" in errors(narration)["OutputConfig.FileName"].message
    narration["OutputConfig"]["FileName"] = "h_{index}.mp4"
    assert errors(narration) == {}
    del narration["OutputConfig"]["FileName"]
    assert "OutputConfig.FileName" in errors(narration)


def test_vod_storage_location_in_region(narration: dict[str, Any]) -> None:
    del narration["OutputConfig"]["MediaURL"]
    narration["OutputConfig"].update(
        StorageLocation="outin-abc.oss-cn-beijing.aliyuncs.com", FileName="{index}.mp4"
    )
    assert "OutputConfig.StorageLocation" in errors(narration)


def test_media_url_needs_index(narration: dict[str, Any]) -> None:
    narration["OutputConfig"]["MediaURL"] = f"{BUCKET_URL}/out/h.mp4"
    assert "{index}" in errors(narration)["OutputConfig.MediaURL"].message


@pytest.mark.parametrize(
    "url",
    [
        "https://films.oss-accelerate.aliyuncs.com/out/h_{index}.mp4",
        "https://cdn.films.example.com/out/h_{index}.mp4",
        "https://films.oss-cn-beijing.aliyuncs.com/out/h_{index}.mp4",
    ],
)
def test_media_url_is_oss_in_region(narration: dict[str, Any], url: str) -> None:
    narration["OutputConfig"]["MediaURL"] = url
    assert "OutputConfig.MediaURL" in errors(narration)


def test_crf_range(narration: dict[str, Any]) -> None:
    narration["OutputConfig"]["Video"] = {"Crf": 52}
    assert "OutputConfig.Video.Crf" in errors(narration)


# 9. UserData


def test_user_data_must_be_an_object(narration: dict[str, Any]) -> None:
    narration["UserData"] = "hello"
    assert "UserData" in errors(narration)


def test_user_data_budget_says_how_many_bytes_are_left(narration: dict[str, Any]) -> None:
    narration["UserData"] = {"note": "x" * 300}
    problem = errors(narration)["UserData"]
    assert "may take" in problem.message and "512" in problem.message
    narration["UserData"] = {"note": "x" * 100}
    assert errors(narration) == {}


def test_user_data_budget_is_exact_with_a_known_notify_url(narration: dict[str, Any]) -> None:
    narration["UserData"] = {"note": "x" * 300}
    assert errors(narration, notify_url="https://cb.example.com/ice") == {}


def test_user_data_cannot_use_pipeline_keys(narration: dict[str, Any]) -> None:
    narration["UserData"] = {"NotifyAddress": "https://elsewhere.example.com"}
    assert "UserData.NotifyAddress" in errors(narration)


# Unknown keys


def test_unknown_key_suggests_the_right_one(storyboard: dict[str, Any]) -> None:
    shot = storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][0]
    shot["ScripText"] = shot.pop("ScriptText")
    problem = errors(storyboard)[f"{SHOTS}[0].ScripText"]
    assert "did you mean 'ScriptText'" in problem.message
    assert "ScriptText" in (problem.accepted or "")


def test_unknown_key_in_a_dict_of_models(narration: dict[str, Any]) -> None:
    narration["EditingConfig"] = {"SubHeadingConfig": {"1": {"FontSzie": 30}}}
    assert (
        "did you mean 'FontSize'"
        in errors(narration)["EditingConfig.SubHeadingConfig.1.FontSzie"].message
    )


def test_lowercase_keys_are_not_silently_ignored(narration: dict[str, Any]) -> None:
    narration["outputConfig"] = narration.pop("OutputConfig")
    found = errors(narration)
    assert "did you mean 'OutputConfig'" in found["outputConfig"].message
    assert found["OutputConfig"].message == "required"


def test_schema_key_is_allowed(narration: dict[str, Any]) -> None:
    narration["$schema"] = "../schema/manifest.schema.json"
    assert errors(narration) == {}


def test_all_errors_at_once(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["TitleArray"] = ["x" * 60]
    narration["OutputConfig"]["Count"] = 0
    narration["EditingConfig"] = {"ProcessConfig": {"FilterList": ["zz"]}}
    assert {"InputConfig.TitleArray[0]", "OutputConfig.Count", f"{PROCESS}.FilterList[0]"} <= set(
        errors(narration)
    )
