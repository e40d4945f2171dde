"""Running a render's passes side by side: the limit, follow-ups, failures, progress."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from highlights.render.errors import ToolError
from highlights.render.runner import Pass, run_at_once


def job(log: Path, name: str, seconds: float = 0.3, code: int = 0) -> list[str]:
    """A process that notes when it starts and ends in ``log``, then exits with ``code``."""
    script = (
        "import sys, time\n"
        f"open({str(log)!r}, 'a').write(f'{name} start {{time.time()}}\\n')\n"
        f"time.sleep({seconds})\n"
        f"open({str(log)!r}, 'a').write(f'{name} end {{time.time()}}\\n')\n"
        f"print('failing on purpose', file=sys.stderr) if {code} else None\n"
        f"sys.exit({code})\n"
    )
    return [sys.executable, "-c", script]


def events(log: Path) -> list[tuple[float, str, str]]:
    found = []
    for line in log.read_text().splitlines():
        name, kind, at = line.split()
        found.append((float(at), name, kind))
    return sorted(found)


def most_at_once(log: Path) -> int:
    running, most = 0, 0
    for _, _, kind in events(log):
        running += 1 if kind == "start" else -1
        most = max(most, running)
    return most


def test_passes_run_at_most_limit_at_a_time_in_order(tmp_path: Path) -> None:
    log = tmp_path / "log"
    passes = [Pass(job(log, f"p{i}"), f"pass {i}", seconds=1.0) for i in range(5)]
    run_at_once(passes, progress=None, what="test", timeout=60, limit=2)
    assert most_at_once(log) == 2
    starts = [name for _, name, kind in events(log) if kind == "start"]
    assert set(starts[:2]) == {"p0", "p1"} and starts[-1] == "p4"  # launched in order
    assert sum(1 for _, _, kind in events(log) if kind == "end") == 5


def test_a_pass_without_output_seconds_does_not_wait_for_a_slot(tmp_path: Path) -> None:
    log = tmp_path / "log"
    passes = [
        Pass(job(log, "picture", 0.5), "picture", seconds=1.0),
        Pass(job(log, "sound", 0.5), "sound"),  # short work that never holds up the others
    ]
    run_at_once(passes, progress=None, what="test", timeout=60, limit=1)
    assert most_at_once(log) == 2


def test_a_follow_up_starts_when_its_pass_has_succeeded_and_reads_its_output(
    tmp_path: Path,
) -> None:
    log = tmp_path / "log"
    made = tmp_path / "made.txt"
    write = [sys.executable, "-c", f"open({str(made)!r}, 'w').write('7')"]

    def then() -> Pass:
        assert made.read_text() == "7"  # what the first pass wrote
        return Pass(job(log, "second", 0.05), "second")

    run_at_once([Pass(write, "first", then=then)], progress=None, what="test", timeout=60)
    assert [name for _, name, _ in events(log)] == ["second", "second"]


def test_a_failure_stops_the_others_and_names_the_pass(tmp_path: Path) -> None:
    log = tmp_path / "log"
    passes = [
        Pass(job(log, "slow", 30), "slow pass", seconds=1.0),
        Pass(job(log, "bad", 0.1, code=3), "bad pass", seconds=1.0),
        Pass(job(log, "later", 0.1), "later pass", seconds=1.0),
    ]
    started = time.monotonic()
    with pytest.raises(ToolError) as caught:
        run_at_once(passes, progress=None, what="test", timeout=60, limit=2)
    assert time.monotonic() - started < 10  # the slow one was killed, not waited for
    assert "bad pass" in str(caught.value) and "failing on purpose" in str(caught.value)
    names = {name for _, name, _ in events(log)}
    assert names == {"slow", "bad"}  # the waiting pass never started
    assert ("slow", "end") not in {(name, kind) for _, name, kind in events(log)}


def test_a_timeout_kills_everything(tmp_path: Path) -> None:
    log = tmp_path / "log"
    with pytest.raises(ToolError, match="timed out"):
        run_at_once([Pass(job(log, "slow", 30), "slow")], progress=None, what="t", timeout=0.5)
    assert [kind for _, _, kind in events(log)] == ["start"]


def test_progress_adds_up_the_passes_positions(tmp_path: Path) -> None:
    files = [tmp_path / "a.progress", tmp_path / "b.progress"]

    # Each pass writes ffmpeg-style progress: 1 s of its 2 s, then all of it.
    def writer(path: Path) -> list[str]:
        script = (
            f"import time; f = open({str(path)!r}, 'a')\n"
            "f.write('out_time_us=1000000\\nprogress=continue\\n'); f.flush(); time.sleep(0.5)\n"
            "f.write('out_time_us=2000000\\nprogress=end\\n')"
        )
        return [sys.executable, "-c", script]

    passes = [
        Pass(writer(path), f"picture {i}", seconds=2.0, progress_file=path)
        for i, path in enumerate(files)
    ]
    seen: list[float] = []
    run_at_once(passes, progress=lambda f, m: seen.append(f), what="t", timeout=60, poll=0.05)
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert any(0.4 <= f <= 0.6 for f in seen)  # both half way: half of the whole
