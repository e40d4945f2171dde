"""The timeline: what one output video is made of. Planning (analysis, speech, matching) writes it;
composition renders it; the result manifest includes it so a person can see why each range was used.

Times are seconds. `start` is on the output's timeline; `source_in`/`source_out` are in the source.
Paths are keys of the folder store (sources, music, stickers) or paths relative to the job's work
folder (narration audio), never host paths: a timeline is part of the result manifest.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

TIMELINE_VERSION = 1


class SpokenSentence(BaseModel):
    text: str
    engine: Literal["piper", "espeak"]
    model: str  # the Piper voice (en_US-joe-medium) or espeak-ng voice (cmn, en-us)
    sample_rate: int  # Hz, as the engine wrote it


class Narration(BaseModel):
    text: str  # as spoken (SSML stripped)
    audio: str  # a WAV in the job's work folder, relative to it ("speech/<digest>.wav")
    duration: float
    volume: float = 1.0
    sample_rate: int | None = None  # Hz of the WAV (None in timelines from before it was kept)
    sentences: list[SpokenSentence] = Field(default_factory=list)  # who spoke what


class Segment(BaseModel):
    index: int
    start: float
    duration: float
    source: str  # store key of the film (or still image)
    source_in: float
    source_out: float
    source_volume: float = 0.0  # the film's own sound in this segment (0 mutes it)
    narration: Narration | None = None
    caption: str | None = None  # what the captions show during this segment
    shot_text: str | None = None  # the storyboard shot or sentence this segment stands for
    match: str = Field(
        "order", description="how the range was chosen: order, subtitle, temporal, random"
    )
    match_score: float | None = None
    matched_text: str | None = None  # the dialogue line that matched, with subtitle matching
    transition: str | None = None  # ICE transition name into this segment (None: a cut)
    transition_duration: float = 0.0
    filter: str | None = None  # ICE filter name applied to this segment
    effect: str | None = None  # ICE effect name applied to this segment
    # The source's picture inside black bars (x, y, width, height in its decoded frame's pixels):
    # composition crops to it before fitting; None: the whole frame.
    picture: tuple[int, int, int, int] | None = None
    # Rows the source's own text (burned-in subtitles) takes in this range, top and bottom as
    # shares of its frame's height: captions keep clear of them; None: none seen.
    burned_text: tuple[float, float] | None = None


class TextOverlay(BaseModel):
    text: str
    y: float  # fraction of the output height (or pixels when >= 2)
    font_size: int | None = None
    alignment: str = "TopCenter"
    level: int | None = None  # sub-heading level; None for the title


class StickerOverlay(BaseModel):
    source: str  # store key of the image
    x: float
    y: float
    width: float
    height: float
    opacity: float = 1.0


class Background(BaseModel):
    kind: Literal["blur", "image", "crop"] = "blur"
    image: str | None = None  # store key, for kind "image"
    radius: float = 0.5  # BackgroundImageConfig.Radius, 0-1


class Music(BaseModel):
    source: str  # store key
    volume: float = 0.2


class Captions(BaseModel):
    y: float
    font_size: int | None = None
    alignment: str = "TopCenter"


class Timeline(BaseModel):
    version: int = TIMELINE_VERSION
    index: int  # 1-based output number: `{index}` in the output name
    seed: int  # everything random in this output derives from it
    width: int
    height: int
    fps: float = 25.0
    duration: float
    segments: list[Segment]
    title: TextOverlay | None = None
    sub_headings: list[TextOverlay] = Field(default_factory=list)
    captions: Captions | None = None  # None: no narration captions
    stickers: list[StickerOverlay] = Field(default_factory=list)
    background: Background = Field(default_factory=Background)
    music: Music | None = None
    crf: int = 23
    output: str | None = None  # store key of the MP4; None in preview-only mode
    contact_sheet: str | None = None  # store key of the PNG: one frame per segment, with its text
    warnings: list[str] = Field(default_factory=list)
