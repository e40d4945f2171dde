"""Rules that relate fields to each other and to the deployment, checked on the decoded document.

They run on the raw JSON (not the models) so that every problem is reported at once: a shot with a
misspelt key still has its Characters checked. Values of the wrong type are skipped here; the models
report them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from highlights.manifest import limits, output_rules, text_rules
from highlights.manifest.problems import Findings, Loc, json_path, shorten
from highlights.manifest.references import (
    MEDIA_ID,
    check_media_reference,
    parse_oss_url,
    placeholder_in,
)
from highlights.manifest.vocabulary import EFFECTS, FILTERS, REGIONS, TRANSITIONS, suggest


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
    text_rules.check_strings(doc, findings)
    inputs = _obj(doc.get("InputConfig"))
    scene = _obj(inputs.get("SceneInfo"))
    _mode(inputs, scene, findings)
    _shots(scene, findings)
    _faces(scene, findings)
    _sub_headings(inputs, findings)
    _vocabularies(_obj(_obj(doc.get("EditingConfig")).get("ProcessConfig")), findings)
    _media(doc, findings, region)
    output_rules.check_output(_obj(doc.get("OutputConfig")), findings, region, reserved_prefixes)
    output_rules.check_user_data(doc.get("UserData"), findings, notify_url)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> Iterator[tuple[int, Any]]:
    return enumerate(value) if isinstance(value, list) else iter(())


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
    stickers: list[tuple[Loc, Any]] = (
        [(("InputConfig", "Sticker"), inputs.get("Sticker"))] if "Sticker" in inputs else []
    )
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
