"""Function Compute's stand-in on a folder bucket: the very handler bodies the functions run, called
the way Function Compute calls them: OSS-shaped events for submit, an HTTP endpoint on 127.0.0.1
for the callback (`POST /ice`; the same server shows the dashboard, highlights.local.dashboard),
a timer for reconcile. It builds its system from its own settings and never touches the process
environment."""

from __future__ import annotations

import errno
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from highlights.bootstrap import System, build
from highlights.callback_auth import authentic
from highlights.config import Settings
from highlights.fc.callback import handle_callback
from highlights.fc.submit import handle_submit
from highlights.fc.timer import handle_reconcile
from highlights.jobs.pipeline import Pipeline
from highlights.local import http
from highlights.local.dashboard import Dashboard
from highlights.local.http import Request, Response
from highlights.storage.local import LocalStore

log = logging.getLogger(__name__)

# The callback endpoint faces whatever can reach 127.0.0.1: its body is capped (the other bounds
# are the server's: highlights.local.http).
MAX_BODY_BYTES = 64 * 1024  # an ICE event is a few hundred bytes
CALLBACK_PATH = "/ice"
SHUTDOWN_POLL = 0.1  # seconds stop() may wait for the server to notice


class PortBusy(Exception):
    """The callback port is taken."""


def callback_route(platform: LocalPlatform, request: Request) -> Response:
    """`POST /ice`: the callback function, as Function Compute's HTTP trigger calls it. The body
    is read only for a request that proves itself: the checks need only the URL and headers."""
    length = request.content_length()
    if length is None:
        missing = not (request.header("Content-Length") or "").strip()
        return Response.json(
            411 if missing else 400, {"error": "a Content-Length is required"}, close=True
        )
    if length > MAX_BODY_BYTES:
        return Response.json(413, {"error": f"at most {MAX_BODY_BYTES} bytes"}, close=True)
    if not platform.authentic(request.query, request.header):
        return Response.json(
            401, {"error": "bad or missing job token or X-ICE-SIGNATURE"}, close=True
        )
    body = request.read_body(length)
    if body is None:
        return Response.json(408, {"error": "the body did not arrive in time"}, close=True)
    event = {
        "version": "v1",
        "rawPath": request.raw_path,
        "headers": dict(request.headers.items()),
        "queryParameters": request.query,
        "body": body.decode("utf-8", "replace"),
        "isBase64Encoded": False,
        "requestContext": {
            "http": {"method": "POST", "path": request.raw_path, "sourceIp": request.client}
        },
    }
    try:
        answer = handle_callback(platform.system, json.dumps(event).encode(), Context("callback"))
        return Response.json(
            int(answer.get("statusCode", 500)), json.loads(answer.get("body") or "{}")
        )
    except Exception:  # never a traceback to a client, nor a dead endpoint
        log.exception("callback endpoint: request failed")
        return Response.json(400, {"error": "bad request"})


class Context:
    """What Function Compute passes as `context`, as far as our handlers read it."""

    def __init__(self, function: str) -> None:
        self.request_id = uuid.uuid4().hex
        self.function = {"name": function}


def oss_event(bucket: str, key: str, etag: str, size: int) -> bytes:
    record = {
        "eventName": "ObjectCreated:PutObject",
        "eventSource": "acs:oss",
        "eventVersion": "1.0",
        "oss": {"bucket": {"name": bucket}, "object": {"key": key, "eTag": etag, "size": size}},
    }
    return json.dumps({"events": [record]}).encode()


def local_settings(
    bucket: Path, *, env: Mapping[str, str] | None = None, region: str | None = None
) -> Settings:
    """Settings for the local engine on a folder: the environment's (`env`; none by default),
    with the folder as the store; the platform sets its own callback address."""
    return Settings.from_env(
        {} if env is None else env,
        store=str(bucket.resolve()),
        producer="local",
        region=region,
        callback_url=None,
    )


