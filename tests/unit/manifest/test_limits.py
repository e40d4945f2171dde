"""Bounds of a manifest, each an error at its JSON path naming the accepted range; and control
characters in text that is drawn or spoken."""

from __future__ import annotations

import json
from typing import Any

import pytest

from highlights.manifest import limits, validate_manifest
from highlights.manifest.problems import Problem

from .conftest import BUCKET_URL, REGION

SHOTS = "InputConfig.SceneInfo.ShotInfo.ShotScripts"


def errors(doc: dict[str, Any]) -> dict[str, Problem]:
    validation = validate_manifest(doc, region=REGION)
    assert (validation.manifest is None) == bool(validation.errors)
    return {p.path: p for p in validation.errors}


def silent_shot(duration: Any) -> dict[str, Any]:
    return {"ScriptText": "The station.", "Duration": duration}


# -- shot durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("duration", [1e9, 5e-324, 0.49, 600.5, 0, -1])
def test_shot_duration_outside_its_range(storyboard: dict[str, Any], duration: float) -> None:
    storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][2] = silent_shot(duration)
    problem = errors(storyboard)[f"{SHOTS}[2].Duration"]
    assert problem.accepted == "0.5 to 600"


@pytest.mark.parametrize("duration", [0.5, 600, 42])
def test_shot_duration_inside_its_range(storyboard: dict[str, Any], duration: float) -> None:
    storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][2] = silent_shot(duration)
    assert errors(storyboard) == {}


def test_a_missing_duration_names_the_range(storyboard: dict[str, Any]) -> None:
    del storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][2]["Duration"]
    assert errors(storyboard)[f"{SHOTS}[2].Duration"].accepted == "0.5 to 600"


def test_total_silent_duration_of_a_storyboard(storyboard: dict[str, Any]) -> None:
    shots = [silent_shot(600), silent_shot(600), silent_shot(600)]
    storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"] = shots
    assert errors(storyboard) == {}
    shots.append(silent_shot(0.5))
    problem = errors(storyboard)[SHOTS]
    assert "1800.5 s" in problem.message and "1800" in (problem.accepted or "")


def test_total_speech_of_a_storyboard(storyboard: dict[str, Any]) -> None:
    shot = {"ScriptText": "A train.", "SpeechText": "x" * 1000}
    shots = [dict(shot) for _ in range(5)]
    storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"] = shots
    assert errors(storyboard) == {}
    shots.append({"ScriptText": "A train.", "SpeechText": "y"})
    problem = errors(storyboard)[SHOTS]
    assert "5001 characters" in problem.message and "5000" in (problem.accepted or "")


# -- counts and lengths -------------------------------------------------------------------------------


def _shots(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("where", "limit", "make"),
    [
        (SHOTS, limits.MAX_SHOTS, lambda i: {"ScriptText": f"Shot {i}.", "Duration": 1}),
        ("InputConfig.MediaArray", limits.MAX_MEDIA, lambda i: f"{BUCKET_URL}/in/{i}.mp4"),
        ("InputConfig.TitleArray", limits.MAX_TITLES, lambda i: f"Title {i}"),
        (
            "InputConfig.StickerArray",
            limits.MAX_STICKERS,
            lambda i: {
                "MediaURL": f"{BUCKET_URL}/s/{i}.png",
                "X": 0,
                "Y": 0,
                "Width": 9,
                "Height": 9,
            },
        ),
        ("InputConfig.BackgroundMusicArray", limits.MAX_MUSIC, lambda i: f"{BUCKET_URL}/m/{i}.mp3"),
        (
            "InputConfig.BackgroundImageArray",
            limits.MAX_BACKGROUND_IMAGES,
            lambda i: f"{BUCKET_URL}/b/{i}.png",
        ),
        (
            "InputConfig.SubHeadingArray",
            limits.MAX_SUB_HEADINGS,
            lambda i: {"Level": i % 5 + 1, "TitleArray": ["Part"]},
        ),
        (f"{SHOTS}[0].Descriptions", limits.MAX_SHOT_ITEMS, lambda i: f"Description {i}."),
        (f"{SHOTS}[0].Settings", limits.MAX_SHOT_ITEMS, lambda i: f"Setting {i}."),
    ],
)
def test_counts(storyboard: dict[str, Any], where: str, limit: int, make: Any) -> None:
    doc: Any = storyboard
    shots = _shots(storyboard)
    shots[0] = {"Descriptions": ["A train."], "Settings": ["Night"], "SpeechText": "It runs."}
    *parents, field = where.replace("[0]", ".0").split(".")
    for part in parents:
        doc = doc[int(part)] if part.isdigit() else doc[part]
    doc[field] = [make(i) for i in range(limit)]
    assert not any(path.startswith(where) for path in errors(storyboard))
    doc[field].append(make(limit))
    problem = errors(storyboard)[where]
    assert problem.accepted == f"at most {limit} items" or (
        where == "InputConfig.MediaArray" and problem.accepted == f"1 to {limit} items"
    )


