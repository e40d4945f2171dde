"""`highlights serve`: Function Compute's stand-in on a folder, until Ctrl-C."""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any, TextIO

from highlights.config import Settings
from highlights.jobs.states import JobState
from highlights.local.console import Console, Progress, console_for
from highlights.local.platform import LocalPlatform, PortBusy
from highlights.local.run import engine_lock, progress_of, report
from highlights.ports import NotFound

log = logging.getLogger(__name__)

FOLLOW_EVERY = 0.5  # seconds between looks at the jobs in flight
MAX_FOLLOWED = 50  # jobs shown at once; more are still rendered, their events still printed


def serve(
    settings: Settings,
    *,
    port: int = 8790,
    interval: float = 1.0,
    reconcile_every: float = 15.0,
    out: TextIO | None = None,
    stop: threading.Event | None = None,
    renderer: Any = None,
) -> int:
    """Until Ctrl-C (or `stop` is set)."""
    out = sys.stdout if out is None else out
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
    out.flush()
    stop = stop or threading.Event()
    try:
        with console_for(out, stamped=True) as console:
            follower = Follower(platform, console, stop)
            follower.add(*in_flight(platform))

            def on_event(key: str, answer: dict[str, Any]) -> None:
                for item in answer.get("accepted", []):
                    note = " (already known)" if item["duplicate"] else ""
                    follower.say(f"{_now()}  {key}: job {item['job_id']} {item['state']}{note}")
                    if not JobState(item["state"]).terminal:
                        follower.add(item["job_id"], state=item["state"])

            thread = threading.Thread(target=follower.run, name="serve-progress", daemon=True)
            thread.start()
            try:
                platform.watch(
                    stop, interval=interval, reconcile_every=reconcile_every, on_event=on_event
                )
            finally:
                stop.set()
                thread.join(10)
        if follower.broken:
            raise BrokenPipeError("stdout was closed")
    finally:
        stop.set()
        platform.stop()
        lock.release()
    return 0


def in_flight(platform: LocalPlatform) -> list[str]:
    """The jobs the bucket has in flight (their markers), e.g. those a restart resumes."""
    layout = platform.layout
    found: list[str] = []
    for obj in platform.store.list(layout.inflight_prefix):
        marker = layout.parse_inflight(obj.key)
        if marker is not None and marker.job_id not in found:
            found.append(marker.job_id)
            if len(found) >= MAX_FOLLOWED:
                break
    return found


class Follower:
    """The jobs serve has seen, looked at every FOLLOW_EVERY seconds until each ends with its
    report. A closed stdout stops serve (as a closed pipe stops any command)."""

    def __init__(self, platform: LocalPlatform, console: Console, stop: threading.Event) -> None:
        self.platform = platform
        self.console = console
        self.stop = stop
        self.broken = False
        self._jobs: dict[str, None] = {}  # in the order seen
        self._lock = threading.Lock()

    def add(self, *job_ids: str, state: str | None = None) -> None:
        """Follow these jobs; `state` is what was just said about them (not said again)."""
        with self._lock:
            for job_id in job_ids:
                if len(self._jobs) < MAX_FOLLOWED:
                    self._jobs[job_id] = None
                    if state is not None:
                        self.console.job(job_id, Progress(state), quiet=True)

    def say(self, text: str) -> None:
        self._guarded(lambda: self.console.line(text))

    def run(self) -> None:
        while not self.stop.wait(FOLLOW_EVERY):
            self._guarded(self.look)

    def look(self) -> None:
        pipeline = self.platform.pipeline
        with self._lock:
            jobs = list(self._jobs)
        for job_id in jobs:
            try:
                record = pipeline.records.load(job_id)
            except (NotFound, ValueError):
                continue  # not written yet, or not a job of ours: looked at again next time
            try:
                if not record.state.terminal:
                    self.console.job(job_id, progress_of(pipeline, record))
                    continue
                lines = report(self.platform, record)
            except BrokenPipeError:
                raise
            except Exception as exc:  # the job goes on; only its display ends
                log.warning("cannot show the job's progress: %s", exc, extra={"job_id": job_id})
                lines = []
            self.console.done(job_id, lines)
            with self._lock:
                self._jobs.pop(job_id, None)

    def _guarded(self, write: Any) -> None:
        try:
            write()
        except BrokenPipeError:
            self.broken = True
            self.stop.set()


def _now() -> str:
    return time.strftime("%H:%M:%S")
