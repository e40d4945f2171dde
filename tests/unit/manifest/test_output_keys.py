"""Output addresses are checked at validation with the stores' own key rules, so that a job never
ends with a result it cannot write, nor writes over the pipeline's state or into the inbox."""

from __future__ import annotations

from typing import Any

import pytest

from highlights.keys import folder_key_problem
from highlights.manifest import validate_manifest
from highlights.manifest.problems import Problem

from .conftest import BUCKET_URL, REGION

RESERVED = (".highlights/", "manifests/")


def problems(doc: dict[str, Any], where: str, **kwargs: Any) -> list[Problem]:
    validation = validate_manifest(doc, region=REGION, **kwargs)
    return [p for p in validation.errors if p.path == where]


def media_url(doc: dict[str, Any], key: str) -> dict[str, Any]:
    doc["OutputConfig"]["MediaURL"] = f"{BUCKET_URL}/{key}"
    return doc


@pytest.mark.parametrize(
    "key",
    [
        "out//v_{index}.mp4",
        "/v_{index}.mp4",
        "out/../../v_{index}.mp4",
        "out/./v_{index}.mp4",
        "out/%2e%2e/v_{index}.mp4",
        "out%2F..%2Fv_{index}.mp4",
        "out/\\v_{index}.mp4",
        "out/" + "n" * 256 + "/v_{index}.mp4",
        "out/v%00_{index}.mp4",
        "out/v%0A_{index}.mp4",
        "out/.v.mp4.tmp-0123456789abcdef/v_{index}.mp4",
    ],
)
def test_keys_no_store_takes_are_errors_at_the_output_address(
    narration: dict[str, Any], key: str
) -> None:
    [problem] = problems(media_url(narration, key), "OutputConfig.MediaURL")
    assert problem.message.startswith("the output cannot be written there")
    assert problem.accepted and "'..'" in problem.accepted


def test_the_longest_expansion_of_index_is_checked(narration: dict[str, Any]) -> None:
    # 1023 bytes with {index} = 9: fine for one output, too long once Count makes it 100.
    head = "out/" + "/".join(["d" * 200] * 4) + "/"
    key = head + "v" * (1023 - len(head) - len("_9.mp4")) + "_{index}.mp4"
    media_url(narration, key)
    narration["OutputConfig"]["Count"] = 9
    assert problems(narration, "OutputConfig.MediaURL") == []
    narration["OutputConfig"]["Count"] = 100
    [problem] = problems(narration, "OutputConfig.MediaURL")
    assert "1023 bytes" in problem.message


@pytest.mark.parametrize("key", [".highlights/jobs/x_{index}.mp4", "manifests/x_{index}.mp4"])
def test_the_pipelines_own_prefixes_are_refused_when_given(
    narration: dict[str, Any], key: str
) -> None:
    media_url(narration, key)
    assert problems(narration, "OutputConfig.MediaURL") == []  # no prefixes given
    [problem] = problems(narration, "OutputConfig.MediaURL", reserved_prefixes=RESERVED)
    assert "keeps for itself" in problem.message
    assert "outside .highlights/, manifests/" in (problem.accepted or "")


def test_percent_encoding_does_not_hide_a_reserved_prefix(narration: dict[str, Any]) -> None:
    media_url(narration, ".highlights%2Fjobs/x_{index}.mp4")
    [problem] = problems(narration, "OutputConfig.MediaURL", reserved_prefixes=RESERVED)
    assert "percent-decoded" in problem.message


def test_an_empty_prefix_reserves_nothing(narration: dict[str, Any]) -> None:
    assert validate_manifest(narration, region=REGION, reserved_prefixes=("", ".state/")).ok


def test_ordinary_output_keys_are_fine(narration: dict[str, Any]) -> None:
    for key in [
        "v_{index}.mp4",
        "out/2024/night train_{index}.mp4",
        "a/.hidden/v_{index}.mp4",
        "manifests-out/v_{index}.mp4",
        "outputs/末班车_{index}.mp4",
    ]:
        assert validate_manifest(
            media_url(narration, key), region=REGION, reserved_prefixes=RESERVED
        ).ok, key


def test_the_vod_file_name_is_a_key_too(narration: dict[str, Any]) -> None:
    output = narration["OutputConfig"]
    del output["MediaURL"]
    output["StorageLocation"] = "films.oss-cn-shanghai.aliyuncs.com"
    output["FileName"] = "out/v_{index}.mp4"
    assert validate_manifest(narration, region=REGION, reserved_prefixes=RESERVED).ok
    output["FileName"] = "../v_{index}.mp4"
    [problem] = problems(narration, "OutputConfig.FileName")
    assert "'..'" in problem.message
    output["FileName"] = ".highlights/jobs/v_{index}.mp4"
    assert problems(narration, "OutputConfig.FileName", reserved_prefixes=RESERVED)


def test_validation_and_the_folder_store_agree(narration: dict[str, Any]) -> None:
    """The rule is the store's: every key validation lets through, the folder store takes."""
    for key in ["a//b", "a/./b", "a/../b", "a\\b", "x" * 256, "ok/key.mp4", "a/b c/d.mp4"]:
        valid = not problems(media_url(narration, key + "_{index}"), "OutputConfig.MediaURL")
        assert valid == (folder_key_problem(key + "_1") is None), key
