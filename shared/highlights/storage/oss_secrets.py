"""Secrets out of OSS messages and logs: oss2 logs request headers at DEBUG level and error
details, which can echo signed headers, at INFO level."""

from __future__ import annotations

import logging

_OSS2_LOGGERS = ("oss2", "oss2.api", "oss2.http", "oss2.auth", "oss2.models", "oss2.utils")


def redact(text: str, secrets: set[str] | frozenset[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def known_secrets() -> frozenset[str]:
    return frozenset(_LOG_FILTER.secrets)


class _RedactSecrets(logging.Filter):
    """Masks known secret values in the records of the loggers it is attached to."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            masked = redact(message, self.secrets)
            if masked != message:
                record.msg, record.args = masked, None
        return True


_LOG_FILTER = _RedactSecrets()


def guard_oss2_logs(*secrets: str | None) -> None:
    _LOG_FILTER.secrets.update(s for s in secrets if s)
    for name in _OSS2_LOGGERS:
        log = logging.getLogger(name)
        if _LOG_FILTER not in log.filters:
            log.addFilter(_LOG_FILTER)
