"""Planning: a validated manifest into one Timeline per output video (the local engine, part 1).

Steps
    1. Resolve every media reference to a store key (``media.resolve_key``): sources, music,
       background images, stickers and the output address, so a bad reference fails the job
       before anything slow runs.
    2. Analyse each source once for all outputs: probe (which refuses anything but plain media,
       e.g. a playlist posing as a film: ``InvalidMedia.Refused``; music, stickers and
       background images are probed for that too); shots (``detect_shots``, black gaps and
       credits left out) when EnableClipDetection, else the whole file as one shot; an image is
       a still. With EnableSubtitleMatch the film's dialogue: a sidecar ``.srt/.ass/.vtt``
       beside it, else its first text subtitle stream, else its burned-in text read by OCR
       (``ocr.burned_in_cues``, when tesseract is installed). With Characters in the
       storyboard, face counts (``faces``, when OpenCV is installed). Measurements are cached
       per source file in ``cache_dir`` (default: the store's ``.highlights/cache``), so the
       Count outputs and later jobs reuse them.
    3. Speech: global narration picks one SpeechTextArray entry per output, splits it into
       sentences and makes one segment per sentence; the storyboard makes one segment per
       ShotScript, spoken if it has SpeechText, else silent for its Duration. Each text is
       synthesised once per job into ``work_dir/speech`` (SpeechRate and Voice passed on) and
       its duration measured from the audio; timelines name it relative to ``work_dir``
       (``speech/<digest>.wav``), never by a host path. Each sentence's audio is cached in
       ``cache_dir`` too, so a later job does not synthesise it again; each narration records
       which engine and voice spoke each sentence, and the WAV's sample rate.
    4. Per output: transitions, filter and effects are chosen, lengths laid out (below), source
       ranges matched (``matching``), overlays filled in, and a contact sheet drawn.

Lengths and starts (seconds; ``d_i`` is the transition into segment ``i``, 0 for a cut)
    - a spoken segment lasts ``speech + PAD`` plus the transition out of it ``d_{i+1}``, so its
      narration always ends ``PAD`` before the next segment (and its narration) starts;
    - a silent storyboard shot lasts exactly its ``Duration``; a transition out of it overlaps
      its last ``d_{i+1}`` seconds;
    - ``start_0 = 0``, ``start_i = start_{i-1} + duration_{i-1} - d_i``, and the timeline lasts
      ``start_last + duration_last``. Narration ``i`` plays from ``start_i``.
    - TransitionDuration ``d`` is used between two clips only when both last at least ``d + 1``
      seconds (before the overlap is added), as ICE skips it otherwise: a cut.

Seeds
    One job seed (given, else derived from the manifest's content, so retrying a job plans the
    same videos) and output ``k``'s seed ``job seed + k - 1``, kept in ``Timeline.seed``.
    Choices drawn from an array for every output (narration, title, sub-headings, music,
    background image, the uniform transition, the filter) go round a permutation made from the
    job seed, so outputs differ whenever the array allows; everything else (transitions per
    clip, effects, shot picks) uses the output's seed. Output ``k`` can therefore be planned
    again from ``Timeline.seed - (k - 1)`` and the same manifest.

Sound
    MediaConfig.Volume is the source sound under narration (default 0: muted). A silent
    storyboard shot plays its source sound at its Volume; without one, at 1.0 (the documented
    reason to leave a shot without narration is to hear the film), unless MediaConfig.Volume
    was set explicitly, which then applies. Stills and sources without audio get 0.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from highlights.manifest.models import (
    EditingConfig,
    InputConfig,
    Manifest,
    Orientation,
    OutputConfig,
    ProcessConfig,
    SpeechConfig,
    SubHeadingStyle,
)
from highlights.manifest.vocabulary import DEFAULT_TRANSITIONS
from highlights.ports import PermanentError, UnsafeKey
from highlights.render import cache, contact_sheet, faces, ocr
from highlights.render.ffmpeg import RenderError, check_cancelled
from highlights.render.matching import (
    Footage,
    MatchError,
    MatchOptions,
    Need,
    build_candidates,
    match,
)
from highlights.render.media import (
    OUTSIDE_BUCKET,
    REFUSED,
    UNSUPPORTED,
    KeyForUrl,
    MediaError,
    resolve_key,
    sidecar_key,
)
from highlights.render.probe import MediaInfo, MediaRefused, probe
from highlights.render.sentences import split_sentences
from highlights.render.shots import detect_shots
from highlights.render.speech import SpeechClip, prune_cache, synthesize
from highlights.render.ssml import strip_ssml
from highlights.render.subtitles import Cue, extract_embedded, load_subtitles
from highlights.render.timeline import (
    Background,
    Captions,
    Music,
    Narration,
    Segment,
    SpokenSentence,
    StickerOverlay,
    TextOverlay,
    Timeline,
)
from highlights.storage.local import LocalStore
from highlights.storage.urls import folder_key_for_url

__all__ = [
    "Progress",
    "job_seed",
    "layout",
    "output_key",
    "output_seed",
    "plan",
    "plan_transitions",
    "spread",
]

Progress = Callable[[float, str], None]
T = TypeVar("T")

PAD = 0.25  # seconds of picture after each sentence, so speech never runs into the next clip
DEFAULT_SILENT_DURATION = 3.0  # a silent shot without Duration (the validator forbids it)
TRANSITION_MARGIN = 1.0  # a transition needs clips at least this much longer than itself
CACHE_KEY = ".highlights/cache"
SUBTITLES_VERSION = 1
# ICE documents no default effect lists; these are entries of its basic group that suit an
# opening clip and a clip in the middle.
DEFAULT_FIRST_CLIP_EFFECTS: tuple[str, ...] = ("slightshow", "bluropen", "withcircleopen")
DEFAULT_OTHER_CLIP_EFFECTS: tuple[str, ...] = ("zoomslight", "slightshake", "zoominout")
SUB_HEADING_STEP = 0.06  # default Y of level n: the title's Y + n x this
DEFAULT_BLUR = 0.5


# -- seeds and choices ------------------------------------------------------------------------------


def job_seed(manifest: Manifest) -> int:
    """A seed derived from the manifest's content: the same manifest plans the same videos."""
    canonical = json.dumps(manifest.to_document(), sort_keys=True, ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(canonical.encode("utf-8")).digest()[:4], "big") >> 1


