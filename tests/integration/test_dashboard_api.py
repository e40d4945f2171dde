"""The dashboard's HTTP side, without a browser: who may change anything, what a manifest must
be to reach the inbox, and which files are served."""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from highlights.fc import app
from highlights.local import http as local_http
from highlights.local.platform import LocalPlatform, local_settings
from highlights.local.run import run
from highlights.ports import SubmitRequest
from highlights.producers import local as engine
from highlights.producers.local import OutputResult, RenderOutcome
from highlights.storage.local import LocalStore
from tests.support import manifest, oss_url

URL = oss_url("demo").rstrip("/")
MANIFEST = manifest("demo", outputs="out", count=1, size=(320, 180))
MANIFEST["InputConfig"]["MediaArray"] = [f"{URL}/media/film.mp4"]
VIDEO = bytes(range(256)) * 40


def quick_render(
    job_id: str, request: SubmitRequest, store: LocalStore, work: Path, progress: Any, **_: Any
) -> RenderOutcome:
    store.put("out/h_1.mp4", VIDEO)
    return RenderOutcome(
        outputs=[
            OutputResult(1, True, key="out/h_1.mp4", media_url=f"{URL}/out/h_1.mp4", duration=2.0)
        ]
    )


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    """One dashboard for the module: each test uses manifest names of its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "_default_renderer", lambda: quick_render)
        for name in ("HIGHLIGHTS_STORE", "HIGHLIGHTS_CALLBACK_URL", "HIGHLIGHTS_CALLBACK_KEYS"):
            patch.delenv(name, raising=False)
        served = LocalPlatform(local_settings(tmp_path_factory.mktemp("dashboard") / "bucket"))
        served.start()
        yield served
        served.stop()
        app.reset()


def ask(
    platform: LocalPlatform,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    port = int(platform.dashboard_url.split(":")[2].strip("/"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def own(platform: LocalPlatform, **changes: str) -> dict[str, str]:
    """The headers the dashboard's page sends."""
    origin = platform.dashboard_url.rstrip("/")
    assert platform.dashboard is not None
    return {
        "Origin": origin,
        "Content-Type": "application/json",
        "X-Highlights-Token": platform.dashboard.token,
        **changes,
    }


def inbox(platform: LocalPlatform, *names: str) -> list[str]:
    """Which of `names` are in the inbox."""
    return [name for name in names if (platform.root / "manifests" / name).exists()]


def test_the_page_carries_its_token_and_policy(dashboard: LocalPlatform) -> None:
    status, headers, body = ask(dashboard, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert dashboard.dashboard is not None and dashboard.dashboard.token in body.decode()
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_another_host_name_is_refused(dashboard: LocalPlatform) -> None:
    """A page of another site whose name now points at 127.0.0.1 (DNS rebinding)."""
    port = dashboard.dashboard_url.split(":")[2].strip("/")
    for path in ("/", "/api/jobs"):
        status, _, _ = ask(dashboard, "GET", path, headers={"Host": f"evil.example:{port}"})
        assert status == 421


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"Origin": "http://evil.example"}, "cross-origin"),
        ({"Origin": ""}, "cross-origin"),
        ({"Sec-Fetch-Site": "cross-site"}, "cross-site"),
        ({"Content-Type": "text/plain"}, "application/json"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "application/json"),
        ({"X-Highlights-Token": "guess"}, "token"),
        ({"X-Highlights-Token": ""}, "token"),
    ],
)
def test_state_changing_requests_must_be_the_pages_own(
    dashboard: LocalPlatform, changes: dict[str, str], why: str
) -> None:
    body = json.dumps(MANIFEST).encode()
    headers = own(dashboard, **changes)
    headers = {k: v for k, v in headers.items() if v}
    status, _, answer = ask(dashboard, "POST", "/api/manifests?name=x.json", body, headers)
    assert status == 403 and why in json.loads(answer)["error"]
    assert inbox(dashboard, "x.json") == []


