"""Shot detection: one ffmpeg decode pass measures cuts, black and dark frames, and samples
frames for bars and text; rules make shots.

The pass decodes the video once and splits the frames: the sampled branch (``samples.py``) looks
at one frame every half second for black bars and text; the main chain shrinks each frame to
``width`` pixels and runs one linear filter chain (``decode_chain``)::

    scale=160:-2:flags=fast_bilinear, format=yuv420p, metadata=delete,
    blackdetect=d=0:pix_th=0.10:pic_th=0.995, metadata=print, metadata=delete,   # black frames
    blackdetect=d=0:pix_th=0.10:pic_th=0.85, metadata=print, metadata=delete,    # dark frames
    select='gt(scene,0.05)+eq(n,0)', metadata=print:key=lavfi.scene_score        # cut candidates

Both blackdetect instances write the same frame-metadata keys, so each is printed and then
deleted before the next one runs; the printers are told apart by their position in the chain
(ffmpeg logs them as ``Parsed_metadata_<position>``). Scores are kept from a low floor so the cut
threshold can change without decoding again (the cache holds the raw measurements).

Speed: decoding dominates. The decoder skips the in-loop deblocking filter
(``-skip_loop_filter all``, ~15% faster; blocking is invisible at 160 pixels wide), and a long
film is split into one time range per core, decoded by parallel ffmpeg processes (``analyse``).
Every frame is decoded: skipping non-reference frames (``-skip_frame noref``) would be faster
still, but it makes the spacing between analysed frames irregular, and the scene score, which
compares neighbouring frames, then fires on fast motion (measured: false cuts at 0.22-0.28).
"""

from __future__ import annotations

import itertools
import math
import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from highlights.render import cache, samples, title_ocr
from highlights.render.cores import ToolPool, usable_cores
from highlights.render.errors import RenderError
from highlights.render.ffmpeg import input_args, run_ffmpeg
from highlights.render.picture_rules import Sample
from highlights.render.probe import MediaInfo, probe
from highlights.render.process import scratch_folder
from highlights.render.samples import SampleParams
from highlights.render.shot_rules import (
    Interval,
    RawAnalysis,
    Shot,
    ShotAnalysis,
    ShotRules,
    build_analysis,
    still_analysis,
)

__all__ = [
    "DecodeParams",
    "Interval",
    "RawAnalysis",
    "Shot",
    "ShotAnalysis",
    "ShotRules",
    "analyse",
    "decode_chain",
    "detect_shots",
    "parse_decode_log",
]

ANALYSIS_VERSION = 3  # bump when the pass or its parsing changes: old cache entries then miss
MIN_CHUNK = 60.0  # seconds; shorter films are decoded by one process
CHUNK_OVERLAP = 1.0  # seconds decoded before a chunk's start, so a cut there is still seen


def decode_timeout(seconds: float) -> float:
    """The wall-clock limit of decoding ``seconds`` of film: generous (decoding runs 5-50x
    real time), yet bounded."""
    return 120.0 + 2.0 * seconds


@dataclass(frozen=True)
class DecodeParams:
    """Everything that changes what the decode pass measures (and so the cache key)."""

    width: int = 160
    score_floor: float = 0.05
    black_pixel: float = 0.10  # a pixel is dark below this share of the luma range
    black_ratio: float = 0.995  # a frame is black when this share of its pixels is dark
    dark_ratio: float = 0.85  # ... and dark (text on black passes) at this share
    fast_decode: bool = True  # skip the deblocking filter
    samples: SampleParams = field(default_factory=SampleParams)  # bars and text


@dataclass(frozen=True)
class DecodeChain:
    """The filter graph and the positions of its three metadata printers."""

    graph: str
    black_printer: int
    dark_printer: int
    score_printer: int


