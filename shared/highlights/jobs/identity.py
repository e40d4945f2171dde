"""Job identity: readable, deterministic, one per manifest version.

The same upload delivered twice is the same job; a changed manifest under the same key (new ETag) is a
new job. The ClientToken derives from the same hash, so a retried submit cannot start a second ICE job.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_UNSAFE = re.compile(r"[^a-z0-9]+")
NAME_LIMIT = 40
HASH_LENGTH = 12


@dataclass(frozen=True)
class ManifestRef:
    """Which manifest version a job is for."""

    bucket: str
    key: str
    etag: str
    attempt: int = 0  # `highlights retry` runs a finished version again as a new job

    @property
    def name(self) -> str:
        """The manifest's file name without `.json`: `manifests/promo/Night Train.json` → `Night Train`."""
        base = self.key.rsplit("/", 1)[-1]
        return base[: -len(".json")] if base.lower().endswith(".json") else base


def _digest(ref: ManifestRef) -> str:
    # The ETag is normalised: OSS events and listings quote and case it differently.
    etag = ref.etag.strip('"').upper()
    retry = f"\n{ref.attempt}" if ref.attempt else ""
    return hashlib.sha256(f"{ref.bucket}\n{ref.key}\n{etag}{retry}".encode()).hexdigest()


def job_id_for(ref: ManifestRef) -> str:
    """`night-train-3f2a9c01b7de`: the manifest's name, slugged, and a short hash of the version."""
    slug = _UNSAFE.sub("-", ref.name.lower()).strip("-")[:NAME_LIMIT].strip("-") or "manifest"
    return f"{slug}-{_digest(ref)[:HASH_LENGTH]}"


_JOB_ID = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{NAME_LIMIT - 1}}}-[0-9a-f]{{{HASH_LENGTH}}}")


def is_job_id(text: str) -> bool:
    """Whether text has the shape of a job id (untrusted input is checked before any key is made
    of it)."""
    return bool(_JOB_ID.fullmatch(text))


def client_token_for(ref: ManifestRef) -> str:
    """At most 64 ASCII characters, as Alibaba Cloud's ClientToken allows."""
    return f"hl-{_digest(ref)[:40]}"
