"""Processes as /proc shows them, and waiting for a condition: for the tests that check that no
process outlives its owner."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


def _fields(stat: str) -> list[str]:
    """The fields after the command name (which may hold spaces and parentheses)."""
    return stat.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Running: a zombie waiting for a parent that does not reap it counts as gone."""
    try:
        state = _fields(Path(f"/proc/{pid}/stat").read_text())[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _parents() -> dict[int, list[int]]:
    """Every process's children, by parent."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_fields((entry / "stat").read_text())[1])
        except OSError:
            continue
        children.setdefault(parent, []).append(int(entry.name))
    return children


def children(parent: int) -> list[int]:
    return _parents().get(parent, [])


def descendants(pid: int) -> set[int]:
    children = _parents()
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def until(condition: Callable[[], bool], seconds: float = 10.0, step: float = 0.02) -> bool:
    """True as soon as `condition` holds; False when it still does not after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False
