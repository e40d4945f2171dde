"""The submit function: OSS trigger, EventBridge and direct events, into accepted manifest versions."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from highlights.bootstrap import System
from highlights.fc.events import DirectSubmit, EventError, ObjectCreated, submit_events
from highlights.fc.invocation import invocation
from highlights.jobs.identity import ManifestRef
from highlights.jobs.pipeline import Pipeline
from highlights.ports import AlreadyExists, UnsafeKey

log = logging.getLogger("highlights.fc")


def handle_submit(system: System, event: Any, context: Any = None) -> dict[str, Any]:
    with invocation(context):
        # A folder stands for any bucket (URLs of any bucket map into it); OSS is one bucket.
        return _submit(system.pipeline, event, one_bucket=system.settings.bucket is not None)


def _submit(p: Pipeline, event: Any, *, one_bucket: bool = True) -> dict[str, Any]:
    from highlights.jobs.accept import accept

    try:
        decoded = submit_events(event)
    except EventError as exc:
        # Retrying a malformed event cannot help: answer, do not raise.
        log.error("submit: %s", exc)
        return {"accepted": [], "skipped": [], "error": str(exc)}
    if isinstance(decoded, DirectSubmit):
        refs = [_write_direct(p, decoded)]
        skipped: list[dict[str, str]] = []
    else:
        refs, skipped = _manifest_refs(p, decoded, one_bucket=one_bucket)
    accepted = []
    for ref in refs:
        outcome = accept(p, ref)  # TransientError propagates: Function Compute retries the event
        accepted.append(
            {"job_id": outcome.job_id, "state": outcome.state.value, "duplicate": outcome.duplicate}
        )
    return {"accepted": accepted, "skipped": skipped}


def _manifest_refs(
    p: Pipeline, events: list[ObjectCreated], *, one_bucket: bool = True
) -> tuple[list[ManifestRef], list[dict[str, str]]]:
    """Manifest versions, identified by the store's own bucket whatever the event says (so the
    trigger and the sweep agree on a job id); with one_bucket (OSS), another bucket's events are
    skipped."""
    refs, skipped = [], []
    for item in events:
        if one_bucket and item.bucket != p.store.bucket:
            # the store could not read it anyway, and its name would make a second identity
            reason = f"event for bucket {item.bucket!r}; this function serves {p.store.bucket!r}"
            log.warning("submit: skipped %s: %s", item.key, reason)
            skipped.append({"key": item.key, "reason": reason})
            continue
        key = _resolve_key(p, item.key)
        if key is None:
            reason = "the store cannot hold this key (empty, '.'/'..' segments, too long…)"
            key = item.key
        elif not item.event_name.startswith("ObjectCreated"):
            reason = f"event {item.event_name!r} is not an object creation"
        elif not p.layout.is_manifest(key):
            reason = f"not a manifest: outside {p.layout.inbox!r} or not .json"
        else:
            refs.append(ManifestRef(p.store.bucket, key, item.etag))
            continue
        log.info("submit: skipped %s: %s", key, reason, extra={"manifest_key": key})
        skipped.append({"key": key, "reason": reason})
    return refs, skipped


def _resolve_key(p: Pipeline, key: str) -> str | None:
    """OSS may deliver keys URL-encoded: a key that does not exist as given is tried decoded.
    None when the store refuses the key either way (so no job is started that could never read
    its manifest)."""
    decoded = unquote_plus(key)
    for candidate in (key, decoded) if decoded != key else (key,):
        try:
            if p.store.exists(candidate) or candidate == decoded:
                return candidate
        except UnsafeKey:
            continue
    return None


_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _write_direct(p: Pipeline, direct: DirectSubmit) -> ManifestRef:
    """Write the manifest into the inbox first: durable, traceable, and swept if this run dies."""
    data = json.dumps(direct.manifest, ensure_ascii=False, indent=2).encode()
    digest = hashlib.sha256(data).hexdigest()[:12]
    name = _NAME.sub("-", direct.name or "").strip("-.")[:80] or f"manifest-{digest}"
    key = f"{p.layout.inbox}direct/{name.removesuffix('.json')}.json"
    try:
        stored = p.store.put(key, data, create_only=True)
    except AlreadyExists:
        stored = p.store.head(key)
        if p.store.get(key) != data:
            raise EventError(
                f"{key} already holds a different manifest; choose another name"
            ) from None
    return ManifestRef(p.store.bucket, key, stored.etag)