def test_a_refused_body_is_never_read(dashboard: LocalPlatform) -> None:
    """The answer comes while the client has sent only the headers of a large body."""
    port = int(dashboard.dashboard_url.split(":")[2].strip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            f"POST /api/manifests?name=x.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\nContent-Length: 3000000\r\n\r\n".encode()
        )
        answer = sock.recv(4096)
    assert b" 403 " in answer.split(b"\r\n", 1)[0]


def test_a_manifest_over_the_cap_is_refused_before_it_is_read(dashboard: LocalPlatform) -> None:
    port = int(dashboard.dashboard_url.split(":")[2].strip("/"))
    headers = own(dashboard)
    head = f"POST /api/validate?name=x.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {5 * 1024 * 1024}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 413 " in status_line
    report = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert (
        report["errors"][0]["path"] == "$" and "at most 4,194,304" in report["errors"][0]["message"]
    )


def test_only_a_valid_manifest_is_written_and_never_over_another(
    dashboard: LocalPlatform,
) -> None:
    bad = json.dumps({**MANIFEST, "OutputConfig": {"Width": 1}}, indent=1).encode()
    status, _, answer = ask(dashboard, "POST", "/api/manifests?name=bad.json", bad, own(dashboard))
    report = json.loads(answer)
    assert status == 422 and not report["valid"]
    assert {p["path"] for p in report["errors"]} == {
        "OutputConfig.Width",
        "OutputConfig.Height",
        "OutputConfig",
    }
    lines = bad.decode().split("\n")
    width = 1 + next(n for n, line in enumerate(lines) if '"Width": 1' in line)
    output = 1 + next(n for n, line in enumerate(lines) if '"OutputConfig"' in line)
    assert {p["path"]: p["line"] for p in report["errors"]} == {
        "OutputConfig.Width": width,
        "OutputConfig.Height": output,  # missing: where its object is
        "OutputConfig": output,
    }
    assert inbox(dashboard, "bad.json") == []

    good = json.dumps(MANIFEST).encode()
    status, _, answer = ask(dashboard, "POST", "/api/manifests?name=night", good, own(dashboard))
    written = json.loads(answer)
    assert status == 201 and written["key"] == "manifests/night.json"
    assert written["job_id"].startswith("night-")
    assert (dashboard.root / "manifests" / "night.json").read_bytes() == good
    # the same again: nothing to do, the same job
    status, _, answer = ask(
        dashboard, "POST", "/api/manifests?name=night.json", good, own(dashboard)
    )
    assert status == 200 and json.loads(answer)["job_id"] == written["job_id"]
    # other content under that name: refused, the first one stays
    other = json.dumps({**MANIFEST, "UserData": {"v": 2}}).encode()
    status, _, answer = ask(
        dashboard, "POST", "/api/manifests?name=night.json", other, own(dashboard)
    )
    assert status == 409 and "rename" in json.loads(answer)["error"]
    assert (dashboard.root / "manifests" / "night.json").read_bytes() == good
    # checking writes nothing
    status, _, answer = ask(dashboard, "POST", "/api/validate?name=x.json", other, own(dashboard))
    assert status == 200 and json.loads(answer)["valid"]
    assert inbox(dashboard, "night.json", "x.json") == ["night.json"]


@pytest.mark.parametrize("name", ["", "a/b.json", "..", "../x", "x\u0007.json", "\\x.json"])
def test_a_name_must_be_a_plain_file_name(dashboard: LocalPlatform, name: str) -> None:
    body = json.dumps(MANIFEST).encode()
    path = f"/api/manifests?name={quote(name)}"
    status, _, answer = ask(dashboard, "POST", path, body, own(dashboard))
    assert status == 400, answer
    folder = dashboard.root / "manifests"
    assert not folder.exists() or sorted(p.name for p in folder.iterdir()) in ([], ["night.json"])


def finished(tmp_path: Path) -> Path:
    """A job run to its end in the folder (the dashboard's own platform is another engine)."""
    path = tmp_path / "night.json"
    path.write_text(json.dumps(MANIFEST))
    bucket = tmp_path / "bucket"
    assert run(path, local_settings(bucket), out=io.StringIO()) == 0
    app.reset()
    return bucket


