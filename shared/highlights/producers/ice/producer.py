"""ICE's batch job (SubmitBatchMediaProducingJob, GetBatchMediaProducingJob) as a Producer, with
ListBatchMediaProducingJobs for the timer's listing of unfinished jobs (see `list_unfinished`).

The SDK (`alibabacloud-ice20201109`, about half a second to import) is imported and its client
built on the first call, or by `warm_up()` (a Function Compute initializer), never at module import.
Clients are cached per process, keyed by endpoint, timeouts and a fingerprint of the credentials.

Endpoint: always explicit, `ice.<region>.aliyuncs.com` over HTTPS (with only a region the SDK sends
most regions to the central endpoint). `endpoint=` overrides it with a host name
(`ice-vpc.<region>.aliyuncs.com`) or a URL (`http://127.0.0.1:8123` → host `127.0.0.1:8123`,
protocol http).

Timeouts (chosen to fit a Function Compute invocation, typically 60 s or more): connect 3 s (a
healthy regional endpoint connects in milliseconds; 3 s covers a lost SYN retransmit), read 8 s
(both calls answer in well under a second; a stalled answer is cut after 8 s and retried), and a
budget of 20 s per call for all attempts and back-off sleeps together. The last attempt's timeouts
are clipped to what is left of the budget, so a call returns or raises within about budget +
100 ms. Back-off: exponential with full jitter, base 0.2 s, cap 5 s.

A submit retried after a timeout sends the same ClientToken, so ICE answers with the job the lost
attempt created instead of starting a second one. Messages carry the code, the HTTP status, ICE's
message and request id, never credentials; SDK exceptions (which hold the signed request) are not
chained into tracebacks.

Rate: every attempt takes a token from the process's ICE bucket first (highlights.rate; ICE
documents 30 requests a second), so threads working together never exceed it.
"""

from __future__ import annotations

import collections
import json
import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from highlights import budget
from highlights import user_data as user_data_keys
from highlights.credentials import Credentials, require, source
from highlights.ports import JobStatus, NotFound, PermanentError, SubmitRequest, UnfinishedState
from highlights.producers.ice.answers import job_status
from highlights.producers.ice.errors import Malformed, classify_error
from highlights.producers.ice.listing import Lister
from highlights.rate import TokenBucket
from highlights.retry import DEFAULT_BASE, DEFAULT_CAP, retry

DEFAULT_CONNECT_TIMEOUT_MS = 3_000
DEFAULT_READ_TIMEOUT_MS = 8_000
DEFAULT_BUDGET_SECONDS = 20.0
MIN_ATTEMPT_TIMEOUT_MS = 100
MAX_USER_DATA_BYTES = 512
MAX_CLIENT_TOKEN = 64
LIST_PAGE_SIZE = 100  # ListBatchMediaProducingJobs' MaxResults: 1 to 100

SUBMIT = "SubmitBatchMediaProducingJob"
GET = "GetBatchMediaProducingJob"
LIST = "ListBatchMediaProducingJobs"

_HOST = re.compile(r"[A-Za-z0-9.-]+(?::\d{1,5})?")
_REGION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# -- configuration ----------------------------------------------------------------------------------


def ice_endpoint(region: str, endpoint: str | None = None) -> tuple[str, str]:
    """(host[:port], protocol) for the SDK's Config: see the module docstring."""
    if endpoint is not None and endpoint.strip():
        value = endpoint.strip()
        if "://" in value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"not an ICE endpoint: {endpoint!r}")
            return parts.netloc, parts.scheme
        host = value.rstrip("/")
        if not _HOST.fullmatch(host):
            raise ValueError(f"not an ICE endpoint: {endpoint!r}")
        return host, "https"
    if not _REGION.fullmatch(region or ""):
        raise ValueError(f"not a region id: {region!r}")
    return f"ice.{region}.aliyuncs.com", "https"


def user_data_json(request: SubmitRequest, notify_url: str | None) -> str | None:
    """UserData as sent: the request's plus NotifyAddress, compact; None when empty.

    PermanentError("InvalidParameter.UserData") when over ICE's 512-byte limit.
    """
    data = dict(request.user_data)
    if notify_url:
        data[user_data_keys.NOTIFY_ADDRESS] = notify_url
    if not data:
        return None
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    size = len(text.encode("utf-8"))
    if size > MAX_USER_DATA_BYTES:
        raise PermanentError(
            f"UserData is {size} bytes, more than ICE's {MAX_USER_DATA_BYTES}",
            code="InvalidParameter.UserData",
        )
    return text


