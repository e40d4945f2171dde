"""A finished local job's report, opened from its folder in Chromium: it fetches nothing outside
that folder, its players load the MP4s, a timeline row seeks its player, and a hostile title is
text. A rejected manifest's report marks its lines."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from highlights.fc import app
from highlights.local.platform import local_settings
from highlights.local.run import run
from tests.integration.browser.conftest import Media, StandIn, job_manifest, screenshot

HOSTILE_TITLE = "<script>window.__ran=1;alert(1)</script>"  # at most 50 characters


def finished_job(tmp_path: Path, name: str, document: dict[str, Any]) -> tuple[int, Path, str]:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document, indent=2))
    out = io.StringIO()
    try:
        code = run(path, local_settings(tmp_path / "bucket"), out=out, timeout=120)
    finally:
        app.reset()
    return code, tmp_path / "bucket", out.getvalue()


def test_the_report_of_a_finished_job(
    tmp_path: Path, page: Any, stand_in: StandIn, media: Media
) -> None:
    code, bucket, said = finished_job(tmp_path, "night", job_manifest(HOSTILE_TITLE))
    assert code == 0, said
    report = bucket / "out" / "night.report.html"
    folder = report.parent.as_uri() + "/"
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(report.as_uri())

    videos = "Array.from(document.querySelectorAll('video'))"
    page.wait_for_function(f"{videos}.length > 0 && {videos}.every(v => v.readyState >= 1)")
    durations = page.evaluate(f"{videos}.map(v => v.duration)")
    assert len(durations) == 1 and abs(durations[0] - media.duration) < 0.05, durations

    rows = page.locator("tr.seg")
    assert rows.count() == 3
    rows.nth(1).click()
    assert page.evaluate("document.querySelector('video').currentTime") == 2.0
    rows.nth(2).click()
    assert page.evaluate("document.querySelector('video').currentTime") == 4.0
    # each row shows its own cell of the contact sheet, which is loaded
    frames = page.evaluate(
        "Array.from(document.querySelectorAll('.frame')).map(f => getComputedStyle(f)"
        ".backgroundPosition)"
    )
    assert len(set(frames)) == 3

    text = page.inner_text("body")
    assert HOSTILE_TITLE in text  # shown as text...
    assert page.evaluate("window.__ran") is None and dialogs == []  # ...and never run
    assert "Every night, the city goes dark." in text and "Dialogue line 2" in text
    assert "the music is shorter than the video" in text

    assert requests, "the page loaded nothing"
    outside = [url for url in requests if not url.startswith(folder)]
    assert outside == [], outside
    assert folder + "h_1.mp4" in requests and folder + "h_1.contact.png" in requests
    screenshot(page, "report.png")


def test_the_report_of_a_rejected_manifest(tmp_path: Path, page: Any, stand_in: StandIn) -> None:
    document = job_manifest("<b>bold?</b>")
    document["OutputConfig"]["Width"] = 1
    document["InputConfig"]["StickerArray"] = [{"Sticker": "not a url", "X": 7}]
    code, bucket, said = finished_job(tmp_path, "broken", document)
    assert code == 2, said
    [report] = (bucket / ".highlights" / "rejected").rglob("*.report.html")
    page.goto(report.as_uri())
    marked = page.locator("tr.bad")
    assert marked.count() >= 2
    source = json.dumps(document, indent=2).split("\n")
    width_line = next(n for n, line in enumerate(source, 1) if '"Width": 1' in line)
    assert page.locator(f"#L{width_line}").get_attribute("class") == "bad"
    assert "OutputConfig.Width" in page.inner_text(f"#L{width_line} + tr.note")
    assert "<b>bold?</b>" in page.inner_text("body")
    assert page.locator("b", has_text="bold?").count() == 0
    screenshot(page, "rejection.png")
