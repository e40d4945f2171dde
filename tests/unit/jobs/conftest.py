from __future__ import annotations

import json
from typing import Any

import pytest

from highlights.jobs.identity import ManifestRef
from highlights.jobs.pipeline import Pipeline
from highlights.producers.fake import FakeProducer
from highlights.storage.memory import MemoryStore
from tests.support import Clock
from tests.support import manifest as make_manifest

MANIFEST: dict[str, Any] = make_manifest(UserData={"campaign": "test"})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> MemoryStore:
    """In memory: the jobs layer is tested off the disk (the store contract covers the others)."""
    return MemoryStore("films", clock=clock)


@pytest.fixture
def producer(clock: Clock) -> FakeProducer:
    return FakeProducer(clock=clock)


@pytest.fixture
def pipeline(store: MemoryStore, producer: FakeProducer, clock: Clock) -> Pipeline:
    return Pipeline(
        store=store,
        producer=producer,
        region="cn-shanghai",
        callback_url="https://cb.example.com/ice",
        clock=clock,
    )


def manifest(**changes: Any) -> dict[str, Any]:
    return make_manifest(**{"UserData": {"campaign": "test"}, **changes})


def upload(store: MemoryStore, key: str = "manifests/night.json", doc: Any = None) -> ManifestRef:
    data = (
        doc if isinstance(doc, bytes) else json.dumps(doc if doc is not None else MANIFEST).encode()
    )
    stored = store.put(key, data)
    return ManifestRef(store.bucket, key, stored.etag)


def keys(store: MemoryStore, prefix: str) -> list[str]:
    return [o.key for o in store.list(prefix)]


def read_json(store: MemoryStore, key: str) -> Any:
    return json.loads(store.get(key))
