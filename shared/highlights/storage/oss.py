"""An OSS bucket as an ObjectStore, through oss2.

oss2 is imported when an `OssStore` is constructed, never when this module is: importing oss2
costs about a quarter of a second, which a cold start that never touches OSS should not pay.

Behaviour, matching LocalStore's contract (tests/contract/store_contract.py):

- create-only writes send `x-oss-forbid-overwrite: true`; OSS answers 409 `FileAlreadyExists`,
  raised as AlreadyExists. A create-only write retried after a lost answer may find its own object:
  if the object there has the MD5 of the data we sent, the write is reported as done;
- 404 `NoSuchKey` (or a body-less 404 to a HEAD) is NotFound; a refused caller (401, 403:
  `AccessDenied`, `InvalidAccessKeyId`, `SignatureDoesNotMatch`, an expired STS token…) and
  `NoSuchBucket` are ServiceRefused: the deployment is wrong, not the job;
- listing is lazy, one `ListObjects` page (`marker`, `max-keys`) at a time, in UTF-8 byte order;
  zero-byte "folder" markers (keys ending in `/`, as the console creates) are skipped;
- etags are upper case without quotes; times are UNIX seconds;
- network errors, timeouts, 5xx (including 503 throttling), 429 and `RequestTimeout` are retried
  with backoff, at most `max_attempts` calls in all; anything else is a PermanentError.

Keys are refused with UnsafeKey when OSS would refuse them or they cannot be listed back: empty,
starting with `/` or `\\`, ending with `/`, containing NUL, not UTF-8, or over 1023 bytes.

Credentials come from the arguments, or at every call from the invocation or the environment
(`highlights.credentials.current`: Function Compute's STS token expires while an instance lives on):
`oss2.StsAuth` with a token, `oss2.Auth` without, one oss2 Bucket per set of credentials.
Every attempt first takes a token from the process's OSS bucket (highlights.rate), when the store
is given one. Inside a time budget (`highlights.budget`) attempts and socket timeouts are clipped
to it. The secret and the token never appear in our messages, and are masked in oss2's own log
records (oss2 logs request headers at DEBUG level and error details, which can echo signed
headers, at INFO level).
"""

from __future__ import annotations

import email.utils
import hashlib
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from highlights import budget
from highlights.credentials import Credentials, require, source
from highlights.keys import MAX_KEY_BYTES, check_key  # noqa: F401 - re-exported
from highlights.ports import (
    AlreadyExists,
    HighlightsError,
    NotFound,
    PermanentError,
    ServiceRefused,
    StoredObject,
    TransientError,
)
from highlights.rate import TokenBucket
from highlights.retry import DEFAULT_BASE, DEFAULT_CAP, retry
from highlights.storage.oss_secrets import guard_oss2_logs, known_secrets, redact

MAX_PAGE_SIZE = 1000  # OSS's limit for max-keys
DEFAULT_TIMEOUT = 10.0  # seconds; oss2 uses one figure for connecting and for each read

_REGION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_TRANSIENT_CODES = frozenset({"RequestTimeout", "ServiceUnavailable", "SlowDown", "InternalError"})
_REFUSED_CODES = frozenset(
    {
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "SecurityTokenExpired",
        "InvalidSecurityToken",
        "RequestTimeTooSkewed",
        "UserDisable",
        "NoSuchBucket",
    }
)
_MAX_BUCKETS = 4  # one per set of credentials seen; rotated STS tokens make new ones


# -- configuration ----------------------------------------------------------------------------------


def oss_endpoint(region: str, *, endpoint: str | None = None, internal: bool = False) -> str:
    """The endpoint URL to use.

    An explicit `endpoint` wins: a URL (`http://127.0.0.1:9000`) is kept as scheme and host, a bare
    host name gets `https://` (oss2 would default to plain http). Otherwise the region's public
    endpoint, or its internal one (`oss-<region>-internal.aliyuncs.com`, free traffic from Function
    Compute in the same region) when `internal`.
    """
    if endpoint is not None and endpoint.strip():
        value = endpoint.strip()
        if "://" not in value:
            value = "https://" + value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an OSS endpoint: {endpoint!r}")
        return f"{parts.scheme}://{parts.netloc}"
    if not _REGION.fullmatch(region or ""):
        raise ValueError(f"not a region id: {region!r}")
    return f"https://oss-{region}{'-internal' if internal else ''}.aliyuncs.com"


def _budgeted_bucket_class(oss2: Any) -> type:
    """oss2.Bucket whose socket timeout is clipped to the time budget of the work in progress
    (oss2 reads `self.timeout` at every request)."""

    class BudgetedBucket(oss2.Bucket):
        @property
        def timeout(self) -> float:
            return budget.call_seconds(self._base_timeout, "OSS request")

        @timeout.setter
        def timeout(self, value: float) -> None:
            self._base_timeout = value

    return BudgetedBucket


