"""How media references map to keys of a folder store, which stands for any bucket of its region."""

from __future__ import annotations

from collections.abc import Callable

from highlights.manifest.references import parse_oss_url


def folder_key_for_url(region: str | None) -> Callable[[str], str | None]:
    """OSS URLs in region (any bucket name), `oss://<bucket>/<key>` and plain relative keys map to
    keys of the folder; anything else (another region, another host) maps to nothing."""

    def key_for(reference: str) -> str | None:
        if reference.startswith("oss://"):
            _, _, rest = reference[len("oss://") :].partition("/")
            return rest or None
        location = parse_oss_url(reference)
        if location is not None:
            return location.key if region is None or location.region == region else None
        if "://" in reference or reference.startswith("/"):
            return None
        return reference

    return key_for
