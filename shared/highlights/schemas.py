"""JSON Schemas of the documents the project reads and writes, generated from their models."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def _manifest() -> dict[str, Any]:
    from highlights.manifest.models import Manifest

    return Manifest.model_json_schema(by_alias=True, mode="validation")


def _result() -> dict[str, Any]:
    from highlights.jobs.results import ResultManifest

    return ResultManifest.model_json_schema(mode="serialization")


def _rejection() -> dict[str, Any]:
    from highlights.jobs.results import RejectionReport

    return RejectionReport.model_json_schema(mode="serialization")


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "manifest": _manifest,
    "result": _result,
    "rejection": _rejection,
}


def render(name: str) -> str:
    """The schema as checked into `schema/<name>.schema.json`."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **SCHEMAS[name]()}
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
