from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest

from highlights.bootstrap import System, build
from highlights.callback_auth import notify_address, sign
from highlights.config import Settings
from highlights.fc import app
from highlights.jobs.pipeline import Pipeline
from highlights.producers.fake import FakeProducer
from highlights.storage.memory import MemoryStore

CALLBACK_URL = "https://1234.cn-shanghai.fcapp.run/ice"
KEYS = "NewKey2026a,OldKey2025b"


SETTINGS = Settings(
    store="oss://films",
    producer="ice",
    region="cn-shanghai",
    callback_url=CALLBACK_URL,
    callback_keys=tuple(KEYS.split(",")),
)


@pytest.fixture
def system() -> Iterator[System]:
    """What the handlers run with: a bucket in memory, the scriptable producer in place of ICE,
    installed as the instance's system (the entry points FC calls serve from it)."""
    built = build(SETTINGS, store=MemoryStore("films"), producer=FakeProducer())
    with app.installed(built):
        yield built


@pytest.fixture
def pipeline(system: System) -> Pipeline:
    return system.pipeline


def oss_event(
    bucket: str, *objects: tuple[str, str], name: str = "ObjectCreated:PutObject"
) -> bytes:
    events = [
        {
            "eventName": name,
            "eventSource": "acs:oss",
            "eventTime": "2026-11-29T12:46:37.000Z",
            "eventVersion": "1.0",
            "oss": {
                "bucket": {
                    "arn": f"acs:oss:cn-shanghai:1:{bucket}",
                    "name": bucket,
                    "ownerIdentity": "1",
                },
                "object": {"deltaSize": 10, "eTag": etag, "key": key, "size": 10},
                "ossSchemaVersion": "1.0",
                "ruleId": "rule",
            },
            "region": "cn-shanghai",
            "requestParameters": {"sourceIPAddress": "10.0.0.1"},
            "responseElements": {"requestId": "58F9FF2D3DF792092E12044C"},
            "userIdentity": {"principalId": "1"},
        }
        for key, etag in objects
    ]
    return json.dumps({"events": events}).encode()


def eventbridge_event(bucket: str, key: str, etag: str) -> bytes:
    return json.dumps(
        {
            "id": "7adc8c1a-645d-4476-bdef-5d6fb57f****",
            "source": "acs.oss",
            "specversion": "1.0",
            "type": "oss:ObjectCreated:PutObject",
            "datacontenttype": "application/json;charset=utf-8",
            "subject": f"acs:oss:cn-shanghai:1:{bucket}/{key}",
            "time": "2026-11-29T12:46:37Z",
            "aliyunaccountid": "1",
            "aliyunregionid": "cn-shanghai",
            "data": {
                "eventName": "ObjectCreated:PutObject",
                "eventSource": "acs:oss",
                "eventTime": "2026-11-29T12:46:37.000Z",
                "region": "cn-shanghai",
                "oss": {
                    "bucket": {"name": bucket, "arn": f"acs:oss:cn-shanghai:1:{bucket}"},
                    "object": {"key": key, "eTag": etag, "size": 10},
                },
            },
        }
    ).encode()


def http_event(
    body: dict[str, Any] | bytes,
    *,
    query: dict[str, str] | None = None,
    key: str | None = "NewKey2026a",
    url: str | None = None,
    timestamp: int | None = None,
    base64_body: bool = False,
) -> bytes:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "ICE"}
    query = query or {}
    if key is not None:
        ts = int(time.time()) if timestamp is None else timestamp
        signed = url or CALLBACK_URL
        headers["X-Ice-Timestamp"] = str(ts)
        headers["X-Ice-Signature"] = sign(signed, ts, key)
    return json.dumps(
        {
            "version": "v1",
            "rawPath": "/ice",
            "headers": headers,
            "queryParameters": query,
            "body": base64.b64encode(raw).decode() if base64_body else raw.decode(),
            "isBase64Encoded": base64_body,
            "requestContext": {
                "accountId": "1",
                "domainName": "1234.cn-shanghai.fcapp.run",
                "requestId": "req-1",
                "time": "2026-11-29T14:08:11Z",
                "timeEpoch": "1796000000000",
                "http": {
                    "method": "POST",
                    "path": "/ice",
                    "protocol": "HTTP/1.1",
                    "sourceIp": "47.1.2.3",
                },
            },
        }
    ).encode()


def token_query(job_id: str, keys: str = KEYS) -> dict[str, str]:
    """The query of the job's NotifyAddress, as the pipeline submits it (the first key signs)."""
    address = notify_address(CALLBACK_URL, job_id, keys.split(","))
    return dict(parse_qsl(address.split("?", 1)[1]))  # as Function Compute hands them over


def timer_event() -> bytes:
    return json.dumps(
        {"triggerTime": "2026-11-29T07:49:00Z", "triggerName": "reconcile", "payload": ""}
    ).encode()


class Context:
    request_id = "fc-request-1"
