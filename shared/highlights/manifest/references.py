"""Media references: a media ID or an OSS URL in one region, and documentation placeholders."""

from __future__ import annotations

import re
from dataclasses import dataclass

from highlights.manifest.problems import shorten
from highlights.manifest.vocabulary import REGIONS

MEDIA_ID = re.compile(r"^[0-9a-fA-F]{32}$")
OSS_URL = re.compile(
    r"^(?P<scheme>https?)://(?P<bucket>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])"
    r"\.oss-(?P<region>[a-z0-9-]+?)(?P<internal>-internal)?\.aliyuncs\.com/(?P<key>[^?#]+)$"
)
HTTP_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(/[^\s]*)?$")
_PLACEHOLDER = re.compile(r"\[your-[a-z0-9-]+\]|\*{3,}")
PLACEHOLDER_START = r"\[your-|\*\*\*"  # what every placeholder starts with: a cheap first look

PLACEHOLDER_MESSAGE = (
    "{value!r} holds the documentation placeholder {found!r}; replace it with a real value"
)


@dataclass(frozen=True)
class OssLocation:
    bucket: str
    region: str
    key: str
    internal: bool


def placeholder_in(value: str) -> str | None:
    """The placeholder text a documentation example left in value, if any."""
    found = _PLACEHOLDER.search(value)
    return found.group(0) if found else None


def parse_oss_url(url: str) -> OssLocation | None:
    m = OSS_URL.match(url)
    if not m:
        return None
    return OssLocation(m["bucket"], m["region"], m["key"], bool(m["internal"]))


def check_media_reference(value: str, region: str | None) -> tuple[str | None, str | None]:
    """Why value is not a usable media reference (message, accepted), or (None, None)."""
    placeholder = placeholder_in(value)
    if placeholder:
        return PLACEHOLDER_MESSAGE.format(
            value=shorten(value), found=placeholder
        ), "a media ID or an OSS URL"
    if MEDIA_ID.match(value):
        return None, None
    location = parse_oss_url(value)
    if location is None:
        return (
            f"{shorten(value)!r} is neither a media ID nor an OSS URL",
            "a 32-character media ID, or http(s)://<bucket>.oss-<region>.aliyuncs.com/<key>",
        )
    return check_region(location.region, region)


def check_region(found: str, region: str | None) -> tuple[str | None, str | None]:
    if found not in REGIONS:
        return (
            f"OSS region {found!r} does not offer movie highlights",
            ", ".join(REGIONS),
        )
    if region is not None and found != region:
        return (
            f"OSS URL is in {found}, but jobs are submitted in {region}; "
            "ICE only reads media from its own region",
            f"an OSS URL in {region}",
        )
    return None, None
