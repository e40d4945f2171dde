"""The local engine behind the Producer port: renders with ffmpeg in a worker thread, keeps its job
state in the folder, answers `get` in ICE's shape and calls back like ICE does.

A job whose worker died (the process was stopped mid-render) is taken over by the next engine that
looks at it: its heartbeat goes stale, `get` or `resume` restarts it, and outputs are only ever
renamed into place whole, so a restart leaves neither half-written nor duplicate videos.

Each job renders in its own work folder (`<state prefix>engine/work/<job>/`), removed when the job
ends; `resume` also removes those a killed process left behind. `cancel(job_id)` stops a job
(e.g. superseded, or `run --timeout` giving up): its tools are killed and it ends Failed with
the code `Cancelled`; the worker goes on with the next job.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import queue
import shutil
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from highlights import user_data
from highlights.ports import (
    AlreadyExists,
    JobStatus,
    NotFound,
    PermanentError,
    SubmitRequest,
)
from highlights.producers.local_state import EngineJob, EngineRequest, utc
from highlights.render.contract import OutputResult, Renderer, RenderOutcome
from highlights.render.keys import EngineKeys
from highlights.render.tools import Tools
from highlights.storage.local import LocalStore
from highlights.storage.urls import folder_key_for_url

__all__ = ["CANCELLED", "LocalProducer", "OutputResult", "RenderOutcome", "Renderer"]

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
STALE_AFTER = 30.0  # a job whose worker has not beaten for this long is taken over
CALLBACK_TIMEOUT = 3.0  # ICE's own limit for an answer
COMPLETE_EVENT = "BatchProduceMediaComplete"


CANCELLED = "Cancelled"  # the error code of a job stopped by ``LocalProducer.cancel``


def _default_renderer() -> Callable[..., RenderOutcome]:
    """The real renderer (imported when first needed: it brings the whole engine)."""
    from highlights.render.engine import render_job

    return render_job


class LocalProducer:
    def __init__(
        self,
        store: LocalStore,
        *,
        state_prefix: str = ".highlights/",
        renderer: Renderer | None = None,
        region: str | None = None,
        tools: Tools | None = None,
        clock: Callable[[], float] = time.time,
        post: Callable[[str, bytes, dict[str, str]], int] | None = None,
    ) -> None:
        """``tools`` are what the renders run (the settings' ``Tools``; None: what PATH offers);
        everything the engine keeps goes under ``state_prefix``; ``region`` is the one whose
        OSS URLs name files of ``store``. ``renderer`` replaces the real one (tests)."""
        self.store = store
        self.region = region
        self.keys = EngineKeys(state_prefix)
        self.tools = tools or Tools.on_path()
        self._prefix = self.keys.engine
        self._renderer = renderer
        self._clock = clock
        self._post = post or _http_post
        self._instance = uuid.uuid4().hex[:12]
        # One daemon worker: stopping the process stops the render, and the next engine resumes it.
        self._queue: queue.Queue[str] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._running: set[str] = set()
        self._cancels: dict[str, tuple[threading.Event, list[str]]] = {}  # event, reason
        self._lock = threading.Lock()
        self._stopping = False  # interrupted: jobs stay unfinished, for the next engine to resume

    # -- the port -----------------------------------------------------------------------------

    def submit(self, request: SubmitRequest, client_token: str, notify_url: str | None) -> str:
        job_id = "local-" + hashlib.sha256(client_token.encode()).hexdigest()[:24]
        fingerprint = _fingerprint(request, notify_url)
        now = self._clock()
        state = EngineJob(
            job_id=job_id,
            client_token=client_token,
            fingerprint=fingerprint,
            request=EngineRequest(
                input_config=request.input_config,
                editing_config=request.editing_config,
                output_config=request.output_config,
                template_config=request.template_config,
                user_data=user_data.with_notify_address(request.user_data, notify_url),
            ),
            notify_url=notify_url,
            created=now,
            heartbeat=now,
            owner=self._instance,
        )
        try:
            self.store.put(self._key(job_id), state.encode(), create_only=True)
        except AlreadyExists:
            existing = self._load(job_id)
            if existing.fingerprint != fingerprint:
                raise PermanentError(
                    "the same ClientToken was used with different parameters",
                    code="IdempotentParameterMismatch",
                ) from None
            self._ensure_running(existing)
            return job_id
        self._start(job_id)
        return job_id

    def get(self, job_id: str) -> JobStatus:
        state = self._load(job_id)
        self._ensure_running(state)
        return state.job_status()

    # -- running ------------------------------------------------------------------------------

    def cancel(self, job_id: str, reason: str = "the job was cancelled") -> bool:
        """Stop ``job_id`` if this engine is rendering it or has it queued: its tools are killed
        within a fraction of a second and the job ends Failed, code ``Cancelled``, ``reason`` as
        its message. False when this engine does not have the job (finished, or elsewhere)."""
        with self._lock:
            found = self._cancels.get(job_id)
            if found is None:
                return False
            event, reasons = found
            if not event.is_set():
                reasons.append(reason)
                event.set()
        log.info(
            "local engine: cancelling job %s: %s", job_id, reason, extra={"producer_job_id": job_id}
        )
        return True

    def cancel_all(self, reason: str = "the engine is stopping") -> list[str]:
        """``cancel`` every job this engine is rendering or has queued; returns their ids."""
        with self._lock:
            ids = list(self._cancels)
        return [job_id for job_id in ids if self.cancel(job_id, reason)]

    def interrupt(self, *, wait: float = 10.0) -> list[str]:
        """Stop rendering without ending anything (the process is stopping: Ctrl-C, SIGTERM):
        running tools are killed and work folders removed, and the jobs stay as they were, to be
        resumed by the next engine on this folder. Returns the jobs interrupted."""
        with self._lock:
            self._stopping = True
            held = list(self._cancels.items())
        for _, (event, reasons) in held:
            reasons.append("the engine is stopping")
            event.set()
        try:
            self.wait(wait)
        except TimeoutError:
            log.warning("local engine: a render did not stop within %.0f s", wait)
        return [job_id for job_id, _ in held]

    def resume(self, *, force: bool = False) -> list[str]:
        """Restart every unfinished job whose worker is gone; returns their ids. With force (the
        caller knows it is the only engine on this folder), do not wait for heartbeats to go stale.
        Work folders of jobs that have ended (a killed process leaves them) are removed."""
        self._sweep_work()
        resumed = []
        for obj in self.store.list(self._prefix):
            if obj.key.endswith(".json") and "/" not in obj.key[len(self._prefix) :]:
                try:
                    state = EngineJob.model_validate_json(self.store.get(obj.key))
                except ValueError:  # not a job's record: leave it
                    continue
                if self._ensure_running(state, force=force):
                    resumed.append(state.job_id)
        return resumed

    def wait(self, timeout: float | None = None) -> None:
        """Block until the worker is idle (for `highlights run` and tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                if not self._running:
                    return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("the local engine is still rendering")
            time.sleep(0.05)

    def _ensure_running(self, state: EngineJob, *, force: bool = False) -> bool:
        if state.ended:
            return False
        with self._lock:
            if state.job_id in self._running:
                return False
        if not force and self._clock() - state.heartbeat < STALE_AFTER:
            return False  # its worker may still be alive, here or in another process
        log.info(
            "local engine: taking over job %s",
            state.job_id,
            extra={"producer_job_id": state.job_id},
        )
        self._start(state.job_id)
        return True

    def _start(self, job_id: str) -> None:
        with self._lock:
            if job_id in self._running:
                return
            self._running.add(job_id)
            self._cancels[job_id] = (threading.Event(), [])
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._work, name="highlights-render", daemon=True
                )
                self._worker.start()
        self._queue.put(job_id)

    def _work(self) -> None:
        while True:
            self._run(self._queue.get())

    def _run(self, job_id: str) -> None:
        with self._lock:
            event, reasons = self._cancels[job_id]
        try:
            if not event.is_set():
                self._render(job_id, event)
        except Exception:
            if not event.is_set():
                log.exception("local engine: job %s crashed", job_id)
                self._update(
                    job_id,
                    status="Failed",
                    error_code="InternalError",
                    error_message="the local engine crashed; see its log",
                )
        finally:
            try:
                if event.is_set() and not self._stopping:
                    self._end_cancelled(job_id, reasons[0] if reasons else "cancelled")
            except Exception:  # the worker must live on whatever the store does
                log.exception("local engine: could not record job %s as cancelled", job_id)
            finally:
                with self._lock:
                    self._running.discard(job_id)
                    self._cancels.pop(job_id, None)

    def _end_cancelled(self, job_id: str, reason: str) -> None:
        state = self._update(
            job_id,
            status="Failed",
            completed=self._clock(),
            outputs=[],
            timelines=[],
            error_code=CANCELLED,
            error_message=f"cancelled: {reason}",
        )
        log.info("local engine: job %s cancelled", job_id, extra={"producer_job_id": job_id})
        self._notify(state)

    def _work_folder(self, job_id: str) -> Path:
        return self.store.path_for(self.keys.work(job_id))

    def _sweep_work(self) -> None:
        """Remove the work folders of jobs that ended or are unknown (not of running ones)."""
        try:
            folders = list(self.store.path_for(f"{self._prefix}work").iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return
        for folder in folders:
            with self._lock:
                if folder.name in self._running:
                    continue
            try:
                state = self._load(folder.name)
            except (NotFound, ValueError, PermanentError):
                state = None
            except Exception:  # an unreadable record: leave its folder for the job to clean
                continue
            if state is None or state.ended:
                shutil.rmtree(folder, ignore_errors=True)

    def _render(self, job_id: str, cancel: threading.Event) -> None:
        state = self._update(
            job_id, status="Processing", owner=self._instance, started=self._clock(), progress=0.0
        )
        request = state.request.submit_request()
        last_beat = [self._clock()]

        def progress(fraction: float, message: str) -> None:
            now = self._clock()
            if now - last_beat[0] >= HEARTBEAT_SECONDS or fraction >= 1.0:
                last_beat[0] = now
                self._update(job_id, progress=round(fraction, 3), message=message)
            log.debug(
                "render %3.0f%% %s", fraction * 100, message, extra={"producer_job_id": job_id}
            )

        work = self._work_folder(job_id)
        shutil.rmtree(work, ignore_errors=True)  # what a killed render of this job left
        work.mkdir(parents=True, exist_ok=True)
        renderer = self._renderer or functools.partial(
            _default_renderer(),
            key_for_url=folder_key_for_url(self.region),
            tools=self.tools,
            keys=self.keys,
        )
        try:
            outcome = renderer(job_id, request, self.store, work, progress, cancel=cancel)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        with self._lock:
            if cancel.is_set():
                return  # _run records it
            self._cancels.pop(job_id, None)  # too late to cancel: the outcome stands
        failed = outcome.error_code is not None or not any(o.ok for o in outcome.outputs)
        state = self._update(
            job_id,
            status="Failed" if failed and outcome.error_code else "Finished",
            completed=self._clock(),
            progress=1.0,
            outputs=list(outcome.outputs),
            timelines=outcome.timelines,
            error_code=outcome.error_code,
            error_message=outcome.error_message,
        )
        self._notify(state)

    def _notify(self, state: EngineJob) -> None:
        """Call the job's NotifyAddress as ICE does, unsigned: whether ICE signs per-job callbacks
        is not documented, so the address's own token is what the callback trusts."""
        url = state.notify_url
        if not url:
            return
        body = {
            "EventType": COMPLETE_EVENT,
            "UserId": 0,
            "EventTime": utc(self._clock()),
            "MessageBody": {
                "JobId": state.job_id,
                "Status": state.status,
                "UserData": json.dumps(state.request.user_data, ensure_ascii=False),
            },
        }
        headers = {"Content-Type": "application/json"}
        try:
            status = self._post(url, json.dumps(body).encode(), headers)
            log.info(
                "local engine: callback answered %s",
                status,
                extra={"producer_job_id": state.job_id},
            )
        except OSError as exc:  # the timer will find the job anyway
            log.warning(
                "local engine: callback failed: %s", exc, extra={"producer_job_id": state.job_id}
            )

    # -- state --------------------------------------------------------------------------------

    def _key(self, job_id: str) -> str:
        return f"{self._prefix}{job_id}.json"

    def _load(self, job_id: str) -> EngineJob:
        try:
            return EngineJob.model_validate_json(self.store.get(self._key(job_id)))
        except NotFound:
            raise NotFound(f"no local job {job_id}") from None

    def _update(self, job_id: str, **changes: Any) -> EngineJob:
        state = self._load(job_id)
        state = EngineJob.model_validate(
            {**state.model_dump(), **changes, "heartbeat": self._clock()}
        )
        self.store.put(self._key(job_id), state.encode())
        return state


def _fingerprint(request: SubmitRequest, notify_url: str | None) -> str:
    parts = [
        request.input_config,
        request.editing_config,
        request.output_config,
        request.template_config,
    ]
    text = json.dumps([parts, request.user_data, notify_url], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT) as response:
        return int(response.status)
