"""Function Compute's stand-in on a folder bucket: the very handler bodies the functions run, called
the way Function Compute calls them: OSS-shaped events for submit, an HTTP endpoint on 127.0.0.1
for the callback, a timer for reconcile. It builds its system from its own settings and never
touches the process environment."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from highlights.bootstrap import System, build
from highlights.callback_auth import authentic
from highlights.config import Settings
from highlights.fc.callback import handle_callback
from highlights.fc.submit import handle_submit
from highlights.fc.timer import handle_reconcile
from highlights.jobs.pipeline import Pipeline
from highlights.storage.local import LocalStore

log = logging.getLogger(__name__)

# The callback endpoint faces whatever can reach 127.0.0.1: every request is bounded.
MAX_BODY_BYTES = 64 * 1024  # an ICE event is a few hundred bytes
SOCKET_TIMEOUT = 5.0  # seconds a client may stay silent mid-request
READ_SECONDS = 10.0  # for the whole request (line, headers, body), however it trickles in
MAX_WORKERS = 32  # requests handled at once; more are refused at once


class PortBusy(Exception):
    """The callback port is taken."""


class _CallbackServer(ThreadingHTTPServer):
    """At most MAX_WORKERS requests at once: a flood of half-sent requests cannot hold an
    unbounded number of threads."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._slots = threading.BoundedSemaphore(MAX_WORKERS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return

        def work() -> None:
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
                self._slots.release()

        threading.Thread(target=work, name="callback-request", daemon=True).start()


def _callback_handler(platform: LocalPlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = SOCKET_TIMEOUT

        def setup(self) -> None:
            super().setup()
            # The socket timeout bounds each read; this bounds the whole request, so a client
            # sending a header line every few seconds cannot hold a worker for long.
            self._watchdog = threading.Timer(READ_SECONDS, self._cut)
            self._watchdog.daemon = True
            self._watchdog.start()

        def _cut(self) -> None:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def finish(self) -> None:
            self._watchdog.cancel()
            super().finish()

        def do_POST(self) -> None:
            try:
                status, body = self._callback()
            except Exception:  # never a traceback to a client, nor a dead endpoint
                log.exception("callback endpoint: request failed")
                status, body = 400, {"error": "bad request"}
            self._answer(status, body)

        def _callback(self) -> tuple[int, dict[str, Any]]:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            length = (self.headers.get("Content-Length") or "").strip()
            if not (length.isascii() and length.isdigit()) or len(length) > 9:
                self.close_connection = True
                return 411 if not length else 400, {"error": "a Content-Length is required"}
            if int(length) > MAX_BODY_BYTES:
                self.close_connection = True
                return 413, {"error": f"at most {MAX_BODY_BYTES} bytes"}
            # The body is read only for a request that proves itself: the checks need only the
            # URL and the headers.
            if not platform.authentic(query, self.headers.get):
                self.close_connection = True
                return 401, {"error": "bad or missing job token or X-ICE-SIGNATURE"}
            body = _read_body(self, int(length))
            if body is None:
                self.close_connection = True
                return 408, {"error": "the body did not arrive in time"}
            self._watchdog.cancel()  # read in time: the answer may take ICE's window
            event = {
                "version": "v1",
                "rawPath": parts.path,
                "headers": dict(self.headers.items()),
                "queryParameters": query,
                "body": body.decode("utf-8", "replace"),
                "isBase64Encoded": False,
                "requestContext": {
                    "http": {
                        "method": "POST",
                        "path": parts.path,
                        "sourceIp": self.client_address[0],
                    }
                },
            }
            answer = handle_callback(
                platform.system, json.dumps(event).encode(), Context("callback")
            )
            return int(answer.get("statusCode", 500)), json.loads(answer.get("body") or "{}")

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            with contextlib.suppress(OSError):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("callback endpoint: " + format, *args)

    return Handler


def _read_body(handler: BaseHTTPRequestHandler, length: int) -> bytes | None:
    deadline = time.monotonic() + READ_SECONDS
    chunks: list[bytes] = []
    left = length
    while left > 0:
        if time.monotonic() > deadline:
            return None
        try:
            chunk = handler.rfile.read1(min(left, 16384))
        except OSError:  # the socket timeout
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


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
        self._server: ThreadingHTTPServer | None = None
        self._system: System | None = None

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

    # -- callback endpoint
    def start(self) -> str:
        """Serve the callback function on 127.0.0.1 and build the system that knows its address;
        returns the address. Raises PortBusy when the port is taken."""
        try:
            self._server = _CallbackServer(("127.0.0.1", self._port), _callback_handler(self))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortBusy(
                    f"port {self._port} on 127.0.0.1 is in use (another `highlights serve`?): "
                    "pass --port"
                ) from None
            raise
        url = f"http://127.0.0.1:{self._server.server_address[1]}/ice"
        try:
            values = self.settings.model_dump()
            values.update(callback_url=url, callback_keys=self._local_keys())
            self.settings = Settings.model_validate(values)
            self._system = build(self.settings, renderer=self._renderer)
        except BaseException:  # a bad setting: no endpoint left behind (stop() would wait on it)
            self._server.server_close()
            self._server = None
            raise
        threading.Thread(
            target=self._server.serve_forever, name="callback-endpoint", daemon=True
        ).start()
        return url

    def authentic(self, query: dict[str, str], header: Callable[[str], str | None]) -> bool:
        return authentic(
            query,
            header,
            keys=self.settings.callback_keys,
            callback_url=self.settings.callback_url,
            now=time.time(),
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

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
