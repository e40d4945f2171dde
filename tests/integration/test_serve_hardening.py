"""What reaches `highlights serve` from outside: its callback endpoint under malformed and hostile
requests, a second serve on the same folder, a busy port. Real sockets and real processes."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from highlights.callback_auth import notify_address
from highlights.fc import app
from highlights.local import http as local_http
from highlights.local.platform import LocalPlatform

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LocalPlatform, int]]:
    for name in ("HIGHLIGHTS_STORE", "HIGHLIGHTS_CALLBACK_URL", "HIGHLIGHTS_CALLBACK_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(local_http, "SOCKET_TIMEOUT", 1.0)
    monkeypatch.setattr(local_http, "READ_SECONDS", 2.0)
    served = LocalPlatform.for_folder(tmp_path / "bucket")
    url = served.start()
    yield served, int(url.split(":")[2].split("/")[0])
    served.stop()
    app.reset()


def post(
    port: int, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, object]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("POST", path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        if body:
            connection.send(body)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def raw(port: int, data: bytes, *, wait: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


EVENT = json.dumps({"EventType": "BatchProduceMediaComplete", "MessageBody": {}}).encode()


@pytest.mark.parametrize("timestamp", ["²", "9" * 5000, "-1", " 1"])
def test_hostile_timestamps_are_401_not_exceptions(
    endpoint: tuple[LocalPlatform, int], timestamp: str
) -> None:
    _, port = endpoint
    headers = {
        "Content-Length": str(len(EVENT)),
        "X-ICE-TIMESTAMP": timestamp,
        "X-ICE-SIGNATURE": "0" * 32,
    }
    status, _ = post(port, "/ice?job=x", EVENT, headers)
    assert status == 401


@pytest.mark.parametrize(
    ("length", "expected"),
    [("abc", 400), ("", 411), ("-5", 400), ("1" * 20, 400), ("99999999", 413)],
)
def test_bad_content_lengths_are_refused_before_reading(
    endpoint: tuple[LocalPlatform, int], length: str, expected: int
) -> None:
    _, port = endpoint
    head = "POST /ice HTTP/1.1\r\nHost: x\r\n" + (f"Content-Length: {length}\r\n" if length else "")
    answer = raw(port, (head + "\r\n").encode())
    assert answer.startswith((f"HTTP/1.0 {expected}".encode(), f"HTTP/1.1 {expected}".encode())), (
        answer[:80]
    )


def test_an_unauthenticated_body_is_never_read(endpoint: tuple[LocalPlatform, int]) -> None:
    """The answer comes while the client has sent only the headers of a large body."""
    _, port = endpoint
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /ice?job=x HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n")
        answer = sock.recv(4096)
    assert b" 401 " in answer.split(b"\r\n", 1)[0]


def test_the_job_token_opens_the_door(endpoint: tuple[LocalPlatform, int]) -> None:
    served, port = endpoint
    settings = served.settings
    address = notify_address(
        settings.callback_url or "", "ghost-000000000000", settings.callback_keys
    )
    path = address.split(str(port), 1)[1]
    status, body = post(port, path, EVENT, {"Content-Length": str(len(EVENT))})
    assert status == 200 and body == {"job_id": "ghost-000000000000", "known": False}
    bad = path[:-1] + ("A" if path[-1] != "A" else "B")
    assert post(port, bad, EVENT, {"Content-Length": str(len(EVENT))})[0] == 401


def test_half_sent_requests_hold_a_bounded_number_of_threads(
    endpoint: tuple[LocalPlatform, int],
) -> None:
    _, port = endpoint
    before = threading.active_count()
    sockets = []
    for _ in range(local_http.MAX_WORKERS + 10):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"POST /ice HTTP/1.1\r\nHost: x\r\nContent-Le")  # and nothing more
        sockets.append(sock)
    time.sleep(0.3)
    # a worker and its watchdog per request held; the ones beyond are refused at once
    assert threading.active_count() - before <= 2 * local_http.MAX_WORKERS
    try:
        time.sleep(local_http.SOCKET_TIMEOUT + 0.5)  # the silent ones are dropped
        status, _ = post(port, "/ice", EVENT, {"Content-Length": str(len(EVENT))})
        assert status == 401  # and the endpoint answers again
    finally:
        for sock in sockets:
            sock.close()


def test_a_client_trickling_headers_is_cut_off(endpoint: tuple[LocalPlatform, int]) -> None:
    """One header line a second keeps every read inside the socket timeout; the request as a
    whole still ends at READ_SECONDS."""
    _, port = endpoint
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /ice HTTP/1.1\r\n")
        cut = False
        for n in range(20):
            time.sleep(0.5)
            try:
                sock.sendall(f"X-Slow-{n}: y\r\n".encode())
                sock.setblocking(False)
                try:
                    cut = sock.recv(1) == b""
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
            except OSError:
                cut = True
            if cut:
                break
    assert cut, "the slow client was never cut off"
    assert time.monotonic() - started < local_http.READ_SECONDS + 2


def _serve(bucket: Path, port: int, **settings: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIGHLIGHTS_")} | settings
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "highlights.cli",
            "serve",
            "--bucket",
            str(bucket),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_second_serve_on_the_same_folder_exits_naming_the_first(tmp_path: Path) -> None:
    bucket = tmp_path / "bucket"
    first = _serve(bucket, _free_port())
    try:
        assert first.stdout is not None
        assert first.stdout.readline().startswith("serving ")
        # another state prefix is still the same folder, and the same inbox
        second = _serve(bucket, _free_port(), HIGHLIGHTS_STATE_PREFIX=".other/")
        _out, err = second.communicate(timeout=30)
        assert second.returncode == 2
        assert f"pid {first.pid}" in err and "highlights serve" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    finally:
        first.terminate()
        first.wait(timeout=30)
    # the lock went with its process: a new serve starts
    third = _serve(bucket, _free_port())
    try:
        assert third.stdout is not None and third.stdout.readline().startswith("serving ")
    finally:
        third.kill()
        third.wait(timeout=30)


def test_a_busy_port_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _serve(tmp_path / "bucket", port)
        _out, err = done.communicate(timeout=30)
    assert done.returncode == 2
    assert f"port {port}" in err and "--port" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
