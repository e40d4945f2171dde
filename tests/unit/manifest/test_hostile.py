"""Hostile manifest text: refused above the size cap before decoding, decoded in linear memory, and
every value no decoder downstream can hold is an error at its JSON path, never an exception."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import pytest

from highlights.manifest import validate_manifest
from highlights.manifest.limits import (
    MAX_DEPTH,
    MAX_MANIFEST_BYTES,
    MAX_OBJECT_KEYS,
    MAX_PROBLEMS,
)
from highlights.manifest.loading import Validation, oversized

from .conftest import REGION, dumps


def check(source: Any, **kwargs: Any) -> Validation:
    validation = validate_manifest(source, region=REGION, **kwargs)
    # A report is always one that can be stored: JSON, encodable as UTF-8.
    json.dumps(validation.to_dict(), ensure_ascii=False).encode("utf-8")
    return validation


def only_error(source: Any, **kwargs: Any) -> tuple[str, str, str | None]:
    validation = check(source, **kwargs)
    assert validation.manifest is None
    [problem] = validation.errors
    return problem.path, problem.message, problem.accepted


def with_user_data(doc: dict[str, Any], raw_value: str) -> str:
    """The manifest's text with UserData.x set to raw JSON text (which json.dumps cannot write)."""
    return dumps({**doc, "UserData": {"x": "@@"}}).replace('"@@"', raw_value)


# -- size cap -------------------------------------------------------------------------------------


def test_default_cap_is_4_mib() -> None:
    assert MAX_MANIFEST_BYTES == 4 * 1024 * 1024


@pytest.mark.parametrize("kind", ["bytes", "ascii text", "non-ascii text"])
def test_above_the_cap_is_refused_at_the_root_naming_size_and_cap(
    narration: dict[str, Any], kind: str
) -> None:
    text = dumps(narration)
    if kind == "non-ascii text":
        text = text.replace("The city sleeps.", "城市睡了。")
    size = len(text.encode())
    source: str | bytes = text.encode() if kind == "bytes" else text
    path, message, accepted = only_error(source, max_bytes=size - 1)
    assert path == "$"
    assert f"{size:,} bytes" in message and f"{size - 1:,}" in message
    assert accepted is not None and "HIGHLIGHTS_MAX_MANIFEST_BYTES" in accepted
    assert check(source, max_bytes=size).ok


def test_text_of_more_characters_than_the_cap_is_not_even_encoded() -> None:
    path, message, _ = only_error("夜" * 2000, max_bytes=1000)
    assert path == "$" and "at least 2,000 bytes" in message


def test_above_the_cap_is_never_decoded() -> None:
    # Not JSON at all: a decoder would report a syntax error, the cap answers first.
    path, message, _ = only_error(b"\xff" * (MAX_MANIFEST_BYTES + 1))
    assert path == "$" and f"{MAX_MANIFEST_BYTES + 1:,} bytes" in message


def test_oversized_names_a_size_it_did_not_read() -> None:
    [problem] = oversized(10**9, 1024, exact=False).errors
    assert problem.path == "$" and "at least 1,000,000,000 bytes" in problem.message


# -- linear decoding --------------------------------------------------------------------------------


def _peak_bytes(source: bytes) -> int:
    tracemalloc.start()
    try:
        check(source, max_bytes=len(source))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("commented", [False, True])
def test_memory_grows_with_the_input_not_per_character_of_a_string(
    storyboard: dict[str, Any], commented: bool
) -> None:
    # One 2 MB string: the comment stripper once held ~120 bytes per character of it.
    storyboard["InputConfig"]["SceneInfo"]["ShotInfo"]["ShotScripts"][0]["ScriptText"] = (
        'a \\"quoted\\" // not a comment ' * 70_000
    )
    text = dumps(storyboard)
    if commented:
        text = "/* a comment\n   on two lines */\n" + text + "\n// trailing comment"
    data = text.encode()
    assert _peak_bytes(data) < 8 * len(data)


# -- values no decoder downstream can hold ---------------------------------------------------------


def test_deep_nesting_past_the_stack_is_an_error_with_its_position() -> None:
    path, message, _ = only_error("[" * 100_000 + "]" * 100_000)
    assert path == "$" and f"more than {MAX_DEPTH}" in message
    validation = check('{"a":\n' + "[" * 100_000)
    assert (validation.errors[0].line, validation.errors[0].column) == (2, MAX_DEPTH)


def test_nesting_deeper_than_the_limit_is_an_error_at_its_path(narration: dict[str, Any]) -> None:
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    validation = check(with_user_data(narration, deep))
    assert validation.manifest is None
    assert validation.errors[0].path.startswith("UserData.x[0]")
    assert f"more than {MAX_DEPTH}" in validation.errors[0].message


def test_nesting_up_to_the_limit_is_fine(narration: dict[str, Any]) -> None:
    depth = MAX_DEPTH - 2  # UserData and its x are the first two levels
    assert check(with_user_data(narration, "[" * depth + "]" * depth)).ok


def test_deep_decoded_documents_are_checked_without_recursion(narration: dict[str, Any]) -> None:
    deep: Any = 1
    for _ in range(50_000):
        deep = [deep]
    narration["UserData"] = {"x": deep}
    validation = check(narration)
    assert validation.manifest is None and "UserData.x" in validation.errors[0].path


@pytest.mark.parametrize("digits", [41, 5000, 100_000])
def test_long_integer_literals_are_errors_not_conversions(
    narration: dict[str, Any], digits: int
) -> None:
    path, message, accepted = only_error(with_user_data(narration, "-" + "7" * digits))
    assert path == "UserData.x" and f"{digits} digits" in message
    assert accepted == "at most 40 digits"


