"""The bodies of the three Function Compute handlers: decode the platform event, call a use case,
encode the answer. The pipeline is built once per instance, on first use."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger

from highlights.config import Settings
from highlights.fc import callback as cb
from highlights.fc.events import DirectSubmit, EventError, ObjectCreated, decode, submit_events
from highlights.jobs.identity import ManifestRef
from highlights.jobs.pipeline import Pipeline
from highlights.ports import AlreadyExists, TransientError

logger = Logger(service="highlights")
log = logging.getLogger("highlights.fc")

_cache: dict[str, Any] = {}


def settings() -> Settings:
    if "settings" not in _cache:
        _cache["settings"] = Settings.from_env()
    return _cache["settings"]


def pipeline() -> Pipeline:
    if "pipeline" not in _cache:
        from highlights.wiring import build_pipeline

        _cache["pipeline"] = build_pipeline(settings())
    return _cache["pipeline"]


def reset() -> None:
    """Forget the cached settings and pipeline (tests, and `highlights serve` reloading)."""
    _cache.clear()


def _request_id(context: Any) -> str | None:
    return getattr(context, "request_id", None) or getattr(context, "requestId", None)


# ---------------------------------------------------------------- submit


def submit(event: Any, context: Any = None) -> dict[str, Any]:
    from highlights.jobs.accept import accept

    logger.append_keys(request_id=_request_id(context))
    try:
        decoded = submit_events(event)
    except EventError as exc:
        # Retrying a malformed event cannot help: answer, do not raise.
        log.error("submit: %s", exc)
        return {"accepted": [], "skipped": [], "error": str(exc)}
    p = pipeline()
    if isinstance(decoded, DirectSubmit):
        refs = [_write_direct(p, decoded)]
        skipped: list[dict[str, str]] = []
    else:
        refs, skipped = _manifest_refs(p, decoded)
    accepted = []
    for ref in refs:
        outcome = accept(p, ref)  # TransientError propagates: Function Compute retries the event
        accepted.append(
            {"job_id": outcome.job_id, "state": outcome.state.value, "duplicate": outcome.duplicate}
        )
    return {"accepted": accepted, "skipped": skipped}


def _manifest_refs(
    p: Pipeline, events: list[ObjectCreated]
) -> tuple[list[ManifestRef], list[dict[str, str]]]:
    refs, skipped = [], []
    for item in events:
        key = _resolve_key(p, item.key)
        if not item.event_name.startswith("ObjectCreated"):
            reason = f"event {item.event_name!r} is not an object creation"
        elif not p.layout.is_manifest(key):
            reason = f"not a manifest: outside {p.layout.inbox!r} or not .json"
        else:
            refs.append(ManifestRef(item.bucket, key, item.etag))
            continue
        log.info("submit: skipped %s: %s", key, reason, extra={"manifest_key": key})
        skipped.append({"key": key, "reason": reason})
    return refs, skipped


def _resolve_key(p: Pipeline, key: str) -> str:
    """OSS may deliver keys URL-encoded; a key that does not exist as given is tried decoded."""
    decoded = unquote_plus(key)
    if decoded == key or p.store.exists(key):
        return key
    return decoded


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


# ---------------------------------------------------------------- callback


def callback(event: Any, context: Any = None) -> dict[str, Any]:
    from highlights.jobs.observe import observe

    logger.append_keys(request_id=_request_id(context))
    try:
        request = cb.http_request(decode(event))
    except (EventError, ValueError) as exc:
        return _http(400, {"error": f"not an HTTP trigger event: {exc}"})
    conf = settings()
    job_hint = request.query.get("job")
    urls = [
        u for u in (conf.callback_url, pipeline().notify_url(job_hint) if job_hint else None) if u
    ]
    if not conf.callback_keys or not cb.verify(
        urls,
        request.header("x-ice-timestamp"),
        request.header("x-ice-signature"),
        conf.callback_keys,
        time.time(),
    ):
        log.warning("callback: bad or missing signature")
        return _http(401, {"error": "bad or missing X-ICE-SIGNATURE"})
    try:
        notice = cb.parse_notice(request.body, request.query)
    except ValueError as exc:
        return _http(400, {"error": f"malformed body: {exc}"})
    if notice.event_type != cb.COMPLETE_EVENT or not notice.job_id:
        log.info("callback: ignored %s", notice.event_type, extra={"ice_job_id": notice.ice_job_id})
        return _http(200, {"ignored": notice.event_type})
    try:
        record = observe(pipeline(), notice.job_id)
    except TransientError as exc:
        log.warning("callback: observe deferred: %s", exc.code, extra={"job_id": notice.job_id})
        return _http(503, {"error": "try again", "code": exc.code})
    if record is None:
        return _http(200, {"job_id": notice.job_id, "known": False})
    return _http(200, {"job_id": record.job_id, "state": record.state.value})


def _http(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "isBase64Encoded": False,
        "body": json.dumps(body),
    }


# ---------------------------------------------------------------- reconcile


def reconcile(event: Any, context: Any = None) -> dict[str, Any]:
    from highlights.jobs.reconcile import reconcile as tick

    logger.append_keys(request_id=_request_id(context))
    try:
        trigger = decode(event) if event else {}
    except EventError:
        trigger = {}
    summary = tick(pipeline()).to_dict()
    return {"trigger_time": trigger.get("triggerTime"), **summary}


# ---------------------------------------------------------------- initializer


def initialize(context: Any = None) -> None:
    """Function Compute's initializer hook: build the adapters (and import the SDKs) before the
    first request, so a provisioned or pre-started instance answers ICE's callback at once."""
    producer = pipeline().producer
    warm_up = getattr(producer, "warm_up", None)
    if callable(warm_up):
        warm_up()


# ---------------------------------------------------------------- dead letters


def dead_letter(event: Any, context: Any = None) -> dict[str, Any]:
    """The `onFailure` destination of the asynchronous functions: an event Function Compute gave up
    on is kept in the bucket, where a person (and `highlights dead-letters`) will see it."""
    logger.append_keys(request_id=_request_id(context))
    raw = event if isinstance(event, bytes) else json.dumps(event).encode()
    p = pipeline()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    key = f"{p.layout.dead_letters}{stamp}-{hashlib.sha256(raw).hexdigest()[:12]}.json"
    p.store.put(key, raw)
    log.error("an event ran out of retries; kept at %s", key)
    return {"kept": key}


__all__ = ["callback", "dead_letter", "pipeline", "reconcile", "reset", "settings", "submit"]
