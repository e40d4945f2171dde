"""What ICE's answers mean for a job: the classification of the SDK's errors.

Errors are classified by the error code (`TeaException.code`), then by HTTP status, into the
port's three kinds. What matters is whose fault it is: a refused *caller* must never end a job.

| class | codes / conditions |
|---|---|
| transient (retried) | `Throttling*` (e.g. `Throttling.User`, any HTTP status), `ServiceUnavailable*`,
|                     | `ServiceUnAvailable`, `InternalError*`, `RequestsTooFrequent`, HTTP 5xx, 429, a 404 |
|                     | without a code (a gateway's), network errors and timeouts, a non-JSON answer |
|                     | (a gateway's error page) or a 200 without the expected field |
| permanent (the job: ends it) | `InvalidParameter*`, `MissingParameter*`, `IdempotentParameterMismatch` |
| NotFound (get only: ends it) | `ResourceNotFound` (IMS's documented code), codes naming a job as missing |
|                     | (`JobNotFound`, `InvalidParameter.JobNotExist`, `EntityNotExist.Job`, `InvalidJobId`), |
|                     | `InvalidParameter*` whose message names the JobId |
| service refused (never ends a job) | everything else: credentials and signatures (`Forbidden*`, |
|           | `InvalidAccessKeyId*`, `SignatureDoesNotMatch`, `InvalidSecurityToken*`, `IllegalTimestamp`…), |
|           | the account (`InsufficientBalance`, suspended, not activated), the API (`InvalidAction*`, |
|           | `InvalidApi.NotFound`), any 401/403, any code not known here, missing local credentials |

The rule errs on the side of the job: only an answer that names the request or the job as wrong
ends it; whatever else ICE says makes the job wait (with back-off, one ERROR line per tick naming
the code) until an operator fixes it or `HIGHLIGHTS_MAX_JOB_AGE` ends it.
"""

from __future__ import annotations

import re
from typing import Any

from highlights.ports import (
    HighlightsError,
    NotFound,
    PermanentError,
    ServiceRefused,
    TransientError,
)

_TRANSIENT_PREFIXES = (
    "Throttling",
    "ServiceUnavailable",
    "ServiceUnAvailable",
    "InternalError",
    "RequestsTooFrequent",
)
_JOB_PREFIXES = (  # the request or the job is wrong
    "IdempotentParameterMismatch",
    "InvalidParameter",
    "MissingParameter",
)
# A job ICE does not know: codes that name the job (or the resource) as missing, nothing else.
_JOB_NOT_FOUND = re.compile(
    r"^(ResourceNotFound|InvalidJobId|.*Job\w*(NotFound|NotExist\w*)|.*(NotFound|NotExist)\w*\.Job\w*)$"
)
_BATCH_STATES: frozenset[str] = frozenset({"Init", "Processing", "Finished", "Failed"})
_SUB_JOB_STATES: frozenset[str] = frozenset({"Init", "Processing", "Success", "Failed"})
_QUERY_STRING = re.compile(r"\?[^\s'\"()]+")


class Malformed(Exception):
    """ICE answered 200 without what the call needs."""


def classify_error(
    exc: BaseException,
    action: str,
    *,
    job_id: str | None = None,
    secrets: frozenset[str] = frozenset(),
) -> HighlightsError | None:
    """The port's error for what the SDK raised; job_id given for a get (NotFound possible)."""
    where = f"ICE {action}" + (f" {job_id}" if job_id else "")
    if isinstance(exc, Malformed):
        return TransientError(f"{where}: malformed answer: {exc}", code="MalformedResponse")
    from Tea.exceptions import TeaException, UnretryableException

    if isinstance(exc, UnretryableException):
        inner = exc.inner_exception
        if isinstance(inner, TeaException):  # older cores wrap the API error itself
            return _classify_tea(inner, where, job_id, secrets)
        return _classify_unretryable(inner, where, secrets)
    if isinstance(exc, TeaException):
        return _classify_tea(exc, where, job_id, secrets)
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return TransientError(f"{where}: {type(exc).__name__}", code="NetworkError")
    if _is_credentials_error(exc):
        return ServiceRefused(
            f"{where}: no usable credentials ({type(exc).__name__})", code="InvalidCredentials"
        )
    return None


def _classify_unretryable(
    inner: BaseException, where: str, secrets: frozenset[str]
) -> HighlightsError:
    detail = _clean(str(getattr(inner, "message", None) or inner), secrets)
    name = type(inner).__name__
    if name == "RetryError" or isinstance(inner, OSError):  # the SDK wraps requests' errors so
        timeout = "timed out" in detail.lower() or "timeout" in detail.lower()
        code = "Timeout" if timeout else "NetworkError"
        return TransientError(f"{where}: {code}: {detail}", code=code)
    if isinstance(inner, ValueError):  # an answer that is not JSON: a gateway's error page
        return TransientError(f"{where}: unreadable answer ({name})", code="MalformedResponse")
    if _is_credentials_error(inner):
        return ServiceRefused(f"{where}: no usable credentials ({name})", code="InvalidCredentials")
    return PermanentError(f"{where}: {name}: {detail}", code=name)


def _classify_tea(
    exc: Any, where: str, job_id: str | None, secrets: frozenset[str]
) -> HighlightsError:
    code = str(exc.code) if exc.code not in (None, "", "None") else ""
    raw_status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
    status = int(str(raw_status)) if str(raw_status).isdigit() else None
    server_message = _clean(str(exc.message or ""), secrets)
    label = code or (f"HTTP{status}" if status else "Unknown")
    message = f"{where}: {label}" + (f" (HTTP {status})" if status else "") + f": {server_message}"
    if code.startswith(_TRANSIENT_PREFIXES):
        return TransientError(message, code=code)
    if job_id is not None and _means_not_found(code, server_message):
        return NotFound(f"no batch job {job_id!r} ({label})")
    if code.startswith(_JOB_PREFIXES):
        return PermanentError(message, code=code)
    if status is not None and (status >= 500 or status == 429):
        return TransientError(message, code=label)
    if not code and status == 404:
        # A 404 without ICE's error body is a gateway's or a wrong path's, not ICE's answer.
        return TransientError(message, code=label)
    # Anything else names neither the job nor a passing fault: credentials, signature, the
    # account, the service, or a code not known here. Never the job's fault, so it never ends a
    # job: the job waits, and every tick says which code it waits on.
    return ServiceRefused(message, code=label)


def _means_not_found(code: str, message: str) -> bool:
    if _JOB_NOT_FOUND.match(code):
        return True
    return code.startswith("InvalidParameter") and "jobid" in message.replace(" ", "").lower()


def _is_credentials_error(exc: BaseException) -> bool:
    return "credential" in type(exc).__name__.lower()


def _clean(text: str, secrets: frozenset[str]) -> str:
    """Drop query strings from URLs (they can carry signed parameters) and known secrets."""
    text = _QUERY_STRING.sub("?…", text)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text[:500]
