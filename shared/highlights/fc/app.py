"""Function Compute's entry points: each builds the instance's system once (the only state a module
keeps) and hands the event to its handler body. `functions/*/index.py` call these."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from highlights.bootstrap import System, build
from highlights.config import Settings
from highlights.credentials import for_invocation
from highlights.fc.callback import handle_callback, warm_up_producer
from highlights.fc.invocation import json_logs
from highlights.fc.submit import handle_submit
from highlights.fc.timer import handle_dead_letter, handle_reconcile

json_logs()  # this module is what Function Compute imports: its logs are JSON lines from here on

_instance: System | None = None
_lock = threading.Lock()


def system() -> System:
    """This instance's system, built from the environment on first use."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = build(Settings.from_env())
        return _instance


@contextlib.contextmanager
def installed(replacement: System) -> Iterator[System]:
    """Serve the entry points from another system for a while (tests)."""
    global _instance
    with _lock:
        previous, _instance = _instance, replacement
    try:
        yield replacement
    finally:
        with _lock:
            _instance = previous


def reset() -> None:
    """Forget the instance's system: the next invocation builds it from the environment again."""
    global _instance
    with _lock:
        _instance = None


def submit(event: Any, context: Any = None) -> dict[str, Any]:
    return handle_submit(system(), event, context)


def callback(event: Any, context: Any = None) -> dict[str, Any]:
    entered = time.monotonic()  # ICE's clock is running: a cold start's build counts
    return handle_callback(system(), event, context, entered=entered)


def reconcile(event: Any, context: Any = None) -> dict[str, Any]:
    return handle_reconcile(system(), event, context)


def dead_letter(event: Any, context: Any = None) -> dict[str, Any]:
    return handle_dead_letter(system(), event, context)


def initialize(context: Any = None) -> None:
    """Function Compute's initializer hook: build the adapters (and import the SDKs) before the
    first request, so a provisioned or pre-started instance answers ICE's callback at once."""
    with for_invocation(context):
        done = warm_up_producer(system())
        if done is not None:
            done.wait(30)


__all__ = [
    "callback",
    "dead_letter",
    "initialize",
    "installed",
    "reconcile",
    "reset",
    "submit",
    "system",
]