def test_long_integer_in_a_model_field(narration: dict[str, Any]) -> None:
    text = dumps(narration).replace('"Width": 1080', '"Width": ' + "9" * 5000)
    assert only_error(text)[0] == "OutputConfig.Width"


@pytest.mark.parametrize(
    ("literal", "spelled"),
    [
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
        ("1e999", "Infinity"),
        ("-1e999", "-Infinity"),
        ("1" * 400 + ".5", "Infinity"),
    ],
)
def test_numbers_json_cannot_carry_are_errors(
    narration: dict[str, Any], literal: str, spelled: str
) -> None:
    path, message, accepted = only_error(with_user_data(narration, literal))
    assert path == "UserData.x" and message.startswith(spelled + " ")
    assert accepted == "a finite number"


def test_non_finite_floats_in_a_decoded_document(narration: dict[str, Any]) -> None:
    narration["EditingConfig"] = {"MediaConfig": {"Volume": float("nan")}}
    assert only_error(narration)[0] == "EditingConfig.MediaConfig.Volume"


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "x\\udc00y", "\\ude00\\ud83d"])
def test_unpaired_surrogate_escapes_are_errors(narration: dict[str, Any], escape: str) -> None:
    path, message, _ = only_error(with_user_data(narration, f'"{escape}"'))
    assert path == "UserData.x" and "unpaired UTF-16 surrogate" in message


def test_a_surrogate_pair_is_one_character(narration: dict[str, Any]) -> None:
    validation = check(with_user_data(narration, '"\\ud83d\\ude00"'))
    assert validation.ok and validation.manifest is not None
    assert validation.manifest.user_data == {"x": "\U0001f600"}


def test_unpaired_surrogate_in_a_key_or_raw_text(narration: dict[str, Any]) -> None:
    text = dumps({**narration, "UserData": {"\ud800": 1}})  # a raw surrogate in a str
    path, message, _ = only_error(text)
    assert path == "UserData.\\ud800" and "surrogate" in message
    narration["InputConfig"]["SpeechTextArray"] = ["bad \udfff text"]
    assert only_error(narration)[0] == "InputConfig.SpeechTextArray[0]"


@pytest.mark.parametrize(
    ("data", "message", "position"),
    [
        ("\ufeff{}".encode("utf-16"), "UTF-16", (1, 1)),
        ("{}".encode("utf-32"), "UTF-32", (1, 1)),
        (b'{\n  "a": "\xc3"\n}', "not UTF-8", (2, 9)),
        (b'{"a": "\xed\xa0\x80"}', "not UTF-8", (1, 8)),  # a surrogate, encoded
    ],
)
def test_text_that_is_not_utf8_names_where(
    data: bytes, message: str, position: tuple[int, int]
) -> None:
    validation = check(data)
    [problem] = validation.errors
    assert problem.path == "$" and message in problem.message
    assert (problem.line, problem.column) == position


def test_a_utf8_bom_is_fine(narration: dict[str, Any]) -> None:
    assert check(b"\xef\xbb\xbf" + dumps(narration).encode()).ok
    assert check("\ufeff" + dumps(narration)).ok


@pytest.mark.parametrize(
    "source",
    [
        "",
        "   ",
        "null",
        "[]",
        '"text"',
        "1e999",
        "NaN",
        "/* only a comment */",
        "//",
        "/",
        '"\\',
        '{"a": "/*"} /*',
        "{\n// }\n",
    ],
)
def test_odd_documents_are_errors_at_the_root(source: str) -> None:
    validation = check(source)
    assert validation.manifest is None and validation.errors[0].path == "$"


def test_other_source_types_are_an_error_not_an_exception() -> None:
    validation = validate_manifest(bytearray(b"{}"))  # type: ignore[arg-type]
    assert validation.errors[0].path == "$" and "bytearray" in validation.errors[0].message


# -- how many problems -------------------------------------------------------------------------------


def test_errors_are_listed_up_to_a_limit_and_the_rest_counted(
    narration: dict[str, Any],
) -> None:
    narration["EditingConfig"] = {
        part: {f"Unknown{i}": i for i in range(90)}
        for part in ("TitleConfig", "MediaConfig", "ProcessConfig")
    }
    validation = check(narration)
    assert len(validation.errors) == MAX_PROBLEMS + 1
    last = validation.errors[-1]
    assert last.path == "$" and last.message.startswith(f"{270 - MAX_PROBLEMS} more error(s) found")


def test_an_object_with_more_keys_than_any_of_the_contract(narration: dict[str, Any]) -> None:
    narration["EditingConfig"] = {"TitleConfig": {f"Unknown{i}": i for i in range(101)}}
    path, message, accepted = only_error(dumps(narration))
    assert path == "EditingConfig.TitleConfig" and "101 keys" in message
    assert accepted == f"at most {MAX_OBJECT_KEYS} keys"
    # TemplateConfig is passed through to ICE as it is.
    del narration["EditingConfig"]
    narration["TemplateConfig"] = {"Clips": {f"c{i}": {"n": i} for i in range(5000)}}
    assert check(dumps(narration)).ok


def test_long_user_values_are_shortened_in_messages(narration: dict[str, Any]) -> None:
    narration["InputConfig"]["MediaArray"] = ["x" * 100_000]
    narration["EditingConfig"] = {"y" * 100_000: 1}
    validation = check(narration)
    assert validation.errors
    assert all(len(str(p)) < 2000 for p in validation.errors)