def test_narration_scripts_count_and_length(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["SpeechTextArray"] = ["x" * 1000] * 50
    assert errors(narration) == {}
    narration["InputConfig"]["SpeechTextArray"] = ["x" * 1000] * 51
    assert errors(narration)["InputConfig.SpeechTextArray"].accepted == "at most 50 items"
    narration["InputConfig"]["SpeechTextArray"] = ["x" * 1001]
    problem = errors(narration)["InputConfig.SpeechTextArray[0]"]
    assert problem.accepted == "1 to 1000 characters"


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("ScriptText", "x" * 1001, "1 to 1000 characters"),
        ("SpeechText", "x" * 1001, "1 to 1000 characters"),
        ("Volume", 10.5, "0 to 10"),
    ],
)
def test_shot_text_lengths(
    storyboard: dict[str, Any], field: str, value: Any, accepted: str
) -> None:
    _shots(storyboard)[0][field] = value
    assert errors(storyboard)[f"{SHOTS}[0].{field}"].accepted == accepted


def test_shot_item_lengths(storyboard: dict[str, Any]) -> None:
    shot = _shots(storyboard)[1]
    shot["Descriptions"] = ["x" * 301]
    shot["Characters"] = ["Lin"] * 21
    found = errors(storyboard)
    assert found[f"{SHOTS}[1].Descriptions[0]"].accepted == "1 to 300 characters"
    assert found[f"{SHOTS}[1].Characters"].accepted == "at most 20 items"


@pytest.mark.parametrize(
    ("path", "value", "accepted"),
    [
        (("InputConfig", "StickerArray", 0, "Width"), 1e9, "> 0 and ≤ 8192"),
        (("InputConfig", "StickerArray", 0, "X"), 9000, "0 to 8192"),
        (("EditingConfig", "TitleConfig", "Outline"), 101, "0 to 100"),
        (("EditingConfig", "TitleConfig", "Spacing"), -1001, "-1000 to 1000"),
        (("EditingConfig", "ProcessConfig", "TransitionDuration"), 601, "> 0 and ≤ 600"),
        (("EditingConfig", "ProcessConfig", "FilterList"), ["m1"] * 101, "at most 100 items"),
        (("OutputConfig", "Count"), 101, "1 to 100"),
    ],
)
def test_other_bounds_name_their_range(
    narration: dict[str, Any], path: tuple[Any, ...], value: Any, accepted: str
) -> None:
    narration["InputConfig"]["StickerArray"] = [
        {"MediaURL": f"{BUCKET_URL}/s.png", "X": 0, "Y": 0, "Width": 10, "Height": 10}
    ]
    node: Any = narration
    for part in path[:-1]:
        if isinstance(node, dict) and part not in node:
            node[part] = {}
        node = node[part]
    node[path[-1]] = value
    where = ".".join(str(p) for p in path).replace(".0.", "[0].")
    assert errors(narration)[where].accepted == accepted


