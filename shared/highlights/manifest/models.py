"""The manifest contract: pydantic models of SubmitBatchMediaProducingJob's movie highlights request.

Attribute names are snake_case; aliases are the API's PascalCase, which is what manifests and the wire
use. Models check shape, types, ranges and lengths, and forbid unknown keys; rules that relate fields
to each other or to the deployment (mode, region, destinations) live in `rules.py`.
Defaults are the documented ones; fields the user did not set never reach the wire.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from highlights.manifest import limits
from highlights.manifest.problems import shorten

_ACRONYMS = {"url": "URL", "fe": "FE"}


def api_alias(name: str) -> str:
    """`media_url` → `MediaURL`, `image_id` → `ImageId`, `fe_canvas` → `FECanvas`."""
    return "".join(_ACRONYMS.get(word, word.capitalize()) for word in name.split("_"))


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=api_alias,
        populate_by_name=True,
        extra="forbid",
        # Keeps the JSON Schema small and the import fast: models build on first use.
        defer_build=True,
    )

    def to_api(self) -> dict[str, Any]:
        """What the user set, in API spelling: the wire form's content."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")


Title = Annotated[str, StringConstraints(min_length=1, max_length=limits.MAX_TITLE_CHARS)]
Narration = Annotated[str, StringConstraints(min_length=1, max_length=limits.MAX_SCRIPT_CHARS)]
ShotItem = Annotated[str, StringConstraints(min_length=1, max_length=limits.MAX_SHOT_ITEM_CHARS)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=limits.MAX_NAME_CHARS)]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
Pixels = Annotated[float, Field(ge=0, le=limits.MAX_PIXELS)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Alignment = Literal[
    "TopLeft",
    "TopCenter",
    "TopRight",
    "CenterLeft",
    "CenterCenter",
    "CenterRight",
    "BottomLeft",
    "BottomCenter",
    "BottomRight",
]


# ---------------------------------------------------------------- InputConfig


class Sticker(ApiModel):
    """An image laid over the video. Positions and sizes are pixels, or fractions of the output below 1."""

    media_id: Reference | None = None
    media_url: Reference | None = None
    x: Pixels
    y: Pixels
    width: float = Field(gt=0, le=limits.MAX_PIXELS)
    height: float = Field(gt=0, le=limits.MAX_PIXELS)
    opacity: Fraction = 1.0


class SubHeading(ApiModel):
    level: int = Field(ge=1, le=5)
    title_array: list[Title] = Field(min_length=1, max_length=limits.MAX_TITLES)


class ShotScript(ApiModel):
    """One storyboard shot: text description mode (ScriptText) or manual parsing mode."""

    script_text: str | None = Field(None, min_length=1, max_length=limits.MAX_SHOT_TEXT_CHARS)
    speech_text: Narration | None = None
    duration: float | None = Field(
        None,
        ge=limits.MIN_SHOT_SECONDS,
        le=limits.MAX_SHOT_SECONDS,
        description="Seconds; only for a shot without SpeechText",
    )
    descriptions: list[ShotItem] | None = Field(None, max_length=limits.MAX_SHOT_ITEMS)
    characters: list[Name] | None = Field(None, max_length=limits.MAX_SHOT_CHARACTERS)
    settings: list[ShotItem] | None = Field(None, max_length=limits.MAX_SHOT_ITEMS)
    volume: float | None = Field(
        None, ge=0, le=limits.MAX_VOLUME, description="Source sound volume for this shot"
    )


class ShotInfo(ApiModel):
    shot_scripts: list[ShotScript] = Field(max_length=limits.MAX_SHOTS)


class ImageInfo(ApiModel):
    name: Name
    image_url: Reference | None = None
    image_id: Reference | None = None


class FaceInfo(ApiModel):
    image_info_list: list[ImageInfo] = Field(default_factory=list, max_length=limits.MAX_FACES)


class SceneInfo(ApiModel):
    scene: str = Field(description='Always "MovieHighlights" for this scenario')
    shot_info: ShotInfo | None = None
    face_info: FaceInfo | None = None

    @field_validator("scene")
    @classmethod
    def _movie_highlights(cls, value: str) -> str:
        if value != "MovieHighlights":
            raise ValueError(f"scene {shorten(value)!r} is not this scenario; use MovieHighlights")
        return value


class InputConfig(ApiModel):
    media_array: list[Reference] = Field(min_length=1, max_length=limits.MAX_MEDIA)
    title_array: list[Title] | None = Field(None, max_length=limits.MAX_TITLES)
    sub_heading_array: list[SubHeading] | None = Field(None, max_length=limits.MAX_SUB_HEADINGS)
    speech_text_array: list[Narration] | None = Field(None, max_length=limits.MAX_SCRIPTS)
    scene_info: SceneInfo
    sticker: Sticker | None = Field(
        None, deprecated="the single Sticker is folded into StickerArray; use StickerArray"
    )
    sticker_array: list[Sticker] | None = Field(None, max_length=limits.MAX_STICKERS)
    background_music_array: list[Reference] | None = Field(None, max_length=limits.MAX_MUSIC)
    background_image_array: list[Reference] | None = Field(
        None, max_length=limits.MAX_BACKGROUND_IMAGES
    )

    @model_validator(mode="after")
    def _fold_legacy_sticker(self) -> InputConfig:
        legacy = self.__dict__.get("sticker")
        if legacy is not None:
            self.__dict__["sticker"] = None
            self.__dict__["sticker_array"] = [legacy, *(self.sticker_array or [])]
            self.__pydantic_fields_set__.discard("sticker")
            self.__pydantic_fields_set__.add("sticker_array")
        return self

    @property
    def mode(self) -> Literal["global_narration", "storyboard"]:
        shots = self.scene_info.shot_info
        return "storyboard" if shots and shots.shot_scripts else "global_narration"


# ---------------------------------------------------------------- EditingConfig


class FontFace(ApiModel):
    bold: bool | None = None
    italic: bool | None = None
    underline: bool | None = None


class CaptionConfig(ApiModel):
    """Banner-text settings shared by titles, sub-headings and narration captions.

    X and Y are fractions of the output (below 1) or pixels; Y left unset takes a default that
    depends on the output's orientation (see `default_y`).
    """

    x: Pixels | None = None
    y: Pixels | None = None
    font: str | None = None
    font_size: int | None = Field(None, gt=0, le=1000)
    font_color: str | None = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$")
    font_color_opacity: Fraction | None = None
    font_face: FontFace | None = None
    alignment: Alignment = "TopCenter"
    adapt_mode: Literal["AutoWrap", "AutoScale", "AutoWrapAtSpaces"] = "AutoWrap"
    size_request_type: Literal["Nominal", "RealDim"] = "Nominal"
    spacing: int | None = Field(None, ge=-limits.MAX_CAPTION_SPACING, le=limits.MAX_CAPTION_SPACING)
    text_width: float | None = Field(None, gt=0, le=limits.MAX_PIXELS)
    angle: float | None = None
    outline: int | None = Field(None, ge=0, le=limits.MAX_CAPTION_STROKE)
    outline_colour: str | None = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$")
    shadow: int | None = Field(None, ge=0, le=limits.MAX_CAPTION_STROKE)
    back_colour: str | None = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$")
    border_style: int | None = None
    effect_color_style: str | None = None


Orientation = Literal["vertical", "horizontal", "square"]


class TitleConfig(CaptionConfig):
    font: str | None = "Alibaba PuHuiTi 2.0 95 ExtraBold"

    def default_y(self, orientation: Orientation) -> float:
        return {"vertical": 0.1, "horizontal": 0.05, "square": 0.08}[orientation]


class AsrConfig(CaptionConfig):
    """Narration captions."""

    font: str | None = "Alibaba PuHuiTi 2.0 65 Medium"
    spacing: int | None = -1

    def default_y(self, orientation: Orientation) -> float:
        return {"vertical": 0.8, "horizontal": 0.9, "square": 0.85}[orientation]


class SubHeadingStyle(CaptionConfig):
    pass


class MediaConfig(ApiModel):
    volume: float = Field(
        0, ge=0, le=limits.MAX_VOLUME, description="Source sound; 0 mutes it (default)"
    )


class SpeechConfig(ApiModel):
    volume: float = Field(1, ge=0, le=limits.MAX_VOLUME)
    speech_rate: int = Field(0, ge=-500, le=500)
    voice: str | None = None
    style: str | None = None
    customized_voice: str | None = Field(None, description="Voice clone id; overrides Voice/Style")
    asr_config: AsrConfig = Field(default_factory=AsrConfig)


class BackgroundMusicConfig(ApiModel):
    volume: float = Field(0.2, ge=0, le=limits.MAX_VOLUME)
    style: str | None = None


class BackgroundImageConfig(ApiModel):
    sub_type: Literal["Blur"] | None = None
    radius: Fraction | None = None


class ProcessConfig(ApiModel):
    allow_vfx_effect: bool = False
    vfx_effect_probability: Fraction = 0.5
    vfx_first_clip_effect_list: list[str] | None = Field(None, max_length=limits.MAX_EFFECT_NAMES)
    vfx_not_first_clip_effect_list: list[str] | None = Field(
        None, max_length=limits.MAX_EFFECT_NAMES
    )
    allow_transition: bool = False
    transition_duration: float = Field(0.5, gt=0, le=limits.MAX_TRANSITION_SECONDS)
    transition_list: list[str] | None = Field(None, max_length=limits.MAX_EFFECT_NAMES)
    use_uniform_transition: bool = True
    allow_filter: bool = False
    filter_list: list[str] | None = Field(None, max_length=limits.MAX_EFFECT_NAMES)
    allow_duplicate_match: bool = False
    enable_clip_detection: bool = True
    # The table says false, the seed's "defaults" example shows true: the table is the default.
    enable_temporal_opt: bool = False
    enable_subtitle_match: bool = False

    @field_validator("vfx_effect_probability")
    @classmethod
    def _two_decimals(cls, value: float) -> float:
        if abs(value * 100 - round(value * 100)) > 1e-9:
            raise ValueError(f"{value} has more than two decimal places")
        return value


class FECanvas(ApiModel):
    """Canvas of the console's preview page; does not change the output."""

    width: int = Field(gt=0, le=8192)
    height: int = Field(gt=0, le=8192)


class CoverConfig(ApiModel):
    start_time: float = Field(ge=0)


class ProduceConfig(ApiModel):
    auto_register_input_vod_media: bool | None = None
    output_webm_transparent_channel: bool | None = None
    cover_config: CoverConfig | None = None
    audio_channel_copy: Literal["left", "right"] | None = None
    pipeline_id: str | None = None
    max_bitrate: int | None = Field(None, gt=0)
    keep_origin_max_bitrate: bool | None = None
    keep_origin_video_max_fps: bool | None = None


SubHeadingLevel = Literal["1", "2", "3", "4", "5"]


class EditingConfig(ApiModel):
    media_config: MediaConfig = Field(default_factory=MediaConfig)
    title_config: TitleConfig = Field(default_factory=TitleConfig)
    sub_heading_config: dict[SubHeadingLevel, SubHeadingStyle] = Field(default_factory=dict)
    speech_config: SpeechConfig = Field(default_factory=SpeechConfig)
    background_music_config: BackgroundMusicConfig = Field(default_factory=BackgroundMusicConfig)
    background_image_config: BackgroundImageConfig = Field(default_factory=BackgroundImageConfig)
    process_config: ProcessConfig = Field(default_factory=ProcessConfig)
    fe_canvas: FECanvas | None = None
    produce_config: ProduceConfig | None = None


# ---------------------------------------------------------------- OutputConfig


class VideoConfig(ApiModel):
    crf: int | None = Field(None, ge=0, le=51)
    codec: str | None = None


class OutputConfig(ApiModel):
    media_url: Reference | None = Field(None, description="OSS URL containing {index}")
    storage_location: str | None = Field(
        None, description="VOD storage: <bucket>.oss-<region>.aliyuncs.com"
    )
    file_name: str | None = Field(None, description="VOD file name containing {index}")
    generate_preview_only: bool = False
    count: int = Field(1, ge=1, le=limits.MAX_OUTPUTS)
    width: int = Field(ge=128, le=4096)
    height: int = Field(ge=128, le=4096)
    video: VideoConfig | None = None

    @model_validator(mode="after")
    def _short_side(self) -> OutputConfig:
        if min(self.width, self.height) > 2160:
            raise ValueError(f"the short side is {min(self.width, self.height)} px; at most 2160")
        return self

    @property
    def orientation(self) -> Orientation:
        if self.width == self.height:
            return "square"
        return "vertical" if self.height > self.width else "horizontal"


# ---------------------------------------------------------------- the manifest


class Manifest(ApiModel):
    """A job manifest: one SubmitBatchMediaProducingJob request for the MovieHighlights scene."""

    model_config = ConfigDict(
        title="Movie highlights job manifest",
        json_schema_extra={"$id": "https://highlights.dev/schema/manifest.schema.json"},
    )

    schema_: str | None = Field(None, alias="$schema", description="For editors; ignored")
    input_config: InputConfig
    editing_config: EditingConfig = Field(default_factory=EditingConfig)
    output_config: OutputConfig
    user_data: dict[str, Any] | None = Field(
        None, description="Echoed back by ICE; with the pipeline's keys at most 512 bytes of JSON"
    )
    template_config: dict[str, Any] | None = None

    @property
    def mode(self) -> Literal["global_narration", "storyboard"]:
        return self.input_config.mode

    def to_wire(self) -> dict[str, str]:
        """The request parameters as ICE takes them: each config a compact JSON string."""
        wire = {
            "InputConfig": _compact(self.input_config.to_api()),
            "OutputConfig": _compact(self.output_config.to_api()),
        }
        if "editing_config" in self.model_fields_set:
            wire["EditingConfig"] = _compact(self.editing_config.to_api())
        if self.template_config is not None:
            wire["TemplateConfig"] = _compact(self.template_config)
        return wire

    def to_document(self) -> dict[str, Any]:
        """The manifest as the user would write it (API spelling, only what was set)."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json", exclude={"schema_"})


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