def decode_chain(params: DecodeParams, offset: int = 0) -> DecodeChain:
    """The main chain; ``offset`` filters come before it in the graph (printers are named by
    their position in the whole graph)."""
    width = params.width + params.width % 2
    filters = [
        f"scale={width}:-2:flags=fast_bilinear",
        "format=yuv420p",
        "metadata=mode=delete",  # decoders may attach metadata; printers must see only ours
        f"blackdetect=d=0:pix_th={params.black_pixel:g}:pic_th={params.black_ratio:g}",
        "metadata=mode=print",
        "metadata=mode=delete",
        f"blackdetect=d=0:pix_th={params.black_pixel:g}:pic_th={params.dark_ratio:g}",
        "metadata=mode=print",
        "metadata=mode=delete",
        # The first frame always passes (its score is 0: nothing before it, and the parser drops
        # it): ffmpeg 7+ fails a pass whose output got no frame, as a still or uncut range would.
        f"select='gt(scene,{params.score_floor:g})+eq(n,0)'",
        "metadata=mode=print:key=lavfi.scene_score",
    ]
    printers = [i + offset for i, f in enumerate(filters) if f.startswith("metadata=mode=print")]
    return DecodeChain(",".join(filters), *printers)


def decode_graph(params: DecodeParams, frame: tuple[int, int]) -> tuple[str, DecodeChain]:
    """The whole pass: the decoded frames split between the main chain (to ``[main]``) and the
    sampled branch (to ``[grid]``), and the main chain's printers."""
    chain = decode_chain(params, offset=1)  # after the split
    branch = samples.branch("sampled", "grid", frame, params.samples)
    return f"[0:v]split=2[decoded][sampled];[decoded]{chain.graph}[main];{branch}", chain


_LOG_LINE = re.compile(r"^\[Parsed_metadata_(\d+) @ [^\]]+\] (.*)$")
_FRAME_LINE = re.compile(r"pts_time:(\S+)")


def _intervals(events: list[tuple[str, float]], duration: float) -> tuple[Interval, ...]:
    out: list[Interval] = []
    opened: float | None = None
    for name, value in events:
        if name == "lavfi.black_start" and opened is None:
            opened = value
        elif name == "lavfi.black_end" and opened is not None:
            out.append(Interval(opened, value))
            opened = None
    if opened is not None:  # still black when the film ends
        out.append(Interval(opened, duration))
    return tuple(i for i in out if i.end > i.start)


