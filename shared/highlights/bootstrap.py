"""The composition root: one place builds every adapter from `Settings`.

Function Compute's handlers, `highlights run` and `serve`, and the read-only commands all get
what they need here, and each holds what it built (a `System`, or a `BucketView` when no producer
is needed). SDK-backed adapters are imported only when the settings choose them, so a cold start
pays only for what it uses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from highlights.config import Settings
from highlights.jobs.layout import BucketLayout
from highlights.jobs.pipeline import Pipeline
from highlights.jobs.record import JobRecords
from highlights.ports import ObjectStore, Producer


@dataclass
class System:
    """One bucket's pipeline, built from its settings."""

    settings: Settings
    pipeline: Pipeline
    # the producer's SDK import and client, warmed once per system (see fc.handlers)
    warm: threading.Event | None = field(default=None, repr=False)
    warm_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def store(self) -> ObjectStore:
        return self.pipeline.store

    @property
    def layout(self) -> BucketLayout:
        return self.pipeline.layout

    @property
    def producer(self) -> Producer:
        return self.pipeline.producer


@dataclass(frozen=True)
class BucketView:
    """What the read-only commands need: the store, its layout and its records. No producer is
    built, so they work without ICE credentials or the local engine's tools."""

    store: ObjectStore
    layout: BucketLayout

    @property
    def records(self) -> JobRecords:
        return JobRecords(self.store, self.layout.record)


def build(
    settings: Settings,
    *,
    store: ObjectStore | None = None,
    producer: Producer | None = None,
    renderer: Any = None,
    clock: Callable[[], float] = time.time,
) -> System:
    """Everything the settings describe; `store`, `producer` and `renderer` replace what would be
    built (tests, and the local platform's stand-ins)."""
    store = store if store is not None else build_store(settings)
    if producer is None:
        producer = build_producer(settings, store, renderer=renderer, clock=clock)
    key_for_url = None
    if settings.bucket is None:
        from highlights.storage.urls import folder_key_for_url

        key_for_url = folder_key_for_url(settings.region)
    pipeline = Pipeline(
        store=store,
        producer=producer,
        layout=settings.layout(),
        region=settings.region,
        callback_url=settings.callback_url,
        callback_keys=settings.callback_keys,
        clock=clock,
        max_job_age=settings.max_job_age,
        max_manifest_bytes=settings.max_manifest_bytes,
        key_for_url=key_for_url,
        # The local engine's tick reads files on this machine: one thread is plenty.
        workers=settings.reconcile_workers if settings.producer == "ice" else 1,
    )
    return System(settings, pipeline)


def view(settings: Settings, *, store: ObjectStore | None = None) -> BucketView:
    return BucketView(store if store is not None else build_store(settings), settings.layout())


def build_store(settings: Settings) -> ObjectStore:
    if settings.bucket is not None:
        from highlights.rate import shared
        from highlights.storage.oss import OssStore

        return OssStore(
            settings.bucket,
            region=settings.region,
            endpoint=settings.oss_endpoint,
            internal=settings.oss_internal,
            limiter=shared("oss", settings.oss_qps),
        )
    from highlights.storage.local import LocalStore

    return LocalStore(settings.store)


def build_producer(
    settings: Settings,
    store: ObjectStore,
    *,
    renderer: Any = None,
    clock: Callable[[], float] = time.time,
) -> Producer:
    if settings.producer == "ice":
        from highlights.producers.ice import IceProducer
        from highlights.rate import shared

        return IceProducer(
            settings.region,
            endpoint=settings.ice_endpoint,
            limiter=shared("ice", settings.ice_qps),
            list_streams=settings.reconcile_workers,
        )
    from highlights.producers.local import LocalProducer
    from highlights.storage.local import LocalStore

    if not isinstance(store, LocalStore):
        raise TypeError("the local engine renders into a folder store")
    return LocalProducer(
        store,
        state_prefix=settings.state_prefix,
        region=settings.region,
        tools=settings.tools(),  # resolved now: a missing ffmpeg fails at start-up, by name
        renderer=renderer,
        clock=clock,
    )
