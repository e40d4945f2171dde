"""Whatever a manifest holds, loading ends in a model or a list of errors, never an exception."""

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
    validation = validate_manifest(source, region="cn-shanghai")
    assert (validation.manifest is None) == bool(validation.errors)
    for problem in validation.errors:
        assert problem.path and problem.message
    if validation.manifest is not None:
        validation.manifest.to_wire()


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
