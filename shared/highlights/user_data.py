"""The keys the pipeline adds to a job's UserData (which ICE echoes back, and sends with its
callback). A manifest's own UserData may not use them; the rules size its budget with them."""

from __future__ import annotations

from typing import Any

NOTIFY_ADDRESS = "NotifyAddress"  # ICE's: where to call back when the job ends
JOB_ID = "HighlightsJobId"  # ours: which job a callback is about
RESERVED = (NOTIFY_ADDRESS, JOB_ID)


def with_notify_address(user_data: dict[str, Any], notify_url: str | None) -> dict[str, Any]:
    """UserData as sent: the job's, plus the callback address when there is one."""
    return {**user_data, NOTIFY_ADDRESS: notify_url} if notify_url else dict(user_data)
