"""What the local engine's job loop (``producers.local.LocalProducer``) and a renderer agree on:
the ``Renderer`` it calls, and the ``RenderOutcome`` it records and reports in ICE's shape."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from highlights.ports import MediaFolder, SubmitRequest
from highlights.render.progress import Progress

__all__ = ["OutputResult", "Progress", "RenderOutcome", "Renderer"]


@dataclass(frozen=True)
class OutputResult:
    index: int
    ok: bool
    key: str | None = None  # store key of the video
    media_url: str | None = None  # the address OutputConfig asked for, as ICE reports it
    duration: float | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass
class RenderOutcome:
    outputs: list[OutputResult]
    timelines: list[dict[str, Any]] = field(default_factory=list)
    error_code: str | None = None  # the whole job failed before any output
    error_message: str | None = None


class Renderer(Protocol):
    """Renders one job into ``work`` (an empty folder, removed afterwards), reading and writing
    the bucket through ``folder``.

    ``cancel`` is set when the job is cancelled: the renderer should then stop promptly (the
    engine kills its tools and raises ``RenderCancelled``); whatever it returns or raises
    after that, the job ends Failed with the code ``Cancelled``."""

    def __call__(
        self,
        job_id: str,
        request: SubmitRequest,
        folder: MediaFolder,
        work: Path,
        progress: Progress,
        *,
        cancel: threading.Event,
    ) -> RenderOutcome: ...