def parse_decode_log(
    stderr: str, chain: DecodeChain, duration: float, floor: float = 0.05
) -> RawAnalysis:
    """Read the metadata printers' lines out of ffmpeg's stderr."""
    black: list[tuple[str, float]] = []
    dark: list[tuple[str, float]] = []
    scores: list[tuple[float, float]] = []
    frame_time = math.nan  # pts of the last frame the score printer announced
    for line in stderr.splitlines():
        match = _LOG_LINE.match(line.strip())
        if not match:
            continue
        printer, body = int(match.group(1)), match.group(2)
        if body.startswith("frame:"):
            if printer == chain.score_printer:
                found = _FRAME_LINE.search(body)
                frame_time = _float(found.group(1)) if found else math.nan
            continue
        name, _, value = body.partition("=")
        number = _float(value)
        if math.isnan(number):
            continue
        if printer == chain.score_printer and name == "lavfi.scene_score":
            if not math.isnan(frame_time) and number > floor:
                scores.append((frame_time, number))
        elif printer == chain.black_printer:
            black.append((name, number))
        elif printer == chain.dark_printer:
            dark.append((name, number))
    return RawAnalysis(
        duration=duration,
        floor=floor,
        scores=tuple(scores),
        black=_intervals(black, duration),
        dark=_intervals(dark, duration),
    )


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _chunks(duration: float, jobs: int, min_chunk: float) -> list[tuple[float, float]]:
    count = max(1, min(jobs, int(duration // max(min_chunk, 1e-3))))
    # Whole milliseconds, as they are written on the command line.
    edges = [round(duration * k / count, 3) for k in range(count)] + [duration]
    return list(itertools.pairwise(edges))


def _analyse_chunk(
    path: str | os.PathLike[str],
    span: tuple[float, float],
    params: DecodeParams,
    *,
    threads: int | None,
    last: bool,
    timeout: float | None,
    format_name: str = "",
    frame: tuple[int, int] | None = None,
) -> RawAnalysis:
    """Decode [start, end) of the film, starting a little early so the first frames have a past.

    The scene score compares each frame with the previous one, so a chunk that started exactly
    at its boundary could not see a cut there; it starts ``CHUNK_OVERLAP`` seconds earlier and
    only what it measured from its boundary on is kept. With the ``frame`` size known, frames
    are sampled too (``samples.py``).
    """
    start, end = span
    lead = min(CHUNK_OVERLAP, start)
    seek = round(start - lead, 3)
    args: list[str] = ["-loglevel", "info"]
    if params.fast_decode:
        args += ["-skip_loop_filter", "all"]
    if threads is not None:
        args += ["-threads", str(threads)]
    options: list[str] = []
    if seek > 0:
        options += ["-ss", f"{seek:.3f}"]
    if not last:  # the last range reads to the end, whatever the container said the length was
        options += ["-t", f"{end - seek:.3f}"]
    args += [*input_args(path, format_name, *options)]
    limit = timeout if timeout is not None else decode_timeout(end - seek)
    what = f"shot detection on {Path(path).name}"
    found: list[Sample] = []
    if frame is None:
        chain = decode_chain(params)
        args += ["-map", "0:v:0", "-an", "-sn", "-dn", "-vf", chain.graph, "-f", "null", "-"]
        done = run_ffmpeg(args, what=what, timeout=limit)
    else:
        graph, chain = decode_graph(params, frame)
        with scratch_folder("samples-") as tmp:
            grid = Path(tmp) / "grid.raw"
            args += ["-filter_complex", graph, "-map", "[main]", "-f", "null", "-"]
            args += ["-map", "[grid]", "-fps_mode", "passthrough", "-f", "rawvideo"]
            args += ["-fs", str(samples.grid_bound(end - seek, params.samples)), str(grid)]
            done = run_ffmpeg(args, what=what, timeout=limit)
            found = samples.parse_samples(done.stderr, grid.read_bytes(), params.samples)
    # Times in the log are relative to the seek point.
    local = parse_decode_log(done.stderr, chain, end - seek, params.score_floor)
    return RawAnalysis(
        duration=end,
        floor=params.score_floor,
        scores=tuple((round(t + seek, 4), sc) for t, sc in local.scores if start <= t + seek < end),
        black=_shift_clip(local.black, seek, start, end),
        dark=_shift_clip(local.dark, seek, start, end),
        samples=tuple(
            replace(x, time=round(x.time + seek, 3)) for x in found if start <= x.time + seek < end
        ),
        frame=frame,
    )


def _shift_clip(
    intervals: tuple[Interval, ...], shift: float, lo: float, hi: float
) -> tuple[Interval, ...]:
    moved = (Interval(max(i.start + shift, lo), min(i.end + shift, hi)) for i in intervals)
    return tuple(i for i in moved if i.end > i.start)


def _join(intervals: list[Interval]) -> tuple[Interval, ...]:
    """Merge the pieces of one interval that a chunk boundary cut in two."""
    out: list[Interval] = []
    for i in sorted(intervals, key=lambda i: i.start):
        if out and i.start <= out[-1].end + 1e-3:
            out[-1] = Interval(out[-1].start, max(out[-1].end, i.end))
        else:
            out.append(i)
    return tuple(out)


def analyse(
    path: str | os.PathLike[str],
    duration: float,
    params: DecodeParams | None = None,
    *,
    jobs: int | None = None,
    min_chunk: float = MIN_CHUNK,
    timeout: float | None = None,
    format_name: str = "",
    frame: tuple[int, int] | None = None,
) -> RawAnalysis:
    """The decode pass over the first video stream of ``path`` (opened with the demuxer
    ``format_name`` names, see ``ffmpeg.input_args``). ``timeout`` bounds each decoding process
    (default ``decode_timeout`` of its range). ``frame``: the decoded frames' size (rotation
    applied), to sample them; None samples nothing.

    A long film is cut into ``jobs`` time ranges (default: one per core, each at least
    ``MIN_CHUNK`` seconds) decoded by parallel single-threaded ffmpeg processes: ffmpeg's own
    threads keep about 1.5 of 2 cores busy, because the filter chain runs on one thread, while
    one process per core keeps both busy (1.4-1.6x faster on the 10-minute benchmark).
    """
    params = params or DecodeParams()
    jobs = jobs or usable_cores()
    spans = _chunks(duration, jobs, min_chunk)
    if len(spans) == 1:
        return _analyse_chunk(
            path,
            (0.0, duration),
            params,
            threads=None,
            last=True,
            timeout=timeout,
            format_name=format_name,
            frame=frame,
        )
    threads = max(1, usable_cores() // len(spans))
    with ToolPool(len(spans)) as pool:
        parts = list(
            pool.map(
                lambda span: _analyse_chunk(
                    path,
                    span,
                    params,
                    threads=threads,
                    last=span[1] >= duration,
                    timeout=timeout,
                    format_name=format_name,
                    frame=frame,
                ),
                spans,
            )
        )
    return RawAnalysis(
        duration=duration,
        floor=params.score_floor,
        scores=tuple(pair for part in parts for pair in part.scores),
        black=_join([i for part in parts for i in part.black]),
        dark=_join([i for part in parts for i in part.dark]),
        samples=tuple(x for part in parts for x in part.samples),
        frame=frame,
    )


def decoded_size(info: MediaInfo) -> tuple[int, int] | None:
    """The size ffmpeg's frames have once decoded: the stored size, turned by a display
    rotation (ffmpeg applies it), the sample aspect ratio not applied."""
    if not info.width or not info.height:
        return None
    if abs(info.rotation) % 180 == 90:
        return info.height, info.width
    return info.width, info.height


def detect_shots(
    path: str | os.PathLike[str],
    info: MediaInfo | None = None,
    *,
    threshold: float | None = None,
    min_shot: float | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    still_duration: float = 3.0,
    rules: ShotRules | None = None,
    decode: DecodeParams | None = None,
    jobs: int | None = None,
    timeout: float | None = None,
    read_titles: bool = True,
) -> ShotAnalysis:
    """Shots of ``path`` with black gaps, opening/closing credits and titles left out.

    ``threshold`` (scene score of a sure cut, default 0.3) and ``min_shot`` (seconds, default
    1.0) override the same fields of ``rules`` when given. An image is one
    ``still`` shot of ``still_duration`` seconds. With ``cache_dir`` the decode pass's
    measurements are cached per (absolute path, size, mtime, decode parameters), so asking
    again, even with other rules, does not decode again. With ``read_titles`` (and tesseract
    installed) a shot the look rules call titles is dropped only when words are read in it
    (``title_ocr``; the outcome is cached beside the measurements).
    """
    info = info or probe(path)
    rules = rules or ShotRules()
    if threshold is not None:
        rules = replace(rules, threshold=threshold)
    if min_shot is not None:
        rules = replace(rules, min_shot=min_shot)
    source = str(Path(path).resolve())
    if info.kind == "image":
        return still_analysis(source, still_duration)
    if info.kind != "video":
        raise RenderError(f"{Path(path).name}: no video stream to detect shots in")
    if not info.duration:
        raise RenderError(f"{Path(path).name}: the video's duration is unknown")

    decode = decode or DecodeParams()
    lowest = min(rules.threshold, rules.adaptive_min)
    if lowest < decode.score_floor:  # the pass must report every score the rules may accept
        decode = replace(decode, score_floor=lowest)
    key = cache.cache_key(
        "shots", path, {"version": ANALYSIS_VERSION, "duration": info.duration, **asdict(decode)}
    )
    frame = decoded_size(info)
    reader = (
        title_ocr.title_reader(path, frame, format_name=info.format_name, cache_dir=cache_dir)
        if read_titles
        else None
    )
    if cache_dir is not None:
        cached = cache.load(cache_dir, key)
        if cached is not None:
            raw = RawAnalysis.from_json(cached)
            return build_analysis(raw, rules, source=source, from_cache=True, read_titles=reader)
    raw = analyse(
        path,
        info.duration,
        decode,
        jobs=jobs,
        timeout=timeout,
        format_name=info.format_name,
        frame=frame,
    )
    if cache_dir is not None:
        cache.store(cache_dir, key, raw.to_json())
    return build_analysis(raw, rules, source=source, read_titles=reader)