# -- the store --------------------------------------------------------------------------------------


class OssStore:
    """ObjectStore over one OSS bucket. Thread-safe (oss2's Bucket and Session are)."""

    def __init__(
        self,
        bucket: str,
        *,
        region: str,
        endpoint: str | None = None,
        internal: bool = False,
        credentials: Credentials | None = None,
        max_attempts: int = 3,
        timeout: float = DEFAULT_TIMEOUT,
        backoff_base: float = DEFAULT_BASE,
        backoff_cap: float = DEFAULT_CAP,
        sleep: Callable[[float], object] = time.sleep,
        rng: Callable[[], float] = random.random,
        limiter: TokenBucket | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.bucket = bucket
        self.region = region
        self.endpoint = oss_endpoint(region, endpoint=endpoint, internal=internal)
        self._credentials = source(credentials)
        creds = self._credentials_now()  # none at all is a configuration error, told at start-up
        self.uses_sts = bool(creds.token)
        self._max_attempts = max_attempts
        self._timeout = timeout
        self._backoff = (backoff_base, backoff_cap)
        self._sleep = sleep
        self._rng = rng
        self._limiter = limiter
        self._buckets: dict[str, Any] = {}
        self._buckets_lock = threading.Lock()

        import oss2  # deferred: see the module docstring
        import requests
        import urllib3

        self._oss2: Any = oss2
        # Errors raised while a response body streams in (after oss2 returned it).
        self._stream_errors: tuple[type[BaseException], ...] = (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            OSError,
        )
        self._bucket_class = _budgeted_bucket_class(oss2)
        self._bucket_for(creds)  # an invalid bucket name or endpoint fails here

    def _credentials_now(self) -> Credentials:
        return require(self._credentials, "OSS")

    @property
    def _bucket(self) -> Any:
        """The oss2 Bucket signing with the credentials of this moment."""
        return self._bucket_for(self._credentials_now())

    def _bucket_for(self, creds: Credentials) -> Any:
        key = creds.fingerprint()
        with self._buckets_lock:
            found = self._buckets.get(key)
            if found is not None:
                return found
            oss2 = self._oss2
            guard_oss2_logs(creds.secret, creds.token)
            auth = (
                oss2.StsAuth(creds.key_id, creds.secret, creds.token)
                if creds.token
                else oss2.Auth(creds.key_id, creds.secret)
            )
            try:
                bucket = self._bucket_class(
                    auth,
                    self.endpoint,
                    self.bucket,
                    connect_timeout=self._timeout,
                    region=self.region,
                )
            except oss2.exceptions.ClientError as exc:  # an invalid bucket name or endpoint
                raise ValueError(
                    f"invalid OSS bucket {self.bucket!r} or endpoint {self.endpoint!r}"
                ) from exc
            while len(self._buckets) >= _MAX_BUCKETS:
                self._buckets.pop(next(iter(self._buckets)))
            self._buckets[key] = bucket
            return bucket

    def __repr__(self) -> str:
        return f"OssStore(bucket={self.bucket!r}, endpoint={self.endpoint!r})"

    # -- reads ------------------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        check_key(key)
        return self._call(lambda: self._bucket.get_object(key).read(), "get", key)

    def head(self, key: str) -> StoredObject:
        check_key(key)
        result = self._call(lambda: self._bucket.head_object(key), "head", key)
        return StoredObject(
            key=key,
            size=int(result.content_length or 0),
            etag=_etag(result.etag),
            last_modified=float(result.last_modified or 0),
        )

    def exists(self, key: str) -> bool:
        try:
            self.head(key)
        except NotFound:
            return False
        return True

    # -- writes -----------------------------------------------------------------------------------

    def put(
        self, key: str, data: bytes, *, create_only: bool = False, content_type: str | None = None
    ) -> StoredObject:
        check_key(key)
        data = bytes(data)
        headers = {}
        if create_only:
            headers["x-oss-forbid-overwrite"] = "true"
        if content_type:
            headers["Content-Type"] = content_type
        calls = 0

        def attempt() -> Any:
            nonlocal calls
            calls += 1
            return self._bucket.put_object(key, data, headers=headers)

        try:
            result = self._call(attempt, "put", key, create_only=create_only)
        except AlreadyExists:
            # An earlier attempt may have written the object and lost the answer.
            if calls > 1:
                found = self._head_or_none(key)
                if found is not None and found.etag == _md5(data) and found.size == len(data):
                    return found
            raise
        return StoredObject(
            key=key,
            size=len(data),
            etag=_etag(result.etag) or _md5(data),
            last_modified=_http_date(result.headers.get("Date")),
        )

    def _head_or_none(self, key: str) -> StoredObject | None:
        try:
            return self.head(key)
        except NotFound:
            return None

    def delete(self, key: str) -> None:
        check_key(key)
        try:
            self._call(lambda: self._bucket.delete_object(key), "delete", key)
        except NotFound:
            return

    # -- listing ----------------------------------------------------------------------------------

    def list(
        self, prefix: str = "", *, start_after: str = "", page_size: int = 1000
    ) -> Iterator[StoredObject]:
        """Keys starting with prefix and greater than start_after, in UTF-8 byte order, lazily.

        One ListObjects call per page of `page_size` keys (at most 1000, OSS's limit); each page
        is retried on its own.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        return self._list(prefix, start_after, min(page_size, MAX_PAGE_SIZE))

    def _list(self, prefix: str, start_after: str, page_size: int) -> Iterator[StoredObject]:
        if not _utf8(prefix) or not _utf8(start_after):
            return
        marker = start_after
        while True:
            page = self._list_page(prefix, marker, page_size)
            for info in page.object_list:
                if info.key.endswith("/") and not info.size:
                    continue  # a console "folder" marker, not an object
                yield StoredObject(
                    key=info.key,
                    size=int(info.size),
                    etag=_etag(info.etag),
                    last_modified=float(info.last_modified),
                )
            if not page.is_truncated:
                return
            next_marker = page.next_marker or (page.object_list[-1].key if page.object_list else "")
            if not next_marker or next_marker == marker:
                raise PermanentError(
                    f"OSS list {prefix!r}: the listing did not advance past {marker!r}",
                    code="InvalidListing",
                )
            marker = next_marker

    def _list_page(self, prefix: str, marker: str, page_size: int) -> Any:
        return self._call(
            lambda: self._bucket.list_objects(prefix=prefix, marker=marker, max_keys=page_size),
            "list",
            prefix,
        )

    # -- errors -----------------------------------------------------------------------------------

    def _call(
        self, call: Callable[[], Any], op: str, key: str, *, create_only: bool = False
    ) -> Any:
        left = budget.remaining()
        if left is not None and left < budget.MIN_CALL_SECONDS:
            raise budget.DeadlineExceeded(f"OSS {op}")
        limiter = self._limiter
        if limiter is not None:
            unlimited = call

            def call() -> Any:
                limiter.acquire(f"OSS {op}")
                return unlimited()

        return retry(
            call,
            classify=lambda exc: self._classify(exc, op, key, create_only=create_only),
            max_attempts=budget.attempts(self._max_attempts),
            budget_seconds=left,
            base=self._backoff[0],
            cap=self._backoff[1],
            sleep=self._sleep,
            rng=self._rng,
            what=f"OSS {op}",
        )

    def _classify(
        self, exc: BaseException, op: str, key: str, *, create_only: bool
    ) -> HighlightsError | None:
        """The port's error for what oss2 raised (None: not an OSS or network error)."""
        errors = self._oss2.exceptions
        where = f"OSS {op} {self.bucket}/{key}"
        if isinstance(exc, errors.RequestError):
            cause = exc.exception
            timeout = "Timeout" in type(cause).__name__ or "timed out" in str(cause)
            code = "Timeout" if timeout else "NetworkError"
            return TransientError(f"{where}: {code} ({type(cause).__name__})", code=code)
        if isinstance(exc, errors.InconsistentError):
            return TransientError(f"{where}: CRC mismatch", code="InconsistentError")
        if isinstance(exc, errors.OssError) and exc.status > 0:
            status, code = int(exc.status), str(exc.code or "")
            message = redact(
                f"{where}: HTTP {status} {code or '-'}: {exc.message or ''}", known_secrets()
            )
            message = message.rstrip(": ") + (
                f" (request id {exc.request_id})" if exc.request_id else ""
            )
            if status == 404 and code in ("", "NoSuchKey"):
                return NotFound(key)
            if status == 409 and code == "FileAlreadyExists" and create_only:
                return AlreadyExists(key)
            if status >= 500 or status == 429 or code in _TRANSIENT_CODES:
                return TransientError(message, code=code or f"HTTP{status}")
            if status in (401, 403) or code in _REFUSED_CODES:
                return ServiceRefused(message, code=code or f"HTTP{status}")
            return PermanentError(message, code=code or f"HTTP{status}")
        if isinstance(exc, errors.OssError):  # ClientError and other local refusals
            return PermanentError(f"{where}: {type(exc).__name__}", code=type(exc).__name__)
        if isinstance(exc, self._stream_errors):
            return TransientError(
                f"{where}: {type(exc).__name__} while reading", code="NetworkError"
            )
        return None


def _etag(value: str | None) -> str:
    return (value or "").strip('"').upper()


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest().upper()


def _http_date(value: str | None) -> float:
    if value:
        try:
            return email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            pass
    return time.time()


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
