"""Where the pipeline keeps things in the bucket. Every prefix is a setting."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import NamedTuple

MANIFEST_SUFFIX = ".json"
DUE_DIGITS = 10  # UNIX seconds, zero-padded so that key order is due order
DOORBELL_SUFFIX = ".bell"  # job ids are [a-z0-9-]: the dot cannot be part of one


class Marker(NamedTuple):
    """An in-flight marker's name: when it is due, for which job, and whether it is a callback's
    doorbell (an extra marker, due at once) rather than the job's own."""

    due: int
    job_id: str
    doorbell: bool = False


class LayoutError(ValueError):
    pass


@dataclass(frozen=True)
class BucketLayout:
    """Keys of the inbox, job records, in-flight markers, rejection reports and result manifests.

    In-flight markers are named `<due time>-<job id>`: a listing in key order is a queue in due
    order, so a reconcile tick reads only the markers that are due, however many jobs are in flight.
    """

    inbox: str = "manifests/"
    state: str = ".highlights/"

    def __post_init__(self) -> None:
        for name, prefix in (("inbox", self.inbox), ("state", self.state)):
            if prefix.startswith("/") or (prefix and not prefix.endswith("/")):
                raise LayoutError(f"the {name} prefix {prefix!r} must be relative and end with '/'")
        if not self.state:
            raise LayoutError("the state prefix cannot be empty")
        if self.would_trigger(self.state + "jobs/x.json"):
            raise LayoutError(
                f"the state prefix {self.state!r} lies inside the inbox {self.inbox!r}: job records "
                "(.json) would trigger the submit function again"
            )

    # -- inbox
    def is_manifest(self, key: str) -> bool:
        return self.would_trigger(key) and not key.endswith("/")

    def would_trigger(self, key: str) -> bool:
        """Whether writing key fires the OSS trigger (inbox prefix and .json suffix)."""
        return key.startswith(self.inbox) and key.endswith(MANIFEST_SUFFIX)

    # -- state
    def record(self, job_id: str) -> str:
        return f"{self.state}jobs/{job_id}.json"

    @property
    def records_prefix(self) -> str:
        return f"{self.state}jobs/"

    @property
    def inflight_prefix(self) -> str:
        return f"{self.state}inflight/"

    def inflight(self, job_id: str, due: float) -> str:
        return f"{self.inflight_prefix}{int(due):0{DUE_DIGITS}d}-{job_id}"

    def doorbell(self, job_id: str, due: float) -> str:
        return self.inflight(job_id, due) + DOORBELL_SUFFIX

    def parse_inflight(self, key: str) -> Marker | None:
        """The marker a key names, or None for anything else under the prefix."""
        name = key[len(self.inflight_prefix) :]
        due, sep, job_id = name.partition("-")
        doorbell = job_id.endswith(DOORBELL_SUFFIX)
        job_id = job_id.removesuffix(DOORBELL_SUFFIX)
        if not sep or len(due) != DUE_DIGITS or not due.isdigit() or not job_id or "." in job_id:
            return None
        return Marker(int(due), job_id, doorbell)

    def rejection(self, manifest_key: str) -> str:
        return f"{self.state}rejected/{manifest_key}.errors.json"

    def latest(self, manifest_key: str) -> str:
        """Which job is the newest version of a manifest key (see jobs/versions.py)."""
        return f"{self.state}latest/{manifest_key}"

    def set_aside(self, job_id: str) -> str:
        return f"{self.state}set-aside/{job_id}.json"

    @property
    def dead_letters(self) -> str:
        return f"{self.state}dead-letters/"

    @property
    def cursor(self) -> str:
        return f"{self.state}cursor/inbox.json"

    @property
    def watched(self) -> str:
        """The jobs of ours the producer's listing last showed unfinished (see jobs/watch.py)."""
        return f"{self.state}watch/unfinished.json"

    def fallback_result(self, job_id: str) -> str:
        return f"{self.state}results/{job_id}.result.json"

    def result(self, job_id: str, manifest_name: str, output_key: str | None) -> str:
        """Next to the videos when they go to this bucket (output_key is the video's key template);
        under the state prefix otherwise, or when that place would fire the trigger."""
        if output_key is None:
            return self.fallback_result(job_id)
        folder = posixpath.dirname(output_key)
        key = f"{folder}/{manifest_name}.result.json" if folder else f"{manifest_name}.result.json"
        return self.fallback_result(job_id) if self.would_trigger(key) else key
