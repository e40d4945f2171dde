"""The segments before matching: what each says, its speech, and how long it lasts on its own.

Global narration picks one SpeechTextArray entry per output, splits it into sentences and
makes one segment per sentence; the storyboard makes one segment per ShotScript, spoken if it
has SpeechText, else silent for its Duration. Each text is synthesised once per job into
``work/speech`` (SpeechRate and Voice passed on) and its duration measured from the audio;
timelines name it relative to the work folder (``speech/<digest>.wav``), never by a host path.
Each sentence's audio is cached in ``cache_dir`` too, so a later job does not synthesise it
again; each narration records which engine and voice spoke each sentence, and the WAV's sample
rate.

Sound: MediaConfig.Volume is the source sound under narration (default 0: muted). A silent
storyboard shot plays its source sound at its Volume; without one, at 1.0 (the documented
reason to leave a shot without narration is to hear the film), unless MediaConfig.Volume was
set explicitly, which then applies.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from highlights.manifest.models import EditingConfig, InputConfig, SpeechConfig
from highlights.render.planning.warnings import Warnings
from highlights.render.process import check_cancelled
from highlights.render.sentences import split_sentences
from highlights.render.speech import SpeechClip, synthesize
from highlights.render.ssml import strip_ssml
from highlights.render.timeline import Narration, SpokenSentence

PAD = 0.25  # seconds of picture after each sentence, so speech never runs into the next clip
DEFAULT_SILENT_DURATION = 3.0  # a silent shot without Duration (the validator forbids it)


@dataclass
class Voice:
    """Synthesises each distinct text once per job, into the work folder."""

    config: SpeechConfig
    work: Path  # the job's work folder: clips go to its speech/ folder
    cache_dir: Path | None = None  # sentences' audio kept across jobs
    warnings: Warnings = field(default_factory=Warnings)
    _clips: dict[str, SpeechClip | None] = field(default_factory=dict)

    def speak(self, text: str) -> SpeechClip | None:
        ident = json.dumps([text, self.config.speech_rate, self.config.voice], ensure_ascii=False)
        digest = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:20]
        if digest in self._clips:
            return self._clips[digest]
        check_cancelled("speech")  # Piper speaks in this process: no tool to kill
        folder = self.work / "speech"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            clip: SpeechClip | None = synthesize(
                text,
                folder / f"{digest}.wav",
                rate=self.config.speech_rate,
                voice=self.config.voice,
                cache_dir=self.cache_dir,
            )
        except ValueError:  # nothing speakable (punctuation only)
            self.warnings.add(f"nothing to say in {text!r}; the sentence is left out")
            clip = None
        # A fallback (a cloud voice, Piper missing) is said once per job, not once per sentence.
        self.warnings.extend(clip.notes if clip is not None else ())
        self._clips[digest] = clip
        return clip

    def narration(self, clip: SpeechClip, volume: float) -> Narration:
        """The clip as a timeline names it: by its path relative to the work folder."""
        return Narration(
            text=clip.text,
            audio=Path(clip.path).relative_to(self.work).as_posix(),
            duration=clip.duration,
            volume=volume,
            sample_rate=clip.sample_rate,
            sentences=[
                SpokenSentence(
                    text=s.text, engine=s.engine, model=s.model, sample_rate=s.sample_rate
                )
                for s in clip.sentences
            ],
        )


@dataclass
class Part:
    """A segment before matching: its text, speech and own length."""

    base: float
    text: str  # matched against dialogue
    shot_text: str | None
    narration: Narration | None = None
    caption: str | None = None
    volume: float | None = None  # source sound; None: MediaConfig.Volume
    characters: int = 0


def global_parts(text: str, voice: Voice, speech: SpeechConfig) -> list[Part]:
    """One spoken part per sentence of ``text`` (one SpeechTextArray entry)."""
    parts = []
    for sentence in split_sentences(text):
        clip = voice.speak(sentence)
        if clip is None:
            continue
        narration = voice.narration(clip, speech.volume)
        parts.append(
            Part(
                base=clip.duration + PAD,
                text=clip.text,
                shot_text=clip.text,
                narration=narration,
                caption=clip.text,
            )
        )
    return parts


def storyboard_parts(
    inputs: InputConfig, editing: EditingConfig, voice: Voice, warnings: Warnings
) -> list[Part]:
    """One part per ShotScript: spoken with its SpeechText, else silent for its Duration."""
    assert inputs.scene_info.shot_info is not None
    media_volume = editing.media_config.volume
    silent_default = media_volume if "volume" in editing.media_config.model_fields_set else 1.0
    parts = []
    for k, shot in enumerate(inputs.scene_info.shot_info.shot_scripts, start=1):
        described = [shot.script_text or "", *(shot.descriptions or []), *(shot.settings or [])]
        shot_text = shot.script_text or "; ".join(shot.descriptions or []) or None
        spoken = strip_ssml(shot.speech_text) if shot.speech_text else ""
        text = " ".join(t for t in [*described, spoken] if t)
        characters = len(shot.characters or [])
        clip = voice.speak(shot.speech_text) if shot.speech_text else None
        if clip is not None:
            narration = voice.narration(clip, editing.speech_config.volume)
            parts.append(
                Part(
                    base=clip.duration + PAD,
                    text=text,
                    shot_text=shot_text or clip.text,
                    narration=narration,
                    caption=clip.text,
                    volume=shot.volume,
                    characters=characters,
                )
            )
            continue
        duration = shot.duration
        if duration is None:
            warnings.add(
                f"shot {k} has neither SpeechText nor Duration; it lasts {DEFAULT_SILENT_DURATION:g} s"
            )
            duration = DEFAULT_SILENT_DURATION
        parts.append(
            Part(
                base=duration,
                text=text,
                shot_text=shot_text,
                volume=shot.volume if shot.volume is not None else silent_default,
                characters=characters,
            )
        )
    return parts
