"""JSON Schemas of the documents the project reads and writes, generated from their models."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def _manifest() -> dict[str, Any]:
    from highlights.manifest.models import Manifest

    return Manifest.model_json_schema(by_alias=True, mode="validation")


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {"manifest": _manifest}


def render(name: str) -> str:
    """The schema as checked into `schema/<name>.schema.json`."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **SCHEMAS[name]()}
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
