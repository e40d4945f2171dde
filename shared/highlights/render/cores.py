"""How many cores the engine may keep busy: the CPU affinity mask, capped by a container's CPU
quota (cgroup v2 ``cpu.max`` or v1 ``cfs_quota_us``). ``os.cpu_count()`` alone counts the
host's cores: a container limited to 2 CPUs on a 64-core host would start 64 renders.

``ToolPool`` is the thread pool tools run from: a bounded number of threads that carry the
caller's ``process.tool_scope`` (its cancellation, scratch folder and tools) into every task.
"""

from __future__ import annotations

import contextvars
import math
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _fields(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError:
        return []


def cgroup_quota(root: Path = CGROUP_ROOT) -> float | None:
    """CPUs the cgroup may use (e.g. 1.5), or None without a limit."""
    fields = _fields(root / "cpu.max")  # v2: "<quota or max> <period>"
    if len(fields) < 2:  # v1: a quota of -1 is no limit
        fields = _fields(root / "cpu" / "cpu.cfs_quota_us")
        fields += _fields(root / "cpu" / "cpu.cfs_period_us")
    if len(fields) < 2:
        return None
    try:
        limit, every = float(fields[0]), float(fields[1])
    except ValueError:
        return None  # "max"
    return limit / every if limit > 0 and every > 0 else None


def usable_cores(root: Path = CGROUP_ROOT) -> int:
    """At least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    quota = cgroup_quota(root)
    if quota is not None:
        cores = min(cores, math.ceil(quota))
    return max(cores, 1)


class ToolPool(ThreadPoolExecutor):
    """A ``ThreadPoolExecutor`` of at most ``max_workers`` threads (at least 1) whose tasks run
    in a copy of the submitting thread's context: a tool a task starts is cancelled with the
    job that submitted it."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers=max(1, max_workers))

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
