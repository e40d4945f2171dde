"""`highlights serve`'s dashboard in Chromium: a dropped invalid manifest shows its JSON paths and
writes nothing; a pasted valid one is written, appears in the job list and turns SUCCEEDED without
a reload; its report is served with its video; a page of another origin cannot post to it."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from highlights.fc import app
from highlights.jobs.identity import ManifestRef, job_id_for
from highlights.local.platform import local_settings
from highlights.local.serve import serve
from highlights.producers import local as engine
from tests.integration.browser.conftest import Media, StandIn, job_manifest, screenshot


@pytest.fixture
def gate() -> threading.Event:
    return threading.Event()


@pytest.fixture
def served(
    tmp_path: Path, media: Media, gate: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """A running `highlights serve` whose renders wait for the gate; (dashboard URL, bucket)."""
    renderer = StandIn(media, gate)
    monkeypatch.setattr(engine, "_default_renderer", lambda: renderer)
    monkeypatch.setattr(engine, "HEARTBEAT_SECONDS", 0.1)  # the engine saves progress this often
    for name in ("HIGHLIGHTS_STORE", "HIGHLIGHTS_CALLBACK_URL", "HIGHLIGHTS_CALLBACK_KEYS"):
        monkeypatch.delenv(name, raising=False)
    bucket = tmp_path / "bucket"
    stop = threading.Event()
    out = io.StringIO()
    thread = threading.Thread(
        target=serve,
        args=(local_settings(bucket),),
        kwargs={"port": 0, "interval": 0.2, "out": out, "stop": stop},
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        url = None
        while url is None and time.monotonic() < deadline and thread.is_alive():
            url = next(
                (line.split()[1] for line in out.getvalue().splitlines() if "dashboard" in line),
                None,
            )
            time.sleep(0.05)
        assert url is not None, out.getvalue()
        yield url, bucket
    finally:
        gate.set()
        stop.set()
        thread.join(timeout=30)
        app.reset()


def drop(page: Any, selector: str, name: str, text: str) -> None:
    """What a person's drag and drop delivers: a DataTransfer holding the file."""
    transfer = page.evaluate_handle(
        "([name, text]) => { const t = new DataTransfer();"
        " t.items.add(new File([text], name, {type: 'application/json'})); return t; }",
        [name, text],
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_drop_paste_and_follow_a_job(
    page: Any, served: tuple[str, Path], gate: threading.Event
) -> None:
    url, bucket = served
    inbox = bucket / "manifests"
    page.goto(url)
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.wait_for_selector("#live:text('live')")

    bad = job_manifest()
    bad["OutputConfig"]["Width"] = 1
    bad["InputConfig"]["SpeechTextArray"] = []
    bad_text = json.dumps(bad, indent=2)
    drop(page, "#drop", "bad.json", bad_text)
    page.wait_for_selector("#outcome[data-state=invalid]")
    shown = page.inner_text("#outcome")
    paths = page.locator("#outcome .path").all_inner_texts()
    assert paths == ["OutputConfig.Width", "InputConfig"]  # no narration, no storyboard
    width_line = 1 + bad_text.split("\n").index('    "Width": 1,')
    assert f"(line {width_line})" in shown and "(line 2)" in shown
    assert "nothing was written" in shown
    assert list(inbox.iterdir()) == []
    screenshot(page, "dashboard-invalid.png")

    good = json.dumps(job_manifest("The Night Train"), indent=2)
    page.fill("#paste-name", "night-train")
    page.fill("#paste", good)
    page.click("#send")
    page.wait_for_selector("#outcome[data-state=written]")
    assert [p.name for p in inbox.iterdir()] == ["night-train.json"]
    etag = hashlib.md5(good.encode()).hexdigest().upper()
    job_id = job_id_for(ManifestRef("local", "manifests/night-train.json", etag))
    row = f"tr[data-job='{job_id}']"
    # the engine's own progress, while the job is SUBMITTED or PROCESSING
    page.wait_for_selector(f"{row} progress[value='0.4']")
    assert "40% output 1: composing" in page.inner_text(row)
    screenshot(page, "dashboard-running.png")

    gate.set()
    page.wait_for_selector(f"{row}[data-state=SUCCEEDED]", timeout=60_000)
    page.wait_for_selector(f"{row} a:text('report')")
    assert navigations == []  # the list changed under the page, never by a reload
    labels = page.locator(f"{row} a").all_inner_texts()
    assert labels == ["report", "result", "video 1", "sheet 1"]
    screenshot(page, "dashboard.png")

    # the report, served by the dashboard: its video plays over HTTP, a row seeks it
    href = page.locator(f"{row} a", has_text="report").get_attribute("href")
    page.goto(url.rstrip("/") + href)
    page.wait_for_function("document.querySelector('video').readyState >= 1")
    page.locator("tr.seg").nth(2).click()
    assert page.evaluate("document.querySelector('video').currentTime") == 4.0


class Elsewhere(BaseHTTPRequestHandler):
    """Another origin (another port): a page that tries to post to the dashboard."""

    page = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args: Any) -> None:
        pass


def test_another_site_cannot_post_to_it(
    page: Any, served: tuple[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    url, bucket = served
    caplog.set_level(logging.DEBUG, logger="highlights.local.http")
    manifest = json.dumps(job_manifest())
    target = f"{url}api/manifests?name=evil.json"
    Elsewhere.page = (
        "<!DOCTYPE html><html><body>"
        f"<form id=f method=post enctype=text/plain action='{target}'>"
        f"<input name='{{\"a\":\"' value='\"}}'></form></body></html>"
    ).encode()
    other = ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{other.server_address[1]}/")
        # a simple request (no preflight) with the manifest as its body: it reaches the server
        # and is refused (the page cannot even see that: the answer is same-origin only)
        page.evaluate(
            "([target, body]) => fetch(target, {method: 'POST', mode: 'no-cors', body: body,"
            " headers: {'Content-Type': 'text/plain'}}).then(r => r.type, () => 'blocked')",
            [target, manifest],
        )
        # one that asks first (JSON, the token header) is never sent: no preflight is allowed
        refused = page.evaluate(
            "([target, body]) => fetch(target, {method: 'POST', body: body, headers: "
            "{'Content-Type': 'application/json', 'X-Highlights-Token': 'guess'}})"
            ".then(() => 'sent', () => 'blocked')",
            [target, manifest],
        )
        assert refused == "blocked"
        # and a form post, which navigates to the dashboard's answer
        with page.expect_navigation():
            page.evaluate("document.getElementById('f').submit()")
        assert "cross-origin requests are refused" in page.inner_text("body")
    finally:
        other.shutdown()
        other.server_close()
    answered = [
        (line.split('"')[1].split()[0], line.split('"')[2].split()[0])
        for line in (r.getMessage() for r in caplog.records)
        if "evil.json HTTP" in line
    ]
    # the simple POST refused; the JSON one stopped at its preflight; the form's POST refused
    assert answered == [("POST", "403"), ("OPTIONS", "501"), ("POST", "403")], answered
    inbox = bucket / "manifests"
    assert not inbox.exists() or list(inbox.iterdir()) == []
