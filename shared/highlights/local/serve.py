"""`highlights serve`: Function Compute's stand-in on a folder, until Ctrl-C."""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone
from typing import Any, TextIO

from highlights.config import Settings
from highlights.local.platform import LocalPlatform, PortBusy
from highlights.local.run import engine_lock


def serve(
    settings: Settings,
    *,
    port: int = 8790,
    interval: float = 1.0,
    reconcile_every: float = 15.0,
    out: TextIO = sys.stdout,
    stop: threading.Event | None = None,
    renderer: Any = None,
) -> int:
    """Until Ctrl-C (or `stop` is set)."""
    platform = LocalPlatform(settings, port=port, renderer=renderer)
    lock = engine_lock(platform, "serve", port)
    if lock is None:
        return 2
    try:
        url = platform.start()
    except PortBusy as exc:
        lock.release()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    producer = platform.pipeline.producer
    resumed = producer.resume(force=True) if hasattr(producer, "resume") else []
    inbox = platform.root / platform.layout.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    print(f"serving {platform.root}", file=out)
    print(f"  inbox     {inbox}  (drop manifests here)", file=out)
    print(f"  callback  {url}", file=out)
    print(f"  dashboard {platform.dashboard_url}", file=out)
    if resumed:
        print(f"  resumed   {', '.join(resumed)}", file=out)
    stop = stop or threading.Event()

    def on_event(key: str, answer: dict[str, Any]) -> None:
        for item in answer.get("accepted", []):
            note = " (already known)" if item["duplicate"] else ""
            print(
                f"{_now()}  {key}: job {item['job_id']} {item['state']}{note}", file=out, flush=True
            )

    try:
        platform.watch(stop, interval=interval, reconcile_every=reconcile_every, on_event=on_event)
    except KeyboardInterrupt:
        print("stopping: an unfinished render resumes at the next start", file=out)
    finally:
        stop.set()
        platform.stop()
        lock.release()
    return 0


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%H:%M:%S")
