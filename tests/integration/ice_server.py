"""A fake ICE endpoint for tests, called by the real SDK over HTTP on 127.0.0.1.

It speaks the RPC style the SDK (tea-openapi 0.4, ACS3-HMAC-SHA256) sends: the action in the
`x-acs-action` header (or an `Action` query parameter), parameters in the query string and in a
form-encoded body, an `Authorization: ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`
header, which is verified against the known test credentials (a wrong signature answers 400
`SignatureDoesNotMatch`, an unknown key 404 `InvalidAccessKeyId.NotFound`, as Alibaba Cloud does).

Three actions: SubmitBatchMediaProducingJob (InputConfig/OutputConfig required, the configs and
UserData must be JSON objects, UserData ≤ 512 bytes, ClientToken ≤ 64 ASCII characters; the same
token with the same parameters returns the first JobId, with different ones 400
`IdempotentParameterMismatch`), GetBatchMediaProducingJob (the documented `EditingBatchJob`
shape; jobs are scriptable with `set_job`; an unknown job answers `unknown_job`, by default 404
`ResourceNotFound`, IMS's documented code, or `"empty"`: 200 without `EditingBatchJob`) and
ListBatchMediaProducingJobs (filters JobId, JobType, Status, StartTime/EndTime on CreateTime,
inclusive; SortBy desc (the default) or asc on CreateTime then JobId; MaxResults 1 to 100,
default 10; an opaque NextToken naming the last job of the page, absent on the last page; entries
as `EditingBatchJobList` without SubJobList, as the SDK's model has them).

Faults (each used up by the next matching requests): `fail_next` (any status and code; throttling is
`Throttling.User` with HTTP 400 by default, the status Alibaba Cloud's common error tables give
`Throttling*`; 503 is accepted as well), `stall_next` (sleep past the client's read timeout, before
or after the request took effect), `rate_limit` (more than N requests in any second answer
`Throttling.User`). Every request is recorded in `requests`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

API_VERSION = "2020-11-09"
SUBMIT = "SubmitBatchMediaProducingJob"
GET = "GetBatchMediaProducingJob"
LIST = "ListBatchMediaProducingJobs"
LISTED_FIELDS = (  # what ListBatchMediaProducingJobsResponseBodyEditingBatchJobList carries
    "JobId",
    "JobType",
    "Status",
    "InputConfig",
    "EditingConfig",
    "OutputConfig",
    "UserData",
    "Extend",
    "CreateTime",
    "ModifiedTime",
    "CompleteTime",
)
TEST_CREDENTIALS = {
    "test-key-id": "test-key-secret",
    # a second identity: what a Function Compute invocation hands over in its context
    "invocation-key-id": "invocation-key-secret",
}
_AUTH = re.compile(
    r"ACS3-HMAC-SHA256 Credential=(?P<key>[^,]+),SignedHeaders=(?P<signed>[^,]+),"
    r"Signature=(?P<signature>[0-9a-f]+)"
)
_PARAMS = ("InputConfig", "EditingConfig", "OutputConfig", "TemplateConfig", "UserData")


@dataclass(frozen=True)
class IceRequest:
    """One request as the server saw it."""

    action: str
    method: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]  # lower-case names
    at: float

    @property
    def params(self) -> dict[str, str]:
        return {**self.query, **self.form}


@dataclass
class Job:
    job_id: str
    client_token: str | None
    params: dict[str, str]
    answer: dict[str, Any]  # the EditingBatchJob object GetBatchMediaProducingJob returns


@dataclass
class _Fault:
    remaining: int
    action: str | None
    status: int = 500
    code: str = "InternalError"
    message: str = "injected fault"
    stall: float = 0.0
    after_accept: bool = False

    def matches(self, action: str) -> bool:
        return self.action is None or self.action == action


class _Answer(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


@dataclass
class _State:
    credentials: dict[str, str]
    verify_signatures: bool = True
    unknown_job: tuple[int, str] | str = (404, "ResourceNotFound")
    requests: list[IceRequest] = field(default_factory=list)
    jobs: dict[str, Job] = field(default_factory=dict)
    by_token: dict[str, str] = field(default_factory=dict)
    faults: list[_Fault] = field(default_factory=list)
    rate_per_second: int | None = None
    refusal: tuple[int, str] | None = None
    recent: deque[float] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)


class IceTestServer:
    """The fake endpoint, on 127.0.0.1 and a free port, served from a thread."""

    def __init__(
        self, *, credentials: dict[str, str] | None = None, verify_signatures: bool = True
    ) -> None:
        self._state = _State(dict(credentials or TEST_CREDENTIALS), verify_signatures)
        handler = type("Handler", (_Handler,), {"state": self._state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> IceTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._state.stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> IceTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget requests, jobs, faults and modes (between tests)."""
        s = self._state
        with s.lock:
            s.requests.clear()
            s.jobs.clear()
            s.by_token.clear()
            s.faults.clear()
            s.recent.clear()
            s.rate_per_second = None
            s.refusal = None
            s.unknown_job = (404, "ResourceNotFound")
            s.verify_signatures = True

    # -- inspection -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[IceRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def jobs(self) -> dict[str, Job]:
        with self._state.lock:
            return dict(self._state.jobs)

    def requests_for(self, action: str) -> list[IceRequest]:
        return [r for r in self.requests if r.action == action]

    # -- scripting ------------------------------------------------------------------------------

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int = 500,
        code: str = "InternalError",
        message: str = "injected fault",
        action: str | None = None,
    ) -> None:
        self._add(_Fault(times, action, status=status, code=code, message=message))

    def throttle_next(
        self, times: int = 1, *, status: int = 400, action: str | None = None
    ) -> None:
        self.fail_next(
            times,
            status=status,
            code="Throttling.User",
            message="Request was denied due to user flow control.",
            action=action,
        )

    def stall_next(
        self,
        seconds: float,
        times: int = 1,
        *,
        after_accept: bool = True,
        action: str | None = None,
    ) -> None:
        """Hold the answer `seconds` (cut short by stop()); after_accept: the call took effect."""
        if not 0 < seconds <= 30:
            raise ValueError("stalls are bounded: 0 < seconds <= 30")
        self._add(_Fault(times, action, stall=seconds, after_accept=after_accept))

    def refuse(self, status: int | None, code: str = "") -> None:
        """Refuse every request with (status, code) until called with None: a RAM policy
        mistake, an unknown key or an expired STS token, as Alibaba Cloud answers them."""
        with self._state.lock:
            self._state.refusal = None if status is None else (status, code)

    def clear_faults(self) -> None:
        with self._state.lock:
            self._state.faults.clear()

    def rate_limit(self, per_second: int | None) -> None:
        with self._state.lock:
            self._state.rate_per_second = per_second
            self._state.recent.clear()

    def answer_unknown_jobs_with(self, answer: tuple[int, str] | str) -> None:
        """(status, code), or "empty" for a 200 without EditingBatchJob."""
        with self._state.lock:
            self._state.unknown_job = answer

    def set_job(self, job_id: str, **fields: Any) -> None:
        """Update the EditingBatchJob answer: Status=, Extend=, SubJobList=, CompleteTime=…"""
        with self._state.lock:
            self._state.jobs[job_id].answer.update(fields)

    def add_job(self, job_id: str, **fields: Any) -> None:
        """A job that exists without a submit (e.g. created by another process)."""
        answer = {"JobId": job_id, "Status": "Init", "SubJobList": [], **fields}
        with self._state.lock:
            self._state.jobs[job_id] = Job(job_id, None, {}, answer)

    def _add(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._state.lock:
            self._state.faults.append(fault)


class _Handler(BaseHTTPRequestHandler):
    state: _State
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: with Nagle's algorithm the body waits for the
    # client's delayed ACK of the headers, 40 ms a request.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def _handle(self) -> None:
        s = self.state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        content_type = self.headers.get("Content-Type", "")
        form = {}
        if body and content_type.startswith("application/x-www-form-urlencoded"):
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        action = query.get("Action") or headers.get("x-acs-action", "")
        request = IceRequest(action, self.command, query, form, headers, time.time())
        request_id = str(uuid.uuid4()).upper()
        with s.lock:
            s.requests.append(request)
            refusal = s.refusal
            fault = None if refusal else self._take_fault(action)
            throttled = self._over_rate()
        try:
            if refusal is not None:
                raise _Answer(refusal[0], refusal[1], f"refused: {refusal[1]}")
            if fault is not None and fault.stall and not fault.after_accept:
                s.stop.wait(fault.stall)
            if fault is not None and not fault.stall:
                raise _Answer(fault.status, fault.code, fault.message)
            if throttled:
                raise _Answer(
                    400, "Throttling.User", "Request was denied due to user flow control."
                )
            self._check(request, parts.path, body)
            payload = self._act(request)
        except _Answer as answer:
            self._send(
                answer.status,
                {
                    "RequestId": request_id,
                    "HostId": self.headers.get("Host", ""),
                    "Code": answer.code,
                    "Message": answer.message,
                    "Recommend": f"https://api.aliyun.com/troubleshoot?q={answer.code}",
                },
            )
            return
        if fault is not None and fault.stall and fault.after_accept:
            s.stop.wait(fault.stall)
        self._send(200, {"RequestId": request_id, **payload})

    # -- checks ---------------------------------------------------------------------------------

    def _take_fault(self, action: str) -> _Fault | None:
        for fault in self.state.faults:
            if fault.matches(action):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.state.faults.remove(fault)
                return fault
        return None

    def _over_rate(self) -> bool:
        s = self.state
        if s.rate_per_second is None:
            return False
        now = time.monotonic()
        while s.recent and now - s.recent[0] >= 1.0:
            s.recent.popleft()
        if len(s.recent) >= s.rate_per_second:
            return True
        s.recent.append(now)
        return False

    def _check(self, request: IceRequest, path: str, body: bytes) -> None:
        if request.action not in (SUBMIT, GET, LIST):
            raise _Answer(400, "InvalidAction.NotFound", f"unknown action {request.action!r}")
        version = request.query.get("Version") or request.headers.get("x-acs-version")
        if version != API_VERSION:
            raise _Answer(400, "InvalidVersion", f"unsupported version {version!r}")
        match = _AUTH.fullmatch(request.headers.get("authorization", ""))
        if match is None:
            raise _Answer(400, "IncompleteSignature", "no ACS3-HMAC-SHA256 Authorization header")
        secret = self.state.credentials.get(match["key"])
        if secret is None:
            raise _Answer(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if self.state.verify_signatures:
            expected = _signature(request, path, match["signed"], body, secret)
            if not hmac.compare_digest(expected, match["signature"]):
                raise _Answer(400, "SignatureDoesNotMatch", "Specified signature does not match.")

    # -- actions --------------------------------------------------------------------------------

    def _act(self, request: IceRequest) -> dict[str, Any]:
        if request.action == SUBMIT:
            return {"JobId": self._submit(request.params)}
        if request.action == LIST:
            return self._list(request.params)
        return self._get(request.params.get("JobId", ""))

    def _list(self, params: dict[str, str]) -> dict[str, Any]:
        size = params.get("MaxResults", "10")
        if not size.isdigit() or not 1 <= int(size) <= 100:
            raise _Answer(400, "InvalidParameter.MaxResults", "MaxResults must be 1 to 100.")
        order = params.get("SortBy", "desc")
        if order not in ("asc", "desc"):
            raise _Answer(400, "InvalidParameter.SortBy", "SortBy must be asc or desc.")
        for name in ("StartTime", "EndTime"):
            if name in params and not re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", params[name]
            ):
                raise _Answer(
                    400, f"InvalidParameter.{name}", f"{name} is not yyyy-MM-ddTHH:mm:ssZ."
                )
        after = _position(params["NextToken"]) if params.get("NextToken") else None
        filters = {k: params[k] for k in ("JobId", "JobType", "Status") if params.get(k)}
        start, end = params.get("StartTime"), params.get("EndTime")
        with self.state.lock:
            answers = [json.loads(json.dumps(job.answer)) for job in self.state.jobs.values()]
        chosen = [
            a
            for a in answers
            if all(a.get(k) == v for k, v in filters.items())
            and (start is None or a.get("CreateTime", "") >= start)
            and (end is None or a.get("CreateTime", "") <= end)
        ]
        key = lambda a: (a.get("CreateTime", ""), a["JobId"])  # noqa: E731
        chosen.sort(key=key, reverse=order == "desc")
        if after is not None:
            chosen = [a for a in chosen if (key(a) > after if order == "asc" else key(a) < after)]
        page = chosen[: int(size)]
        body: dict[str, Any] = {
            "EditingBatchJobList": [{k: a[k] for k in LISTED_FIELDS if k in a} for a in page],
            "MaxResults": int(size),
        }
        if len(chosen) > len(page):
            body["NextToken"] = _token(key(page[-1]))
        return body

    def _submit(self, params: dict[str, str]) -> str:
        for name in ("InputConfig", "OutputConfig"):
            if not params.get(name):
                raise _Answer(400, "MissingParameter", f"{name} is mandatory for this action.")
        for name in ("InputConfig", "EditingConfig", "OutputConfig", "TemplateConfig", "UserData"):
            if name in params and not _json_object(params[name]):
                raise _Answer(400, f"InvalidParameter.{name}", f"{name} is not a JSON object.")
        if len(params.get("UserData", "").encode()) > 512:
            raise _Answer(400, "InvalidParameter.UserData", "UserData is longer than 512 bytes.")
        token = params.get("ClientToken") or None
        if token is not None and (len(token) > 64 or not token.isascii()):
            raise _Answer(400, "InvalidParameter.ClientToken", "ClientToken is not valid.")
        fields = {k: params[k] for k in _PARAMS if k in params}
        s = self.state
        with s.lock:
            if token is not None and token in s.by_token:
                job = s.jobs[s.by_token[token]]
                if job.params != fields:
                    raise _Answer(
                        400,
                        "IdempotentParameterMismatch",
                        "The request uses the same client token as a previous, but non-identical request.",
                    )
                return job.job_id
            job_id = uuid.uuid4().hex
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            answer = {
                "JobId": job_id,
                "JobType": "Smart_Mix",
                "Status": "Init",
                "CreateTime": now,
                "ModifiedTime": now,
                "Extend": "{}",
                "SubJobList": [],
                **fields,
            }
            s.jobs[job_id] = Job(job_id, token, fields, answer)
            if token is not None:
                s.by_token[token] = job_id
            return job_id

    def _get(self, job_id: str) -> dict[str, Any]:
        if not job_id:
            raise _Answer(400, "MissingParameter", "JobId is mandatory for this action.")
        s = self.state
        with s.lock:
            job = s.jobs.get(job_id)
            if job is not None:
                return {"EditingBatchJob": json.loads(json.dumps(job.answer))}
            unknown = s.unknown_job
        if isinstance(unknown, str):  # "empty"
            return {}
        status, code = unknown
        raise _Answer(status, code, f"The specified JobId {job_id} does not exist.")

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (a stall past its read timeout)


def _token(position: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()


def _position(token: str) -> tuple[str, str]:
    try:
        create_time, job_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(create_time), str(job_id)
    except (ValueError, TypeError):
        raise _Answer(400, "InvalidParameter.NextToken", "NextToken is not valid.") from None


def _json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _signature(request: IceRequest, path: str, signed: str, body: bytes, secret: str) -> str:
    """ACS3-HMAC-SHA256 as tea-openapi computes it, from what arrived."""
    canonical_query = "&".join(
        f"{key}={quote(request.query[key], safe='~')}" for key in sorted(request.query)
    )
    names = signed.split(";")
    canonical_headers = "".join(f"{n}:{request.headers.get(n, '').strip()}\n" for n in names)
    payload_hash = hashlib.sha256(body).hexdigest()
    if request.headers.get("x-acs-content-sha256") != payload_hash:
        return ""
    canonical = f"{request.method}\n{path or '/'}\n{canonical_query}\n{canonical_headers}\n{signed}\n{payload_hash}"
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
