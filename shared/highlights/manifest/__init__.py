"""The manifest contract: models, loading, rules and the JSON Schema.

from highlights.manifest import validate_manifest
validation = validate_manifest(text, region="cn-shanghai")
"""

from highlights.manifest.loading import (
    ManifestInvalid,
    Validation,
    load_manifest,
    validate_manifest,
)
from highlights.manifest.models import EditingConfig, InputConfig, Manifest, OutputConfig
from highlights.manifest.problems import Problem

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
