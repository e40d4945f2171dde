"""Every media reference of a manifest as a store key, checked before anything slow runs."""

from __future__ import annotations

from dataclasses import dataclass

from highlights.manifest.models import Manifest, OutputConfig
from highlights.ports import MediaFolder, UnsafeKey
from highlights.render.media import OUTSIDE_BUCKET, KeyForUrl, MediaError, resolve_key
from highlights.render.timeline import StickerOverlay


@dataclass(frozen=True)
class ResolvedMedia:
    """The manifest's media, each a key of an existing file of the folder."""

    sources: tuple[str, ...]  # MediaArray, in order, each file once
    music: tuple[str, ...]  # BackgroundMusicArray
    backgrounds: tuple[str, ...]  # BackgroundImageArray
    stickers: tuple[StickerOverlay, ...]  # StickerArray, placed as the manifest says
    outputs: tuple[str | None, ...]  # output 1, 2 ...: the video's key; None in preview-only mode

    def composed(self) -> list[str]:
        """What composing reads besides the films (music, backgrounds, stickers), each once."""
        keys = [*self.music, *self.backgrounds, *(s.source for s in self.stickers)]
        return list(dict.fromkeys(keys))


def resolve_media(manifest: Manifest, folder: MediaFolder, key_for_url: KeyForUrl) -> ResolvedMedia:
    """Every reference of ``manifest`` resolved (``media.resolve_key``) and every output key
    checked to stay in the folder; ``MediaError`` for the first that cannot be used."""
    inputs, output = manifest.input_config, manifest.output_config
    sources: list[str] = []
    for reference in inputs.media_array:
        key = resolve_key(reference, folder, key_for_url)
        if key not in sources:  # the same film twice would let one range be used twice
            sources.append(key)
    stickers = []
    for sticker in inputs.sticker_array or []:
        # ICE uses MediaId when both are given.
        image = sticker.media_id or sticker.media_url
        if image is None:
            raise MediaError(
                "InvalidMedia.NotFound", "a sticker names no image (MediaId or MediaURL)"
            )
        stickers.append(
            StickerOverlay(
                source=resolve_key(image, folder, key_for_url),
                x=sticker.x,
                y=sticker.y,
                width=sticker.width,
                height=sticker.height,
                opacity=sticker.opacity,
            )
        )
    music = tuple(resolve_key(r, folder, key_for_url) for r in inputs.background_music_array or [])
    backgrounds = tuple(
        resolve_key(r, folder, key_for_url) for r in inputs.background_image_array or []
    )
    outputs = tuple(output_key(output, k, key_for_url) for k in range(1, output.count + 1))
    for written in outputs:
        if written is not None:
            try:
                folder.path_for(written)
            except UnsafeKey as exc:
                raise MediaError(
                    OUTSIDE_BUCKET, f"the output key {written!r} leaves the store ({exc})"
                ) from None
    return ResolvedMedia(
        sources=tuple(sources),
        music=music,
        backgrounds=backgrounds,
        stickers=tuple(stickers),
        outputs=outputs,
    )


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
