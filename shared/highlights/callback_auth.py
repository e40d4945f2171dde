"""How a completion callback proves it is genuine: two ways, either one enough.

1. **ICE's signature.** For the callback configured with `SetEventCallback` (AuthSwitch on), ICE sends
   `X-ICE-TIMESTAMP` and `X-ICE-SIGNATURE = md5("<callback URL>|<timestamp>|<AuthKey>")`.
2. **The job's own address.** Whether ICE signs callbacks sent to a job's `UserData.NotifyAddress` is
   not documented, so that address authenticates itself: it carries `job=<job id>&t=<token>`, the
   token an HMAC-SHA256 of the job id under the first callback key (base64url, 128 bits). Only
   who was given the address can ring for that job, and only for that job.

Every key of `HIGHLIGHTS_CALLBACK_KEYS` verifies (the first signs), so keys can be rotated. The
local engine uses the same rules, so nothing here belongs to one platform.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import quote

WINDOW_SECONDS = 300
TOKEN_BYTES = 16  # 128 bits
MAX_TIMESTAMP_DIGITS = 12  # UNIX seconds for the next 30,000 years


def sign(url: str, timestamp: int | str, key: str) -> str:
    """ICE's X-ICE-SIGNATURE for a callback to `url` at `timestamp`."""
    return hashlib.md5(f"{url}|{timestamp}|{key}".encode()).hexdigest()


def verify_signature(
    urls: Iterable[str],
    timestamp: str | None,
    signature: str | None,
    keys: Iterable[str],
    now: float,
    window: float = WINDOW_SECONDS,
) -> bool:
    """Whether any key (rotation: old and new) signed any of the URLs ICE may have signed, recently.
    Headers are untrusted: anything but a short run of ASCII digits is refused, never parsed."""
    if not timestamp or not signature:
        return False
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        return False
    if abs(now - int(timestamp)) > window:
        return False
    signature = signature.strip().lower()
    if len(signature) != 32 or not signature.isascii():
        return False
    return any(
        hmac.compare_digest(sign(url, timestamp, key), signature) for url in urls for key in keys
    )


def job_token(job_id: str, key: str) -> str:
    digest = hmac.new(key.encode(), job_id.encode(), hashlib.sha256).digest()[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verify_token(job_id: str | None, token: str | None, keys: Iterable[str]) -> bool:
    """Whether `token` is this job's under any key (constant-time)."""
    if not job_id or not token or len(token) > 64 or not token.isascii():
        return False
    return any(hmac.compare_digest(job_token(job_id, key), token) for key in keys)


def notify_address(callback_url: str, job_id: str, keys: Sequence[str]) -> str:
    """The callback address a job is submitted with: the job's id and, with keys, its token."""
    joiner = "&" if "?" in callback_url else "?"
    address = f"{callback_url}{joiner}job={quote(job_id)}"
    return f"{address}&t={job_token(job_id, keys[0])}" if keys else address


def authentic(
    query: Mapping[str, str],
    header: Callable[[str], str | None],
    *,
    keys: Sequence[str],
    callback_url: str | None,
    now: float,
) -> bool:
    """Whether a callback request proves itself: the job's token in its query, or ICE's signature
    over the callback URL or the job's address. Needs no body, so it is checked first."""
    if not keys:
        return False
    job = query.get("job")
    if verify_token(job, query.get("t"), keys):
        return True
    urls = [callback_url] if callback_url else []
    if callback_url and job:
        urls.append(notify_address(callback_url, job, keys))
    return verify_signature(urls, header("x-ice-timestamp"), header("x-ice-signature"), keys, now)


def without_token(address: str) -> str:
    """The address as documents may show it: the token is a credential."""
    head, sep, query = address.partition("?")
    if not sep:
        return address
    kept = [part for part in query.split("&") if not part.startswith("t=")]
    return head + ("?" + "&".join(kept) if kept else "")
