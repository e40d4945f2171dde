"""Each source analysed once for all outputs: what it is, its shots, its dialogue, its faces.

Probe (which refuses anything but plain media, e.g. a playlist posing as a film:
``InvalidMedia.Refused``; music, stickers and background images are probed for that too); the
decode pass (``detect_shots``): the picture area inside black bars, the rows burned-in
subtitles take, and shots (black gaps, credits and titles over pictures left out, title cards
flagged) when EnableClipDetection, else the whole file as one shot; an image is a still. With EnableSubtitleMatch the film's dialogue: a
sidecar ``.srt/.ass/.vtt`` beside it, else its first text subtitle stream, else its burned-in
text read by OCR (``ocr.burned_in_cues``, when tesseract is installed). With Characters in the
storyboard, face counts (``faces``, when OpenCV is installed). Measurements are cached per
source file in ``cache_dir``, so the Count outputs and later jobs reuse them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from highlights.manifest.models import InputConfig, ProcessConfig
from highlights.ports import MediaFolder
from highlights.render import cache, faces, ocr
from highlights.render.errors import RenderError, ToolError
from highlights.render.matching import Footage
from highlights.render.media import REFUSED, UNSUPPORTED, MediaError, sidecar_key
from highlights.render.picture_rules import text_band
from highlights.render.planning.references import ResolvedMedia
from highlights.render.planning.warnings import Warnings
from highlights.render.probe import MediaInfo, MediaRefused, probe
from highlights.render.shots import decoded_size, detect_shots
from highlights.render.subtitles import Cue, extract_embedded, load_subtitles

SUBTITLES_VERSION = 1


@dataclass
class AnalysedSource:
    """A source of MediaArray and what was measured of it."""

    key: str
    path: Path
    info: MediaInfo
    shots: tuple[tuple[float, float], ...] = ()
    cues: tuple[Cue, ...] = ()
    faces: tuple[tuple[float, int], ...] | None = None
    picture: tuple[int, int, int, int] | None = None  # inside black bars; None: the whole frame
    cards: tuple[tuple[float, float], ...] = ()  # shots that are mostly a title card
    subtitle_rows: tuple[tuple[float, float, float], ...] = ()  # picture_rules.subtitle_rows

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
            cards=self.cards,
        )

    def burned_text(self, start: float, end: float) -> tuple[float, float] | None:
        """The rows burned-in subtitles take between ``start`` and ``end``, as shares of the
        picture's height (inside its bars; see Segment); None when they take none of it."""
        band = None if self.still else text_band(self.subtitle_rows, start, end)
        frame = decoded_size(self.info)
        if band is None or self.picture is None or frame is None:
            return band
        _, y, _, h = self.picture
        top = min(max((band[0] * frame[1] - y) / h, 0.0), 1.0)
        bottom = min(max((band[1] * frame[1] - y) / h, 0.0), 1.0)
        return (round(top, 4), round(bottom, 4)) if bottom > top else None


def faces_wanted(inputs: InputConfig, warnings: Warnings) -> bool:
    """Whether to count faces: a storyboard shot names Characters and OpenCV is installed."""
    shot_info = inputs.scene_info.shot_info if inputs.mode == "storyboard" else None
    wanted = any(s.characters for s in (shot_info.shot_scripts if shot_info else []))
    if wanted and not faces.available():
        warnings.add(
            "Characters are not used: face detection needs opencv-python-headless 4.x (its "
            "bundled Haar cascade), which is not installed; shots were matched without faces"
        )
        return False
    if wanted:
        warnings.add(
            "Characters: faces are detected, not recognised (no offline recognition model); "
            "shots showing faces are preferred for shots that name characters"
        )
    return wanted


