"""What `run`, `retry`, `demo` and `serve` show a person on stdout: lines of text, and the progress
of the jobs they follow.

On a terminal, one line per job updates in place (state, percent, the current step, time elapsed
and an estimate of what remains) and a finished job is printed once, with its report: rich's
progress display does the terminal work. Anywhere else (a pipe, a file, CI) the same jobs give
plain lines at a modest rate: each state change, and every tenth of the way. Rich is the `cli`
extra: without it a terminal gets the plain lines too. Function Compute never imports this.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

STEPS = 10  # plain lines: one each tenth of the way


@dataclass(frozen=True)
class Progress:
    """A job as it looks now: its state (as the pipeline or, while it renders, the engine tells),
    how far it is (0..1, when the engine says), and what it is doing."""

    state: str
    fraction: float | None = None
    step: str = ""


class Console:
    """Plain lines, flushed as written: a reader at the end of a pipe sees them as they happen."""

    def __init__(self, out: TextIO, *, stamped: bool = False) -> None:
        self.out = out
        self.stamped = stamped  # each job line starts with the time (serve: a log of events)
        self._lock = threading.Lock()
        self._shown: dict[str, tuple[str, int]] = {}  # job -> (state, tenths) last printed

    def __enter__(self) -> Console:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def line(self, text: str = "") -> None:
        with self._lock:
            print(text, file=self.out, flush=True)

    def job(self, job_id: str, now: Progress, *, quiet: bool = False) -> None:
        """The job's progress: printed when its state changes or it passes a tenth (`quiet`:
        it was just said another way)."""
        tenths = int((now.fraction or 0.0) * STEPS + 1e-9)
        with self._lock:
            last = self._shown.get(job_id)
            if last is not None and last[0] == now.state and tenths <= last[1]:
                return
            self._shown[job_id] = (now.state, tenths)
        if not quiet:
            self.line(self._stamp() + job_line(job_id, now))

    def done(self, job_id: str, report: Sequence[str]) -> None:
        """The job ended: its report, once."""
        self._forget(job_id)
        for i, text in enumerate(report):
            self.line((self._stamp() if i == 0 else "") + text)

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._shown.pop(job_id, None)

    def _stamp(self) -> str:
        return time.strftime("%H:%M:%S  ") if self.stamped else ""


def job_line(job_id: str, now: Progress) -> str:
    """`job night-3f2a9c01b7de: PROCESSING  40%  output 1: render 1: 12%`."""
    text = f"job {job_id}: {now.state}"
    if now.fraction is not None:
        text += f" {now.fraction * 100:3.0f}%"
    if now.step:
        text += f"  {now.step}"
    return text


class LiveConsole(Console):
    """`⠹ night-3f2a9c01b7de PROCESSING ━━━━━━━╺━━━━━━━━  40%  0:12  ~0:18 left  output 1: render…`,
    one such line per job, redrawn a few times a second by rich's progress display."""

    def __init__(self, out: TextIO, *, stamped: bool = False) -> None:
        from rich.console import Console as Terminal
        from rich.progress import BarColumn, SpinnerColumn, TaskProgressColumn, TextColumn
        from rich.progress import Progress as Display
        from rich.table import Column

        super().__init__(out, stamped=stamped)
        self._display = Display(
            SpinnerColumn(),
            TextColumn("{task.fields[job]}", table_column=Column(no_wrap=True)),
            TextColumn("{task.fields[state]:<10}", table_column=Column(no_wrap=True)),
            BarColumn(bar_width=20),
            TaskProgressColumn(),
            TextColumn("{task.fields[times]}", style="progress.elapsed"),
            TextColumn(
                "{task.fields[step]}",
                table_column=Column(no_wrap=True, overflow="ellipsis", min_width=10),
            ),
            console=Terminal(file=out, highlight=False),
            refresh_per_second=4,
            # Logs on stderr print above the display when stderr is this terminal too; into a
            # file they go straight there.
            redirect_stderr=is_terminal(sys.stderr),
        )
        self._tasks: dict[str, Any] = {}
        self._clocks: dict[str, Clock] = {}
        self._display.start()

    def close(self) -> None:
        self._display.stop()

    def line(self, text: str = "") -> None:
        # Never wrapped by rich: a path stays one line to copy (the terminal folds it on screen).
        self._display.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def job(self, job_id: str, now: Progress, *, quiet: bool = False) -> None:
        # No total (a pulsing bar, no percent) until the engine tells how far it is.
        fields: dict[str, Any] = {
            "total": None if now.fraction is None else 1.0,
            "completed": now.fraction or 0.0,
            "state": now.state,
            "step": now.step,
        }
        with self._lock:
            clock = self._clocks.setdefault(job_id, Clock(time.monotonic()))
            fields["times"] = clock.show(time.monotonic(), now.fraction)
            task = self._tasks.get(job_id)
            if task is None:
                self._tasks[job_id] = self._display.add_task(job_id, job=job_id, **fields)
                return
        self._display.update(task, **fields)

    def _forget(self, job_id: str) -> None:
        with self._lock:
            task = self._tasks.pop(job_id, None)
            self._clocks.pop(job_id, None)
        if task is not None:
            self._display.remove_task(task)
            self._display.refresh()  # the report prints below what is shown now: not the job


@dataclass
class Clock:
    """A job's time so far and an estimate of what remains: the pace since the engine started
    reporting progress, kept up."""

    started: float
    moving: tuple[float, float] | None = None  # (time, fraction) of the first report above 0

    def show(self, now: float, fraction: float | None) -> str:
        text = clock(now - self.started)
        if fraction is None or fraction <= 0.0:
            return text
        if self.moving is None:
            self.moving = (now, fraction)
        left = remaining(now - self.moving[0], fraction - self.moving[1], 1.0 - fraction)
        return text if left is None else f"{text}  ~{clock(left)} left"


def remaining(seconds: float, done: float, left: float) -> float | None:
    """What remains at the pace so far (`done` of the whole in `seconds`); None without a pace."""
    if seconds < 1.0 or done <= 0.0:
        return None
    return left * seconds / done


def clock(seconds: float) -> str:
    """`0:07`, `12:30`, `1:02:03`."""
    minutes, secs = divmod(int(max(seconds, 0.0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no such method; a closed file
        return False


def console_for(out: TextIO | None = None, *, stamped: bool = False) -> Console:
    """A live display when `out` is a terminal (and rich is installed), else plain lines."""
    out = sys.stdout if out is None else out
    if is_terminal(out) and os.environ.get("TERM") != "dumb":
        try:
            return LiveConsole(out, stamped=stamped)
        except ImportError:  # rich is the `cli` extra
            pass
    return Console(out, stamped=stamped)
