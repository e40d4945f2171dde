"""Decoding the events Function Compute hands the submit function, into manifest versions to accept."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class EventError(ValueError):
    """The event is not one this function understands; retrying will not help."""


@dataclass(frozen=True)
class ObjectCreated:
    """One object-created notification: from an OSS trigger or through EventBridge."""

    bucket: str
    key: str
    etag: str
    event_name: str


@dataclass(frozen=True)
class DirectSubmit:
    """An upstream system handing over a manifest in the invocation itself."""

    manifest: dict[str, Any]
    name: str | None


def decode(event: bytes | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(event, dict):
        return event
    try:
        value = json.loads(event)
    except (ValueError, UnicodeDecodeError, TypeError) as exc:
        raise EventError(f"the event is not JSON: {exc}") from None
    except RecursionError:
        raise EventError("the event is nested too deeply") from None
    if not isinstance(value, dict):
        raise EventError("the event is not a JSON object")
    return value


def submit_events(event: bytes | str | dict[str, Any]) -> list[ObjectCreated] | DirectSubmit:
    """OSS trigger (`{"events": [...]}`), EventBridge (CloudEvents, source `acs.oss`), or direct."""
    body = decode(event)
    if isinstance(body.get("events"), list):
        return [_oss_record(item, f"events[{i}]") for i, item in enumerate(body["events"])]
    if body.get("source") == "acs.oss" and isinstance(body.get("data"), dict):
        name = str(body.get("type", "")).removeprefix("oss:")
        return [
            _oss_record({**body["data"], "eventName": body["data"].get("eventName", name)}, "data")
        ]
    if "manifest" in body:
        manifest = body["manifest"]
        if not isinstance(manifest, dict):
            raise EventError("'manifest' must be a JSON object (the manifest itself)")
        given = body.get("name")
        if given is not None and not isinstance(given, str):
            raise EventError("'name' must be a string")
        return DirectSubmit(manifest, given)
    raise EventError(
        "unknown event: expected an OSS trigger event, an EventBridge OSS event, "
        'or {"manifest": {...}, "name": "..."}'
    )


def _oss_record(item: Any, where: str) -> ObjectCreated:
    try:
        oss = item["oss"]
        return ObjectCreated(
            bucket=str(oss["bucket"]["name"]),
            key=str(oss["object"]["key"]),
            etag=str(oss["object"].get("eTag") or oss["object"].get("etag") or ""),
            event_name=str(item.get("eventName", "")),
        )
    except (KeyError, TypeError, AttributeError):
        raise EventError(
            f"{where}: not an OSS object event (needs oss.bucket.name, oss.object.key)"
        ) from None
