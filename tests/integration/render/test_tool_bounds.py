"""Every tool run is bounded and owned: a timeout or a cancellation kills the tool's whole
process group, a cancelled scope starts nothing, temp folders go where the scope says. Real
processes (Python programs that start a child of their own and note both pids)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from highlights.render.cores import ToolPool
from highlights.render.errors import RenderCancelled, ToolError
from highlights.render.process import (
    check_cancelled,
    run_tool,
    scratch_folder,
    start_tool,
    tool_scope,
)
from highlights.render.runner import Pass, run_at_once
from tests.processes import alive
from tests.processes import until as wait_for


def family(pids: Path) -> list[str]:
    """A program that starts a grandchild, writes both pids to ``pids`` and waits a minute."""
    script = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pids)!r} + '.tmp', 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        f"os.rename({str(pids)!r} + '.tmp', {str(pids)!r})\n"
        "time.sleep(60)\n"
    )
    return [sys.executable, "-c", script]


def read_pids(path: Path) -> list[int]:
    assert wait_for(path.exists), "the program never started"
    return [int(p) for p in path.read_text().split()]


pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")


def test_a_timeout_kills_the_tool_and_what_it_started(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    with pytest.raises(ToolError, match="timed out after 1 s"):
        run_tool(family(pids), what="family", timeout=1)
    tool, grandchild = read_pids(pids)
    assert wait_for(lambda: not alive(tool) and not alive(grandchild))


def test_cancelling_kills_a_running_tool_and_its_children(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    cancel = threading.Event()
    caught: list[BaseException] = []

    def work() -> None:
        try:
            run_tool(family(pids), what="family", timeout=300, cancel=cancel)
        except BaseException as exc:  # handed to the test thread
            caught.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    tool, grandchild = read_pids(pids)
    assert alive(tool) and alive(grandchild)
    cancel.set()
    worker.join(10)
    assert not worker.is_alive()
    assert len(caught) == 1 and isinstance(caught[0], RenderCancelled)
    assert "family: cancelled" in str(caught[0])
    assert wait_for(lambda: not alive(tool) and not alive(grandchild))


def test_the_scope_cancels_tools_in_pool_threads_and_refuses_new_ones(tmp_path: Path) -> None:
    cancel = threading.Event()
    files = [tmp_path / f"pids{k}" for k in range(2)]
    with tool_scope(cancel=cancel), ToolPool(2) as pool:
        running = [pool.submit(run_tool, family(f), what=f"tool {f.name}") for f in files]
        family_pids = [read_pids(f) for f in files]
        cancel.set()
        for future in running:
            with pytest.raises(RenderCancelled):
                future.result(10)
        # Nothing new starts once cancelled, in this thread or a pool's.
        late = tmp_path / "late"
        with pytest.raises(RenderCancelled):
            run_tool([sys.executable, "-c", f"open({str(late)!r}, 'w')"], what="late")
        with pytest.raises(RenderCancelled):
            pool.submit(check_cancelled, "late task").result(10)
    assert wait_for(lambda: not any(alive(p) for pair in family_pids for p in pair))
    assert not late.exists()
    # Outside the scope the event has no say.
    assert run_tool([sys.executable, "-c", "print('ok')"], what="after").stdout == "ok\n"


def test_background_tools_are_killed_by_cancellation(tmp_path: Path) -> None:
    cancel = threading.Event()
    pids = tmp_path / "pids"
    passes = [Pass(family(pids), "picture", seconds=1.0)]
    timer = threading.Timer(0.0, lambda: (read_pids(pids), cancel.set()))
    timer.start()
    with pytest.raises(RenderCancelled, match="render 1: cancelled"):
        run_at_once(passes, progress=None, what="render 1", timeout=300, cancel=cancel)
    timer.join()
    tool, grandchild = read_pids(pids)
    assert wait_for(lambda: not alive(tool) and not alive(grandchild))


def test_killing_a_background_tool_kills_its_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    running = start_tool(family(pids), what="picture")
    tool, grandchild = read_pids(pids)
    running.kill()
    assert wait_for(lambda: not alive(tool) and not alive(grandchild))


def test_tools_run_in_their_own_process_group() -> None:
    done = run_tool(
        [sys.executable, "-c", "import os; print(os.getpgid(0), os.getsid(0))"], what="ids"
    )
    group, session = (int(x) for x in done.stdout.split())
    assert group != os.getpgid(0) and session != os.getsid(0)


def test_scratch_folders_go_into_the_scope_and_are_removed(tmp_path: Path) -> None:
    with tool_scope(scratch=tmp_path / "work" / "tmp"), scratch_folder("contact-") as made:
        assert Path(made).parent == tmp_path / "work" / "tmp"
        (Path(made) / "cell.png").write_bytes(b"x")
    assert not Path(made).exists()
