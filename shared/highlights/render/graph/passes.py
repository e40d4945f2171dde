"""A timeline's ffmpeg passes: the picture in chunks, the sound, the join (``build_passes``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from highlights.render.ffmpeg import input_args
from highlights.render.graph.builder import FfmpegPass, FilterGraph
from highlights.render.graph.encode import SIZE_SLACK, Encoding, canvas_size, picture_bytes
from highlights.render.graph.picture import (
    Canvas,
    background_stills,
    decode_runs,
    join,
    segment_picture,
)
from highlights.render.graph.sound import (
    AFORMAT,
    LIMIT,
    SAMPLE_RATE,
    mix,
    mix_bytes,
    samples,
    sound_bytes,
)
from highlights.render.graph.stickers import sticker_layer
from highlights.render.graph.texts import Fonts, PlacedText, place_texts, text_layer, texts_within
from highlights.render.graph.timing import (
    FramedSegment,
    TimelineError,
    chunk_spans,
    frame_rate,
    frame_segments,
    rate_text,
    secs,
)
from highlights.render.probe import MediaInfo
from highlights.render.timeline import Timeline


@dataclass(frozen=True)
class RenderPasses:
    pictures: tuple[FfmpegPass, ...]  # the picture in consecutive chunks, H.264, no sound
    audio: FfmpegPass  # the whole mix, measured on the way (``loudness_path``), to ``mix_path``
    mix_path: str  # the mix, float WAV, before its gain
    loudness_path: str  # ebur128's readings while mixing (``integrated_loudness`` reads them)
    audio_path: str  # the sound as delivered, AAC (``sound_pass`` writes it)
    audio_bitrate: str
    concat_path: str  # where the caller writes ``concat_list``
    join_args: list[str]  # chunks and sound copied into the output, fast start
    join_max_bytes: int  # the output's size bound
    audio_max_bytes: int  # the delivered sound's (``sound_pass``)
    width: int
    height: int
    rate: str
    frames: int
    duration: float
    segments: tuple[FramedSegment, ...]
    texts: tuple[PlacedText, ...]
    stickers: tuple[tuple[int, int, int, int], ...]  # x, y, w, h on the canvas
    warnings: tuple[str, ...]

    @property
    def chunk_paths(self) -> list[str]:
        return [picture.output_args[-1] for picture in self.pictures]

    @property
    def concat_list(self) -> str:
        """The chunks, in order, for ffmpeg's concat demuxer."""
        return "".join(f"file {concat_quote(path)}\n" for path in self.chunk_paths)

    @property
    def intermediates(self) -> tuple[str, ...]:
        """Files the passes write besides the output."""
        extra = (self.mix_path, self.loudness_path, self.audio_path, self.concat_path)
        return (*self.chunk_paths, *extra)


def concat_quote(path: str) -> str:
    """``path`` quoted for a line of ffmpeg's concat list."""
    return "'" + path.replace("'", "'\\''") + "'"


