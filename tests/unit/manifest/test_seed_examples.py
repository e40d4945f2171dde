"""The seed document's own examples (read from ../shared when it is beside the checkout)."""

from __future__ import annotations

import re

import pytest

from highlights.manifest import validate_manifest

REGION = "cn-shanghai"


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


@pytest.fixture(scope="module")
def examples(seed_text: str) -> dict[str, str]:
    return {
        "global": _between(
            seed_text, "Parameter example: Global narration mode\n", "Parameter example: Storyboard"
        ),
        "storyboard": _between(
            seed_text, "Parameter example: Storyboard mode\n", "EditingConfig parameters\n"
        ),
        "editing": _between(
            seed_text, "shows the default configurations.\n", "TemplateConfig parameters"
        ),
        "output": _between(
            _between(seed_text, "OutputConfig parameters\n", "SDK call example"),
            "Parameter example\n",
            "\x00",
        ),
    }


def manifest(inputs: str, output: str, editing: str | None = None) -> str:
    # The example's text is embedded as is, starting on line 1, so its line numbers are kept.
    parts = [f'{{"InputConfig": {inputs}', f', "OutputConfig": {output}']
    if editing is not None:
        parts.append(f', "EditingConfig": {editing}')
    return "".join(parts) + "}"


def real_looking(text: str) -> str:
    text = text.replace("[your-bucket]", "demo-films").replace("[your-region-id]", REGION)
    text = text.replace("[your-file-path]", "out").replace("[your-file-name]", "highlight")
    return re.sub(r"\*{4}([0-9a-f]{20})\*{4}", lambda m: f"0a1b{m.group(1)}2c3d4e5f", text)


def test_global_narration_example_validates_with_a_sticker_warning(
    examples: dict[str, str],
) -> None:
    text = manifest(real_looking(examples["global"]), real_looking(examples["output"]))
    assert "//" in text  # comments kept
    validation = validate_manifest(text, region=REGION)
    assert validation.ok, [str(e) for e in validation.errors]
    assert [w.path for w in validation.warnings] == ["InputConfig.Sticker"]
    assert validation.manifest is not None and validation.manifest.mode == "global_narration"


def test_global_narration_example_with_placeholders_says_so(examples: dict[str, str]) -> None:
    validation = validate_manifest(manifest(examples["global"], examples["output"]), region=REGION)
    assert not validation.ok
    assert validation.errors
    assert all("documentation placeholder" in e.message for e in validation.errors)
    paths = {e.path for e in validation.errors}
    assert {
        "InputConfig.MediaArray[0]",
        "InputConfig.MediaArray[2]",
        "OutputConfig.MediaURL",
    } <= paths


def test_raw_storyboard_example_fails_at_the_first_missing_comma(examples: dict[str, str]) -> None:
    raw = examples["storyboard"]
    text = manifest(raw, examples["output"])
    lines = raw.splitlines()
    marker = next(
        i for i, line in enumerate(lines) if "End of text description mode example" in line
    )
    expected_line = max(i for i in range(marker) if lines[i].strip() == "}") + 1
    validation = validate_manifest(text, region=REGION)
    assert validation.manifest is None
    [error] = validation.errors
    assert error.line == expected_line
    assert "missing ','" in error.message


def test_storyboard_example_with_commas_lists_all_its_problems(examples: dict[str, str]) -> None:
    fixed = re.sub(
        r"\}\n(// End of (text description|manual parsing) mode example)",
        r"},\n\1",
        examples["storyboard"],
    )
    validation = validate_manifest(manifest(fixed, examples["output"]), region=REGION)
    messages = {e.path: e.message for e in validation.errors}
    shots = "InputConfig.SceneInfo.ShotInfo.ShotScripts"
    assert "did you mean 'ScriptText'" in messages[f"{shots}[12].ScripText"]
    assert (
        "'Lin Xia' is not a name in FaceInfo.ImageInfoList" in messages[f"{shots}[6].Characters[0]"]
    )
    assert any("documentation placeholder" in m for m in messages.values())
    # With the placeholders replaced, the typo and the characters remain.
    validation = validate_manifest(
        manifest(real_looking(fixed), real_looking(examples["output"])), region=REGION
    )
    assert not any("placeholder" in e.message for e in validation.errors)
    assert f"{shots}[12].ScripText" in {e.path for e in validation.errors}


def test_editing_example_repeats_y_which_is_an_error(examples: dict[str, str]) -> None:
    text = manifest(
        real_looking(examples["global"]), real_looking(examples["output"]), examples["editing"]
    )
    validation = validate_manifest(text, region=REGION)
    paths = {e.path for e in validation.errors}
    assert paths == {"EditingConfig.TitleConfig.Y", "EditingConfig.SpeechConfig.AsrConfig.Y"}