def output_seed(seed: int, index: int) -> int:
    return seed + index - 1


def spread(items: Sequence[T], seed: int, purpose: str, index: int) -> T:
    """Output ``index``'s pick from ``items``: a seeded permutation, taken in turn, so that
    outputs get different items while there are enough of them."""
    order = random.Random(f"{seed}:{purpose}").sample(range(len(items)), len(items))
    return items[order[(index - 1) % len(items)]]


# -- lengths and transitions ------------------------------------------------------------------------


def plan_transitions(
    bases: Sequence[float], config: ProcessConfig, rng: random.Random, uniform: str | None
) -> list[tuple[str | None, float]]:
    """(name, seconds) of the transition into each segment; (None, 0) is a cut."""
    out: list[tuple[str | None, float]] = [(None, 0.0)] * min(len(bases), 1)
    names = list(config.transition_list or DEFAULT_TRANSITIONS)
    d = config.transition_duration
    for i in range(1, len(bases)):
        if not config.allow_transition or min(bases[i - 1], bases[i]) < d + TRANSITION_MARGIN:
            out.append((None, 0.0))
            continue
        out.append((uniform or rng.choice(names), d))
    return out


def _ceil_ms(seconds: float) -> float:
    return math.ceil(round(seconds * 1000, 6)) / 1000


