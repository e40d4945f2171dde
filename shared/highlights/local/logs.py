"""The command line's logging. Stdout is for people (what a command prints), so logs go to stderr:
short lines (`HH:MM:SS level message [job]`) at WARNING and above, INFO with -v, DEBUG with -vv;
or, with `--log-format json`, the JSON lines Function Compute writes (powertools' formatter), for
a log tool. Function Compute configures its own logging (`highlights.fc.app`); no other module
adds a handler."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

LIBRARY = "highlights"  # every module logs under it (logging.getLogger(__name__))
FORMATS = ("text", "json")


def level_for(verbosity: int) -> int:
    """WARNING, then INFO (-v), then DEBUG (-vv and more)."""
    return max(logging.DEBUG, logging.WARNING - 10 * max(verbosity, 0))


def add_options(parser: argparse.ArgumentParser) -> None:
    """-v, --log-format and --debug, to the command line and to each command (so they may come
    after the command's name); a command's copy never overwrites what came before its name."""
    commands = [
        command
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for command in action.choices.values()
    ]
    for target in [parser, *commands]:
        top = target is parser
        target.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=0 if top else argparse.SUPPRESS,
            help="logs on stderr from INFO (-vv: DEBUG); default WARNING",
        )
        target.add_argument(
            "--log-format",
            choices=FORMATS,
            default="text" if top else argparse.SUPPRESS,
            help="logs as short lines (the default) or JSON lines, as Function Compute writes",
        )
        target.add_argument(
            "--debug",
            action="store_true",
            default=False if top else argparse.SUPPRESS,
            help="the traceback of an error, and of logged errors",
        )


@contextlib.contextmanager
def configured(
    verbosity: int = 0, log_format: str = "text", *, tracebacks: bool = False
) -> Iterator[logging.Handler]:
    """The CLI's logging for the length of a command; the loggers are as they were afterwards
    (a command run in-process, by a test, leaves nothing behind)."""
    level = level_for(verbosity)
    handler = StderrHandler()
    if log_format == "json":
        from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

        handler.setFormatter(LambdaPowertoolsFormatter(service=LIBRARY))
    elif log_format == "text":
        handler.setFormatter(HumanFormatter(tracebacks=tracebacks or level <= logging.DEBUG))
    else:
        raise ValueError(f"log format {log_format!r}: choose one of {', '.join(FORMATS)}")
    library, root = logging.getLogger(LIBRARY), logging.getLogger()
    saved = (library.handlers[:], library.level, library.propagate, root.handlers[:], root.level)
    # The library's records at the chosen level, other libraries' warnings: one handler for both.
    library.handlers[:], library.propagate = [], True
    library.setLevel(level)
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        library.handlers[:], _, library.propagate, root.handlers[:], _ = saved
        library.setLevel(saved[1])
        root.setLevel(saved[4])


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time: a live progress display swaps it for a proxy
    that prints above the display. A closed stderr (`2>&1 | head`) ends logging quietly."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always sys.stderr, as it is when a record is written

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ValueError)):
            return  # stderr closed, or a closed file: no one is reading
        super().handleError(record)


class HumanFormatter(logging.Formatter):
    """`14:02:07 warning output 2 failed: no match [night-train-3f2a9c01b7de]`; an exception as
    one line unless tracebacks are asked for (-vv, --debug)."""

    def __init__(self, *, tracebacks: bool = False) -> None:
        super().__init__()
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(record.created))
        text = f"{when} {record.levelname.lower()} {record.getMessage()}"
        job = getattr(record, "job_id", None) or getattr(record, "ice_job_id", None)
        if job:
            text += f" [{job}]"
        if record.exc_info and record.exc_info[1] is not None:
            if self.tracebacks:
                text += "\n" + self.formatException(record.exc_info)
            else:
                error = record.exc_info[1]
                text += f" ({type(error).__name__}: {error})"
        return text
