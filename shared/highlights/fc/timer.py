"""The reconcile function (the timer) and the dead-letter function (where events out of retries go)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from highlights.bootstrap import System
from highlights.fc.events import EventError, decode
from highlights.fc.invocation import invocation

log = logging.getLogger("highlights.fc")


def handle_reconcile(system: System, event: Any, context: Any = None) -> dict[str, Any]:
    from highlights.jobs.reconcile import reconcile

    with invocation(context):
        try:
            trigger = decode(event) if event else {}
        except EventError:
            trigger = {}
        summary = reconcile(system.pipeline).to_dict()
        return {"trigger_time": trigger.get("triggerTime"), **summary}


def handle_dead_letter(system: System, event: Any, context: Any = None) -> dict[str, Any]:
    """The `onFailure` destination of the asynchronous functions: an event Function Compute gave up
    on is kept in the bucket, where a person (and `highlights dead-letters`) will see it."""
    with invocation(context):
        raw = event if isinstance(event, bytes) else json.dumps(event).encode()
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        key = f"{system.layout.dead_letters}{stamp}-{hashlib.sha256(raw).hexdigest()[:12]}.json"
        system.store.put(key, raw)
        log.error("an event ran out of retries; kept at %s", key)
        return {"kept": key}