def test_files_are_the_jobs_own_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "_default_renderer", lambda: quick_render)
    bucket = finished(tmp_path)
    served = LocalPlatform(local_settings(bucket))
    served.start()
    try:
        status, _, body = ask(served, "GET", "/api/jobs")
        [job] = json.loads(body)["jobs"]
        assert job["state"] == "SUCCEEDED" and job["age"] >= 0
        links = {link["label"]: link["href"] for link in job["links"]}
        assert set(links) == {"report", "result", "video 1"}
        status, headers, body = ask(served, "GET", links["video 1"])
        assert status == 200 and body == VIDEO and headers["Content-Type"] == "video/mp4"
        status, headers, body = ask(
            served, "GET", links["video 1"], headers={"Range": "bytes=10-19"}
        )
        assert status == 206 and body == VIDEO[10:20]
        assert headers["Content-Range"] == f"bytes 10-19/{len(VIDEO)}"
        status, _, _ = ask(served, "GET", links["video 1"], headers={"Range": "bytes=99999-"})
        assert status == 416
        status, headers, body = ask(served, "GET", links["report"])
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert b"<video" in body
        for path in (
            "/files/manifests/night.json",  # the inbox
            "/files/.highlights/local/callback.key",  # the state
            f"/files/.highlights/jobs/{job['id']}.json",
            "/files/../bucket/out/h_1.mp4",
            "/files/out/../out/h_1.mp4",
            "/files/%2e%2e/etc/passwd",
            "/files//etc/passwd",
            "/files/out/missing.mp4",
            "/files/.engine.lock",
        ):
            assert ask(served, "GET", path)[0] == 404, path
        # a job's own video swapped for a link out of the folder is not followed
        outside = tmp_path / "secret.mp4"
        outside.write_bytes(b"secret")
        video = bucket / "out" / "h_1.mp4"
        video.unlink()
        os.symlink(outside, video)
        assert ask(served, "GET", links["video 1"])[0] == 404
    finally:
        served.stop()


def test_jobs_answer_quickly_whatever_is_asked(dashboard: LocalPlatform) -> None:
    """Unknown paths and methods get an answer, not a hang or a traceback."""
    for method, path in (("GET", "/nope"), ("POST", "/nope"), ("GET", "/ice"), ("PUT", "/")):
        status, _, body = ask(dashboard, method, path, b"{}" if method != "GET" else b"")
        assert status in (404, 405, 501) and b"Traceback" not in body
    started = time.monotonic()
    assert ask(dashboard, "GET", "/api/jobs")[0] == 200
    assert time.monotonic() - started < 10


def test_players_never_take_the_callbacks_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that asks for a video and stops reading holds one file slot; past FILE_WORKERS,
    files are refused (503) while the callback endpoint still answers."""
    monkeypatch.setattr(engine, "_default_renderer", lambda: quick_render)
    monkeypatch.setattr(local_http, "FILE_WORKERS", 1)
    bucket = finished(tmp_path)
    (bucket / "out" / "h_1.mp4").write_bytes(b"\0" * (32 * 1024 * 1024))  # more than buffers hold
    served = LocalPlatform(local_settings(bucket))
    served.start()
    port = int(served.dashboard_url.split(":")[2].strip("/"))
    try:
        [job] = json.loads(ask(served, "GET", "/api/jobs")[2])["jobs"]
        video = next(link["href"] for link in job["links"] if link["label"] == "video 1")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as stalled:
            stalled.sendall(f"GET {video} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            assert b" 200 " in stalled.recv(4096).split(b"\r\n", 1)[0]  # and reads no more
            status, headers, _ = ask(served, "GET", video)
            assert status == 503 and headers["Retry-After"] == "1"
            assert ask(served, "POST", "/ice", b"{}", {"Content-Length": "2"})[0] == 401
        # the stalled one gone, its slot is free again (within the socket timeout at worst)
        deadline = time.monotonic() + local_http.SOCKET_TIMEOUT + 5
        while ask(served, "GET", video, headers={"Range": "bytes=0-0"})[0] != 206:
            assert time.monotonic() < deadline, "the file slot was never freed"
            time.sleep(0.1)
    finally:
        served.stop()
