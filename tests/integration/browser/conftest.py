"""Headless Chromium (Debian's, installed by `make system`) driven by Playwright, and a finished
local job to look at: a stand-in renderer that writes a real MP4 and a real contact sheet.

Screenshots of the pages go to tests/artifacts/ (ignored by git) for a person to look at."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from highlights.ports import SubmitRequest
from highlights.producers import local as engine
from highlights.producers.local import OutputResult, RenderOutcome
from highlights.render.contact_sheet import render_contact_sheet
from highlights.render.probe import probe
from highlights.render.timeline import Narration, Segment, TextOverlay, Timeline
from highlights.storage.local import LocalStore
from highlights.storage.urls import folder_key_for_url
from tests.media import SceneSpec, have_ffmpeg, make_film
from tests.support import REGION, manifest, oss_url

CHROMIUM = os.environ.get("HIGHLIGHTS_CHROMIUM", "/usr/bin/chromium")
# Chromium's background services would try the network, which is closed here and in CI.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
URL = oss_url("demo").rstrip("/")
SENTENCES = [
    "Every night, the city goes dark.",
    "But one train still crosses the bridge.",
    "And at dawn, everyone is home.",
]


def job_manifest(title: str = "Night Train", **changes: Any) -> dict[str, Any]:
    document = manifest("demo", outputs="out", count=1, size=(320, 180), **changes)
    document["InputConfig"]["MediaArray"] = [f"{URL}/media/film.mp4"]
    document["InputConfig"]["TitleArray"] = [title]
    return document


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `make system` installs Debian's (chromium), "
            "or set HIGHLIGHTS_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


@dataclass(frozen=True)
class Media:
    film: Path  # 6 s, 320x180, three scenes; the stand-in's output video as well
    duration: float


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    if not have_ffmpeg():
        pytest.fail("ffmpeg is not installed: `make system` installs it")
    folder = tmp_path_factory.mktemp("browser-media")
    scenes = [
        SceneSpec(2.0, "testsrc2", dialogue="The city lights go out."),
        SceneSpec(2.0, "smptebars", dialogue="A train crosses the bridge."),
        SceneSpec(2.0, "mandelbrot", dialogue="Everyone is home."),
    ]
    film = make_film(folder / "film.mp4", scenes)
    return Media(folder / "film.mp4", probe(folder / "film.mp4").duration or film.duration)


class StandIn:
    """Renders a job in no time: the generated film as its one output, a timeline of three
    segments (the manifest's title on it) and the engine's own contact sheet of them. With a gate,
    it waits for the test to open it (the job stays PROCESSING until then)."""

    def __init__(self, media: Media, gate: threading.Event | None = None) -> None:
        self.media = media
        self.gate = gate

    def __call__(
        self,
        job_id: str,
        request: SubmitRequest,
        store: LocalStore,
        work: Path,
        progress: Any,
        **_: Any,
    ) -> RenderOutcome:
        progress(0.4, "output 1: composing")
        deadline = time.monotonic() + 60
        while self.gate is not None and not self.gate.wait(0.1) and time.monotonic() < deadline:
            progress(0.4, "output 1: composing")  # as a render reports, over and over
        inputs = json.loads(request.input_config)
        output = json.loads(request.output_config)
        url = output["MediaURL"].replace("{index}", "1")
        key = folder_key_for_url(REGION)(url)
        assert key is not None
        sheet = key.rsplit(".", 1)[0] + ".contact.png"
        if not store.exists("media/film.mp4"):
            store.put("media/film.mp4", self.media.film.read_bytes())
        timeline = Timeline(
            index=1,
            seed=1,
            width=320,
            height=180,
            duration=self.media.duration,
            title=TextOverlay(text=(inputs.get("TitleArray") or [""])[0], y=0.05),
            segments=[
                Segment(
                    index=n + 1,
                    start=2.0 * n,
                    duration=2.0,
                    source="media/film.mp4",
                    source_in=2.0 * n + 0.2,
                    source_out=2.0 * n + 1.8,
                    narration=Narration(text=text, audio="speech/x.wav", duration=1.8),
                    caption=text,
                    shot_text=f"Shot {n + 1}",
                    match="subtitle",
                    match_score=0.8 - 0.1 * n,
                    matched_text=f"Dialogue line {n + 1}",
                )
                for n, text in enumerate(SENTENCES)
            ],
            output=key,
            contact_sheet=sheet,
            warnings=["the music is shorter than the video: it loops"],
        )
        png = render_contact_sheet(timeline, store, work / "sheet.png")
        store.put(sheet, png.read_bytes())
        target = store.path_for(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.media.film, target)
        progress(1.0, "done")
        return RenderOutcome(
            outputs=[OutputResult(1, True, key=key, media_url=url, duration=self.media.duration)],
            timelines=[timeline.model_dump(mode="json")],
        )


@pytest.fixture
def stand_in(media: Media, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    renderer = StandIn(media)
    monkeypatch.setattr(engine, "_default_renderer", lambda: renderer)
    for name in ("HIGHLIGHTS_STORE", "HIGHLIGHTS_CALLBACK_URL", "HIGHLIGHTS_CALLBACK_KEYS"):
        monkeypatch.delenv(name, raising=False)
    return renderer