# -- the client cache -------------------------------------------------------------------------------

_CLIENTS: collections.OrderedDict[tuple[Any, ...], Any] = collections.OrderedDict()
_CLIENTS_LOCK = threading.Lock()
_MAX_CLIENTS = 8  # rotated STS credentials make new keys; old clients are dropped


def _client_for(
    host: str,
    protocol: str,
    region: str,
    connect_timeout_ms: int,
    read_timeout_ms: int,
    credentials: Credentials,
) -> Any:
    key = (host, protocol, region, connect_timeout_ms, read_timeout_ms, credentials.fingerprint())
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is not None:
            _CLIENTS.move_to_end(key)
            return client
        from alibabacloud_ice20201109.client import Client
        from alibabacloud_tea_openapi.models import Config

        config = Config(
            endpoint=host,
            protocol=protocol,
            region_id=region,
            connect_timeout=connect_timeout_ms,
            read_timeout=read_timeout_ms,
        )
        config.access_key_id, config.access_key_secret, config.security_token = credentials
        client = Client(config)
        _CLIENTS[key] = client
        while len(_CLIENTS) > _MAX_CLIENTS:
            _CLIENTS.popitem(last=False)
        return client


def clear_client_cache() -> None:
    """Forget every cached SDK client (tests; credentials rotated by hand)."""
    with _CLIENTS_LOCK:
        _CLIENTS.clear()


# -- the producer -----------------------------------------------------------------------------------