def test_the_largest_possible_manifest_is_valid_and_under_the_default_cap() -> None:
    """Every array and text at its limit, in CJK: the default cap must not refuse it."""
    cjk = "夜"

    def ref(i: int) -> str:
        head = f"{BUCKET_URL}/{i:04d}/"
        return head + "a" * (2048 - len(head) - 4) + ".mp4"

    def name(i: int) -> str:
        return f"{i % limits.MAX_FACES:03d}" + cjk * (limits.MAX_NAME_CHARS - 3)

    shot = {
        "Descriptions": [cjk * limits.MAX_SHOT_ITEM_CHARS] * limits.MAX_SHOT_ITEMS,
        "Settings": [cjk * limits.MAX_SHOT_ITEM_CHARS] * limits.MAX_SHOT_ITEMS,
        "SpeechText": cjk * (limits.MAX_STORYBOARD_SPEECH_CHARS // limits.MAX_SHOTS),
    }
    doc = {
        "InputConfig": {
            "MediaArray": [ref(i) for i in range(limits.MAX_MEDIA)],
            "TitleArray": [cjk * limits.MAX_TITLE_CHARS] * limits.MAX_TITLES,
            "SubHeadingArray": [
                {"Level": level, "TitleArray": [cjk * limits.MAX_TITLE_CHARS] * limits.MAX_TITLES}
                for level in range(1, limits.MAX_SUB_HEADINGS + 1)
            ],
            "SceneInfo": {
                "Scene": "MovieHighlights",
                "FaceInfo": {
                    "ImageInfoList": [
                        {"Name": name(i), "ImageURL": "https://cdn.example.com/" + "f" * 2000}
                        for i in range(limits.MAX_FACES)
                    ]
                },
                "ShotInfo": {
                    "ShotScripts": [
                        {
                            **shot,
                            "Characters": [name(i + j) for j in range(limits.MAX_SHOT_CHARACTERS)],
                        }
                        for i in range(limits.MAX_SHOTS)
                    ]
                },
            },
            "StickerArray": [
                {"MediaURL": ref(i), "X": 1, "Y": 1, "Width": 8, "Height": 8}
                for i in range(limits.MAX_STICKERS)
            ],
            "BackgroundMusicArray": [ref(i) for i in range(limits.MAX_MUSIC)],
            "BackgroundImageArray": [ref(i) for i in range(limits.MAX_BACKGROUND_IMAGES)],
        },
        "OutputConfig": {
            "MediaURL": f"{BUCKET_URL}/out/h_{{index}}.mp4",
            "Count": limits.MAX_OUTPUTS,
            "Width": 1080,
            "Height": 1920,
        },
    }
    data = json.dumps(doc, ensure_ascii=False).encode()
    assert len(data) < limits.MAX_MANIFEST_BYTES
    validation = validate_manifest(data, region=REGION)
    assert validation.ok, validation.errors[:3]


# -- control characters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("InputConfig", "TitleArray", 0), "A\x00title"),
        (("InputConfig", "TitleArray", 0), "A\ttitle"),
        (("InputConfig", "TitleArray", 0), "A\rtitle"),
        (("InputConfig", "SubHeadingArray", 0, "TitleArray", 0), "Part\x1b[31m"),
        (("InputConfig", "SpeechTextArray", 0), "It runs.\x07"),
        (("InputConfig", "SpeechTextArray", 0), "It runs.\x85"),
        (("InputConfig", "SpeechTextArray", 0), "It runs.\x7f"),
        (("EditingConfig", "TitleConfig", "Font"), "Sans\nBold"),
        (("EditingConfig", "SpeechConfig", "Voice"), "xiaoyun\t"),
        (("InputConfig", "MediaArray", 0), f"{BUCKET_URL}/in/\x01.mp4"),
        (("OutputConfig", "FileName"), "out\n_{index}.mp4"),
    ],
)
def test_control_characters_are_refused_in_text(
    narration: dict[str, Any], path: tuple[Any, ...], text: str
) -> None:
    narration["InputConfig"]["TitleArray"] = ["A title"]
    narration["InputConfig"]["SubHeadingArray"] = [{"Level": 1, "TitleArray": ["Part"]}]
    node: Any = narration
    for part in path[:-1]:
        if isinstance(node, dict) and part not in node:
            node[part] = {}
        node = node[part]
    node[path[-1]] = text
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    found = [p for p in validate_manifest(narration, region=REGION).errors if p.path == where]
    assert any(p.message.startswith("control character U+") and p.accepted for p in found)


def test_line_breaks_where_they_mean_something(storyboard: dict[str, Any]) -> None:
    storyboard["InputConfig"]["TitleArray"] = ["Last train\nhome"]
    storyboard["InputConfig"]["SubHeadingArray"] = [{"Level": 1, "TitleArray": ["Part\none"]}]
    shot = _shots(storyboard)[0]
    shot["ScriptText"] = "A train.\r\nAt night.\tQuiet."
    shot["SpeechText"] = "The train runs.\nIt is late."
    _shots(storyboard)[1]["Descriptions"] = ["Lin\tat the window\n"]
    storyboard["UserData"] = {"note": "free\x00form"}
    assert errors(storyboard) == {}
