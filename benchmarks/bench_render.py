"""How fast is composition? Goals: >= 3x real time, >= 10x faster than moviepy (2 cores).

Renders a 30-second 1080x1920 output from a 720p source (generated once into ``--dir``, with
light grain so it compresses like a film) with a blurred background, a title, captions, a
sticker, six narration clips and looped background music:

- with ``compose`` (picture chunks, one ffmpeg per core, and the sound beside them),
  ``--runs`` times; ``--chunks 1`` for a single picture pass, ``--order shuffled`` for segments
  cut out of film order (each then seeks on its own instead of sharing a decoder);
- the same composition with moviepy (when it is installed: ``pip install moviepy``; it is not a
  project dependency), once, with the same x264 preset and crf and the same ffmpeg binary;
- optionally (``--graph-only``) the picture graph without the encoder, to show what x264 costs.

Each render runs in a child process; the figures are wall time, the multiple of real time, CPU
seconds, the peak RSS of the largest process (``wait4``) and the peak RSS of the whole process
tree (sampled every 50 ms from /proc).

    python benchmarks/bench_render.py [--dir /tmp/highlights-bench] [--runs 3] [--no-moviepy]
        [--order film|shuffled] [--chunks N] [--graph-only] [--json figures.json]

The ratio to moviepy divides moviepy's time by compose's median.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT / "shared", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from highlights.render.timeline import (  # noqa: E402
    Background,
    Captions,
    Music,
    Narration,
    Segment,
    StickerOverlay,
    TextOverlay,
    Timeline,
)

WIDTH, HEIGHT, FPS, DURATION, CRF = 1080, 1920, 25, 30.0, 23
SEGMENTS = 6
CAPTIONS = [
    "他终于找到了那把钥匙，门后是十年前的秘密。",
    "The storm is coming tonight, and nobody leaves this island alive.",
    "我们明天一早出发，沿着海岸一路向北。",
    "Every story holds a piece of love, if you look closely enough.",
    "这座城市很大，但总有人在等你。",
    "Sometimes happiness is the small moments we overlook.",
]
TITLE = "高光时刻 · The Best Moments of the Year"


# -- assets ------------------------------------------------------------------------------------


def assets(directory: Path) -> Path:
    """The store folder with the source, music and sticker, and the narration WAVs beside it."""
    from tests.media import LOOK_ORDER, SceneSpec, make_film, make_image, make_tone

    store = directory / "render-store"
    marker = store / ".ready"
    if marker.exists():
        return store
    print("generating the benchmark media (once) ...", flush=True)
    started = time.perf_counter()
    scenes = [
        SceneSpec(4.0, LOOK_ORDER[i % len(LOOK_ORDER)], tone_hz=220 + 40 * i) for i in range(11)
    ]
    make_film(
        store / "films/source-720p.mp4",
        scenes,
        size=(1280, 720),
        fps=25,
        burn_text=False,
        video_args=(
            *("-c:v", "libx264", "-preset", "veryfast"),
            *("-b:v", "3M", "-maxrate", "4M", "-bufsize", "8M"),
        ),
        extra_filters="noise=alls=5:allf=t",
    )
    make_tone(store / "music/theme.m4a", 12.0, frequency=196)
    make_image(store / "stickers/badge.png", (300, 300), look="teal")
    for i in range(SEGMENTS):
        make_tone(directory / "render-narration" / f"n{i}.wav", 3.5, frequency=500 + 50 * i)
    marker.write_text("ok", encoding="utf-8")
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    return store


# Where each segment is cut from the film: in film order (what EnableTemporalOpt gives; the
# segments then share one decoder) or shuffled (subtitle matching; each segment seeks).
ORDERS = {"film": [0, 1, 2, 3, 4, 5], "shuffled": [3, 0, 5, 1, 4, 2]}


def timeline(directory: Path, order: str = "film") -> Timeline:
    step = DURATION / SEGMENTS
    places = ORDERS[order]
    segments = [
        Segment(
            index=i,
            start=i * step,
            duration=step,
            source="films/source-720p.mp4",
            source_in=2.0 + 6.5 * places[i],
            source_out=2.0 + 6.5 * places[i] + step,
            narration=Narration(
                text=CAPTIONS[i],
                audio=str(directory / "render-narration" / f"n{i}.wav"),
                duration=3.5,
            ),
            caption=CAPTIONS[i],
        )
        for i in range(SEGMENTS)
    ]
    return Timeline(
        index=1,
        seed=1,
        width=WIDTH,
        height=HEIGHT,
        fps=FPS,
        duration=DURATION,
        segments=segments,
        title=TextOverlay(text=TITLE, y=0.1),
        captions=Captions(y=0.8),
        stickers=[
            StickerOverlay(
                source="stickers/badge.png", x=0.72, y=0.62, width=240, height=240, opacity=0.8
            )
        ],
        background=Background(kind="blur", radius=0.5),
        music=Music(source="music/theme.m4a", volume=0.2),
    )


# -- the renders (run in a child process) --------------------------------------------------------


def encoding_for(preset: str | None, x264_params: str | None) -> Any:
    """compose()'s default encoding, or the one asked for on the command line."""
    from highlights.render.graph import Encoding

    if not preset:
        return Encoding(crf=CRF)
    return Encoding(preset=preset, crf=CRF, x264_params=x264_params or None)


