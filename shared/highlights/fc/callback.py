"""The callback function: ICE's completion notice, answered inside ICE's 3-second window.

A callback is a doorbell: it proves itself (highlights.callback_auth), makes its job due at once,
and reads the job from ICE only with the time that remains; the timer does the rest.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from contextvars import copy_context
from typing import Any

from highlights import budget
from highlights.bootstrap import System
from highlights.callback_auth import authentic
from highlights.fc.events import EventError, decode
from highlights.fc.http import COMPLETE_EVENT, http_request, parse_notice
from highlights.fc.invocation import invocation
from highlights.jobs.identity import is_job_id
from highlights.ports import HighlightsError

log = logging.getLogger("highlights.fc")

# ICE counts a callback only when answered 200 within 3 s (then retries twice, then drops it).
# One ICE or OSS request of the callback may take this long: in the region they answer in tens of
# milliseconds, and a slower one is left to the timer rather than eating ICE's window.
CALLBACK_ATTEMPT_SECONDS = 0.5


def handle_callback(
    system: System, event: Any, context: Any = None, *, entered: float | None = None
) -> dict[str, Any]:
    """Verify, ring the job's doorbell, answer 200; read the job from ICE only with the time that
    remains of the deadline (HIGHLIGHTS_CALLBACK_DEADLINE, from entry). Whatever is not done in
    time the next tick does: a verified callback is never answered with an error because ICE or
    OSS is slow."""
    entered = time.monotonic() if entered is None else entered  # building the system counts
    with invocation(context, bounded=False):  # its deadline is ICE's window, not the timeout
        return _callback(system, event, entered)


def _callback(system: System, event: Any, entered: float) -> dict[str, Any]:
    try:
        request = http_request(decode(event))
    except (EventError, ValueError) as exc:
        return _http(400, {"error": f"not an HTTP trigger event: {exc}"})
    conf = system.settings
    if not conf.callback_keys:
        log.warning("callback: no HIGHLIGHTS_CALLBACK_KEYS, every callback is refused")
        return _http(401, {"error": "callbacks are not configured"})
    warm = warm_up_producer(system)  # the SDK's import overlaps the checks and the doorbell
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
        notice = parse_notice(request.body, request.query)
    except ValueError as exc:
        return _http(400, {"error": f"malformed body: {exc}"})
    if notice.event_type != COMPLETE_EVENT or not notice.job_id:
        log.info(
            "callback: ignored %s",
            notice.event_type,
            extra={"producer_job_id": notice.producer_job_id},
        )
        return _http(200, {"ignored": notice.event_type})
    left = conf.callback_deadline - (time.monotonic() - entered)
    with budget.budget(left, attempts=1, attempt_seconds=CALLBACK_ATTEMPT_SECONDS):
        return _http(200, _answer(system, notice.job_id, warm))


def _answer(system: System, job_id: str, warm: threading.Event | None) -> dict[str, Any]:
    from highlights.jobs.observe import observe

    fields = {"job_id": job_id}
    if not is_job_id(job_id):
        return {"job_id": job_id[:80], "known": False}  # no key is made of what is not a job id
    p = system.pipeline
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


def warm_up_producer(system: System) -> threading.Event | None:
    """Import the producer's SDK and build its client in a thread, so that it overlaps the work
    the callback does anyway; None when there is nothing to warm. Once per system."""
    warm_up = getattr(system.producer, "warm_up", None)
    if not callable(warm_up):
        return None
    with system.warm_lock:
        done = system.warm
        if done is None:
            done = system.warm = threading.Event()
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


def _http(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "isBase64Encoded": False,
        "body": json.dumps(body),
    }
