"""Rules that relate fields to each other and to the deployment, checked on the decoded document.

They run on the raw JSON (not the models) so that every problem is reported at once: a shot with a
misspelt key still has its Characters checked. Values of the wrong type are skipped here; the models
report them.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from highlights.manifest.problems import Findings, Loc, json_path
from highlights.manifest.references import (
    MEDIA_ID,
    PLACEHOLDER_MESSAGE,
    check_media_reference,
    check_region,
    parse_oss_url,
    placeholder_in,
)
from highlights.manifest.vocabulary import EFFECTS, FILTERS, REGIONS, TRANSITIONS, suggest

USER_DATA_LIMIT = 512
# What the pipeline adds to UserData: ICE's notify address (SetEventCallback allows 256 bytes of URL)
# and our job id, sized for the longest value each may take.
RESERVED_USER_DATA_KEYS = ("NotifyAddress", "HighlightsJobId")
NOTIFY_ADDRESS_BUDGET = 256
JOB_ID_BUDGET = 80


def check(
    doc: dict[str, Any], findings: Findings, *, region: str | None, notify_url: str | None
) -> None:
    if region is not None and region not in REGIONS:
        findings.error(
            "$", f"region {region!r} does not offer movie highlights", ", ".join(REGIONS)
        )
        region = None
    _placeholders(doc, (), findings)
    inputs = _obj(doc.get("InputConfig"))
    scene = _obj(inputs.get("SceneInfo"))
    _mode(inputs, scene, findings)
    _shots(scene, findings)
    _faces(scene, findings)
    _sub_headings(inputs, findings)
    _vocabularies(_obj(_obj(doc.get("EditingConfig")).get("ProcessConfig")), findings)
    _media(doc, findings, region)
    _output(_obj(doc.get("OutputConfig")), findings, region)
    _user_data(doc.get("UserData"), findings, notify_url)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> Iterator[tuple[int, Any]]:
    return enumerate(value) if isinstance(value, list) else iter(())


def _placeholders(value: Any, loc: Loc, findings: Findings) -> None:
    if isinstance(value, str):
        found = placeholder_in(value)
        if found:
            findings.error(loc, PLACEHOLDER_MESSAGE.format(value=_short(value), found=found))
    elif isinstance(value, dict):
        for key, item in value.items():
            _placeholders(item, (*loc, key), findings)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _placeholders(item, (*loc, i), findings)


def _short(value: str) -> str:
    return value if len(value) <= 80 else value[:77] + "..."


SPEECH = ("InputConfig", "SpeechTextArray")
SHOTS = ("InputConfig", "SceneInfo", "ShotInfo", "ShotScripts")


def _mode(inputs: dict[str, Any], scene: dict[str, Any], findings: Findings) -> None:
    speech = inputs.get("SpeechTextArray")
    shot_info = scene.get("ShotInfo")
    shots = _obj(shot_info).get("ShotScripts")
    has_speech = isinstance(speech, list) and len(speech) > 0
    has_shots = isinstance(shots, list) and len(shots) > 0
    both = "InputConfig.SpeechTextArray (global narration) or InputConfig.SceneInfo.ShotInfo.ShotScripts (storyboard)"
    if has_speech and has_shots:
        findings.error(
            SPEECH, "global narration and storyboard are both set; choose one mode", both
        )
    elif not has_speech and not has_shots:
        if isinstance(shot_info, dict):
            findings.error(SHOTS, "the storyboard has no shots", "at least one ShotScript")
        else:
            findings.error("InputConfig", "no narration and no storyboard: choose a mode", both)


MANUAL = ("Descriptions", "Characters", "Settings")


def _shots(scene: dict[str, Any], findings: Findings) -> None:
    for i, shot in _items(_obj(scene.get("ShotInfo")).get("ShotScripts")):
        if not isinstance(shot, dict):
            continue
        loc = (*SHOTS, i)
        manual = [k for k in MANUAL if shot.get(k)]
        if shot.get("ScriptText") and manual:
            findings.error(
                (*loc, manual[0]),
                "a shot uses one shot mode: ScriptText (text description) or "
                "Descriptions/Characters/Settings (manual parsing), not both",
            )
        elif not shot.get("ScriptText") and not manual:
            findings.error(
                loc,
                "the shot describes nothing",
                "ScriptText, or Descriptions/Characters/Settings",
            )
        has_speech = bool(shot.get("SpeechText"))
        if has_speech and shot.get("Duration") is not None:
            findings.error(
                (*loc, "Duration"),
                "Duration is only for a shot without SpeechText; the narration sets the length",
            )
        if not has_speech and shot.get("Duration") is None:
            findings.error(
                (*loc, "Duration"),
                "a shot without SpeechText needs a Duration in seconds",
                "a number > 0",
            )


FACES = ("InputConfig", "SceneInfo", "FaceInfo", "ImageInfoList")


def _faces(scene: dict[str, Any], findings: Findings) -> None:
    names: dict[str, int] = {}
    for i, info in _items(_obj(scene.get("FaceInfo")).get("ImageInfoList")):
        if not isinstance(info, dict):
            continue
        name = info.get("Name")
        if isinstance(name, str):
            if name in names:
                findings.error(
                    (*FACES, i, "Name"),
                    f"name {name!r} is already used by ImageInfoList[{names[name]}]",
                )
            names.setdefault(name, i)
        has_url, has_id = info.get("ImageURL") is not None, info.get("ImageId") is not None
        if has_url == has_id:
            findings.error(
                (*FACES, i), "give exactly one of ImageURL and ImageId", "ImageURL or ImageId"
            )
        if isinstance(info.get("ImageURL"), str):
            _public_url(info["ImageURL"], (*FACES, i, "ImageURL"), findings)
        if isinstance(info.get("ImageId"), str):
            _media_id(info["ImageId"], (*FACES, i, "ImageId"), findings)
    accepted = ", ".join(sorted(names)) or "none: FaceInfo.ImageInfoList is empty"
    for i, shot in _items(_obj(scene.get("ShotInfo")).get("ShotScripts")):
        for j, character in _items(_obj(shot).get("Characters")):
            if isinstance(character, str) and character not in names:
                findings.error(
                    (*SHOTS, i, "Characters", j),
                    f"{character!r} is not a name in FaceInfo.ImageInfoList",
                    accepted,
                )


def _sub_headings(inputs: dict[str, Any], findings: Findings) -> None:
    seen: set[int] = set()
    for i, heading in _items(inputs.get("SubHeadingArray")):
        level = _obj(heading).get("Level")
        if isinstance(level, int):
            if level in seen:
                findings.error(
                    ("InputConfig", "SubHeadingArray", i, "Level"), f"level {level} is given twice"
                )
            seen.add(level)


PROCESS = ("EditingConfig", "ProcessConfig")


def _vocabularies(process: dict[str, Any], findings: Findings) -> None:
    for field, names, label in (
        ("TransitionList", TRANSITIONS, "transition"),
        ("FilterList", FILTERS, "filter"),
    ):
        for i, name in _items(process.get(field)):
            if isinstance(name, str) and name not in names:
                hint = suggest(name, names)
                message = f"unknown {label} {name!r}" + (
                    f"; did you mean {hint!r}?" if hint else ""
                )
                findings.error((*PROCESS, field, i), message, f"a {label} of the ICE library")
    for field in ("VfxFirstClipEffectList", "VfxNotFirstClipEffectList"):
        for i, name in _items(process.get(field)):
            if isinstance(name, str) and name not in EFFECTS:
                hint = suggest(name, EFFECTS)
                message = f"effect {name!r} is not in the basic effect group" + (
                    f"; did you mean {hint!r}?" if hint else "; ICE may still know it"
                )
                findings.warn((*PROCESS, field, i), message)


def _media(doc: dict[str, Any], findings: Findings, region: str | None) -> None:
    inputs = _obj(doc.get("InputConfig"))
    refs: list[tuple[Loc, str]] = []
    for field in ("MediaArray", "BackgroundMusicArray", "BackgroundImageArray"):
        refs += [
            (("InputConfig", field, i), v)
            for i, v in _items(inputs.get(field))
            if isinstance(v, str)
        ]
    stickers = [(("InputConfig", "Sticker"), inputs.get("Sticker"))] if "Sticker" in inputs else []
    stickers += [
        (("InputConfig", "StickerArray", i), s) for i, s in _items(inputs.get("StickerArray"))
    ]
    for loc, sticker in stickers:
        sticker = _obj(sticker)
        if sticker.get("MediaId") is None and sticker.get("MediaURL") is None:
            findings.error(loc, "a sticker needs an image", "MediaId or MediaURL")
        elif sticker.get("MediaId") is not None and sticker.get("MediaURL") is not None:
            findings.warn(loc, "both MediaId and MediaURL are set; ICE uses MediaId")
        if isinstance(sticker.get("MediaId"), str):
            _media_id(sticker["MediaId"], (*loc, "MediaId"), findings)
        if isinstance(sticker.get("MediaURL"), str):
            refs.append(((*loc, "MediaURL"), sticker["MediaURL"]))
    output_url = _obj(doc.get("OutputConfig")).get("MediaURL")
    if isinstance(output_url, str):
        refs.append((("OutputConfig", "MediaURL"), output_url))

    first_region: tuple[Loc, str] | None = None
    for loc, value in refs:
        if placeholder_in(value):
            continue  # already reported
        message, accepted = check_media_reference(value, region)
        if message:
            findings.error(loc, message, accepted)
            continue
        location = parse_oss_url(value)
        if region is None and location is not None:
            # No region configured: every URL must agree with the first one.
            if first_region is None:
                first_region = (loc, location.region)
            elif location.region != first_region[1]:
                findings.error(
                    loc,
                    f"OSS URL is in {location.region}, but {json_path(first_region[0])} is in "
                    f"{first_region[1]}; one job reads and writes in one region",
                    f"an OSS URL in {first_region[1]}",
                )


def _media_id(value: str, loc: Loc, findings: Findings) -> None:
    if not placeholder_in(value) and not MEDIA_ID.match(value):
        findings.error(loc, f"{value!r} is not a media ID", "a 32-character hexadecimal media ID")


def _public_url(value: str, loc: Loc, findings: Findings) -> None:
    if placeholder_in(value):
        return
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or "." not in host:
        findings.error(loc, f"{value!r} is not a public http(s) URL", "http(s)://<host>/<path>")
        return
    try:
        private = not ipaddress.ip_address(host).is_global
    except ValueError:
        private = host == "localhost" or host.endswith((".local", ".internal"))
    if private:
        findings.error(
            loc, f"{host} is not reachable from ICE; the photo must be public", "a public URL"
        )


OUTPUT = ("OutputConfig",)


def _output(output: dict[str, Any], findings: Findings, region: str | None) -> None:
    if not output or output.get("GeneratePreviewOnly") is True:
        return
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
    file_name = output.get("FileName")
    if isinstance(file_name, str) and "{index}" not in file_name:
        findings.error((*OUTPUT, "FileName"), "must contain {index}", "e.g. name_{index}.mp4")
    storage = output.get("StorageLocation")
    if isinstance(storage, str) and not placeholder_in(storage):
        location = parse_oss_url(f"https://{storage}/x")
        if location is None:
            findings.error(
                (*OUTPUT, "StorageLocation"),
                f"{storage!r} is not a VOD storage address",
                "<bucket>.oss-<region>.aliyuncs.com",
            )
        else:
            message, accepted = check_region(location.region, region)
            if message:
                findings.error((*OUTPUT, "StorageLocation"), message, accepted)


def _user_data(user_data: Any, findings: Findings, notify_url: str | None) -> None:
    if user_data is None:
        return
    if not isinstance(user_data, dict):
        return  # the model reports the type
    for key in RESERVED_USER_DATA_KEYS:
        if key in user_data:
            findings.error(("UserData", key), f"{key} is set by the pipeline; choose another key")
    notify = notify_url or "x" * NOTIFY_ADDRESS_BUDGET
    reserved = {"NotifyAddress": notify, "HighlightsJobId": "x" * JOB_ID_BUDGET}
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
