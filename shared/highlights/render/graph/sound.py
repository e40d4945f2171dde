"""The sound of a render: the mix (one ffmpeg pass, measured on the way) and the gain that brings
it to its level (``passes.sound_pass`` applies it).

A silent bed as long as the output (``anullsrc``) mixed with each segment's own sound
(``source_volume`` > 0 and the source has audio; its own input so video and audio are read in
step), each narration delayed to its segment's start, and the music looped (``-stream_loop
-1``), trimmed and faded out; ``amix`` without normalisation. Loudness is normalised in two
steps, as file-based delivery does it: the mixing pass writes the mix (a float WAV) and measures
its integrated loudness (``ebur128``) on the way; then one gain brings it to -16 LUFS and a
limiter at -1.5 dBFS keeps it from clipping, encoded to AAC. (A one-pass ``loudnorm`` did the
same with a 192 kHz detector: 0.9 CPU-s per 30 s.) Without any sound the silent bed alone
becomes the AAC track.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from highlights.render.ffmpeg import escape_filter_value
from highlights.render.graph.builder import FilterGraph
from highlights.render.graph.encode import SIZE_SLACK
from highlights.render.graph.timing import SEEK_MARGIN, FramedSegment, TimelineError, secs
from highlights.render.probe import MediaInfo
from highlights.render.timeline import Timeline

SAMPLE_RATE = 48000
LOUDNESS_I = -16.0  # LUFS, integrated
LOUDNESS_TP = -1.5  # dBFS: the limiter's ceiling
LIMIT = 10 ** (LOUDNESS_TP / 20)  # 0.841: the same, linear
SILENCE_LUFS = -70.0  # ebur128's absolute gate: a mix this quiet is silence, left as it is
MAX_GAIN_DB = 30.0  # a whisper is raised this much at most (noise would follow it up)
MUSIC_FADE_OUT = 2.0
EDGE_FADE = 0.02  # a segment's own sound fades in/out this long at a cut (no clicks)

AFORMAT = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"


def mix_bytes(seconds: float) -> int:
    """The float WAV mix: 4-byte stereo samples, a little over for its header."""
    return math.ceil(1.01 * SAMPLE_RATE * 2 * 4 * max(seconds, 0.0)) + SIZE_SLACK


def sound_bytes(seconds: float) -> int:
    """The AAC sound, bound by what 16-bit PCM would take (no AAC bitrate comes near it)."""
    return math.ceil(SAMPLE_RATE * 2 * 2 * max(seconds, 0.0)) + SIZE_SLACK


def samples(seconds: float) -> int:
    """Seconds as a count of samples at ``SAMPLE_RATE``."""
    return max(0, round(seconds * SAMPLE_RATE))


def mix(
    graph: FilterGraph,
    timeline: Timeline,
    segments: list[FramedSegment],
    media: Mapping[str, MediaInfo],
    duration: float,
    loudness_path: str,
) -> list[str]:
    """The mix to ``[aout]``, its loudness measured into ``loudness_path`` on the way; warnings."""
    warnings: list[str] = []
    total = samples(duration)
    parts: list[str] = []
    for n, framed in enumerate(segments):
        seg = framed.segment
        if seg.source_volume <= 0:
            continue
        src = media.get(seg.source)
        if src is None or src.kind != "video" or not src.has_audio:
            continue
        fade_in = framed.overlap / framed.fps if framed.overlap else EDGE_FADE
        nxt = segments[n + 1] if n + 1 < len(segments) else None
        fade_out = nxt.overlap / framed.fps if nxt and nxt.overlap else EDGE_FADE
        fade_in, fade_out = min(fade_in, framed.duration / 2), min(fade_out, framed.duration / 2)
        options = ["-ss", secs(seg.source_in)] if seg.source_in > 0 else []
        k = graph.add_input(src, *options, "-t", secs(framed.duration + SEEK_MARGIN))
        label = graph.label("sa")
        graph.add(
            f"[{k}:a]{AFORMAT},atrim=end_sample={samples(framed.duration)},"
            f"volume={seg.source_volume:g},afade=t=in:d={secs(fade_in)},"
            f"afade=t=out:st={secs(framed.duration - fade_out)}:d={secs(fade_out)},"
            f"adelay=delays={samples(framed.start)}S:all=1[{label}]"
        )
        parts.append(label)
    for framed in segments:
        narration = framed.segment.narration
        if narration is None or narration.volume <= 0:
            continue
        found = media.get(narration.audio)
        if found is None:
            raise TimelineError(
                f"segment {framed.index}: narration audio {narration.audio!r} not found"
            )
        if not found.has_audio:
            warnings.append(f"segment {framed.index}: narration {narration.audio!r} has no audio")
            continue
        k = graph.add_input(found)
        label = graph.label("na")
        graph.add(
            f"[{k}:a]{AFORMAT},volume={narration.volume:g},"
            f"adelay=delays={samples(framed.start)}S:all=1[{label}]"
        )
        parts.append(label)
    if timeline.music is not None and timeline.music.volume > 0:
        music = media.get(timeline.music.source)
        if music is None:
            raise TimelineError(f"music {timeline.music.source!r}: no media facts")
        if music.has_audio:
            fade = min(MUSIC_FADE_OUT, duration / 2)
            k = graph.add_input(music, "-stream_loop", "-1")
            label = graph.labels.fixed("music")
            graph.add(
                f"[{k}:a]{AFORMAT},atrim=end_sample={total},asetpts=N/SR/TB,"
                f"volume={timeline.music.volume:g},"
                f"afade=t=out:st={secs(duration - fade)}:d={secs(fade)}[{label}]"
            )
            parts.append(label)
        else:
            warnings.append(f"music {timeline.music.source!r} has no audio: skipped")
    # The silent bed is an input, not a source filter: ffmpeg 7+ aborts on a graph without
    # inputs that has a sink branch ("Assertion best_input >= 0 failed").
    silence = graph.add_source(f"anullsrc=r={SAMPLE_RATE}:cl=stereo")
    bed = f"[{silence}:a]atrim=end_sample={total}"
    out, meter = graph.labels.fixed("aout"), graph.labels.fixed("meter")
    measure = (
        "ebur128=metadata=1,ametadata=mode=print:key=lavfi.r128.I"
        f":file={escape_filter_value(loudness_path)},anullsink"
    )
    if not parts:
        graph.add(f"{bed},asplit=2[{out}][{meter}]")
        graph.add(f"[{meter}]{measure}")
        return warnings
    bed_label = graph.labels.fixed("bed")
    graph.add(f"{bed}[{bed_label}]")
    inputs = "".join(f"[{p}]" for p in [bed_label, *parts])
    graph.add(
        f"{inputs}amix=inputs={len(parts) + 1}:duration=first:dropout_transition=0:normalize=0,"
        f"{AFORMAT},atrim=end_sample={total},asplit=2[{out}][{meter}]"
    )
    graph.add(f"[{meter}]{measure}")
    return warnings


def integrated_loudness(readings: str) -> float | None:
    """The integrated loudness (LUFS) at the end of ebur128's readings (``ametadata`` print
    output: one ``lavfi.r128.I=`` line per audio frame), None if there is none."""
    found = re.findall(r"^lavfi\.r128\.I=(-?[\d.]+|-?inf|nan)\s*$", readings, re.MULTILINE)
    try:
        value = float(found[-1]) if found else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def loudness_gain(measured: float | None) -> float:
    """dB that bring ``measured`` LUFS to ``LOUDNESS_I``: none for silence, at most
    ``MAX_GAIN_DB``."""
    if measured is None or measured <= SILENCE_LUFS:
        return 0.0
    return min(LOUDNESS_I - measured, MAX_GAIN_DB)
