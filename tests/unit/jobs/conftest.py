from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from highlights.jobs.identity import ManifestRef
from highlights.jobs.pipeline import Pipeline
from highlights.producers.fake import FakeProducer
from highlights.storage.memory import MemoryStore

URL = "https://films.oss-cn-shanghai.aliyuncs.com"

MANIFEST: dict[str, Any] = {
    "InputConfig": {
        "MediaArray": [f"{URL}/in/film.mp4"],
        "SpeechTextArray": ["The city sleeps. A train crosses the bridge."],
        "SceneInfo": {"Scene": "MovieHighlights"},
    },
    "OutputConfig": {
        "MediaURL": f"{URL}/out/night/h_{{index}}.mp4",
        "Count": 2,
        "Width": 720,
        "Height": 1280,
    },
    "UserData": {"campaign": "test"},
}


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


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
    doc = copy.deepcopy(MANIFEST)
    doc.update(changes)
    return doc


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
