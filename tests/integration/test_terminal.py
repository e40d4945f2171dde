"""The command line as a person and a pipe see it: `highlights run` and `serve` as processes, with
and without a terminal (a pseudo-terminal from `pty`), on a stand-in renderer
(tests/integration/cli_standin.py) that holds each job PROCESSING until the test opens its gate."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from highlights.demo import manifests
from tests.support import output_shape

ROOT = Path(__file__).resolve().parents[2]
STANDIN = Path(__file__).with_name("cli_standin.py")
README = (ROOT / "README.md").read_text(encoding="utf-8")
WAIT = 60.0  # seconds a test waits for output at most (it fails then, rather than hang)
HUMAN = re.compile(
    r"(manifest  \S+  \(bucket .+\)"
    r"|job [a-z0-9-]+: [A-Z_]+( +\d+%)?(  .*)?"
    r"|  (result|rejection|video|sheet|error|failed) +\S.*)"
)


@pytest.fixture
def job(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """The demo's two-output manifest, a bucket folder, and an environment with the gate."""
    manifest = tmp_path / "demo-global-narration.json"
    manifest.write_text(json.dumps(manifests()["demo-global-narration"]))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIGHLIGHTS_", "POWERTOOLS_"))}
    env |= {"HIGHLIGHTS_TEST_GATE": str(tmp_path / "gate"), "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    return manifest, tmp_path / "demo-bucket", env


def start(args: list[str], env: dict[str, str], **streams: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(STANDIN), *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        **streams,  # type: ignore[call-overload]
    )


def read_until(fd: int, seen: bytearray, done: Callable[[bytes], bool]) -> bool:
    """Read from fd into seen until done(seen), the end of the stream, or WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not done(bytes(seen)) and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # a pseudo-terminal whose other end is closed
            return done(bytes(seen))
        if not chunk:
            break
        seen += chunk
    return done(bytes(seen))


def open_gate(env: dict[str, str]) -> None:
    Path(env["HIGHLIGHTS_TEST_GATE"]).touch()


def test_run_in_a_pipe_prints_human_lines_only(job: tuple[Path, Path, dict[str, str]]) -> None:
    manifest, bucket, env = job
    process = start(
        ["run", str(manifest), "--bucket", str(bucket)],
        env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    seen = bytearray()
    try:
        assert read_until(process.stdout.fileno(), seen, lambda b: b"PROCESSING" in b), seen
        open_gate(env)
        rest, err = process.communicate(timeout=WAIT)
    finally:
        process.kill()
    text = (bytes(seen) + rest).decode()
    lines = text.splitlines()
    assert process.returncode == 0, text + err.decode()
    assert err == b""  # nothing to warn about: no log lines at all
    assert len(lines) < 40
    assert [line for line in lines if not HUMAN.fullmatch(line)] == []
    states = [m.group(1) for line in lines if (m := re.match(r"job \S+: ([A-Z_]+)", line))]
    assert states[0] == "SUBMITTED" and states[-1] == "SUCCEEDED" and "PROCESSING" in states
    assert sum(line.startswith("  video") for line in lines) == 2
    assert sum(line.startswith("  sheet") for line in lines) == 2
    # The README's sample of `highlights run` is this output, up to names, numbers and repeats.
    shown = README.split("$ .venv/bin/highlights run examples/storyboard-manual.json", 1)[1]
    sample = shown.split("\n", 1)[1].split("```", 1)[0]
    assert output_shape(sample) == output_shape(text)


def test_run_on_a_terminal_updates_one_line_in_place(
    job: tuple[Path, Path, dict[str, str]],
) -> None:
    manifest, bucket, env = job
    controller, terminal = pty.openpty()
    process = start(
        ["run", str(manifest), "--bucket", str(bucket)], env, stdout=terminal, stderr=terminal
    )
    os.close(terminal)
    seen = bytearray()
    try:
        # The job's line, redrawn: the same line (the job id, PROCESSING) returned to and erased.
        redrawn = re.compile(rb"\r\x1b\[2K[^\r\n]*demo-global-narration-[0-9a-f]{12} PROCESSING")
        assert read_until(controller, seen, lambda b: len(redrawn.findall(b)) >= 3), seen
        open_gate(env)
        read_until(controller, seen, lambda b: False)  # to the end
        assert process.wait(timeout=WAIT) == 0
    finally:
        process.kill()
        os.close(controller)
    # What stays on the screen: each redraw starts at the line's start (\r) and erases it.
    frames = re.split(r"[\r\n]+", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", bytes(seen).decode()))
    assert [f for f in frames if re.fullmatch(r"job demo-global-narration-\w+: SUCCEEDED", f)]
    assert sum(f.startswith("  video   ") for f in frames) == 2
    assert sum(f.startswith("  sheet   ") for f in frames) == 2
    assert not [f for f in frames if f.startswith("job ") and "PROCESSING" in f]


def test_json_logs_on_stderr_and_human_lines_on_stdout(
    job: tuple[Path, Path, dict[str, str]],
) -> None:
    manifest, bucket, env = job
    open_gate(env)
    done = subprocess.run(
        [
            sys.executable,
            STANDIN,
            "run",
            manifest,
            "--bucket",
            bucket,
            "-v",
            "--log-format",
            "json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.returncode == 0, done.stderr
    logs = [json.loads(line) for line in done.stderr.splitlines()]
    assert logs and all(entry["service"] == "highlights" and entry["level"] for entry in logs)
    [submitted] = [entry for entry in logs if entry["message"] == "job submitted"]
    assert submitted["level"] == "INFO" and submitted["job_id"].startswith("demo-global-narration")
    assert not [line for line in done.stdout.splitlines() if line.startswith("{")]


def test_text_logs_are_short_lines_with_the_job(job: tuple[Path, Path, dict[str, str]]) -> None:
    manifest, bucket, env = job
    open_gate(env)
    done = subprocess.run(
        [sys.executable, str(STANDIN), "-v", "run", str(manifest), "--bucket", str(bucket)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines and all(re.match(r"\d\d:\d\d:\d\d (info|warning) \S", line) for line in lines)
    assert [line for line in lines if re.search(r" info job submitted \[demo-global-", line)]


def test_run_into_head_ends_quietly(job: tuple[Path, Path, dict[str, str]]) -> None:
    manifest, bucket, env = job
    process = start(
        ["run", str(manifest), "--bucket", str(bucket)],
        env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    head = subprocess.Popen(["head", "-1"], stdin=process.stdout, stdout=subprocess.PIPE)
    process.stdout.close()  # head holds the only reading end
    try:
        first, _ = head.communicate(timeout=WAIT)
        open_gate(env)  # the job ends after head has gone: its report meets a closed pipe
        _, err = process.communicate(timeout=WAIT)
    finally:
        process.kill()
    assert first.decode().startswith("manifest  ")
    assert process.returncode == 128 + signal.SIGPIPE
    # Quiet: no traceback, not even the interpreter's at exit. (A log line may remain: the
    # engine's callback can meet the endpoint closing as the command ends.)
    for noise in ("Traceback", "BrokenPipe", "Exception ignored", "Logging error"):
        assert noise not in err.decode(), err.decode()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_says_what_happens_to_the_render(
    job: tuple[Path, Path, dict[str, str]], stop: signal.Signals
) -> None:
    manifest, bucket, env = job
    process = start(
        ["run", str(manifest), "--bucket", str(bucket)],
        env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    seen = bytearray()
    try:
        assert read_until(process.stdout.fileno(), seen, lambda b: b"PROCESSING" in b), seen
        process.send_signal(stop)
        _, err = process.communicate(timeout=WAIT)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err.decode().splitlines() == [
        "interrupted: an unfinished render resumes at the next `highlights serve` or `run`"
    ]


def test_serve_in_a_pipe_reports_each_job_once(job: tuple[Path, Path, dict[str, str]]) -> None:
    manifest, bucket, env = job
    process = start(
        ["serve", "--bucket", str(bucket), "--port", "0"],
        env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    seen = bytearray()
    try:
        assert read_until(process.stdout.fileno(), seen, lambda b: b"callback" in b), seen
        (bucket / "manifests" / manifest.name).write_bytes(manifest.read_bytes())
        assert read_until(process.stdout.fileno(), seen, lambda b: b"PROCESSING" in b), seen
        open_gate(env)
        assert read_until(process.stdout.fileno(), seen, lambda b: b.count(b"  sheet") == 2), seen
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=WAIT)
    finally:
        process.kill()
    text = (bytes(seen) + rest).decode()
    assert process.returncode == 130, err.decode()
    assert len(err.decode().splitlines()) == 1
    assert text.startswith("serving ")
    assert len(re.findall(r"^\d\d:\d\d:\d\d  job \S+: SUCCEEDED$", text, re.M)) == 1, text
    assert not [line for line in text.splitlines() if line.startswith("{")]