def build_passes(
    timeline: Timeline,
    media: Mapping[str, MediaInfo],
    *,
    output: str,
    work_dir: str,
    stem: str = "render",
    fonts: Fonts | None = None,
    preview: bool = False,
    encoding: Encoding | None = None,
    chunks: int = 1,
) -> RenderPasses:
    """The ffmpeg passes that render ``timeline`` to ``output``.

    ``media`` maps every store key the timeline uses (segment sources, background image,
    stickers, music) and every narration audio path to what ``probe`` found; ``MediaInfo.path``
    is the file to read. The filter scripts and the intermediate files are named
    ``<work_dir>/<stem>.*``; the caller writes the scripts and the concat list there.
    ``chunks`` > 1 splits the picture into up to that many passes to run at once, one per
    core (see ``chunk_spans``).
    """
    fonts = fonts or Fonts()
    rate = frame_rate(timeline.fps)
    fps = float(rate)
    width, height = canvas_size(timeline.width, timeline.height, preview=preview)
    scale = width / timeline.width  # pixel values in the timeline are for the full size
    segments, warnings = frame_segments(timeline, rate)
    frames = segments[-1].end_frame
    duration = frames / fps
    if (width, height) != (timeline.width, timeline.height) and not preview:
        warnings.append(
            f"output size {timeline.width}x{timeline.height} made even: {width}x{height}"
        )

    def info(key: str, what: str) -> MediaInfo:
        found = media.get(key)
        if found is None:
            raise TimelineError(f"{what} {key!r}: no media facts (missing from the store?)")
        return found

    background = timeline.background
    bg_kind = background.kind
    if bg_kind == "image" and not background.image:
        warnings.append("background kind 'image' without an image: a blurred copy is used")
        bg_kind = "blur"
    bg_image = (
        info(background.image, "background image")
        if background.image and bg_kind == "image"
        else None
    )
    canvas = Canvas(width, height, rate_text(rate), bg_kind, background.radius)
    sources = [info(s.segment.source, f"segment {s.index} source") for s in segments]
    for framed, src in zip(segments, sources, strict=True):
        if src.kind == "audio":
            raise TimelineError(
                f"segment {framed.index} source {framed.segment.source!r} has no picture"
            )
    stickers = [(s, info(s.source, "sticker")) for s in timeline.stickers]
    for sticker, _ in stickers:
        if sticker.opacity <= 0:
            warnings.append(f"sticker {sticker.source!r} is fully transparent: skipped")
    if any(found.kind == "video" for _, found in stickers):
        chunks = 1  # a moving sticker would restart in each chunk
    texts = place_texts(timeline, segments, canvas.size, scale, duration)

    enc = encoding or Encoding(crf=timeline.crf)
    if preview:
        enc = Encoding.preview(threads=enc.threads)
    base = f"{work_dir.rstrip('/')}/{stem}"
    plain = ["-map_metadata", "-1", "-map_chapters", "-1"]
    spans = chunk_spans(segments, chunks)
    # Chunks are as many as the cores: each runs on one thread (decoder and x264 included),
    # which measured 5% faster on 2 cores than threads fighting over them.
    serial = len(spans) > 1
    x264 = enc.x264_args(enc.threads or (1 if serial else None))
    pictures: list[FfmpegPass] = []
    sticker_boxes: list[tuple[int, int, int, int]] = []
    for c, (lo, hi) in enumerate(spans):
        first = segments[lo].start_frame
        local = [dataclasses.replace(s, start_frame=s.start_frame - first) for s in segments[lo:hi]]
        graph = FilterGraph()
        stills = background_stills(graph, bg_image, len(local), canvas) if bg_image else []
        heads = decode_runs(graph, local, sources[lo:hi], serial=serial)
        pictured: list[str] = []
        for n, framed in enumerate(local):
            still = stills[n] if stills else None
            label, notes = segment_picture(graph, framed, sources[lo + n], heads[n], canvas, still)
            warnings.extend(notes)
            pictured.append(label)
        current = join(graph, local, pictured, rate)
        # Stickers, then text on top.
        for sticker, found in stickers:
            placed = sticker_layer(graph, sticker, found, current, scale, timeline)
            if placed is not None:
                current, box = placed
                if c == 0:
                    sticker_boxes.append(box)
        begin, end = first / fps, segments[hi - 1].end_frame / fps
        for item in texts_within(texts, begin, end):
            current = text_layer(graph, item, current, canvas.size, canvas.rate, fonts)
        out = graph.labels.fixed("vout")
        graph.add(f"[{current}]format=yuv420p[{out}]")
        written = ["-t", secs(end - begin), *plain, "-f", "mp4", f"{base}.video{c}.mp4"]
        pictures.append(
            graph.as_pass(
                f"{base}.video{c}.txt",
                ["-map", f"[{out}]", *x264, *written],
                end - begin,
                picture_bytes(width, height, fps, end - begin),
            )
        )

    sound = FilterGraph()
    mix_path, loudness_path = f"{base}.mix.wav", f"{base}.loudness.txt"
    warnings.extend(mix(sound, timeline, segments, media, duration, loudness_path))
    audio_path = f"{base}.audio.m4a"
    mixed = ["-map", "[aout]", "-c:a", "pcm_f32le", "-t", secs(duration), *plain]
    audio = sound.as_pass(
        f"{base}.audio.txt", [*mixed, "-f", "wav", mix_path], duration, mix_bytes(duration)
    )
    concat_path = f"{base}.pictures.txt"
    audio_max = sound_bytes(duration)
    join_max = sum(p.max_bytes for p in pictures) + audio_max + SIZE_SLACK
    # The concat demuxer reads the engine's own list of its own chunks (MP4: mov).
    join_args = [
        "-protocol_whitelist", "file", "-format_whitelist", "concat,mov",
        "-f", "concat", "-safe", "0", "-i", concat_path, *input_args(audio_path, "mov"),
        "-map", "0:v:0", "-map", "1:a:0", "-c", "copy",
        "-t", secs(duration), *plain, "-movflags", "+faststart", "-fs", str(join_max),
        "-f", "mp4", output,
    ]  # fmt: skip
    return RenderPasses(
        pictures=tuple(pictures),
        audio=audio,
        mix_path=mix_path,
        loudness_path=loudness_path,
        audio_path=audio_path,
        audio_bitrate=enc.audio_bitrate,
        concat_path=concat_path,
        join_args=join_args,
        join_max_bytes=join_max,
        audio_max_bytes=audio_max,
        width=width,
        height=height,
        rate=canvas.rate,
        frames=frames,
        duration=duration,
        segments=tuple(segments),
        texts=tuple(texts),
        stickers=tuple(sticker_boxes),
        warnings=tuple(warnings),
    )


def sound_pass(passes: RenderPasses, gain_db: float) -> list[str]:
    """The ffmpeg arguments that turn the measured mix into the delivered sound: the gain, a
    limiter so it never clips, AAC."""
    total = samples(passes.duration)
    chain = (
        f"volume={gain_db:.2f}dB,alimiter=limit={LIMIT:.3f}:level=0,{AFORMAT},"
        f"atrim=end_sample={total}"
    )
    return [
        *input_args(passes.mix_path, "wav"), "-af", chain,
        "-c:a", "aac", "-b:a", passes.audio_bitrate, "-ar", str(SAMPLE_RATE), "-ac", "2",
        "-t", secs(passes.duration), "-map_metadata", "-1", "-fs", str(passes.audio_max_bytes),
        "-f", "mp4", passes.audio_path,
    ]  # fmt: skip
