"""ICE's completion callback as Function Compute delivers it: the HTTP request and what its body
tells us. How a callback proves itself is in highlights.callback_auth.

The callback is a doorbell: it says which job to look at, never what happened to it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from highlights import user_data as user_data_keys

COMPLETE_EVENT = "BatchProduceMediaComplete"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # lower-cased names
    query: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


MAX_BODY_BYTES = 64 * 1024  # an ICE event is a few hundred bytes


def http_request(event: Mapping[str, Any]) -> HttpRequest:
    """Function Compute 3.0's HTTP trigger event (body possibly base64). ValueError for anything
    that is not one: the event is as untrusted as the request it carries."""
    body = event.get("body") or ""
    if not isinstance(body, str) or len(body) > 2 * MAX_BODY_BYTES:
        raise ValueError("the body is not a string of at most 64 KB")
    raw = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode()
    context = _mapping(event.get("requestContext"))
    http = _mapping(context.get("http"))
    headers = {str(k).lower(): str(v) for k, v in _mapping(event.get("headers")).items()}
    query = {str(k): str(v) for k, v in _mapping(event.get("queryParameters")).items()}
    return HttpRequest(
        method=str(http.get("method", "POST")).upper(),
        path=str(http.get("path") or event.get("rawPath") or "/"),
        headers=headers,
        query=query,
        body=raw,
    )


def _mapping(value: Any) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"expected an object, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class Notice:
    event_type: str
    job_id: str | None  # ours, when the notice carries it
    producer_job_id: str | None


def parse_notice(body: bytes, query: Mapping[str, str]) -> Notice:
    """Raises ValueError for a body that is not an ICE event. Unknown fields are ignored."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(value, dict) or not isinstance(value.get("EventType"), str):
        raise ValueError("not an ICE event: no EventType")
    message = value.get("MessageBody")
    if isinstance(message, str):
        try:
            message = json.loads(message)
        except ValueError:
            message = {}
    message = message if isinstance(message, dict) else {}
    user_data = message.get("UserData")
    if isinstance(user_data, str):
        try:
            user_data = json.loads(user_data)
        except ValueError:
            user_data = None
    job_id = query.get("job")
    if not job_id and isinstance(user_data, dict):
        job_id = user_data.get(user_data_keys.JOB_ID)
    producer_job_id = message.get("JobId")
    return Notice(
        event_type=value["EventType"],
        job_id=str(job_id) if job_id else None,
        producer_job_id=str(producer_job_id) if producer_job_id else None,
    )
