"""Running a render's ffmpeg passes side by side, bounded in time and in how many at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from highlights.render.errors import RenderCancelled, RenderError, ToolError
from highlights.render.process import RunningTool, current_scope, start_tool
from highlights.render.progress import Progress


def _out_time(line: str) -> float | None:
    key, _, value = line.partition("=")
    if key not in ("out_time_us", "out_time_ms"):  # both are microseconds
        return None
    try:
        return int(value) / 1_000_000
    except ValueError:
        return None


def _position(progress_file: Path) -> float:
    """The last output time ffmpeg wrote to its ``-progress`` file (0 before the first)."""
    try:
        text = progress_file.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return 0.0
    for line in reversed(text.splitlines()):
        found = _out_time(line.strip())
        if found is not None:
            return max(found, 0.0)
    return 0.0


@dataclass(frozen=True)
class Pass:
    """One ffmpeg run of a render: ``seconds`` of output it makes count towards the progress
    (0 for a pass not worth reporting); ``progress_file`` is where its ``-progress`` goes;
    ``then`` gives the pass to start once this one has succeeded (it may read what this one
    wrote)."""

    argv: list[str]
    what: str
    seconds: float = 0.0
    progress_file: Path | None = None
    then: Callable[[], Pass] | None = None


def run_at_once(
    passes: list[Pass],
    *,
    progress: Progress | None,
    what: str,
    timeout: float,
    limit: int | None = None,
    poll: float = 0.1,
    cancel: threading.Event | None = None,
) -> None:
    """Run the passes side by side in the order given, at most ``limit`` of those that make
    output ``seconds`` at a time (the others, short, never wait), each followed by its ``then``;
    report their combined position. The first failure or the timeout kills the rest and raises
    ToolError (with the failed pass's stderr tail); ``cancel`` (default: the tool scope's) being
    set kills them all and raises RenderCancelled."""
    cancel = cancel or current_scope().cancel
    total = sum(one.seconds for one in passes)
    reported = [(one.progress_file, one.seconds) for one in passes if one.progress_file]
    waiting = list(passes)
    running: list[tuple[Pass, RunningTool]] = []
    try:
        deadline = time.monotonic() + timeout
        last = -1.0
        while running or waiting:
            busy = sum(1 for one, _ in running if one.seconds > 0)
            while waiting and (limit is None or busy < limit or waiting[0].seconds <= 0):
                one = waiting.pop(0)
                running.append((one, start_tool(one.argv, what=one.what, cancel=cancel)))
                busy += one.seconds > 0
            for one, run in list(running):
                if run.poll() is None:
                    continue
                run.finish()  # raises with the tail of its stderr unless it succeeded
                running.remove((one, run))
                if one.then is not None:
                    follow = one.then()
                    running.append(
                        (follow, start_tool(follow.argv, what=follow.what, cancel=cancel))
                    )
            if cancel is not None and cancel.is_set():
                raise RenderCancelled(f"{what}: cancelled")
            if (running or waiting) and time.monotonic() > deadline:
                raise ToolError(f"{what}: ffmpeg timed out after {timeout:.0f} s")
            if progress and total > 0:
                done = sum(min(_position(path), seconds) for path, seconds in reported)
                fraction = min(done / total, 1.0)
                if fraction - last >= 0.01:
                    last = fraction
                    progress(fraction, f"{what}: {fraction:.0%}")
            if running or waiting:
                time.sleep(poll)
    finally:
        for _, run in running:
            run.kill()


def within_bounds(files: list[tuple[Path, int]], what: str) -> None:
    """RenderError when a pass wrote up to its ``-fs`` bound: ffmpeg stops there and exits 0,
    so the file is cut short, and only its size tells."""
    for path, bound in files:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue
        if bound and size >= bound:
            raise RenderError(
                f"{what}: {path.name} reached its size bound ({bound} bytes): the render ran away"
            )
