"""Rules that relate fields to each other and to the deployment, checked on the decoded document.

They run on the raw JSON (not the models) so that every problem is reported at once: a shot with a
misspelt key still has its Characters checked. Values of the wrong type are skipped here; the models
report them.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from highlights.manifest import limits
from highlights.manifest.problems import Findings, Loc, json_path, shorten
from highlights.manifest.references import (
    MEDIA_ID,
    PLACEHOLDER_MESSAGE,
    PLACEHOLDER_START,
    check_media_reference,
    check_region,
    parse_oss_url,
    placeholder_in,
)
from highlights.manifest.vocabulary import EFFECTS, FILTERS, REGIONS, TRANSITIONS, suggest
from highlights.storage.keys import MAX_KEY_BYTES, MAX_SEGMENT_BYTES, output_key_problem

USER_DATA_LIMIT = 512
# What the pipeline adds to UserData: ICE's notify address (SetEventCallback allows 256 bytes of URL)
# and our job id, sized for the longest value each may take.
RESERVED_USER_DATA_KEYS = ("NotifyAddress", "HighlightsJobId")
NOTIFY_ADDRESS_BUDGET = 256
JOB_ID_BUDGET = 80


def check(
    doc: dict[str, Any],
    findings: Findings,
    *,
    region: str | None,
    notify_url: str | None,
    reserved_prefixes: tuple[str, ...] = (),
) -> None:
    if region is not None and region not in REGIONS:
        findings.error(
            "$", f"region {region!r} does not offer movie highlights", ", ".join(REGIONS)
        )
        region = None
    _strings(doc, (), findings, _PLAIN)
    inputs = _obj(doc.get("InputConfig"))
    scene = _obj(inputs.get("SceneInfo"))
    _mode(inputs, scene, findings)
    _shots(scene, findings)
    _faces(scene, findings)
    _sub_headings(inputs, findings)
    _vocabularies(_obj(_obj(doc.get("EditingConfig")).get("ProcessConfig")), findings)
    _media(doc, findings, region)
    _output(_obj(doc.get("OutputConfig")), findings, region, reserved_prefixes)
    _user_data(doc.get("UserData"), findings, notify_url)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> Iterator[tuple[int, Any]]:
    return enumerate(value) if isinstance(value, list) else iter(())


class _TextRule(NamedTuple):
    """Which control characters a string may not hold, and what to say about it."""

    refused: re.Pattern[str] | None
    accepted: str
    suspect: re.Pattern[str]  # one search that finds all `_string` reports (and a little more)


def _text_rule(refused: str | None, accepted: str) -> _TextRule:
    suspect = "|".join(p for p in (PLACEHOLDER_START, refused) if p)
    return _TextRule(re.compile(refused) if refused else None, accepted, re.compile(suspect))


_PLAIN = _text_rule(
    limits.CONTROL_CHARACTERS, "text without control characters (U+0000-001F, 007F-009F)"
)
_TITLE = _text_rule(limits.TITLE_CONTROL_CHARACTERS, "printable text; \\n for a line break")
_SCRIPT = _text_rule(
    limits.SCRIPT_CONTROL_CHARACTERS, "printable text; \\n, \\r and \\t as whitespace"
)
_FREE = _text_rule(None, "")  # passed on as JSON, never drawn or spoken
# The text of these keys (strings, or lists of strings) is drawn or spoken.
_TEXT_RULES = {
    "TitleArray": _TITLE,
    "SpeechTextArray": _SCRIPT,
    "SpeechText": _SCRIPT,
    "ScriptText": _SCRIPT,
    "Descriptions": _SCRIPT,
    "Settings": _SCRIPT,
}
_FREE_FORM = ("UserData", "TemplateConfig")


def _strings(value: Any, loc: Loc, findings: Findings, rule: _TextRule) -> None:
    """Placeholders anywhere, and control characters where the text is used."""
    if isinstance(value, dict):
        for key, item in value.items():
            if rule is _FREE or (not loc and key in _FREE_FORM):
                inner = _FREE
            else:
                inner = _TEXT_RULES.get(key, rule) if isinstance(key, str) else rule
            if isinstance(item, str):
                if inner.suspect.search(item):
                    _string(item, (*loc, key), findings, inner)
            elif isinstance(item, dict | list):
                _strings(item, (*loc, key), findings, inner)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                if rule.suspect.search(item):
                    _string(item, (*loc, i), findings, rule)
            elif isinstance(item, dict | list):
                _strings(item, (*loc, i), findings, rule)
    elif isinstance(value, str) and rule.suspect.search(value):
        _string(value, loc, findings, rule)


def _string(value: str, loc: Loc, findings: Findings, rule: _TextRule) -> None:
    found = placeholder_in(value)
    if found:
        findings.error(loc, PLACEHOLDER_MESSAGE.format(value=_short(value), found=found))
    control = rule.refused.search(value) if rule.refused else None
    if control:
        findings.error(
            loc,
            f"control character U+{ord(control.group()):04X} at character {control.start()}",
            rule.accepted,
        )


def _short(value: str) -> str:
    return shorten(value, 80)


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
                f"{limits.MIN_SHOT_SECONDS:g} to {limits.MAX_SHOT_SECONDS:g}",
            )
    _storyboard_totals(scene, findings)


def _storyboard_totals(scene: dict[str, Any], findings: Findings) -> None:
    """What one output of the storyboard adds up to: silent seconds, and characters spoken."""
    seconds = 0.0
    characters = 0
    for _, shot in _items(_obj(scene.get("ShotInfo")).get("ShotScripts")):
        shot = _obj(shot)
        duration, speech = shot.get("Duration"), shot.get("SpeechText")
        if (
            isinstance(duration, int | float)
            and not isinstance(duration, bool)
            and limits.MIN_SHOT_SECONDS <= duration <= limits.MAX_SHOT_SECONDS
        ):
            seconds += duration
        if isinstance(speech, str):
            characters += len(speech)
    if seconds > limits.MAX_SILENT_SECONDS:
        findings.error(
            SHOTS,
            f"the shots' Durations add up to {seconds:g} s; one output may hold at most "
            f"{limits.MAX_SILENT_SECONDS:g} s of them",
            f"Durations adding up to at most {limits.MAX_SILENT_SECONDS:g} s",
        )
    if characters > limits.MAX_STORYBOARD_SPEECH_CHARS:
        findings.error(
            SHOTS,
            f"the shots' SpeechText adds up to {characters} characters; one output may speak at "
            f"most {limits.MAX_STORYBOARD_SPEECH_CHARS}",
            f"SpeechText adding up to at most {limits.MAX_STORYBOARD_SPEECH_CHARS} characters",
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
                    f"name {shorten(name)!r} is already used by ImageInfoList[{names[name]}]",
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
                    f"{shorten(character)!r} is not a name in FaceInfo.ImageInfoList",
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
                message = f"unknown {label} {shorten(name)!r}" + (
                    f"; did you mean {hint!r}?" if hint else ""
                )
                findings.error((*PROCESS, field, i), message, f"a {label} of the ICE library")
    for field in ("VfxFirstClipEffectList", "VfxNotFirstClipEffectList"):
        for i, name in _items(process.get(field)):
            if isinstance(name, str) and name not in EFFECTS:
                hint = suggest(name, EFFECTS)
                message = f"effect {shorten(name)!r} is not in the basic effect group" + (
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
        findings.error(
            loc, f"{shorten(value)!r} is not a media ID", "a 32-character hexadecimal media ID"
        )


def _public_url(value: str, loc: Loc, findings: Findings) -> None:
    if placeholder_in(value):
        return
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or "." not in host:
        findings.error(
            loc, f"{shorten(value)!r} is not a public http(s) URL", "http(s)://<host>/<path>"
        )
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


def _output(
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
