"""The bodies of the Function Compute handlers: decode the platform event, call a use case,
encode the answer. The pipeline is built once per instance, on first use.

Every invocation signs its requests with the credentials it was given (highlights.credentials) and
works inside a time budget taken from the platform (highlights.budget): the function's timeout for
the asynchronous ones, ICE's 3-second window for the callback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextvars import copy_context
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger

from highlights import budget
from highlights.callback_auth import authentic
from highlights.config import Settings
from highlights.credentials import for_invocation
from highlights.fc import callback as cb
from highlights.fc.events import DirectSubmit, EventError, ObjectCreated, decode, submit_events
from highlights.jobs.identity import ManifestRef
from highlights.jobs.pipeline import Pipeline
from highlights.ports import AlreadyExists, HighlightsError, UnsafeKey

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


# What an asynchronous invocation keeps back from its function's timeout, to log and answer.
TIMEOUT_MARGIN = 2.0
TIMEOUT_SHARE = 0.1


def function_timeout(context: Any) -> float | None:
    """The invocation's function timeout in seconds (`context.function.timeout`), if known."""
    function = getattr(context, "function", None)
    value = (
        function.get("timeout")
        if isinstance(function, dict)
        else getattr(function, "timeout", None)
    )
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


@contextlib.contextmanager
def _invocation(context: Any) -> Iterator[None]:
    """Request id in the logs, the invocation's credentials, and a budget inside the timeout."""
    logger.append_keys(request_id=_request_id(context))
    timeout = function_timeout(context)
    with for_invocation(context), contextlib.ExitStack() as stack:
        if timeout is not None:
            margin = max(TIMEOUT_MARGIN, timeout * TIMEOUT_SHARE)
            stack.enter_context(budget.budget(max(timeout - margin, timeout / 2)))
        yield


# ---------------------------------------------------------------- submit


def submit(event: Any, context: Any = None) -> dict[str, Any]:
    with _invocation(context):
        return _submit(event)


def _submit(event: Any) -> dict[str, Any]:
    from highlights.jobs.accept import accept

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
        if item.bucket != p.store.bucket:
            # A job's identity is made of the configured bucket: another's name would give the
            # same manifest a second id (and the store could not read it anyway).
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
            refs.append(ManifestRef(item.bucket, key, item.etag))
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


# ---------------------------------------------------------------- callback

# ICE counts a callback only when answered 200 within 3 s (then retries twice, then drops it).
# One ICE or OSS request of the callback may take this long: in the region they answer in tens of
# milliseconds, and a slower one is left to the timer rather than eating ICE's window.
CALLBACK_ATTEMPT_SECONDS = 0.5


def callback(event: Any, context: Any = None) -> dict[str, Any]:
    """Verify, ring the job's doorbell, answer 200; read the job from ICE only with the time that
    remains of the deadline (HIGHLIGHTS_CALLBACK_DEADLINE, from entry). Whatever is not done in
    time the next tick does: a verified callback is never answered with an error because ICE or
    OSS is slow."""
    entered = time.monotonic()
    logger.append_keys(request_id=_request_id(context))
    with for_invocation(context):
        return _callback(event, entered)


def _callback(event: Any, entered: float) -> dict[str, Any]:
    try:
        request = cb.http_request(decode(event))
    except (EventError, ValueError) as exc:
        return _http(400, {"error": f"not an HTTP trigger event: {exc}"})
    conf = settings()
    if not conf.callback_keys:
        log.warning("callback: no HIGHLIGHTS_CALLBACK_KEYS, every callback is refused")
        return _http(401, {"error": "callbacks are not configured"})
    warm = _warm_up_producer()  # the SDK's import overlaps the checks and the doorbell
    if not authentic(
        request.query,
        request.header,
        keys=conf.callback_keys,
        callback_url=conf.callback_url,
        now=time.time(),
    ):
        log.warning("callback: no valid token or signature")
        return _http(401, {"error": "bad or missing job token or X-ICE-SIGNATURE"})
    try:
        notice = cb.parse_notice(request.body, request.query)
    except ValueError as exc:
        return _http(400, {"error": f"malformed body: {exc}"})
    if notice.event_type != cb.COMPLETE_EVENT or not notice.job_id:
        log.info("callback: ignored %s", notice.event_type, extra={"ice_job_id": notice.ice_job_id})
        return _http(200, {"ignored": notice.event_type})
    left = conf.callback_deadline - (time.monotonic() - entered)
    with budget.budget(left, attempts=1, attempt_seconds=CALLBACK_ATTEMPT_SECONDS):
        return _http(200, _answer(notice.job_id, warm))


def _answer(job_id: str, warm: threading.Event | None) -> dict[str, Any]:
    from highlights.jobs.observe import observe

    fields = {"job_id": job_id}
    p = pipeline()
    try:
        bell: str | None = p.ring(job_id)
    except HighlightsError as exc:
        # The job's own marker still brings the timer to it, on its back-off schedule.
        log.warning("callback: doorbell not written: %s", getattr(exc, "code", exc), extra=fields)
        bell = None
    left = budget.remaining() or 0.0
    if warm is not None and not warm.wait(max(0.0, left - CALLBACK_ATTEMPT_SECONDS / 2)):
        return {"job_id": job_id, "queued": True}  # no time left to read the job: the timer will
    try:
        record = observe(p, job_id)
    except HighlightsError as exc:
        log.warning("callback: left to the timer: %s", getattr(exc, "code", exc), extra=fields)
        return {"job_id": job_id, "queued": True}
    if record is None:
        return {"job_id": job_id, "known": False}
    if bell is not None and record.state.terminal:
        with contextlib.suppress(HighlightsError):
            p.store.delete(bell)
    return {"job_id": record.job_id, "state": record.state.value}


def _warm_up_producer() -> threading.Event | None:
    """Import the producer's SDK and build its client in a thread, so that it overlaps the work
    the callback does anyway; None when there is nothing to warm (or it is done)."""
    warm_up = getattr(pipeline().producer, "warm_up", None)
    if not callable(warm_up):
        return None
    with _WARM_LOCK:
        done = _cache.get("warm")
        if done is None:
            done = _cache["warm"] = threading.Event()
            context = copy_context()  # the invocation's credentials

            def run() -> None:
                try:
                    context.run(warm_up)
                except Exception:  # the call itself will say what is wrong
                    log.debug("warm-up failed", exc_info=True)
                finally:
                    done.set()

            threading.Thread(target=run, name="producer-warm-up", daemon=True).start()
    return done


_WARM_LOCK = threading.Lock()


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

    with _invocation(context):
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
    with for_invocation(context):
        done = _warm_up_producer()
        if done is not None:
            done.wait(30)


# ---------------------------------------------------------------- dead letters


def dead_letter(event: Any, context: Any = None) -> dict[str, Any]:
    """The `onFailure` destination of the asynchronous functions: an event Function Compute gave up
    on is kept in the bucket, where a person (and `highlights dead-letters`) will see it."""
    with _invocation(context):
        return _dead_letter(event)


def _dead_letter(event: Any) -> dict[str, Any]:
    raw = event if isinstance(event, bytes) else json.dumps(event).encode()
    p = pipeline()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    key = f"{p.layout.dead_letters}{stamp}-{hashlib.sha256(raw).hexdigest()[:12]}.json"
    p.store.put(key, raw)
    log.error("an event ran out of retries; kept at %s", key)
    return {"kept": key}


__all__ = ["callback", "dead_letter", "pipeline", "reconcile", "reset", "settings", "submit"]
