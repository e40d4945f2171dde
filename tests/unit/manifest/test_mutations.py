"""Whatever a manifest holds, loading ends in a model or a list of errors, never an exception; and
the report of the errors can always be stored (JSON, encodable as UTF-8)."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from highlights.manifest import validate_manifest

from .conftest import _NARRATION, _STORYBOARD

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(draw(st.sampled_from([_NARRATION, _STORYBOARD])))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(json_values)
        else:
            parent.append(draw(json_values))
    return doc


def _check(source: Any) -> None:
    validation = validate_manifest(
        source, region="cn-shanghai", reserved_prefixes=(".highlights/", "manifests/")
    )
    assert (validation.manifest is None) == bool(validation.errors)
    for problem in validation.errors:
        assert problem.path and problem.message
    json.dumps(validation.to_dict(), ensure_ascii=False).encode("utf-8")
    if validation.manifest is not None:
        validation.manifest.to_wire()
        json.dumps(validation.manifest.to_document(), ensure_ascii=False).encode("utf-8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_documents(doc: dict[str, Any]) -> None:
    _check(doc)


@settings(max_examples=200, deadline=None)
@given(mutated(), st.integers(0, 2000), st.binary(max_size=3))
def test_mutated_bytes(doc: dict[str, Any], cut: int, noise: bytes) -> None:
    text = json.dumps(doc).encode()
    _check(text[:cut] + noise + text[cut:])


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_any_json_value(value: Any) -> None:
    _check(json.dumps(value))


# Values and text an attacker or a careless tool writes: every one must end as errors at a path.
hostile_literals = st.one_of(
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-Infinity",
            "1e999",
            "-1e999",
            "5e-324",
            "1e9",
            "-0",
            '"\\ud800"',
            '"\\udc00\\ud800"',
            '"\\u0000"',
            '"a\\u001b[2Jb"',
            '"\\u0085"',
            '"x\\ny"',
            r'"..\/..\/x"',
            '"https://films.oss-cn-shanghai.aliyuncs.com//x_{index}.mp4"',
            '"https://films.oss-cn-shanghai.aliyuncs.com/.highlights/jobs/{index}.json"',
            "[]",
            "{}",
            '{"a": 1, "a": 2}',
        ]
    ),
    st.integers(1, 300).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 300).map(lambda n: '{"k":' * n + "0" + "}" * n),
    st.sampled_from([41, 4300, 4301, 6000]).map(lambda n: "-" + "9" * n),
    st.integers(300, 400).map(lambda n: "1" * n + ".0"),
    st.text(max_size=8).map(lambda t: json.dumps(t, ensure_ascii=False)),
)

hostile_bytes = st.one_of(
    st.sampled_from(
        [
            b"[" * 5000,
            b"{" * 5000,
            b'{"a":' * 3000,
            b"\xef\xbb\xbf",
            b"\xff\xfe",
            b"\xed\xa0\x80",
            b"\xc3",
            b"\x00",
            b"/*",
            b"*/",
            b"//",
            b"\n",
            b'"',
            b"\\",
            b'"\\ud83d"',
        ]
    ),
    st.binary(max_size=6),
)


def _with_user_data(doc: dict[str, Any]) -> dict[str, Any]:
    return {**copy.deepcopy(doc), "UserData": {"note": "x", "ids": [1, 2]}}


valid_or_mutated = st.one_of(
    st.sampled_from([_NARRATION, _STORYBOARD]).map(_with_user_data), mutated()
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_or_mutated, hostile_literals, st.data())
def test_hostile_values_at_any_path(doc: dict[str, Any], literal: str, data: st.DataObject) -> None:
    paths = [p for p in _paths(doc) if p]
    if paths:
        path = data.draw(st.sampled_from(paths))
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = "@@hostile@@"
    text = json.dumps(doc if paths else "@@hostile@@", ensure_ascii=data.draw(st.booleans()))
    _check(text.replace('"@@hostile@@"', literal, 1).encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.integers(0, 3000), hostile_bytes, st.booleans())
def test_hostile_bytes_anywhere(doc: dict[str, Any], cut: int, noise: bytes, as_text: bool) -> None:
    data = json.dumps(doc, indent=data_indent(cut)).encode()
    data = data[:cut] + noise + data[cut:]
    _check(data.decode("utf-8", "surrogateescape") if as_text else data)


def data_indent(cut: int) -> int | None:
    return None if cut % 2 else 2


@settings(max_examples=100, deadline=None)
@given(
    mutated(),
    st.lists(
        st.tuples(st.integers(0, 3000), st.sampled_from(["// c\n", "/* c */", "/* a\n b */"])),
        max_size=4,
    ),
)
def test_comments_between_tokens_change_nothing(
    doc: dict[str, Any], comments: list[tuple[int, str]]
) -> None:
    """Comments at whitespace of the text leave the same document (and the same outcome)."""
    text = json.dumps(doc, indent=1)
    gaps = [i for i, c in enumerate(text) if c == "\n"] or [len(text)]
    for gap, comment in sorted(((gaps[at % len(gaps)], c) for at, c in comments), reverse=True):
        text = text[:gap] + comment + text[gap:]
    plain = validate_manifest(json.dumps(doc), region="cn-shanghai")
    commented = validate_manifest(text, region="cn-shanghai")
    assert commented.document == plain.document
    assert [p.path for p in commented.errors] == [p.path for p in plain.errors]
