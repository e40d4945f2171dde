"""Running the command-line tools the engine drives, each bounded and owned.

Tools are run without a shell, with stdin closed, and a failure becomes a ``ToolError`` that
carries the last lines of the tool's stderr.

Every run is bounded and owned:

- a wall-clock limit (``timeout``; ``DEFAULT_TIMEOUT`` when a caller gives none) after which
  the tool is killed and ``ToolError`` raised;
- its own process group (``start_new_session``), so a timeout or a cancellation kills the tool
  and anything it started, never leaving a grandchild behind;
- the parent-death signal (Linux ``PR_SET_PDEATHSIG`` = SIGKILL), so a ``kill -9`` of the
  Python process takes its tools with it instead of leaving them to run on under init. The
  signal fires when the *thread* that started the tool ends; that is safe here because every
  run is waited for (or killed) by the very call that started it, on the same thread;
- cancellation: a ``threading.Event`` (``tool_scope(cancel=...)`` for everything run inside
  it, including thread pools made with ``cores.ToolPool``, or ``cancel=`` per call). Once it is
  set, running tools are killed within ``CANCEL_POLL`` seconds, and no new one starts; both
  raise ``RenderCancelled``.

The scope also says which tools to run (``tools``: the settings' ``Tools``; ``Tools.on_path()``
outside any scope) and where temp folders go (``scratch``: the job's work folder).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from highlights.render.errors import RenderCancelled, ToolError
from highlights.render.tools import Tools

Arg = str | os.PathLike[str]

STDERR_TAIL_LINES = 12
DEFAULT_TIMEOUT = 600.0  # seconds, for a run whose caller gives no limit of its own
CANCEL_POLL = 0.1  # seconds between looks at a cancellation while a tool runs


# -- the scope a job's tools run in ----------------------------------------------------------------


@dataclass(frozen=True)
class ToolScope:
    cancel: threading.Event | None = None
    scratch: Path | None = None  # where temp folders go (the job's work folder)
    tools: Tools | None = None  # None: Tools.on_path()


_NO_SCOPE = ToolScope()
_SCOPE: ContextVar[ToolScope | None] = ContextVar("highlights_tool_scope", default=None)


@contextlib.contextmanager
def tool_scope(
    *,
    cancel: threading.Event | None = None,
    scratch: str | os.PathLike[str] | None = None,
    tools: Tools | None = None,
) -> Iterator[ToolScope]:
    """Within this block (this thread, and pools made with ``cores.ToolPool``), tools stop when
    ``cancel`` is set, ``scratch_folder`` makes its temp folders under ``scratch`` (inside a
    job's work folder, they go when the folder goes, even after a crash), and the tools run are
    ``tools``'. What a scope leaves out, it takes from the scope it is nested in."""
    outer = current_scope()
    scope = ToolScope(
        cancel if cancel is not None else outer.cancel,
        Path(scratch) if scratch is not None else outer.scratch,
        tools if tools is not None else outer.tools,
    )
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def current_scope() -> ToolScope:
    return _SCOPE.get() or _NO_SCOPE


def current_tools() -> Tools:
    """The tools of the current scope; what PATH offers outside any."""
    return current_scope().tools or Tools.on_path()


def check_cancelled(what: str, cancel: threading.Event | None = None) -> None:
    """Raise ``RenderCancelled`` when the scope's (or the given) event is set."""
    event = cancel or current_scope().cancel
    if event is not None and event.is_set():
        raise RenderCancelled(f"{what}: cancelled")


def scratch_folder(prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A temp folder (a context manager that removes it) in the scope's scratch folder."""
    scratch = current_scope().scratch
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=scratch)


# -- processes ---------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


@functools.lru_cache(maxsize=1)
def _prctl() -> Any:
    """libc's prctl, looked up once in the parent (the child must not load libraries)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


def _child_setup() -> Callable[[], None] | None:
    """What the child runs between fork and exec: die with its parent."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent, kill = os.getpid(), int(signal.SIGKILL)

    def setup() -> None:
        prctl(_PR_SET_PDEATHSIG, kill, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), kill)

    return setup


def _spawn(
    command: list[str], what: str, *, cancel: threading.Event | None = None, **options: Any
) -> subprocess.Popen[Any]:
    check_cancelled(what, cancel)
    try:
        return subprocess.Popen(
            command, start_new_session=True, preexec_fn=_child_setup(), **options
        )
    except FileNotFoundError as exc:
        raise ToolError(f"{what}: cannot run {command[0]}", command=command) from exc


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the tool's whole process group: the tool, or what it left running after it
    exited. The group's id is the tool's pid, which is not reused while the tool is unreaped
    or any member of its group lives; once neither holds, killpg finds nothing (a new process
    could only take the id after the pid space wrapped around)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:  # not our group after all: at least the tool itself
        if proc.returncode is None:
            proc.kill()


