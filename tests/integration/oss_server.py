"""An OSS-dialect S3 server for tests: moto's S3 app behind a thin WSGI middleware.

oss2 talks to moto's S3 for put, get, head and delete as is; the middleware closes the gaps:

- listing: strips the S3 XML namespace and adds `<Type>Normal</Type>` to each `<Contents>`
  (oss2's parser looks for both);
- create-only writes: `x-oss-forbid-overwrite: true` becomes `If-None-Match: *`, and moto's 412
  `PreconditionFailed` becomes OSS's 409 `FileAlreadyExists`. Writes are serialised, because moto
  checks and writes in two steps and OSS's create-only write is atomic;
- `x-amz-request-id` is copied to `x-oss-request-id`.

Fault injection (each fault applies to the next matching requests, then is used up): answer with an
error status and code, drop the connection before or after the request reached moto (the latter is
a lost answer: the write happened), or stall before answering. Every request is recorded.

Listens on 127.0.0.1 on a free port, in a daemon thread; `stop()` shuts it down.
"""

from __future__ import annotations

import base64
import contextlib
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

_S3_NAMESPACE = re.compile(rb'\sxmlns(?::\w+)?="[^"]*"')
_MUTATING = frozenset({"PUT", "POST", "DELETE"})
_ERROR_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
    "<RequestId>{request_id}</RequestId><HostId>127.0.0.1</HostId></Error>"
)

_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]


@dataclass
class _Fault:
    kind: str  # "error" | "drop" | "drop_after" | "stall"
    remaining: int
    method: str | None
    status: int = 503
    code: str = "ServiceUnavailable"
    message: str = "injected fault"
    seconds: float = 0.0

    def matches(self, method: str) -> bool:
        return self.method is None or self.method == method


@dataclass
class OssDialect:
    """The WSGI middleware; `app` is moto's S3 application."""

    app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
    requests: list[RecordedRequest] = field(default_factory=list)
    _faults: list[_Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _write_lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _counter: int = 0

    # -- scripting ------------------------------------------------------------------------------

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int = 503,
        code: str = "ServiceUnavailable",
        message: str = "injected fault",
        method: str | None = None,
    ) -> None:
        self._add(_Fault("error", times, method, status=status, code=code, message=message))

    def drop_next(
        self, times: int = 1, *, after_app: bool = False, method: str | None = None
    ) -> None:
        """Close the connection without an answer; after_app: once moto has done the request."""
        self._add(_Fault("drop_after" if after_app else "drop", times, method))

    def stall_next(self, seconds: float, times: int = 1, *, method: str | None = None) -> None:
        """Wait `seconds` (cut short by stop()) before handling the request."""
        self._add(_Fault("stall", times, method, seconds=seconds))

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self.requests.clear()

    def count(self, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if method is None or r.method == method)

    def _add(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def _take(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- WSGI -----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        with self._lock:
            self._counter += 1
            request_id = f"test-{self._counter:08d}"
            self.requests.append(
                RecordedRequest(
                    method, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), headers
                )
            )
        fault = self._take(method)
        if fault is not None and fault.kind == "stall":
            self._stop.wait(fault.seconds)
            fault = None
        if fault is not None and fault.kind == "error":
            _drain(environ)
            return _error(
                start_response,
                fault.status,
                fault.code,
                fault.message,
                request_id,
                head=method == "HEAD",
            )
        if fault is not None and fault.kind == "drop":
            _drain(environ)
            return _drop(environ, start_response)

        forbid_overwrite = headers.get("x-oss-forbid-overwrite", "").lower() == "true"
        if forbid_overwrite:
            environ["HTTP_IF_NONE_MATCH"] = "*"
        captured: dict[str, Any] = {}

        def capture(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured["status"], captured["headers"] = status, response_headers
            return lambda data: None

        if method in _MUTATING:
            with self._write_lock:
                body = _collect(self.app(environ, capture))
        else:
            body = _collect(self.app(environ, capture))
        if fault is not None and fault.kind == "drop_after":
            return _drop(environ, start_response)

        status: str = captured["status"]
        response_headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        if status.startswith("412") and forbid_overwrite:
            return _error(
                start_response,
                409,
                "FileAlreadyExists",
                "The object you specified already exists and can not be overwritten.",
                request_id,
            )
        if b"<ListBucketResult" in body[:512]:
            body = _S3_NAMESPACE.sub(b"", body, count=1)
            body = body.replace(b"</Contents>", b"<Type>Normal</Type></Contents>")
        response_headers.append(
            ("x-oss-request-id", _header(response_headers, "x-amz-request-id") or request_id)
        )
        if method != "HEAD":
            response_headers.append(("Content-Length", str(len(body))))
        else:
            length = _header(captured["headers"], "content-length")
            if length is not None:
                response_headers.append(("Content-Length", length))
        start_response(status, response_headers)
        return [body] if method != "HEAD" else []


def _collect(chunks: Iterable[bytes]) -> bytes:
    try:
        return b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _drain(environ: dict[str, Any]) -> None:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)


def _error(
    start_response: StartResponse,
    status: int,
    code: str,
    message: str,
    request_id: str,
    *,
    head: bool = False,
) -> list[bytes]:
    """An OSS error answer; to a HEAD, OSS sends no body and the XML base64-encoded in x-oss-err."""
    xml = _ERROR_XML.format(
        code=escape(code), message=escape(message), request_id=request_id
    ).encode()
    headers = [("Content-Type", "application/xml"), ("x-oss-request-id", request_id)]
    if head:
        headers.append(("x-oss-err", base64.b64encode(xml).decode()))
    headers.append(("Content-Length", "0" if head else str(len(xml))))
    start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
    return [] if head else [xml]


def _drop(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    sock: socket.socket | None = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    start_response("500 Dropped", [("Content-Length", "0")])
    return []


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class OssTestServer:
    """moto's S3 behind OssDialect, on 127.0.0.1, in a thread."""

    def __init__(self) -> None:
        from moto.server import create_backend_app

        self.dialect = OssDialect(create_backend_app("s3"))
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self.dialect, threaded=True, request_handler=_QuietHandler
        )
        self.port: int = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> OssTestServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("the OSS test server did not start")

    def stop(self) -> None:
        self.dialect._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def create_bucket(self, name: str) -> None:
        request = urllib.request.Request(f"{self.endpoint}/{name}", method="PUT", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200:
                raise RuntimeError(f"could not create bucket {name}: {response.status}")

    def __enter__(self) -> OssTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
