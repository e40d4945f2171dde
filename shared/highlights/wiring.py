"""Builds the pipeline the settings describe. SDK-backed adapters are imported only when chosen."""

from __future__ import annotations

from highlights.config import Settings
from highlights.jobs.pipeline import Pipeline
from highlights.ports import ObjectStore, Producer


def build_store(settings: Settings) -> ObjectStore:
    if settings.bucket is not None:
        from highlights.storage.oss import OssStore

        return OssStore(
            settings.bucket,
            region=settings.region,
            endpoint=settings.oss_endpoint,
            internal=settings.oss_internal,
        )
    from highlights.storage.local import LocalStore

    return LocalStore(settings.store)


def build_producer(settings: Settings, store: ObjectStore) -> Producer:
    if settings.producer == "ice":
        from highlights.producers.ice import IceProducer

        return IceProducer(settings.region, endpoint=settings.ice_endpoint)
    from highlights.producers.local import LocalProducer
    from highlights.storage.local import LocalStore

    assert isinstance(store, LocalStore), "the local engine renders into a folder store"
    return LocalProducer(store, state_prefix=settings.state_prefix, region=settings.region)


def build_pipeline(settings: Settings) -> Pipeline:
    store = build_store(settings)
    key_for_url = None
    if settings.bucket is None:
        from highlights.storage.urls import folder_key_for_url

        key_for_url = folder_key_for_url(settings.region)
    return Pipeline(
        store=store,
        producer=build_producer(settings, store),
        layout=settings.layout(),
        region=settings.region,
        callback_url=settings.callback_url,
        callback_keys=settings.callback_keys,
        max_job_age=settings.max_job_age,
        max_manifest_bytes=settings.max_manifest_bytes,
        key_for_url=key_for_url,
    )