class IceProducer:
    """Producer over ICE's batch media producing API. Thread-safe."""

    def __init__(
        self,
        region: str,
        *,
        endpoint: str | None = None,
        connect_timeout_ms: int = DEFAULT_CONNECT_TIMEOUT_MS,
        read_timeout_ms: int = DEFAULT_READ_TIMEOUT_MS,
        budget_seconds: float = DEFAULT_BUDGET_SECONDS,
        credentials: Credentials | tuple[str, str, str | None] | None = None,
        backoff_base: float = DEFAULT_BASE,
        backoff_cap: float = DEFAULT_CAP,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        limiter: TokenBucket | None = None,
        list_streams: int = 8,
    ) -> None:
        if connect_timeout_ms < 1 or read_timeout_ms < 1 or budget_seconds <= 0:
            raise ValueError("timeouts and budget must be positive")
        self._limiter = limiter
        self._lister = Lister(self._list_page, streams=list_streams)
        self.region = region
        self.host, self.protocol = ice_endpoint(region, endpoint)
        self.connect_timeout_ms = int(connect_timeout_ms)
        self.read_timeout_ms = int(read_timeout_ms)
        self.budget_seconds = float(budget_seconds)
        # Asked for at every call: an invocation's fresh STS token replaces an expired one.
        self._credentials = source(credentials)
        self._credentials_now()  # none at all is a configuration error, told at start-up
        self._backoff = (backoff_base, backoff_cap)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng

    def __repr__(self) -> str:
        return f"IceProducer(region={self.region!r}, endpoint={self.protocol}://{self.host})"

    def warm_up(self) -> None:
        """Import the SDK and build the client now (e.g. in a Function Compute initializer)."""
        self._client()

    def _credentials_now(self) -> Credentials:
        return require(self._credentials, "ICE")

    def _client(self, creds: Credentials | None = None) -> Any:
        return _client_for(
            self.host,
            self.protocol,
            self.region,
            self.connect_timeout_ms,
            self.read_timeout_ms,
            creds or self._credentials_now(),
        )

    # -- Producer ---------------------------------------------------------------------------------

    def submit(self, request: SubmitRequest, client_token: str, notify_url: str | None) -> str:
        if len(client_token) > MAX_CLIENT_TOKEN or not client_token.isascii():
            raise PermanentError(
                f"ClientToken must be at most {MAX_CLIENT_TOKEN} ASCII characters",
                code="InvalidParameter.ClientToken",
            )
        user_data = user_data_json(request, notify_url)

        def call(client: Any, runtime: Any) -> str:
            from alibabacloud_ice20201109 import models

            sdk_request = models.SubmitBatchMediaProducingJobRequest(
                input_config=request.input_config,
                editing_config=request.editing_config,
                output_config=request.output_config,
                template_config=request.template_config,
                user_data=user_data,
                client_token=client_token or None,
            )
            response = client.submit_batch_media_producing_job_with_options(sdk_request, runtime)
            job_id = getattr(response.body, "job_id", None)
            if not job_id:
                raise Malformed("no JobId in the answer")
            return str(job_id)

        return cast(str, self._run(SUBMIT, call))

    def get(self, job_id: str) -> JobStatus:
        if not job_id:
            raise NotFound("empty job id")

        def call(client: Any, runtime: Any) -> Any:
            from alibabacloud_ice20201109 import models

            sdk_request = models.GetBatchMediaProducingJobRequest(job_id=job_id)
            response = client.get_batch_media_producing_job_with_options(sdk_request, runtime)
            job = getattr(response.body, "editing_batch_job", None)
            if job is None:  # a 200 without the job says nothing about the job: ask again later
                raise Malformed("no EditingBatchJob in the answer")
            return job

        job = self._run(GET, call, job_id=job_id)
        return job_status(job_id, job)

    def list_unfinished(self, since: float) -> dict[str, UnfinishedState]:
        """Every batch job of the account and region still Init or Processing, created since
        `since`: see highlights.producers.ice.listing."""
        return self._lister.unfinished(since, time.time())

    def _list_page(
        self, status: str, start: str, end: str, token: str | None
    ) -> tuple[list[Any], str | None]:
        """One page of ListBatchMediaProducingJobs, oldest first: its jobs and the NextToken."""

        def call(client: Any, runtime: Any) -> tuple[list[Any], str | None]:
            from alibabacloud_ice20201109 import models

            sdk_request = models.ListBatchMediaProducingJobsRequest(
                status=status,
                start_time=start,
                end_time=end,
                sort_by="asc",
                max_results=LIST_PAGE_SIZE,
                next_token=token,
            )
            response = client.list_batch_media_producing_jobs_with_options(sdk_request, runtime)
            body = getattr(response, "body", None)
            if body is None:
                raise Malformed("no body in the answer")
            jobs = list(getattr(body, "editing_batch_job_list", None) or [])
            return jobs, getattr(body, "next_token", None) or None

        return cast("tuple[list[Any], str | None]", self._run(LIST, call))

    # -- calls and errors -------------------------------------------------------------------------

    def _run(
        self, action: str, call: Callable[[Any, Any], Any], *, job_id: str | None = None
    ) -> Any:
        what = f"ICE {action}"
        left = budget.remaining()
        seconds = self.budget_seconds if left is None else min(self.budget_seconds, left)
        if seconds < budget.MIN_CALL_SECONDS:
            raise budget.DeadlineExceeded(what)
        deadline = self._clock() + seconds
        secrets: frozenset[str] = frozenset()

        def attempt() -> Any:
            nonlocal secrets
            if self._limiter is not None:
                self._limiter.acquire(what)
            creds = self._credentials_now()
            secrets = creds.secrets()
            client = self._client(creds)  # inside: a failure to build it is classified too
            from darabonba.runtime import RuntimeOptions

            left_ms = int((deadline - self._clock()) * 1000)
            connect = budget.call_seconds(self.connect_timeout_ms / 1000, what)
            read = budget.call_seconds(self.read_timeout_ms / 1000, what)
            runtime = RuntimeOptions(
                connect_timeout=max(MIN_ATTEMPT_TIMEOUT_MS, min(int(connect * 1000), left_ms)),
                read_timeout=max(MIN_ATTEMPT_TIMEOUT_MS, min(int(read * 1000), left_ms)),
            )
            return call(client, runtime)

        return retry(
            attempt,
            classify=lambda exc: classify_error(exc, action, job_id=job_id, secrets=secrets),
            max_attempts=budget.attempts(),
            budget_seconds=seconds,
            base=self._backoff[0],
            cap=self._backoff[1],
            sleep=self._sleep,
            clock=self._clock,
            rng=self._rng,
            what=what,
        )
