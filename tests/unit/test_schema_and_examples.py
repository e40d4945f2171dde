"""The checked-in JSON Schemas match the models, and the examples validate against both."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from highlights.manifest import validate_manifest
from highlights.manifest.jsonc import strip_comments
from highlights.schemas import SCHEMAS, render

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_checked_in_schema_is_current(name: str) -> None:
    path = ROOT / "schema" / f"{name}.schema.json"
    assert path.read_text(encoding="utf-8") == render(name), (
        "run `make schema` and commit the result"
    )


def test_examples_cover_every_mode_and_shot_mode() -> None:
    modes = set()
    for path in EXAMPLES:
        manifest = validate_manifest(path.read_bytes(), region="cn-shanghai").manifest
        assert manifest is not None, path
        shots = manifest.input_config.scene_info.shot_info
        for shot in shots.shot_scripts if shots else []:
            modes.add("text" if shot.script_text else "manual")
            if shot.speech_text is None:
                modes.add("source-sound shot")
        modes.add(manifest.mode)
    assert modes == {"global_narration", "storyboard", "text", "manual", "source-sound shot"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_valid(path: Path) -> None:
    validation = validate_manifest(path.read_bytes(), region="cn-shanghai")
    assert validation.ok, [str(e) for e in validation.errors]
    assert not validation.warnings
    schema = json.loads((ROOT / "schema" / "manifest.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(strip_comments(path.read_text(encoding="utf-8"))), schema)
