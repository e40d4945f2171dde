"""What the command line writes, line by line: the plain progress lines, the estimate of what
remains, the two log formats; and rich stays on the command line's side."""

from __future__ import annotations

import ast
import io
import json
import logging
from pathlib import Path

import pytest

from highlights.local.console import (
    Clock,
    Console,
    Progress,
    clock,
    console_for,
    job_line,
    remaining,
)
from highlights.local.logs import HumanFormatter, configured, level_for

LIBRARY = Path(__file__).resolve().parents[2] / "shared" / "highlights"


def test_plain_lines_come_with_each_state_and_each_tenth() -> None:
    out = io.StringIO()
    console = Console(out)
    console.job("night-1", Progress("SUBMITTED"))
    console.job("night-1", Progress("SUBMITTED"))
    for step in range(101):  # every percent, as a fast poller would see it
        console.job("night-1", Progress("PROCESSING", step / 100, f"render 1: {step}%"))
    console.done("night-1", ["job night-1: SUCCEEDED", "  video   v.mp4  (9.0 s)"])
    lines = out.getvalue().splitlines()
    assert lines[0] == "job night-1: SUBMITTED"
    assert lines[1] == "job night-1: PROCESSING   0%  render 1: 0%"
    assert lines[2] == "job night-1: PROCESSING  10%  render 1: 10%"
    assert lines[-3] == "job night-1: PROCESSING 100%  render 1: 100%"
    assert len(lines) == 1 + 11 + 2
    assert lines[-2:] == ["job night-1: SUCCEEDED", "  video   v.mp4  (9.0 s)"]


def test_a_job_seen_again_after_its_report_starts_over() -> None:
    out = io.StringIO()
    console = Console(out, stamped=True)
    console.job("a", Progress("SUBMITTED"), quiet=True)  # said in other words already
    console.job("a", Progress("SUBMITTED"))
    console.done("a", ["job a: FAILED"])
    console.job("a", Progress("SUBMITTED"))
    lines = out.getvalue().splitlines()
    assert [line[10:] for line in lines] == ["job a: FAILED", "job a: SUBMITTED"]
    assert all(line[2] == ":" and line[8:10] == "  " for line in lines)  # HH:MM:SS first


def test_job_line() -> None:
    assert job_line("j", Progress("SUBMITTED")) == "job j: SUBMITTED"
    assert (
        job_line("j", Progress("PROCESSING", 0.376, "output 2"))
        == "job j: PROCESSING  38%  output 2"
    )


def test_not_a_terminal_gets_plain_lines() -> None:
    assert type(console_for(io.StringIO())) is Console


@pytest.mark.parametrize(
    ("seconds", "done", "left", "expected"),
    [
        (10.0, 0.25, 0.5, 20.0),  # a quarter in 10 s: half more in 20 s
        (0.5, 0.1, 0.9, None),  # too soon to tell
        (10.0, 0.0, 0.9, None),  # no progress, no pace
    ],
)
def test_remaining(seconds: float, done: float, left: float, expected: float | None) -> None:
    assert remaining(seconds, done, left) == expected


def test_the_clock_shows_time_so_far_and_what_remains() -> None:
    timer = Clock(started=100.0)
    assert timer.show(105.0, None) == "0:05"
    assert timer.show(106.0, 0.2) == "0:06"  # the engine has only just started reporting
    assert timer.show(116.0, 0.4) == "0:16  ~0:30 left"  # 0.2 in 10 s: 0.6 in 30 s
    assert [clock(s) for s in (7, 750, 3723)] == ["0:07", "12:30", "1:02:03"]


def record(message: str, level: int = logging.WARNING, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("highlights.x", level, __file__, 1, message, None, None)
    entry.__dict__.update(extra)
    return entry


def test_text_logs_are_one_short_line_with_the_job() -> None:
    line = HumanFormatter().format(record("output 2 failed", job_id="night-3f2a"))
    assert line[2] == ":" and line[5] == ":"
    assert line[9:] == "warning output 2 failed [night-3f2a]"
    try:
        raise ValueError("no match")
    except ValueError:
        import sys

        failing = record("reconcile failed", logging.ERROR, ice_job_id="local-1")
        failing.exc_info = sys.exc_info()
    assert HumanFormatter().format(failing)[9:] == (
        "error reconcile failed [local-1] (ValueError: no match)"
    )
    assert "Traceback" in HumanFormatter(tracebacks=True).format(failing)


def test_levels() -> None:
    assert [level_for(v) for v in (0, 1, 2, 5)] == [30, 20, 10, 10]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_logs_go_to_stderr_for_the_length_of_a_command(
    log_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    library = logging.getLogger("highlights")
    before = (library.handlers[:], library.level, logging.getLogger().handlers[:])
    log = logging.getLogger("highlights.jobs.accept")
    with configured(verbosity=1, log_format=log_format):
        log.debug("not shown")
        log.info("job submitted", extra={"job_id": "night-1"})
        logging.getLogger("urllib3").info("not shown either")
        logging.getLogger("urllib3").warning("retrying")
    assert (library.handlers, library.level, logging.getLogger().handlers) == (
        before[0],
        before[1],
        before[2],
    )
    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    if log_format == "json":
        first = json.loads(lines[0])
        assert first["message"] == "job submitted" and first["job_id"] == "night-1"
        assert first["level"] == "INFO" and first["service"] == "highlights"
        assert json.loads(lines[1])["message"] == "retrying"
    else:
        assert lines[0].endswith(" info job submitted [night-1]")
        assert lines[1].endswith(" warning retrying")


def test_rich_is_imported_by_the_console_only() -> None:
    """Function Compute's package leaves rich out: nothing it imports may need it."""
    importers = []
    for path in sorted(LIBRARY.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(name == "rich" or name.startswith("rich.") for name in names):
                importers.append(str(path.relative_to(LIBRARY)))
    assert sorted(set(importers)) == ["local/console.py"]
