"""What the engine raises on purpose: a tool that failed, a render that cannot be done, a cancelled
job. The three are apart so that a caller turning failures into a job's error code can tell them
apart, and must let a cancellation through."""

from __future__ import annotations

from collections.abc import Sequence

from highlights.ports import HighlightsError


class ToolError(HighlightsError):
    """An external tool (ffmpeg, ffprobe, espeak-ng, tesseract, fc-match) is missing, failed or
    ran out of time; ``stderr_tail`` holds its last words, where ffmpeg says what went wrong."""

    def __init__(self, message: str, *, command: Sequence[str] = (), stderr_tail: str = "") -> None:
        full = f"{message}\n{stderr_tail}" if stderr_tail else message
        super().__init__(full)
        self.message = message
        self.command = tuple(command)
        self.stderr_tail = stderr_tail


class RenderError(HighlightsError):
    """The engine cannot do what it was asked, whatever its tools do: a medium missing from the
    store or without the stream a step needs, a timeline that cannot be rendered, an output that
    came out without a stream or ran into its size bound."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RenderCancelled(HighlightsError):
    """The work was cancelled (``process.tool_scope``'s event was set); its tools were killed.

    Neither a ``ToolError`` nor a ``RenderError``: code that turns failures into a job's error
    code must let this through, so the job ends as cancelled rather than failed."""