def layout(
    bases: Sequence[float], spoken: Sequence[bool], transitions: Sequence[float]
) -> tuple[list[float], list[float], float]:
    """(durations, starts, total) from each segment's own length, whether it is spoken, and the
    transition seconds into each segment (see the module docstring)."""
    n = len(bases)
    durations = []
    for i in range(n):
        out = transitions[i + 1] if i + 1 < n else 0.0
        durations.append(_ceil_ms(bases[i] + (out if spoken[i] else 0.0)))
    starts = []
    for i in range(n):
        starts.append(0.0 if i == 0 else round(starts[-1] + durations[i - 1] - transitions[i], 3))
    total = round(starts[-1] + durations[-1], 3) if n else 0.0
    return durations, starts, total


def output_key(output: OutputConfig, index: int, key_for_url: KeyForUrl) -> str | None:
    """The store key of output ``index`` (1-based: ``{index}`` of MediaURL or FileName becomes
    1, 2, ...); None in preview-only mode. The VOD form maps like an OSS URL of its storage
    location (the folder stands for every bucket of the region)."""
    if output.generate_preview_only:
        return None
    if output.media_url:
        url = output.media_url.replace("{index}", str(index))
    elif output.storage_location and output.file_name:
        url = f"https://{output.storage_location}/{output.file_name.replace('{index}', str(index))}"
    else:
        return None
    key = key_for_url(url)
    if key is None:
        raise MediaError(
            OUTSIDE_BUCKET, f"the output address {url!r} is not in this store", reference=url
        )
    return key


# -- analysis ---------------------------------------------------------------------------------------


@dataclass
class _Source:
    key: str
    path: Path
    info: MediaInfo
    shots: tuple[tuple[float, float], ...] = ()
    cues: tuple[Cue, ...] = ()
    faces: tuple[tuple[float, int], ...] | None = None

    @property
    def still(self) -> bool:
        return self.info.kind == "image"

    def footage(self) -> Footage:
        return Footage(
            key=self.key,
            duration=None if self.still else self.info.duration,
            shots=self.shots,
            cues=self.cues,
            faces=self.faces,
        )


def _subtitles(key: str, store: LocalStore, info: MediaInfo, cache_dir: Path) -> tuple[Cue, ...]:
    path = store.path_for(key)
    sidecar = sidecar_key(key, store)
    if sidecar is not None:
        return tuple(load_subtitles(store.path_for(sidecar)))
    streams = [s for s in info.subtitle_streams if s.is_text]
    if not streams:
        # Neither a file nor a stream: read the text burned into the picture, if tesseract
        # (with English and Chinese data) is installed. Cached per source like the rest.
        if ocr.ocr_available():
            return tuple(ocr.burned_in_cues(path, info, cache_dir=cache_dir))
        return ()
    key = cache.cache_key(
        "subtitles", path, {"version": SUBTITLES_VERSION, "stream": streams[0].index}
    )
    cached = cache.load(cache_dir, key)
    if cached is not None:
        return tuple(Cue(float(a), float(b), str(t)) for a, b, t in cached)
    cues = extract_embedded(path, streams[0], info=info)
    cache.store(cache_dir, key, [[c.start, c.end, c.text] for c in cues])
    return tuple(cues)


