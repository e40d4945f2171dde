"""Where a manifest's outputs go, and what it asks the pipeline to carry: output keys the stores and
the pipeline accept, and UserData within ICE's 512 bytes once the pipeline's keys are added."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from highlights import user_data as user_data_keys
from highlights.keys import MAX_KEY_BYTES, MAX_SEGMENT_BYTES, output_key_problem
from highlights.manifest import limits
from highlights.manifest.problems import Findings, Loc, shorten
from highlights.manifest.references import (
    check_region,
    parse_oss_url,
    placeholder_in,
)

USER_DATA_LIMIT = 512
# What the pipeline adds to UserData: ICE's notify address (SetEventCallback allows 256 bytes of URL)
# and our job id, sized for the longest value each may take.
RESERVED_USER_DATA_KEYS = user_data_keys.RESERVED
NOTIFY_ADDRESS_BUDGET = 256
JOB_ID_BUDGET = 80


OUTPUT = ("OutputConfig",)


def check_output(
    output: dict[str, Any], findings: Findings, region: str | None, reserved: tuple[str, ...]
) -> None:
    if not output or output.get("GeneratePreviewOnly") is True:
        return
    count = output.get("Count")
    last = count if isinstance(count, int) and 1 <= count <= limits.MAX_OUTPUTS else 1
    media_url = output.get("MediaURL")
    vod = [k for k in ("StorageLocation", "FileName") if output.get(k) is not None]
    destination = "MediaURL (OSS), or StorageLocation + FileName (VOD)"
    if media_url is not None and vod:
        findings.error((*OUTPUT, "MediaURL"), "give one destination, not both", destination)
    elif media_url is None and not vod:
        findings.error(OUTPUT, "no destination for the videos", destination)
    elif media_url is None and len(vod) == 1:
        missing = "FileName" if vod == ["StorageLocation"] else "StorageLocation"
        findings.error((*OUTPUT, missing), f"{missing} is required with {vod[0]}", destination)
    if isinstance(media_url, str) and not placeholder_in(media_url):
        location = parse_oss_url(media_url)
        if location is not None and "{index}" not in media_url:
            findings.error(
                (*OUTPUT, "MediaURL"), "must contain {index}", "e.g. .../name_{index}.mp4"
            )
        if location is None and ("accelerate" in media_url or "cdn" in media_url.lower()):
            findings.error(
                (*OUTPUT, "MediaURL"),
                "outputs cannot go to an acceleration or CDN domain",
                "http(s)://<bucket>.oss-<region>.aliyuncs.com/<key>",
            )
        if location is not None:
            _output_key(location.key, (*OUTPUT, "MediaURL"), last, reserved, findings)
    file_name = output.get("FileName")
    if isinstance(file_name, str) and "{index}" not in file_name:
        findings.error((*OUTPUT, "FileName"), "must contain {index}", "e.g. name_{index}.mp4")
    if isinstance(file_name, str) and file_name and not placeholder_in(file_name):
        # The local engine writes the VOD form to this key of its folder.
        _output_key(file_name, (*OUTPUT, "FileName"), last, reserved, findings)
    storage = output.get("StorageLocation")
    if isinstance(storage, str) and not placeholder_in(storage):
        location = parse_oss_url(f"https://{storage}/x")
        if location is None:
            findings.error(
                (*OUTPUT, "StorageLocation"),
                f"{shorten(storage)!r} is not a VOD storage address",
                "<bucket>.oss-<region>.aliyuncs.com",
            )
        else:
            message, accepted = check_region(location.region, region)
            if message:
                findings.error((*OUTPUT, "StorageLocation"), message, accepted)


def _output_key(
    template: str, loc: Loc, last: int, reserved: tuple[str, ...], findings: Findings
) -> None:
    """Every output's key (`{index}` is 1 to Count; the last is the longest) must be one every
    store takes and the pipeline may write, as written and as OSS reads it (percent-decoded)."""
    key = template.replace("{index}", str(last))
    for candidate, how in ((key, ""), (unquote(key), "percent-decoded, ")):
        problem = output_key_problem(candidate, reserved)
        if problem:
            outside = [p for p in reserved if p]
            findings.error(
                loc,
                f"the output cannot be written there: {how}{problem}",
                f"a key of '/'-separated names (no empty, '.' or '..' name, each at most "
                f"{MAX_SEGMENT_BYTES} bytes, {MAX_KEY_BYTES} in all), without control characters"
                + (f", outside {', '.join(outside)}" if outside else ""),
            )
            return


def check_user_data(user_data: Any, findings: Findings, notify_url: str | None) -> None:
    if user_data is None:
        return
    if not isinstance(user_data, dict):
        return  # the model reports the type
    for key in RESERVED_USER_DATA_KEYS:
        if key in user_data:
            findings.error(("UserData", key), f"{key} is set by the pipeline; choose another key")
    notify = notify_url or "x" * NOTIFY_ADDRESS_BUDGET
    reserved = {user_data_keys.NOTIFY_ADDRESS: notify, user_data_keys.JOB_ID: "x" * JOB_ID_BUDGET}
    total = _json_size({**user_data, **reserved})
    if total > USER_DATA_LIMIT:
        room = USER_DATA_LIMIT - _json_size(reserved) - 1  # the comma that joins the user's keys
        findings.error(
            "UserData",
            f"with the pipeline's keys UserData would be {total} bytes of JSON; ICE takes "
            f"{USER_DATA_LIMIT}: the user's keys may take {max(room, 0)} bytes, "
            f"they take {_json_size(user_data) - 2}",
            f"at most {max(room, 0)} bytes of user keys and values",
        )


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
