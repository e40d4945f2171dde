"""Pipeline costs with the folder store and the fake producer.

    .venv/bin/python benchmarks/bench_pipeline.py [--history 100000]

- accept throughput (manifests per second, one process);
- one reconcile tick with 10,000 jobs in flight, none due;
- the same tick with 100,000 finished jobs in history as well: it must not grow with history.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from highlights.jobs.accept import accept
from highlights.jobs.identity import ManifestRef
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.reconcile import reconcile
from highlights.producers.fake import FakeProducer
from highlights.storage.local import LocalStore
from tests.support import manifest

MANIFEST = manifest("films", outputs="out")


def bench_accept(root: Path, count: int) -> None:
    store = LocalStore(root / "accept", bucket="films")
    pipeline = Pipeline(store=store, producer=FakeProducer(), region="cn-shanghai")
    refs = []
    for i in range(count):
        doc = {**MANIFEST, "UserData": {"i": i}}
        stored = store.put(f"manifests/m{i:05d}.json", json.dumps(doc).encode())
        refs.append(ManifestRef("films", stored.key, stored.etag))
    start = time.perf_counter()
    for ref in refs:
        accept(pipeline, ref)
    elapsed = time.perf_counter() - start
    print(f"accept: {count} manifests in {elapsed:.2f} s = {count / elapsed:.0f} manifests/s")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def bench_tick(root: Path, inflight: int, history: int) -> None:
    store = LocalStore(root / f"tick-{history}", bucket="films")
    now = 1_800_000_000.0
    pipeline = Pipeline(
        store=store, producer=FakeProducer(), region="cn-shanghai", clock=lambda: now
    )
    # Written straight to the folder: building 100k jobs through the use cases would take minutes.
    for i in range(inflight):
        _write(store.root / pipeline.layout.inflight(f"job-{i:06d}", now + 60 + i % 500), b"{}")
    for i in range(history):
        _write(store.root / pipeline.layout.record(f"done-{i:06d}"), b"{}")
    reconcile(pipeline)  # warm the directory cache and the sweep cursor
    times = []
    for _ in range(20):
        start = time.perf_counter()
        tick = reconcile(pipeline)
        times.append((time.perf_counter() - start) * 1000)
    assert tick.due == 0
    print(
        f"reconcile tick: {inflight} in flight (none due), {history} finished in history: "
        f"median {statistics.median(times):.2f} ms, max {max(times):.2f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--accept", type=int, default=1000)
    parser.add_argument("--inflight", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_accept(Path(tmp), args.accept)
        bench_tick(Path(tmp), args.inflight, 0)
        bench_tick(Path(tmp), args.inflight, args.history)
