"""Finding and running ffmpeg, ffprobe and the other command-line tools the engine drives.

Tools are run without a shell, with stdin closed, and a failure becomes a ``RenderError`` that
carries the last lines of the tool's stderr: that tail is where ffmpeg says what went wrong.

Every run is bounded and owned:

- a wall-clock limit (``timeout``; ``DEFAULT_TIMEOUT`` when a caller gives none) after which
  the tool is killed and ``RenderError`` raised;
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

Media inputs: ``input_args`` opens a file with the ``file`` protocol only, read by one plain
demuxer (``PLAIN_DEMUXERS``): never a playlist or list (hls, dash, concat, image2 patterns ...)
that would make ffmpeg read other files, local or remote.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import shutil
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

from highlights.ports import HighlightsError

Arg = str | os.PathLike[str]

STDERR_TAIL_LINES = 12
DEFAULT_TIMEOUT = 600.0  # seconds, for a run whose caller gives no limit of its own
CANCEL_POLL = 0.1  # seconds between looks at a cancellation while a tool runs

# Demuxers that read one self-contained file (by their first name, as ``-f`` takes it): the
# containers and raw streams films and music come in, and single pictures. Left out on purpose:
# anything that opens other files or URLs from what it reads (hls, dash, concat, ffconcat,
# image2 with its numbered or glob patterns, playlists) and everything the engine has no use
# for. ``image2pipe`` reads one picture (or pictures back to back) from the one file.
PLAIN_DEMUXERS = frozenset(
    {
        # video and audio containers
        "mov", "matroska", "avi", "flv", "mpegts", "mpeg", "asf", "ogg", "nut",
        # audio files and raw streams
        "mp3", "wav", "w64", "aac", "flac", "aiff", "caf", "ac3", "eac3", "wv",
        "m4v", "h264", "hevc", "mpegvideo",
        # single pictures and animations
        "gif", "apng", "image2pipe", "png_pipe", "jpeg_pipe", "jpegls_pipe", "webp_pipe",
        "bmp_pipe", "tiff_pipe",
    }
)  # fmt: skip


class RenderError(HighlightsError):
    """A rendering tool is missing or failed; ``stderr_tail`` holds its last words."""

    def __init__(self, message: str, *, command: Sequence[str] = (), stderr_tail: str = "") -> None:
        full = f"{message}\n{stderr_tail}" if stderr_tail else message
        super().__init__(full)
        self.message = message
        self.command = tuple(command)
        self.stderr_tail = stderr_tail


class RenderCancelled(HighlightsError):
    """The work was cancelled (``tool_scope``'s event was set); its tools were killed.

    Not a ``RenderError``: code that turns a tool's failure into a job's error code must let
    this through, so the job ends as cancelled rather than failed."""


# -- the scope a job's tools run in ----------------------------------------------------------------


@dataclass(frozen=True)
class ToolScope:
    cancel: threading.Event | None = None
    scratch: Path | None = None  # where temp folders go (the job's work folder)


_NO_SCOPE = ToolScope()
_SCOPE: ContextVar[ToolScope | None] = ContextVar("highlights_tool_scope", default=None)


@contextlib.contextmanager
def tool_scope(
    *, cancel: threading.Event | None = None, scratch: str | os.PathLike[str] | None = None
) -> Iterator[ToolScope]:
    """Within this block (this thread, and pools made with ``cores.ToolPool``), tools stop when
    ``cancel`` is set, and ``scratch_folder`` makes its temp folders under ``scratch``: inside
    a job's work folder, they go when the folder goes, even after a crash."""
    scope = ToolScope(cancel, Path(scratch) if scratch is not None else None)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def current_scope() -> ToolScope:
    return _SCOPE.get() or _NO_SCOPE


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
        raise RenderError(f"{what}: cannot run {command[0]}", command=command) from exc


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


def find_tool(name: str, env_var: str | None = None) -> str:
    """The executable for ``name``: ``$env_var`` when set, else the one on PATH."""
    override = os.environ.get(env_var, "").strip() if env_var else ""
    if override:
        # An explicit setting that points nowhere is a configuration error, not a reason to
        # silently fall back to some other binary on PATH.
        resolved = shutil.which(override)
        if resolved is None:
            raise RenderError(f"{env_var}={override!r} is not an executable file")
        return resolved
    found = shutil.which(name)
    if found is None:
        hint = f" (or set {env_var})" if env_var else ""
        raise RenderError(f"{name} not found on PATH{hint}; install it, e.g. apt-get install")
    return found


def ffmpeg_path() -> str:
    return find_tool("ffmpeg", "HIGHLIGHTS_FFMPEG")


def ffprobe_path() -> str:
    return find_tool("ffprobe", "HIGHLIGHTS_FFPROBE")


@functools.lru_cache(maxsize=4)
def _major_version(executable: str) -> int | None:
    try:
        done = run_tool(
            [executable, "-hide_banner", "-version"], what="ffmpeg -version", timeout=30
        )
    except RenderError:
        return None
    found = re.search(r"version n?(\d+)\.", done.stdout)
    return int(found.group(1)) if found else None


def ffmpeg_major_version() -> int | None:
    """The major version of the ffmpeg in use; None when it can't be read (a git build)."""
    return _major_version(ffmpeg_path())


def filter_script_option() -> str:
    """How this ffmpeg reads a filter graph from a file: ``-filter_complex_script`` up to 6.x
    (Debian 12 ships 5.1), ``-/filter_complex`` from 7.0 on (8.0 removed the old option). A
    version that can't be read (a git build, "N-...") is taken to be new."""
    major = ffmpeg_major_version()
    return "-filter_complex_script" if major is not None and major < 7 else "-/filter_complex"


def have_ffmpeg() -> bool:
    """True when both ffmpeg and ffprobe can be found (tests use it to skip cleanly)."""
    try:
        ffmpeg_path()
        ffprobe_path()
    except RenderError:
        return False
    return True


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
    """Run ``argv`` (first item is the executable); raise ``RenderError`` unless it exits 0
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
                raise RenderError(
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
        raise RenderError(
            f"{what}: {Path(command[0]).name} exited with status {proc.returncode}",
            command=command,
            stderr_tail=stderr_tail(err),
        )
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


class RunningTool:
    """A tool started in the background (``start_tool``): ``finish`` waits for it and raises
    ``RenderError`` like ``run_tool``; ``kill`` stops it (its whole process group). Its stderr
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
            raise RenderError(
                f"{self.what}: timed out after {timeout:g} s", command=self.command
            ) from None
        _kill_group(self._proc)  # whatever the tool left running
        try:
            if code != 0:
                self._errors.seek(0)
                tail = stderr_tail(self._errors.read().decode("utf-8", "replace"))
                raise RenderError(
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


def run_ffmpeg(
    args: Sequence[Arg], *, what: str = "ffmpeg", timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """ffmpeg with the flags every engine call wants: no banner, no stats, no stdin, overwrite."""
    argv: list[Arg] = [ffmpeg_path(), "-hide_banner", "-nostdin", "-nostats", "-y", *args]
    return run_tool(argv, what=what, timeout=timeout)


def run_ffprobe(
    args: Sequence[Arg], *, what: str = "ffprobe", timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    argv: list[Arg] = [ffprobe_path(), "-hide_banner", *args]
    return run_tool(argv, what=what, timeout=timeout)


# -- media inputs ------------------------------------------------------------------------------


def demuxer_of(format_name: str) -> str | None:
    """The plain demuxer a probed ``format_name`` ("mov,mp4,m4a,...") names, or None."""
    first = format_name.split(",", 1)[0].strip()
    return first if first in PLAIN_DEMUXERS else None


def input_args(path: Arg, format_name: str = "", *options: str) -> list[str]:
    """The arguments that open ``path`` as an ffmpeg (or ffprobe) input, ``options`` (such as
    ``-ss``) included: the ``file`` protocol only, and the demuxer ``probe`` found
    (``MediaInfo.format_name``), forced and the only one allowed; before probing (no
    ``format_name``), any of ``PLAIN_DEMUXERS``. A file changed into a playlist after it was
    probed then fails to open instead of being followed."""
    demuxer = demuxer_of(format_name)
    allowed = demuxer or ",".join(sorted(PLAIN_DEMUXERS))
    forced = ["-f", demuxer] if demuxer else []
    return ["-protocol_whitelist", "file", "-format_whitelist", allowed, *forced, *options,
            "-i", os.fspath(path)]  # fmt: skip


_REFUSED = re.compile(r"\[([\w-]+) @ [^\]]*\] Format not on whitelist")


def refused_demuxer(stderr: str) -> str | None:
    """The demuxer ffmpeg/ffprobe refused to use (``Format not on whitelist``), if any."""
    found = _REFUSED.search(stderr)
    if found:
        return found.group(1)
    return "unknown" if "not on whitelist" in stderr else None


def escape_filter_value(value: str) -> str:
    """Quote ``value`` (a path or text) for use as an option value inside a filtergraph string.

    A filtergraph is parsed twice: once into filters (where ``[ ] , ;`` are special) and once
    into ``key=value`` options (where ``:`` is). Escaping for both levels lets any file name,
    including ones with colons, quotes or commas, pass through unchanged.
    """
    option_level = "".join("\\" + c if c in "\\':" else c for c in value)
    return "".join("\\" + c if c in "\\'[],;" else c for c in option_level)
