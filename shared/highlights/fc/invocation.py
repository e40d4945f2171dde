"""What every Function Compute invocation carries into the work: its request id in the logs, the
credentials it was given (highlights.credentials), and a time budget inside its function's
timeout (highlights.budget)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools import Logger

from highlights import budget
from highlights.credentials import for_invocation

_logger: Logger | None = None

# What an asynchronous invocation keeps back from its function's timeout, to log and answer.
TIMEOUT_MARGIN = 2.0
TIMEOUT_SHARE = 0.1


def json_logs() -> Logger:
    """Function Compute's logging: one JSON line per event on stdout, which the log service
    indexes (powertools; level POWERTOOLS_LOG_LEVEL, else INFO), for every `highlights.*`
    logger. Set up by the entry points (highlights.fc.app) once per instance; the handler bodies
    also run inside `highlights serve`, whose logging is the command line's."""
    global _logger
    if _logger is None:
        _logger = Logger(service="highlights")
    return _logger


def request_id(context: Any) -> str | None:
    return getattr(context, "request_id", None) or getattr(context, "requestId", None)


def function_timeout(context: Any) -> float | None:
    """The invocation's function timeout in seconds (`context.function.timeout`), if known."""
    function = getattr(context, "function", None)
    value: Any = (
        function.get("timeout")
        if isinstance(function, dict)
        else getattr(function, "timeout", None)
    )
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


@contextlib.contextmanager
def invocation(context: Any, *, bounded: bool = True) -> Iterator[None]:
    """Request id in the logs, the invocation's credentials and (bounded) a budget inside the
    function's timeout."""
    if _logger is not None:
        _logger.append_keys(request_id=request_id(context))
    timeout = function_timeout(context) if bounded else None
    with for_invocation(context), contextlib.ExitStack() as stack:
        if timeout is not None:
            margin = max(TIMEOUT_MARGIN, timeout * TIMEOUT_SHARE)
            stack.enter_context(budget.budget(max(timeout - margin, timeout / 2)))
        yield