def render_ffmpeg(args: argparse.Namespace, out: Path, graph_only: bool) -> None:
    directory, preset, x264_params = args.dir, args.preset, args.x264_params
    from highlights.render.compose import compose
    from highlights.render.ffmpeg import ffmpeg_path, filter_script_option
    from highlights.render.fonts import find_fonts
    from highlights.render.gather import gather_media
    from highlights.render.graph import build_passes
    from highlights.render.runner import Pass, run_at_once
    from highlights.storage.local import LocalStore

    store = LocalStore(directory / "render-store")
    tl = timeline(directory, args.order)
    encoding = encoding_for(preset, x264_params)
    if not graph_only:
        compose(tl, store, out, encoding=encoding, chunks=args.chunks)
        return
    passes = build_passes(
        tl, gather_media(tl, store), output=str(out), work_dir=str(out.parent),
        stem="graph-only", fonts=find_fonts()[0], encoding=encoding,
    )  # fmt: skip
    (video,) = passes.pictures
    Path(video.script_path).write_text(video.filter_script, encoding="utf-8")
    argv = [ffmpeg_path(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    argv += [
        *video.input_args,
        *(filter_script_option(), video.script_path, "-map", "[vout]"),
        *("-t", str(passes.duration), "-f", "null", "-"),
    ]
    run_at_once([Pass(argv, "picture graph only")], progress=None, what="graph", timeout=600)


def render_moviepy(args: argparse.Namespace, out: Path) -> None:
    """The same composition with moviepy 2: per-frame numpy/PIL work in Python."""
    import numpy as np
    from moviepy import (
        AudioFileClip,
        CompositeAudioClip,
        CompositeVideoClip,
        ImageClip,
        TextClip,
        VideoFileClip,
        afx,
        concatenate_videoclips,
    )
    from PIL import Image, ImageFilter

    from highlights.render.fonts import find_fonts
    from highlights.render.graph import blur_canvas
    from highlights.render.text import default_font_size, wrap_text

    directory, preset, x264_params = args.dir, args.preset, args.x264_params
    store = directory / "render-store"
    tl = timeline(directory, args.order)
    font = find_fonts()[0].regular.file or find_fonts()[0].bold.file
    sw, sh, box = blur_canvas(WIDTH, HEIGHT, tl.background.radius)

    def blurred(frame: np.ndarray) -> np.ndarray:
        image = Image.fromarray(frame)
        scale = max(sw / image.width, sh / image.height)
        small = image.resize((round(image.width * scale), round(image.height * scale)))
        left, top = (small.width - sw) // 2, (small.height - sh) // 2
        small = small.crop((left, top, left + sw, top + sh)).filter(ImageFilter.BoxBlur(box))
        return np.asarray(small.filter(ImageFilter.BoxBlur(box)).resize((WIDTH, HEIGHT)))

    pieces = []
    for seg in tl.segments:
        clip = VideoFileClip(str(store / seg.source), audio=False).subclipped(
            seg.source_in, seg.source_in + seg.duration
        )
        fg = clip.resized(width=WIDTH)
        bg = clip.image_transform(blurred)
        pieces.append(
            CompositeVideoClip(
                [bg, fg.with_position("center")], size=(WIDTH, HEIGHT)
            ).with_duration(seg.duration)
        )
    video = concatenate_videoclips(pieces)
    layers = [video]
    title_size = default_font_size("title", WIDTH, HEIGHT)
    assert tl.title is not None
    for i, line in enumerate(wrap_text(tl.title.text, title_size, WIDTH * 0.9, balance=True)):
        layers.append(
            TextClip(font=font, text=line, font_size=title_size, color="white",
                     stroke_color="black", stroke_width=6)
            .with_position(("center", round(HEIGHT * 0.1) + i * round(title_size * 1.3)))
            .with_duration(DURATION)
        )  # fmt: skip
    caption_size = default_font_size("caption", WIDTH, HEIGHT)
    for seg in tl.segments:
        assert seg.caption is not None and seg.narration is not None
        lines = wrap_text(seg.caption, caption_size, WIDTH * 0.9, balance=True)
        for i, line in enumerate(lines):
            layers.append(
                TextClip(font=font, text=line, font_size=caption_size, color="white",
                         bg_color=(0, 0, 0, 115), stroke_color="black", stroke_width=3)
                .with_position(("center", round(HEIGHT * 0.8) + i * round(caption_size * 1.3)))
                .with_start(seg.start)
                .with_duration(seg.narration.duration)
            )  # fmt: skip
    sticker = tl.stickers[0]
    layers.append(
        ImageClip(str(store / sticker.source))
        .resized((round(sticker.width), round(sticker.height)))
        .with_opacity(sticker.opacity)
        .with_position((round(sticker.x * WIDTH), round(sticker.y * HEIGHT)))
        .with_duration(DURATION)
    )
    final = CompositeVideoClip(layers, size=(WIDTH, HEIGHT)).with_duration(DURATION)
    assert tl.music is not None
    sounds = [
        AudioFileClip(str(store / tl.music.source))
        .with_effects([afx.AudioLoop(duration=DURATION), afx.AudioFadeOut(2.0)])
        .with_volume_scaled(tl.music.volume)
    ]
    for seg in tl.segments:
        assert seg.narration is not None
        sounds.append(AudioFileClip(seg.narration.audio).with_start(seg.start))
    final = final.with_audio(CompositeAudioClip(sounds).with_duration(DURATION))
    encoding = encoding_for(preset, x264_params)  # the same x264 settings as compose()
    params = ["-crf", str(encoding.crf), "-movflags", "+faststart"]
    if encoding.x264_params:
        params += ["-x264-params", encoding.x264_params]
    final.write_videofile(
        str(out), fps=FPS, codec="libx264", preset=encoding.preset, audio_codec="aac",
        audio_bitrate="128k", audio_fps=48000, threads=2, logger=None,
        ffmpeg_params=params, pixel_format="yuv420p",
    )  # fmt: skip


# -- measuring -----------------------------------------------------------------------------------


def _tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, in KiB, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(child for child, parent in parents.items() if parent == pid)
    return total


@dataclass
class Measure:
    wall: float
    cpu: float
    max_rss_mb: float  # the largest single process
    tree_rss_mb: float  # the whole tree, sampled

    def speed(self) -> float:
        return DURATION / self.wall


def measure(argv: list[str]) -> Measure:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"render failed: {' '.join(argv)}")
    return Measure(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak / 1024)


def child_argv(kind: str, args: argparse.Namespace, out: Path) -> list[str]:
    argv = [sys.executable, __file__, "--child", kind, "--dir", str(args.dir), "--out", str(out)]
    argv += ["--order", args.order]
    if args.chunks:
        argv += ["--chunks", str(args.chunks)]
    if args.preset:
        argv += ["--preset", args.preset, "--x264-params", args.x264_params]
    return argv


def report(name: str, runs: list[Measure]) -> dict[str, float]:
    best = min(runs, key=lambda m: m.wall)
    median = statistics.median(m.wall for m in runs)
    print(
        f"{name:<22} best {best.wall:6.1f} s ({best.speed():5.2f}x real time)  "
        f"median {median:6.1f} s ({DURATION / median:5.2f}x)  cpu {best.cpu:6.1f} s  "
        f"peak rss {best.max_rss_mb:6.0f} MB (tree {best.tree_rss_mb:6.0f} MB)",
        flush=True,
    )
    return {
        "best_s": round(best.wall, 2),
        "median_s": round(median, 2),
        "x_realtime_best": round(best.speed(), 2),
        "x_realtime_median": round(DURATION / median, 2),
        "cpu_s": round(best.cpu, 1),
        "max_rss_mb": round(best.max_rss_mb),
        "tree_rss_mb": round(best.tree_rss_mb),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/highlights-bench"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--order",
        choices=sorted(ORDERS),
        default="film",
        help="segments cut in film order (default) or shuffled",
    )
    parser.add_argument("--chunks", type=int, help="picture passes at once (default: cores)")
    parser.add_argument("--preset", help="x264 preset (default: compose()'s encoding)")
    parser.add_argument("--x264-params", default="", help="x264 options, with --preset")
    parser.add_argument("--no-moviepy", action="store_true")
    parser.add_argument("--graph-only", action="store_true", help="also time the graph alone")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--child", choices=["ffmpeg", "graph", "moviepy"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        os.environ.setdefault("IMAGEIO_FFMPEG_EXE", "/usr/bin/ffmpeg")
        if args.child == "moviepy":
            render_moviepy(args, args.out)
        else:
            render_ffmpeg(args, args.out, args.child == "graph")
        return 0

    assets(args.dir)
    out_dir = args.dir / "render-out"
    out_dir.mkdir(parents=True, exist_ok=True)
    encoding = encoding_for(args.preset, args.x264_params)
    x264 = f"{encoding.preset} {encoding.x264_params or ''} crf {encoding.crf}".replace("  ", " ")
    print(
        f"30 s {WIDTH}x{HEIGHT} from 720p, blurred background, title, captions, sticker, music; "
        f"x264 {x264}; segments in {args.order} order; chunks {args.chunks or 'default'}; "
        f"{os.cpu_count()} cores",
        flush=True,
    )
    figures: dict[str, object] = {
        "x264": x264, "cores": os.cpu_count(), "order": args.order, "chunks": args.chunks,
    }  # fmt: skip
    runs = [measure(child_argv("ffmpeg", args, out_dir / "ffmpeg.mp4")) for _ in range(args.runs)]
    figures["ffmpeg"] = report("compose (ffmpeg)", runs)
    if args.graph_only:
        graph = [measure(child_argv("graph", args, out_dir / "graph.mp4"))]
        figures["graph_only"] = report("picture without x264", graph)
    try:
        import moviepy  # noqa: F401
    except ImportError:
        moviepy_available = False
    else:
        moviepy_available = True
    if args.no_moviepy or not moviepy_available:
        print("moviepy: skipped" + ("" if moviepy_available else " (not installed)"))
    else:
        movie = [measure(child_argv("moviepy", args, out_dir / "moviepy.mp4"))]
        figures["moviepy"] = report("moviepy", movie)
        ratio = movie[0].wall / statistics.median(m.wall for m in runs)
        figures["ratio"] = round(ratio, 1)
        print(f"compose is {ratio:.1f}x faster than moviepy (its median run)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
