"""Settings from the environment: the deployment interface. A bad value names its variable."""

from __future__ import annotations

import os
from collections.abc import Mapping

from highlights.manifest.vocabulary import REGIONS


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