def _analyse(
    key: str,
    store: LocalStore,
    process: ProcessConfig,
    cache_dir: Path,
    *,
    want_faces: bool,
    warnings: list[str],
) -> _Source:
    path = store.path_for(key)
    try:
        info = probe(path)
    except MediaRefused as exc:
        raise MediaError(REFUSED, _refusal(key, exc), reference=key) from None
    except RenderError as exc:
        raise MediaError(
            UNSUPPORTED, f"{key}: not a readable video or image ({exc.message})", reference=key
        ) from exc
    if info.kind == "audio":
        raise MediaError(
            UNSUPPORTED, f"{key}: audio only; MediaArray takes videos and images", reference=key
        )
    source = _Source(key=key, path=path, info=info)
    if source.still:
        return source
    if not info.duration:
        raise MediaError(UNSUPPORTED, f"{key}: the video's duration is unknown", reference=key)
    if process.enable_clip_detection:
        analysis = detect_shots(path, info, cache_dir=cache_dir)
        source.shots = tuple((s.start, s.end) for s in analysis.shots)
        if not source.shots:
            warnings.append(f"{key}: nothing but black or credits was found; it is not used")
    else:
        source.shots = ((0.0, info.duration),)
    if process.enable_subtitle_match:
        source.cues = _subtitles(key, store, info, cache_dir)
        if not source.cues:
            # Say why burned-in text did not help either: OCR found none, or is not installed.
            why = (
                "and OCR found no burned-in text"
                if ocr.ocr_available()
                else "(burned-in text is not read: OCR (tesseract) is not installed)"
            )
            warnings.append(
                f"{key}: no sidecar subtitles and no text subtitle stream; subtitle match has "
                f"no dialogue to compare with for it {why}"
            )
    if want_faces:
        source.faces = faces.face_samples(path, cache_dir=cache_dir, info=info)
    return source


def _refusal(key: str, exc: MediaRefused) -> str:
    return (
        f"{key} is not a plain media file: its content is {exc.demuxer!r}, a format the engine "
        "does not read (a playlist or list may refer to other files)"
    )


def _vet_other_media(resolved: dict[str, Any], store: LocalStore) -> None:
    """Music, background images and stickers are read when the outputs are composed; one that
    is not plain media fails the job now, with its key, like a film would."""
    keys = [*resolved["music"], *resolved["backgrounds"], *(s.source for s in resolved["stickers"])]
    for key in dict.fromkeys(keys):
        try:
            probe(store.path_for(key))
        except MediaRefused as exc:
            raise MediaError(REFUSED, _refusal(key, exc), reference=key) from None
        except RenderError:
            pass  # unreadable: composing says so, for the output that uses it


# -- speech -----------------------------------------------------------------------------------------


@dataclass
class _Voice:
    """Synthesises each distinct text once per job, into the work folder."""

    config: SpeechConfig
    work: Path  # the job's work folder: clips go to its speech/ folder
    cache_dir: Path | None = None  # sentences' audio kept across jobs
    warnings: list[str] = field(default_factory=list)
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
            self.warnings.append(f"nothing to say in {text!r}; the sentence is left out")
            clip = None
        # A fallback (a cloud voice, Piper missing) is said once per job, not once per sentence.
        for note in clip.notes if clip is not None else ():
            if note not in self.warnings:
                self.warnings.append(note)
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
class _Part:
    """A segment before matching: its text, speech and own length."""

    base: float
    text: str  # matched against dialogue
    shot_text: str | None
    narration: Narration | None = None
    caption: str | None = None
    volume: float | None = None  # source sound; None: MediaConfig.Volume
    characters: int = 0


def _global_parts(text: str, voice: _Voice, speech: SpeechConfig) -> list[_Part]:
    parts = []
    for sentence in split_sentences(text):
        clip = voice.speak(sentence)
        if clip is None:
            continue
        narration = voice.narration(clip, speech.volume)
        parts.append(
            _Part(
                base=clip.duration + PAD,
                text=clip.text,
                shot_text=clip.text,
                narration=narration,
                caption=clip.text,
            )
        )
    return parts


