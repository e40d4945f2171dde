"""One engine per bucket folder: `highlights serve` and `run` take an exclusive lock on it.

Two engines on one folder would render the same jobs at once and write the same outputs. The lock
is an `flock` on `.engine.lock` at the top of the folder, not under the state prefix: two engines
with different state prefixes on one folder would both take every manifest of its inbox. The
kernel drops it when the process ends, however it ends (a crash, kill -9), so it can never be left
stuck. In it the holder writes who it is, for the message the next one prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

LOCK_NAME = ".engine.lock"


class BucketBusy(Exception):
    """Another engine holds the folder; the message names it."""

    def __init__(self, root: Path, holder: dict[str, Any]) -> None:
        who = f"`highlights {holder.get('command', '?')}` (pid {holder.get('pid', '?')}"
        if holder.get("port"):
            who += f", port {holder['port']}"
        if holder.get("since"):
            who += f", since {holder['since']}"
        super().__init__(f"{who}) is already working on {root}")
        self.holder = holder


class BucketLock:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, command: str, *, port: int | None = None) -> None:
        """Raises BucketBusy when another process holds the folder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise BucketBusy(self.root, holder) from None
        holder = {
            "command": command,
            "pid": os.getpid(),
            "port": port,
            "since": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        self._fd = fd

    def update(self, **fields: Any) -> None:
        """Add to what the holder says about itself (the port, once it is known)."""
        if self._fd is None:
            return
        holder = {**_read(self._fd), **fields}
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps(holder).encode(), 0)

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> BucketLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read(fd: int) -> dict[str, Any]:
    try:
        value = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