class LocalPlatform:
    """The functions on one folder, built from `settings` (a folder store, the local engine)."""

    def __init__(self, settings: Settings, *, port: int = 0, renderer: Any = None) -> None:
        self.root = Path(settings.store).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self.layout = settings.layout()
        self._port = port
        self._renderer = renderer
        self._server: http.BoundedServer | None = None
        self._system: System | None = None
        self.dashboard: Dashboard | None = None

    @classmethod
    def for_folder(
        cls, bucket: Path, *, region: str | None = None, port: int = 0, renderer: Any = None
    ) -> LocalPlatform:
        return cls(local_settings(bucket, region=region), port=port, renderer=renderer)

    def _local_keys(self) -> tuple[str, ...]:
        """The settings' keys, else one kept in the bucket, so a restarted serve still verifies
        the tokens of the jobs it has in flight."""
        if self.settings.callback_keys:
            return self.settings.callback_keys
        path = self.root / self.layout.state / "local" / "callback.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(16))
            path.chmod(0o600)
        return (path.read_text().strip(),)

    @property
    def system(self) -> System:
        if self._system is None:
            raise RuntimeError("start() the platform first")
        return self._system

    @property
    def pipeline(self) -> Pipeline:
        return self.system.pipeline

    @property
    def store(self) -> LocalStore:
        store = self.system.store
        assert isinstance(store, LocalStore)
        return store

    # -- the HTTP endpoint: the callback, and the dashboard
    def start(self) -> str:
        """Serve the callback function (and the dashboard) on 127.0.0.1 and build the system that
        knows its address; returns the callback's address. Raises PortBusy when the port is
        taken."""
        try:
            server = http.BoundedServer(("127.0.0.1", self._port), self.route)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortBusy(
                    f"port {self._port} on 127.0.0.1 is in use (another `highlights serve`?): "
                    "pass --port"
                ) from None
            raise
        self._server = server
        url = f"http://127.0.0.1:{server.port}{CALLBACK_PATH}"
        try:
            values = self.settings.model_dump()
            values.update(callback_url=url, callback_keys=self._local_keys())
            self.settings = Settings.model_validate(values)
            self._system = build(self.settings, renderer=self._renderer)
        except BaseException:  # a bad setting: no endpoint left behind (stop() would wait on it)
            server.server_close()
            self._server = None
            raise
        self.dashboard = Dashboard(self.system, self.store, port=server.port)
        threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL},
            name="http-endpoint",
            daemon=True,
        ).start()
        return url

    @property
    def dashboard_url(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the platform first")
        return f"http://127.0.0.1:{self._server.port}/"

    def route(self, request: Request) -> Response:
        if request.path == CALLBACK_PATH:
            if request.method != "POST":
                return Response.json(405, {"error": "POST only"}, headers={"Allow": "POST"})
            return callback_route(self, request)
        if self.dashboard is None:
            return Response.json(503, {"error": "starting"})
        return self.dashboard.route(request)

    def authentic(self, query: dict[str, str], header: Callable[[str], str | None]) -> bool:
        return authentic(
            query,
            header,
            keys=self.settings.callback_keys,
            callback_url=self.settings.callback_url,
            now=time.time(),
        )

    def stop(self) -> None:
        """Stop serving; a render still running is interrupted (its tools killed, its work folder
        removed) and resumes at the next start."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        interrupt = getattr(self._system.producer, "interrupt", None) if self._system else None
        if callable(interrupt):
            interrupt()

    # -- events
    def place(self, manifest: Path) -> str:
        """Copy a manifest file into the inbox (unless it is already there); returns its key."""
        manifest = manifest.resolve()
        inbox = self.layout.inbox
        if manifest.is_relative_to(self.root):
            key = manifest.relative_to(self.root).as_posix()
            if self.layout.is_manifest(key):
                return key
        key = f"{inbox}{manifest.stem}.json"
        data = manifest.read_bytes()
        try:
            if self.store.get(key) == data:
                return key
        except Exception:
            pass
        self.store.put(key, data)
        return key

    def deliver(self, key: str) -> dict[str, Any]:
        """What the OSS trigger does when key is written."""
        head = self.store.head(key)
        event = oss_event(self.store.bucket, key, head.etag, head.size)
        return handle_submit(self.system, event, Context("submit"))

    def tick(self) -> dict[str, Any]:
        timer = {"triggerTime": None, "triggerName": "reconcile", "payload": ""}
        return handle_reconcile(self.system, json.dumps(timer).encode(), Context("reconcile"))

    def watch(
        self,
        stop: threading.Event,
        *,
        interval: float,
        reconcile_every: float,
        on_event: Callable[[str, dict[str, Any]], None],
    ) -> None:
        """Feed the submit function every new manifest version; tick reconcile on a timer."""
        seen: set[tuple[str, str, int]] = set()  # the same bytes uploaded again are news too
        inbox = self.layout.inbox
        next_tick = 0.0
        clock = self.pipeline.clock
        while not stop.is_set():
            for obj in self.store.list(inbox):
                version = (obj.key, obj.etag, int(obj.last_modified))
                if version in seen or not self.layout.is_manifest(obj.key):
                    continue
                try:
                    on_event(obj.key, self.deliver(obj.key))
                    seen.add(version)
                except Exception as exc:
                    log.warning("submit failed for %s, retrying: %s", obj.key, exc)
            if clock() >= next_tick:
                self.tick()
                next_tick = clock() + reconcile_every
            stop.wait(interval)