def _storyboard_parts(
    inputs: InputConfig, editing: EditingConfig, voice: _Voice, warnings: list[str]
) -> list[_Part]:
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
                _Part(
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
            warnings.append(
                f"shot {k} has neither SpeechText nor Duration; it lasts {DEFAULT_SILENT_DURATION:g} s"
            )
            duration = DEFAULT_SILENT_DURATION
        parts.append(
            _Part(
                base=duration,
                text=text,
                shot_text=shot_text,
                volume=shot.volume if shot.volume is not None else silent_default,
                characters=characters,
            )
        )
    return parts


# -- the plan ---------------------------------------------------------------------------------------


def _resolve_all(manifest: Manifest, store: LocalStore, key_for_url: KeyForUrl) -> dict[str, Any]:
    inputs = manifest.input_config
    sources: list[str] = []
    for reference in inputs.media_array:
        key = resolve_key(reference, store, key_for_url)
        if key not in sources:  # the same film twice would let one range be used twice
            sources.append(key)
    stickers = []
    for sticker in inputs.sticker_array or []:
        # ICE uses MediaId when both are given.
        reference = sticker.media_id or sticker.media_url
        if reference is None:
            raise MediaError(
                "InvalidMedia.NotFound", "a sticker names no image (MediaId or MediaURL)"
            )
        stickers.append(
            StickerOverlay(
                source=resolve_key(reference, store, key_for_url),
                x=sticker.x,
                y=sticker.y,
                width=sticker.width,
                height=sticker.height,
                opacity=sticker.opacity,
            )
        )
    return {
        "sources": sources,
        "music": [resolve_key(r, store, key_for_url) for r in inputs.background_music_array or []],
        "backgrounds": [
            resolve_key(r, store, key_for_url) for r in inputs.background_image_array or []
        ],
        "stickers": stickers,
    }


def _previews(manifest: Manifest, seed: int) -> str:
    canonical = json.dumps(manifest.to_document(), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
    return f"{contact_sheet.PREVIEW_PREFIX}{digest}-{seed}/"


def plan(
    manifest: Manifest,
    store: LocalStore,
    work_dir: str | Path,
    *,
    key_for_url: KeyForUrl | None = None,
    region: str | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    cache_dir: str | Path | None = None,
    contact_sheets: bool = True,
    preview_prefix: str | None = None,
) -> list[Timeline]:
    """One Timeline per output (``OutputConfig.Count``, index 1..Count); see the module docstring.

    ``key_for_url`` maps OSS URLs to store keys (default: ``folder_key_for_url(region)``).
    ``contact_sheets`` draws one per output beside its video; a preview-only output's goes to
    ``<preview_prefix>preview_<index>.contact.png`` (default prefix:
    ``.highlights/previews/<manifest digest>-<seed>/``).
    Raises ``MediaError`` for a reference that cannot be used and ``PermanentError`` when the
    sources hold no usable footage.
    """
    report = progress or (lambda fraction, message: None)
    key_for_url = key_for_url or folder_key_for_url(region)
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    caches = Path(cache_dir) if cache_dir is not None else store.path_for(CACHE_KEY)
    inputs, editing, output = manifest.input_config, manifest.editing_config, manifest.output_config
    process = editing.process_config
    base_seed = seed if seed is not None else job_seed(manifest)
    warnings: list[str] = []

    report(0.0, "resolving media references")
    resolved = _resolve_all(manifest, store, key_for_url)
    keys = [output_key(output, k, key_for_url) for k in range(1, output.count + 1)]
    for key in keys:
        if key is not None:
            try:
                store.path_for(key)
            except UnsafeKey as exc:
                raise MediaError(
                    OUTSIDE_BUCKET, f"the output key {key!r} leaves the store ({exc})"
                ) from None

    storyboard = inputs.mode == "storyboard"
    shots = (
        inputs.scene_info.shot_info.shot_scripts
        if storyboard and inputs.scene_info.shot_info
        else []
    )
    want_faces = any(s.characters for s in shots)
    if want_faces and not faces.available():
        warnings.append(
            "Characters are not used: face detection needs opencv-python-headless 4.x (its "
            "bundled Haar cascade), which is not installed; shots were matched without faces"
        )
        want_faces = False
    elif want_faces:
        warnings.append(
            "Characters: faces are detected, not recognised (no offline recognition model); "
            "shots showing faces are preferred for shots that name characters"
        )

    sources: list[_Source] = []
    for k, key in enumerate(resolved["sources"]):
        report(0.02 + 0.58 * k / len(resolved["sources"]), f"analysing {key}")
        sources.append(
            _analyse(key, store, process, caches, want_faces=want_faces, warnings=warnings)
        )
    footage = [s.footage() for s in sources]
    by_key = {s.key: s for s in sources}
    _vet_other_media(resolved, store)

    voice = _Voice(editing.speech_config, work, caches)
    if editing.speech_config.customized_voice:
        warnings.append("CustomizedVoice is a cloud voice clone; the offline voice speaks instead")
    report(0.6, "synthesising narration")
    shared_parts = _storyboard_parts(inputs, editing, voice, warnings) if storyboard else None
    orientation = output.orientation
    timelines: list[Timeline] = []
    for index in range(1, output.count + 1):
        report(0.6 + 0.3 * (index - 1) / output.count, f"planning output {index}")
        if shared_parts is not None:
            parts = shared_parts
        else:
            texts = inputs.speech_text_array or []
            if not texts:
                raise PermanentError(
                    "no SpeechTextArray and no storyboard: nothing to narrate",
                    code="InvalidParameter",
                )
            parts = _global_parts(
                spread(texts, base_seed, "narration", index), voice, editing.speech_config
            )
        if not parts:
            raise PermanentError("the narration has nothing to say", code="InvalidParameter")
        timeline = _plan_output(
            index=index,
            seed=base_seed,
            parts=parts,
            manifest=manifest,
            footage=footage,
            by_key=by_key,
            resolved=resolved,
            output_key=keys[index - 1],
            orientation=orientation,
            warnings=[*warnings, *voice.warnings],
        )
        timelines.append(timeline)
    prune_cache(caches)  # the speech cache stays bounded; this job's sentences are the newest

    if contact_sheets:
        folder = preview_prefix or _previews(manifest, base_seed)
        for timeline in timelines:
            report(
                0.9 + 0.1 * (timeline.index - 1) / len(timelines), f"contact sheet {timeline.index}"
            )
            key = contact_sheet.sheet_key(timeline.output, timeline.index, folder)
            timeline.contact_sheet = contact_sheet.make_contact_sheet(
                timeline, store, work, key, {k: s.info for k, s in by_key.items()}
            )
    report(1.0, f"planned {len(timelines)} output(s)")
    return timelines


def _plan_output(
    *,
    index: int,
    seed: int,
    parts: Sequence[_Part],
    manifest: Manifest,
    footage: Sequence[Footage],
    by_key: dict[str, _Source],
    resolved: dict[str, Any],
    output_key: str | None,
    orientation: Orientation,
    warnings: list[str],
) -> Timeline:
    inputs, editing, output = manifest.input_config, manifest.editing_config, manifest.output_config
    process = editing.process_config
    mine = output_seed(seed, index)
    warnings = list(warnings)

    bases = [p.base for p in parts]
    uniform = None
    if process.allow_transition and process.use_uniform_transition:
        uniform = spread(
            list(process.transition_list or DEFAULT_TRANSITIONS), seed, "transition", index
        )
    transitions = plan_transitions(bases, process, random.Random(f"{mine}:transitions"), uniform)
    durations, starts, total = layout(
        bases, [p.narration is not None for p in parts], [d for _, d in transitions]
    )

    chosen_filter = None
    if process.allow_filter and process.filter_list:
        chosen_filter = spread(process.filter_list, seed, "filter", index)
    effects: list[str | None] = [None] * len(parts)
    if process.allow_vfx_effect:
        rng = random.Random(f"{mine}:effects")
        first = list(process.vfx_first_clip_effect_list or DEFAULT_FIRST_CLIP_EFFECTS)
        others = list(process.vfx_not_first_clip_effect_list or DEFAULT_OTHER_CLIP_EFFECTS)
        for i in range(len(parts)):
            if rng.random() < process.vfx_effect_probability:
                effects[i] = rng.choice(first if i == 0 else others)

    candidates = build_candidates(footage, window=max(durations))
    if not candidates:
        raise PermanentError(
            "no usable footage: every source is empty, black or credits",
            code="InvalidMedia.NoFootage",
        )
    needs = [Need(d, p.text, p.characters) for d, p in zip(durations, parts, strict=True)]
    options = MatchOptions(
        allow_duplicate=process.allow_duplicate_match,
        temporal=process.enable_temporal_opt,
        subtitle=process.enable_subtitle_match,
        seed=f"{mine}:match",
    )
    try:
        result = match(needs, candidates, options)
    except MatchError as exc:
        raise PermanentError(str(exc), code="InvalidMedia.NoFootage") from exc
    warnings += result.warnings

    media_volume = editing.media_config.volume
    segments = []
    for i, (part, pick) in enumerate(zip(parts, result.picks, strict=True)):
        source = by_key[pick.source]
        volume = part.volume if part.volume is not None else media_volume
        if source.still or not source.info.has_audio:
            volume = 0.0
        name, seconds = transitions[i]
        segments.append(
            Segment(
                index=i + 1,
                start=starts[i],
                duration=durations[i],
                source=pick.source,
                source_in=round(pick.source_in, 3),
                source_out=round(pick.source_out, 3),
                source_volume=volume,
                narration=part.narration,
                caption=part.caption,
                shot_text=part.shot_text,
                match=pick.match,
                match_score=pick.score,
                matched_text=pick.matched_text,
                transition=name,
                transition_duration=seconds,
                filter=chosen_filter,
                effect=effects[i],
            )
        )

    title = None
    title_config = editing.title_config
    title_y = title_config.y if title_config.y is not None else title_config.default_y(orientation)
    if inputs.title_array:
        title = TextOverlay(
            text=spread(inputs.title_array, seed, "title", index),
            y=title_y,
            font_size=title_config.font_size,
            alignment=title_config.alignment,
        )
    levels: dict[int, list[str]] = {}
    for heading in inputs.sub_heading_array or []:
        levels.setdefault(heading.level, []).extend(heading.title_array)
    styles: dict[str, SubHeadingStyle] = dict(editing.sub_heading_config)
    sub_headings = []
    for level in sorted(levels):
        style = styles.get(str(level))
        y = (
            style.y
            if style is not None and style.y is not None
            else title_y + SUB_HEADING_STEP * level
        )
        sub_headings.append(
            TextOverlay(
                text=spread(levels[level], seed, f"sub-heading-{level}", index),
                y=y,
                font_size=style.font_size if style is not None else None,
                alignment=style.alignment if style is not None else "TopCenter",
                level=level,
            )
        )
    captions = None
    if any(p.narration is not None for p in parts):
        asr = editing.speech_config.asr_config
        captions = Captions(
            y=asr.y if asr.y is not None else asr.default_y(orientation),
            font_size=asr.font_size,
            alignment=asr.alignment,
        )
    if resolved["backgrounds"]:
        background = Background(
            kind="image", image=spread(resolved["backgrounds"], seed, "background", index)
        )
    else:
        radius = editing.background_image_config.radius
        background = Background(kind="blur", radius=DEFAULT_BLUR if radius is None else radius)
    music = None
    if resolved["music"]:
        music = Music(
            source=spread(resolved["music"], seed, "music", index),
            volume=editing.background_music_config.volume,
        )
    crf = output.video.crf if output.video is not None and output.video.crf is not None else 23
    return Timeline(
        index=index,
        seed=mine,
        width=output.width,
        height=output.height,
        duration=total,
        segments=segments,
        title=title,
        sub_headings=sub_headings,
        captions=captions,
        stickers=list(resolved["stickers"]),
        background=background,
        music=music,
        crf=crf,
        output=output_key,
        warnings=_unique(warnings),
    )


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))
