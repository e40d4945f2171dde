"""The render unit tests touch no disk and start no process: a test that opens a file to write,
creates, moves or removes one, or starts a program fails, naming what it did. Tests that need
files, ffmpeg or media belong in tests/integration/render."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_CHANGES = {"os.mkdir", "os.remove", "os.rename", "os.rmdir", "os.truncate", "os.symlink",
            "os.link", "os.chmod", "os.utime", "shutil.rmtree", "shutil.copyfile"}  # fmt: skip
_STARTS = {"subprocess.Popen", "os.system", "os.posix_spawn", "os.exec", "os.fork"}
_watching: list[bool] = [False]


def _watch(event: str, args: tuple[Any, ...]) -> None:
    if not _watching[0]:
        return
    if event == "open":
        path, mode, flags = args
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
            isinstance(flags, int) and flags & _WRITING
        )
        # Hypothesis keeps its example database on disk; that is the test runner's, not the test's.
        if writes and ".hypothesis" not in str(path):
            raise AssertionError(f"a unit test wrote to {path!r}")
    elif event in _CHANGES:
        raise AssertionError(f"a unit test changed the disk: {event}{args!r}")
    elif event in _STARTS:
        raise AssertionError(f"a unit test started a process: {event}")


sys.addaudithook(_watch)


@pytest.fixture(autouse=True)
def _no_disk_no_processes() -> Iterator[None]:
    _watching[0] = True
    try:
        yield
    finally:
        _watching[0] = False
