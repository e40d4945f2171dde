"""Finding and running ffmpeg, ffprobe and the other command-line tools the engine drives.

Tools are run without a shell, with stdin closed, and a failure becomes a ``RenderError`` that
carries the last lines of the tool's stderr: that tail is where ffmpeg says what went wrong.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from highlights.ports import HighlightsError

Arg = str | os.PathLike[str]

STDERR_TAIL_LINES = 12


class RenderError(HighlightsError):
    """A rendering tool is missing or failed; ``stderr_tail`` holds its last words."""

    def __init__(self, message: str, *, command: Sequence[str] = (), stderr_tail: str = "") -> None:
        full = f"{message}\n{stderr_tail}" if stderr_tail else message
        super().__init__(full)
        self.message = message
        self.command = tuple(command)
        self.stderr_tail = stderr_tail


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
        done = run_tool([executable, "-hide_banner", "-version"], what="ffmpeg -version")
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
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (first item is the executable); raise ``RenderError`` unless it exits 0.
    ``env`` adds variables to this process's environment for the child only.

    Output is decoded as UTF-8 with replacement: ffmpeg echoes file names and metadata, which
    need not be valid UTF-8, and a decoding error must never hide the real failure.
    """
    command = [os.fspath(a) for a in argv]
    try:
        done = subprocess.run(
            command,
            input=input_text,
            stdin=None if input_text is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
            env={**os.environ, **env} if env else None,
        )
    except FileNotFoundError as exc:
        raise RenderError(f"{what}: cannot run {command[0]}", command=command) from exc
    except subprocess.TimeoutExpired as exc:
        partial = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else ""
        raise RenderError(
            f"{what}: timed out after {timeout} s",
            command=command,
            stderr_tail=stderr_tail(partial),
        ) from exc
    if done.returncode != 0:
        raise RenderError(
            f"{what}: {Path(command[0]).name} exited with status {done.returncode}",
            command=command,
            stderr_tail=stderr_tail(done.stderr),
        )
    return done


class RunningTool:
    """A tool started in the background (``start_tool``): ``finish`` waits for it and raises
    ``RenderError`` like ``run_tool``; ``kill`` stops it. Its stderr goes to a temp file, so a
    chatty tool can't fill a pipe and stall."""

    def __init__(self, argv: Sequence[Arg], *, what: str) -> None:
        self.command = [os.fspath(a) for a in argv]
        self.what = what
        self._errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by finish or kill)
        try:
            self._proc = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._errors,
            )
        except FileNotFoundError as exc:
            self._errors.close()
            raise RenderError(
                f"{what}: cannot run {self.command[0]}", command=self.command
            ) from exc

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
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._errors.close()


def start_tool(argv: Sequence[Arg], *, what: str) -> RunningTool:
    """Start ``argv`` without waiting for it (see ``RunningTool``)."""
    return RunningTool(argv, what=what)


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


def escape_filter_value(value: str) -> str:
    """Quote ``value`` (a path or text) for use as an option value inside a filtergraph string.

    A filtergraph is parsed twice: once into filters (where ``[ ] , ;`` are special) and once
    into ``key=value`` options (where ``:`` is). Escaping for both levels lets any file name,
    including ones with colons, quotes or commas, pass through unchanged.
    """
    option_level = "".join("\\" + c if c in "\\':" else c for c in value)
    return "".join("\\" + c if c in "\\'[],;" else c for c in option_level)
