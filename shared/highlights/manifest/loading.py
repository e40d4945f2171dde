"""Turn a manifest's text into a `Manifest`, or into every error found, never into a traceback."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from highlights.manifest import jsonc, rules
from highlights.manifest.limits import MAX_MANIFEST_BYTES
from highlights.manifest.models import Manifest
from highlights.manifest.problems import Findings, Problem, json_path, shorten


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
    max_bytes: int = MAX_MANIFEST_BYTES,
    reserved_prefixes: Sequence[str] = (),
) -> Validation:
    """Check a manifest (text, bytes or decoded JSON) for the region jobs are submitted in.

    Never raises for any content: every problem is an error at a JSON path.
    `notify_url`, when known, sizes the UserData budget exactly; otherwise the longest allowed
    notify address is assumed. Text above `max_bytes` (HIGHLIGHTS_MAX_MANIFEST_BYTES) is refused
    before it is decoded. Output keys must be keys every store takes and lie under none of
    `reserved_prefixes` (the pipeline's state and inbox prefixes).
    """
    findings = Findings()
    doc, usable = _decode(source, findings, max_bytes)
    if not usable:
        return _outcome(None, findings, doc)
    if not isinstance(doc, dict):
        findings.error(
            "$", "a manifest is a JSON object", '{"InputConfig": ..., "OutputConfig": ...}'
        )
        return _outcome(None, findings, doc)

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
    rules.check(
        doc,
        findings,
        region=region,
        notify_url=notify_url,
        reserved_prefixes=tuple(reserved_prefixes),
    )
    return _outcome(manifest, findings, doc)


def _decode(source: Any, findings: Findings, max_bytes: int) -> tuple[Any, bool]:
    """The document and whether it can go on to the models; problems go to findings."""
    if isinstance(source, dict):
        return source, jsonc.inspect(source, findings)
    if not isinstance(source, str | bytes):
        findings.error("$", f"a manifest is JSON text, not {type(source).__name__}")
        return None, False
    size, exact = _utf8_size(source, max_bytes)
    if size > max_bytes:
        _too_large(findings, size, max_bytes, exact=exact)
        return None, False
    try:
        return jsonc.decode(source, findings)
    except jsonc.DecodeError as exc:
        prefix = "not valid JSON: " if isinstance(exc, jsonc.JsonSyntaxError) else ""
        findings.error("$", prefix + exc.message, line=exc.line, column=exc.column)
        return None, False


def oversized(size: int, max_bytes: int, *, exact: bool = True) -> Validation:
    """The outcome for a manifest of `size` bytes, above `max_bytes`, that was not read whole
    (`exact=False`: at least that many)."""
    findings = Findings()
    _too_large(findings, size, max_bytes, exact=exact)
    return _outcome(None, findings, None)


def _too_large(findings: Findings, size: int, max_bytes: int, *, exact: bool) -> None:
    findings.error(
        "$",
        f"the manifest is {'' if exact else 'at least '}{size:,} bytes; "
        f"at most {max_bytes:,} are accepted",
        f"at most {max_bytes:,} bytes (HIGHLIGHTS_MAX_MANIFEST_BYTES)",
    )


def _utf8_size(text: str | bytes, cap: int) -> tuple[int, bool]:
    """Bytes of text in UTF-8, and whether exactly: text of more characters than `cap` is not
    encoded to count them (each takes a byte at least), nor is ASCII text."""
    if isinstance(text, bytes) or text.isascii():
        return len(text), True
    if len(text) > cap:
        return len(text), False
    return len(text.encode("utf-8", "surrogatepass")), True


def _outcome(manifest: Manifest | None, findings: Findings, doc: Any) -> Validation:
    findings.close()
    if findings.errors:
        manifest = None
    return Validation(manifest, findings.errors, findings.warnings, doc)


def load_manifest(source: str | bytes | dict[str, Any], **kwargs: Any) -> Manifest:
    """Like validate_manifest, but raise ManifestInvalid listing every error."""
    validation = validate_manifest(source, **kwargs)
    if validation.manifest is None:
        raise ManifestInvalid(validation)
    return validation.manifest


_BOUNDS = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "too_long",
        "too_short",
        "string_too_long",
        "string_too_short",
    }
)


def _report(error: Any, findings: Findings) -> None:
    if findings.full:  # only counted from here: skip the wording (difflib, annotations)
        findings.error("$", "")
        return
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        known = _keys_at(loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1])[:200], known, n=1, cutoff=0.6)
        message = f"unknown key {shorten(str(loc[-1]))!r}" + (
            f"; did you mean {hint[0]!r}?" if hint else ""
        )
        findings.error(loc, message, ", ".join(known) if known else None)
        return
    if kind == "missing":
        findings.error(loc, "required")
        return
    if loc and loc[-1] == "[key]":
        key = shorten(str(error["input"]))
        findings.error(loc[:-1], f"{key!r} is not an accepted key", _expected(ctx))
        return
    message = error["msg"].removeprefix("Value error, ")
    accepted = _range_at(loc, kind) if kind in _BOUNDS else None
    findings.error(loc, message, accepted or _expected(ctx))


def _expected(ctx: dict[str, Any]) -> str | None:
    expected = ctx.get("expected")
    return str(expected) if expected else None


def _range_at(loc: tuple[Any, ...], kind: str) -> str | None:
    """The whole accepted range at loc, e.g. "0.5 to 600" (pydantic names only the bound missed)."""
    bounds = _constraints_at(loc)
    if kind.endswith(("too_long", "too_short")):
        low, high = bounds.get("min_length"), bounds.get("max_length")
        unit = "characters" if kind.startswith("string") else "items"
        if low is not None and high is not None:
            return f"{low} to {high} {unit}"
        return f"at most {high} {unit}" if high is not None else f"at least {low} {unit}"
    if "ge" in bounds and "le" in bounds:
        return f"{_number(bounds['ge'])} to {_number(bounds['le'])}"
    parts = [
        f"{sign} {_number(bounds[name])}"
        for name, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"))
        if name in bounds
    ]
    return " and ".join(parts) or None


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _constraints_at(loc: tuple[Any, ...]) -> dict[str, Any]:
    """ge/gt/le/lt/min_length/max_length of the value at loc, from the models' annotations."""
    annotation: Any = Manifest
    metadata: list[Any] = []
    for part in loc:
        annotation = _optional(annotation)
        if isinstance(part, int) or _holds_dict(annotation):
            while typing.get_origin(annotation) is typing.Annotated:
                annotation = typing.get_args(annotation)[0]
            args = typing.get_args(annotation)
            if not args:
                return {}
            annotation, metadata = args[-1], []
            continue
        model = _unwrap(annotation)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return {}
        fields = {f.alias or name: f for name, f in model.model_fields.items()}
        if part not in fields:
            return {}
        annotation, metadata = fields[part].annotation, list(fields[part].metadata)
    annotation = _optional(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        metadata = [*typing.get_args(annotation)[1:], *metadata]
    found: dict[str, Any] = {}
    for item in [m for entry in metadata for m in (*getattr(entry, "metadata", ()), entry)]:
        for name in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            value = getattr(item, name, None)
            if value is not None:
                found[name] = value
    return found


def _optional(annotation: Any) -> Any:
    """`X | None` → X."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


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


__all__ = [
    "ManifestInvalid",
    "Validation",
    "json_path",
    "load_manifest",
    "oversized",
    "validate_manifest",
]
