"""The manifest contract: models, loading, rules and the JSON Schema.

    from highlights.manifest import validate_manifest
    validation = validate_manifest(text, region="cn-shanghai")

Names are imported on first use, so importing a light submodule (the vocabularies, say) does not
pay for pydantic and the models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "EditingConfig": "highlights.manifest.models",
    "InputConfig": "highlights.manifest.models",
    "Manifest": "highlights.manifest.models",
    "OutputConfig": "highlights.manifest.models",
    "ManifestInvalid": "highlights.manifest.loading",
    "Validation": "highlights.manifest.loading",
    "load_manifest": "highlights.manifest.loading",
    "validate_manifest": "highlights.manifest.loading",
    "Problem": "highlights.manifest.problems",
}

if TYPE_CHECKING:
    from highlights.manifest.loading import (
        ManifestInvalid,
        Validation,
        load_manifest,
        validate_manifest,
    )
    from highlights.manifest.models import EditingConfig, InputConfig, Manifest, OutputConfig
    from highlights.manifest.problems import Problem


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'highlights.manifest' has no attribute {name!r}")


__all__ = [
    "EditingConfig",
    "InputConfig",
    "Manifest",
    "ManifestInvalid",
    "OutputConfig",
    "Problem",
    "Validation",
    "load_manifest",
    "validate_manifest",
]
