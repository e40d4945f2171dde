"""The local platform's one HTTP server, on 127.0.0.1: the callback endpoint (`POST /ice`) and the
dashboard share it, and every request on it is bounded whoever sends it.

- at most MAX_WORKERS requests are handled at once; more are refused at once; at most
  FILE_WORKERS of them send files (videos), so players never take the callback's place;
- a client may stay silent SOCKET_TIMEOUT seconds mid-request, and has READ_SECONDS for the whole
  request (line, headers, body), however it trickles in;
- bodies are read only by a route that has checked who is asking (the URL and headers suffice),
  up to the length it allows;
- a file is sent within SEND_SECONDS, each write within SOCKET_TIMEOUT;
- a refused request's small body (at most LINGER_BYTES) is read and dropped after the answer, for
  at most LINGER_SECONDS, so that closing the connection does not reset it before the client has
  read why it was refused; a larger one is never read.

Routes are plain functions from a `Request` to a `Response`; an exception in one is logged and
answered 500 (never a traceback to a client).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qsl, unquote, urlsplit

log = logging.getLogger(__name__)

SOCKET_TIMEOUT = 5.0  # seconds a client may stay silent mid-request
READ_SECONDS = 10.0  # for the whole request (line, headers, body)
MAX_WORKERS = 32  # requests handled at once; more are refused at once
FILE_WORKERS = 12  # of which sending files (503 beyond: a player asks again)
SEND_SECONDS = 600.0  # to send one file (a video)
CHUNK = 64 * 1024
LINGER_BYTES = 64 * 1024
LINGER_SECONDS = 1.0

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class Request:
    """One request as a route sees it; the body is read only on demand."""

    def __init__(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        self._handler = handler
        parts = urlsplit(handler.path)
        self.method = method
        self.raw_path = parts.path
        self.path = unquote(parts.path)
        self.query = dict(parse_qsl(parts.query))
        self.headers: Message = handler.headers
        self.client = str(handler.client_address[0])
        self.body_read = False

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def content_length(self) -> int | None:
        """The declared body length, or None when it is missing or not a plain number."""
        length = (self.headers.get("Content-Length") or "").strip()
        if not (length.isascii() and length.isdigit()) or len(length) > 9:
            return None
        return int(length)

    def read_body(self, length: int) -> bytes | None:
        """Exactly `length` bytes, or None when they did not arrive within the request's time."""
        handler = self._handler
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
        self.body_read = True
        cancel = getattr(handler, "request_complete", None)
        if callable(cancel):
            cancel()  # read in time: the answer may take its own time (ICE waits 3 s)
        return b"".join(chunks)


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    file: Path | None = None  # sent from disk, with Range support (players seek with it)
    close: bool = False  # drop the connection after answering (a body left unread)

    @classmethod
    def json(cls, status: int, value: Any, **kwargs: Any) -> Response:
        body = json.dumps(value, ensure_ascii=False).encode()
        return cls(status, body, "application/json; charset=utf-8", **kwargs)


Route = Callable[[Request], Response]


class BoundedServer(ThreadingHTTPServer):
    """At most MAX_WORKERS requests at once: a flood of half-sent requests cannot hold an
    unbounded number of threads."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], route: Route) -> None:
        super().__init__(address, _handler(route))
        self._slots = threading.BoundedSemaphore(MAX_WORKERS)
        self.file_slots = threading.BoundedSemaphore(FILE_WORKERS)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

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

        threading.Thread(target=work, name="http-request", daemon=True).start()


def _handler(route: Route) -> type[BaseHTTPRequestHandler]:
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

        def request_complete(self) -> None:
            self._watchdog.cancel()

        def finish(self) -> None:
            self._watchdog.cancel()
            super().finish()

        def do_GET(self) -> None:
            self.request_complete()  # a GET has no body: nothing more to wait for
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def _dispatch(self, method: str) -> None:
            request = Request(self, method)
            try:
                response = route(request)
            except Exception:  # never a traceback to a client, nor a dead endpoint
                log.exception("http: %s %s failed", method, self.path[:200])
                response = Response.json(500, {"error": "internal error"}, close=True)
            if response.close:
                self.close_connection = True
            with contextlib.suppress(OSError):
                self._send(response)
                self.wfile.flush()
                if response.close and not request.body_read:
                    self._linger(request.content_length())

        def _linger(self, length: int | None) -> None:
            """Drop a small unread body, so the close does not reset the answer away."""
            if not length or length > LINGER_BYTES:
                return
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(LINGER_SECONDS)
            deadline = time.monotonic() + LINGER_SECONDS
            left = length
            while left > 0 and time.monotonic() < deadline:
                chunk = self.rfile.read1(min(left, 16384))
                if not chunk:
                    return
                left -= len(chunk)

        def _send(self, response: Response) -> None:
            if response.file is not None:
                self._send_file(response)
                return
            self.send_response(response.status)
            self._headers(response, len(response.body))
            self.wfile.write(response.body)

        def _headers(self, response: Response, length: int) -> None:
            for name, value in {**SECURITY_HEADERS, **response.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(length))
            self.end_headers()

        def _send_file(self, response: Response) -> None:
            slots: threading.BoundedSemaphore = self.server.file_slots  # type: ignore[attr-defined]
            if not slots.acquire(blocking=False):
                self._send(Response.json(503, {"error": "busy"}, headers={"Retry-After": "1"}))
                return
            try:
                self._stream(response)
            finally:
                slots.release()

        def _stream(self, response: Response) -> None:
            assert response.file is not None
            try:
                stream = _open_regular(response.file)
            except OSError:
                self._send(Response.json(404, {"error": "not found"}))
                return
            with stream:
                size = os.fstat(stream.fileno()).st_size
                try:
                    span = _range(self.headers.get("Range"), size)
                except _Unsatisfiable:
                    self._send(Response(416, headers={"Content-Range": f"bytes */{size}"}))
                    return
                start, end = span or (0, size - 1)
                headers = {**response.headers, "Accept-Ranges": "bytes"}
                if span:
                    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
                self.send_response(206 if span else response.status)
                self._headers(
                    Response(0, content_type=response.content_type, headers=headers),
                    max(end - start + 1, 0),
                )
                _copy(stream, self.wfile, start, end - start + 1)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("http: " + format, *args)

    return Handler


def _open_regular(path: Path) -> BinaryIO:
    """A regular file opened for reading (O_NONBLOCK: a FIFO planted in the folder must not
    hang the worker; OSError for anything else)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


_RANGE = re.compile(r"bytes=(\d{0,15})-(\d{0,15})")


class _Unsatisfiable(Exception):
    """A Range no byte of the file satisfies (416)."""


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `Range: bytes=…`, or None to send it all."""
    if not header:
        return None
    found = _RANGE.fullmatch(header.strip())
    if found is None:
        return None  # several ranges, or another unit: the whole file is a valid answer
    first, last = found.groups()
    if not first and not last:
        raise _Unsatisfiable
    if not first:  # the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            raise _Unsatisfiable
        return max(size - count, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise _Unsatisfiable
    return start, end


def _copy(source: BinaryIO, target: Any, start: int, count: int) -> None:
    deadline = time.monotonic() + SEND_SECONDS
    source.seek(start)
    while count > 0 and time.monotonic() < deadline:
        chunk = source.read(min(CHUNK, count))
        if not chunk:
            return
        target.write(chunk)
        count -= len(chunk)


def start(address: tuple[str, int], route: Route, name: str) -> BoundedServer:
    """Serve `route` on address in a daemon thread. Raises OSError (EADDRINUSE: the port)."""
    server = BoundedServer(address, route)
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server