def _subtitles(
    key: str, folder: MediaFolder, info: MediaInfo, cache_dir: Path, sidecar: str | None
) -> tuple[Cue, ...]:
    path = folder.path_for(key)
    if sidecar is not None:
        try:
            return tuple(load_subtitles(folder.path_for(sidecar)))
        except RenderError as exc:
            raise MediaError(UNSUPPORTED, f"{sidecar}: {exc.message}", reference=sidecar) from None
    streams = [s for s in info.subtitle_streams if s.is_text]
    if not streams:
        # Neither a file nor a stream: read the text burned into the picture, if tesseract
        # (with English and Chinese data) is installed. Cached per source like the rest.
        if ocr.ocr_available():
            return tuple(ocr.burned_in_cues(path, info, cache_dir=cache_dir))
        return ()
    entry = cache.cache_key(
        "subtitles", path, {"version": SUBTITLES_VERSION, "stream": streams[0].index}
    )
    cached = cache.load(cache_dir, entry)
    if cached is not None:
        return tuple(Cue(float(a), float(b), str(t)) for a, b, t in cached)
    cues = extract_embedded(path, streams[0], info=info)
    cache.store(cache_dir, entry, [[c.start, c.end, c.text] for c in cues])
    return tuple(cues)


def analyse(
    key: str,
    folder: MediaFolder,
    process: ProcessConfig,
    cache_dir: Path,
    *,
    want_faces: bool,
    warnings: Warnings,
) -> AnalysedSource:
    """What the source at ``key`` is and holds (see the module docstring)."""
    path = folder.path_for(key)
    try:
        info = probe(path)
    except MediaRefused as exc:
        raise MediaError(REFUSED, refusal(key, exc), reference=key) from None
    except (ToolError, RenderError) as exc:
        raise MediaError(
            UNSUPPORTED, f"{key}: not a readable video or image ({exc.message})", reference=key
        ) from exc
    if info.kind == "audio":
        raise MediaError(
            UNSUPPORTED, f"{key}: audio only; MediaArray takes videos and images", reference=key
        )
    source = AnalysedSource(key=key, path=path, info=info)
    if source.still:
        return source
    if not info.duration:
        raise MediaError(UNSUPPORTED, f"{key}: the video's duration is unknown", reference=key)
    # The pass runs without clip detection too: bars and burned-in text matter all the same.
    analysis = detect_shots(path, info, cache_dir=cache_dir)
    source.picture = analysis.picture
    source.subtitle_rows = analysis.subtitle_rows
    if process.enable_clip_detection:
        source.shots = tuple((s.start, s.end) for s in analysis.shots)
        source.cards = tuple((s.start, s.end) for s in analysis.cards)
        if not source.shots:
            warnings.add(f"{key}: nothing but black, credits or titles was found; it is not used")
    else:
        source.shots = ((0.0, info.duration),)
    if process.enable_subtitle_match:
        sidecar = sidecar_key(key, folder)
        source.cues = _subtitles(key, folder, info, cache_dir, sidecar)
        if not source.cues and sidecar is not None:
            warnings.add(f"{key}: its subtitles {sidecar} hold no dialogue to match with")
        elif not source.cues:
            # Say why burned-in text did not help either: OCR found none, or is not installed.
            why = (
                "and OCR found no burned-in text"
                if ocr.ocr_available()
                else "(burned-in text is not read: OCR (tesseract) is not installed)"
            )
            warnings.add(
                f"{key}: no sidecar subtitles and no text subtitle stream; subtitle match has "
                f"no dialogue to compare with for it {why}"
            )
    if want_faces:
        source.faces = faces.face_samples(path, cache_dir=cache_dir, info=info)
    return source


def refusal(key: str, exc: MediaRefused) -> str:
    return (
        f"{key} is not a plain media file: its content is {exc.demuxer!r}, a format the engine "
        "does not read (a playlist or list may refer to other files)"
    )


def vet_composed_media(resolved: ResolvedMedia, folder: MediaFolder) -> None:
    """Music, background images and stickers are read when the outputs are composed; one that
    is not plain media fails the job now, with its key, like a film would."""
    for key in resolved.composed():
        try:
            probe(folder.path_for(key))
        except MediaRefused as exc:
            raise MediaError(REFUSED, refusal(key, exc), reference=key) from None
        except (ToolError, RenderError):
            pass  # unreadable: composing says so, for the output that uses it