def stderr_tail(stderr: str, lines: int = STDERR_TAIL_LINES) -> str:
    kept = [line for line in stderr.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def run_tool(
    argv: Sequence[Arg],
    *,
    what: str,
    input_text: str | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (first item is the executable); raise ``ToolError`` unless it exits 0
    within ``timeout`` seconds (``DEFAULT_TIMEOUT`` when None), ``RenderCancelled`` once
    ``cancel`` (default: the scope's) is set. ``env`` adds variables for the child only.

    Output is decoded as UTF-8 with replacement: ffmpeg echoes file names and metadata, which
    need not be valid UTF-8, and a decoding error must never hide the real failure.
    """
    command = [os.fspath(a) for a in argv]
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    event = cancel or current_scope().cancel
    proc = _spawn(
        command,
        what,
        cancel=event,
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        # The child's own variables: the parent's, which the child inherits anyway, plus these.
        env={**os.environ, **env} if env else None,
    )
    deadline = time.monotonic() + limit
    pending = input_text
    try:
        while True:
            left = max(deadline - time.monotonic(), 0.0)
            try:
                out, err = proc.communicate(pending, timeout=min(left, CANCEL_POLL))
                break
            except subprocess.TimeoutExpired:
                pending = None  # already being written; communicate must not get it twice
            if proc.poll() is not None:
                # The tool is done, but something it started holds its output open.
                _kill_group(proc)
                out, err = proc.communicate()
                break
            if event is not None and event.is_set():
                raise RenderCancelled(f"{what}: cancelled")
            if time.monotonic() >= deadline:
                _kill_group(proc)
                _, partial = proc.communicate()
                raise ToolError(
                    f"{what}: timed out after {limit:g} s",
                    command=command,
                    stderr_tail=stderr_tail(partial or ""),
                )
    finally:
        if proc.returncode is None:  # cancelled, or interrupted by an exception
            _kill_group(proc)
            with contextlib.suppress(OSError, ValueError):
                proc.communicate()
        else:
            _kill_group(proc)  # whatever the tool left running
    if proc.returncode != 0:
        raise ToolError(
            f"{what}: {Path(command[0]).name} exited with status {proc.returncode}",
            command=command,
            stderr_tail=stderr_tail(err),
        )
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


class RunningTool:
    """A tool started in the background (``start_tool``): ``finish`` waits for it and raises
    ``ToolError`` like ``run_tool``; ``kill`` stops it (its whole process group). Its stderr
    goes to a temp file, so a chatty tool can't fill a pipe and stall."""

    def __init__(
        self, argv: Sequence[Arg], *, what: str, cancel: threading.Event | None = None
    ) -> None:
        self.command = [os.fspath(a) for a in argv]
        self.what = what
        self._errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by finish or kill)
        try:
            self._proc = _spawn(
                self.command,
                what,
                cancel=cancel,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._errors,
            )
        except BaseException:
            self._errors.close()
            raise

    @property
    def pid(self) -> int:
        return self._proc.pid

    def poll(self) -> int | None:
        """The exit status, or None while it runs."""
        return self._proc.poll()

    def finish(self, timeout: float | None = None) -> None:
        try:
            code = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ToolError(
                f"{self.what}: timed out after {timeout:g} s", command=self.command
            ) from None
        _kill_group(self._proc)  # whatever the tool left running
        try:
            if code != 0:
                self._errors.seek(0)
                tail = stderr_tail(self._errors.read().decode("utf-8", "replace"))
                raise ToolError(
                    f"{self.what}: {Path(self.command[0]).name} exited with status {code}",
                    command=self.command,
                    stderr_tail=tail,
                )
        finally:
            self._errors.close()

    def kill(self) -> None:
        if self._proc.returncode is None:
            _kill_group(self._proc)
            self._proc.wait()
        self._errors.close()


def start_tool(
    argv: Sequence[Arg], *, what: str, cancel: threading.Event | None = None
) -> RunningTool:
    """Start ``argv`` without waiting for it (see ``RunningTool``); ``RenderCancelled`` if
    ``cancel`` (default: the scope's) is already set."""
    return RunningTool(argv, what=what, cancel=cancel)
