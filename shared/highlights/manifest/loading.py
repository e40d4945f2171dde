"""Turn a manifest's text into a `Manifest`, or into every error found, never into a traceback."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from highlights.manifest import jsonc, rules
from highlights.manifest.models import Manifest
from highlights.manifest.problems import Findings, Problem, json_path


@dataclass
class Validation:
    """The outcome of checking one manifest."""

    manifest: Manifest | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    document: Any = None  # the decoded JSON, when it decoded

    @property
    def ok(self) -> bool:
        return self.manifest is not None and not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.ok,
            "mode": self.manifest.mode if self.manifest else None,
            "errors": [p.to_dict() for p in self.errors],
            "warnings": [p.to_dict() for p in self.warnings],
        }


class ManifestInvalid(ValueError):
    def __init__(self, validation: Validation) -> None:
        self.validation = validation
        lines = [str(p) for p in validation.errors]
        super().__init__(f"{len(lines)} problem(s):\n  " + "\n  ".join(lines))


def validate_manifest(
    source: str | bytes | dict[str, Any],
    *,
    region: str | None = None,
    notify_url: str | None = None,
) -> Validation:
    """Check a manifest (text, bytes or decoded JSON) for the region jobs are submitted in.

    `notify_url`, when known, sizes the UserData budget exactly; otherwise the longest allowed
    notify address is assumed.
    """
    findings = Findings()
    if isinstance(source, dict):
        doc: Any = source
    else:
        try:
            doc = jsonc.loads(source, findings)
        except jsonc.JsonSyntaxError as exc:
            findings.error("$", f"not valid JSON: {exc.message}", line=exc.line, column=exc.column)
            return Validation(None, findings.errors, findings.warnings)
    if not isinstance(doc, dict):
        findings.error(
            "$", "a manifest is a JSON object", '{"InputConfig": ..., "OutputConfig": ...}'
        )
        return Validation(None, findings.errors, findings.warnings, doc)

    inputs = doc.get("InputConfig")
    if isinstance(inputs, dict) and "Sticker" in inputs:
        findings.warn(
            "InputConfig.Sticker",
            "the single Sticker is a legacy field; it was added to StickerArray",
            "StickerArray",
        )
    manifest: Manifest | None = None
    try:
        manifest = Manifest.model_validate(doc)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            _report(error, findings)
    rules.check(doc, findings, region=region, notify_url=notify_url)
    if findings.errors:
        manifest = None
    return Validation(manifest, findings.errors, findings.warnings, doc)


def load_manifest(source: str | bytes | dict[str, Any], **kwargs: Any) -> Manifest:
    """Like validate_manifest, but raise ManifestInvalid listing every error."""
    validation = validate_manifest(source, **kwargs)
    if validation.manifest is None:
        raise ManifestInvalid(validation)
    return validation.manifest


def _report(error: Any, findings: Findings) -> None:
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        known = _keys_at(loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        message = f"unknown key {loc[-1]!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
        findings.error(loc, message, ", ".join(known) if known else None)
        return
    if kind == "missing":
        findings.error(loc, "required")
        return
    if loc and loc[-1] == "[key]":
        findings.error(loc[:-1], f"{error['input']!r} is not an accepted key", _expected(ctx))
        return
    message = error["msg"].removeprefix("Value error, ")
    findings.error(loc, message, _expected(ctx))


def _expected(ctx: dict[str, Any]) -> str | None:
    expected = ctx.get("expected")
    return str(expected) if expected else None


def _keys_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys the model accepts at loc (pydantic reports a key it refused, not what it wanted)."""
    annotation: Any = Manifest
    for part in loc:
        if isinstance(part, int) or _holds_dict(annotation):
            annotation = _unwrap(annotation)  # part is a list index or a dict key
            continue
        model = _unwrap(annotation)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        fields = {f.alias or name: f for name, f in model.model_fields.items()}
        if part not in fields:
            return []
        annotation = fields[part].annotation
    model = _unwrap(annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or n for n, f in model.model_fields.items() if not f.deprecated]
    return []


def _unwrap(annotation: Any) -> Any:
    """`list[X] | None` → X, `dict[K, X]` → X, `Annotated[X, ...]` → X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        elif origin in (list, dict, typing.Annotated):
            annotation = typing.get_args(annotation)[-1 if origin is dict else 0]
        else:
            return annotation


def _holds_dict(annotation: Any) -> bool:
    while typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0]
    return typing.get_origin(annotation) is dict


__all__ = ["ManifestInvalid", "Validation", "json_path", "load_manifest", "validate_manifest"]
