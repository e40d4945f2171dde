"""Generated media for the demo and the tests: films with known cuts, tones and still images.

Everything is drawn by ffmpeg's own sources (test patterns, fractals, cellular automata, flat
colours), so the ground truth (where each scene starts, where the black gap and the credits are,
what each scene's dialogue says) is known exactly and nothing is downloaded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from highlights.render.ffmpeg import escape_filter_value, filter_script_option, run_ffmpeg
from highlights.render.fonts import font_file

SegmentKind = Literal["scene", "black", "credits"]

# Scene looks: each is an ffmpeg source (plus filters) with a clearly different picture, so a cut
# between any two of them is an unambiguous shot change. {s} is the frame size, {q} a quarter of
# it for the sources that are costly per pixel (they are scaled up), {r} the frame rate.
LOOKS: dict[str, str] = {
    "testsrc2": "testsrc2=s={s}:r={r}",
    "smptebars": "smptebars=s={s}:r={r}",
    "mandelbrot": "mandelbrot=s={q}:r={r}:maxiter=256,scale={s}",
    "life": (
        "life=s={q}:r={r}:mold=10:ratio=0.4:seed=7:life_color=#33ff88:"
        "death_color=#102040:mold_color=#204060,scale={s}:flags=neighbor"
    ),
    "rgbtestsrc": "rgbtestsrc=s={s}:r={r}",
    "gradients": "gradients=s={s}:r={r}:speed=0.03:seed=3",
    "cellauto": "cellauto=s={s}:r={r}:rule=110:scroll=1,hue=h=200:s=4",
    "amber": "color=c=0xE0A020:s={s}:r={r},drawgrid=w=40:h=40:t=2:c=0x603000",
    "teal": "color=c=0x108080:s={s}:r={r},drawbox=x=40:y=30:w=120:h=80:c=0xF0F0F0:t=fill",
    "violet": "color=c=0x7030C0:s={s}:r={r},drawgrid=w=16:h=90:t=4:c=0xFFD0FF",
}
LOOK_ORDER = tuple(LOOKS)


@dataclass(frozen=True)
class SceneSpec:
    """One segment of a generated film, in order.

    ``kind`` "scene" draws ``look`` with ``dialogue`` burned in (when the film burns text);
    "black" is pure black; "credits" is white ``text`` on black, scrolling up when ``scroll``.
    """

    duration: float
    look: str = "testsrc2"
    dialogue: str | None = None
    kind: SegmentKind = "scene"
    text: str = ""
    scroll: bool = False
    tone_hz: float = 440.0

    @classmethod
    def black(cls, duration: float) -> SceneSpec:
        return cls(duration=duration, kind="black")

    @classmethod
    def credits(cls, duration: float, text: str, *, scroll: bool = False) -> SceneSpec:
        return cls(duration=duration, kind="credits", text=text, scroll=scroll)


@dataclass(frozen=True)
class Segment:
    spec: SceneSpec
    start: float
    end: float

    @property
    def kind(self) -> SegmentKind:
        return self.spec.kind


@dataclass(frozen=True)
class Film:
    """A generated film and its ground truth."""

    path: Path
    segments: tuple[Segment, ...]
    size: tuple[int, int]
    fps: float
    srt: Path | None = None

    @property
    def duration(self) -> float:
        return self.segments[-1].end if self.segments else 0.0

    @property
    def cuts(self) -> list[float]:
        """Every segment boundary inside the film (scene changes, black and credits edges)."""
        return [seg.start for seg in self.segments[1:]]

    def of_kind(self, kind: SegmentKind) -> list[Segment]:
        return [seg for seg in self.segments if seg.kind == kind]


def cjk_font() -> str | None:
    """The Noto CJK font file (fonts-noto-cjk), so burned-in Chinese text renders as glyphs."""
    return font_file()


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def write_srt(path: Path, cues: Sequence[tuple[float, float, str]]) -> Path:
    blocks = [
        f"{i}\n{_srt_time(start)} --> {_srt_time(end)}\n{text}\n"
        for i, (start, end, text) in enumerate(cues, start=1)
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


class _Graph:
    """Accumulates a filter_complex: one video and one audio chain per segment, then concat."""

    def __init__(self, size: tuple[int, int], fps: float, workdir: Path) -> None:
        self.size = size
        self.fps = fps
        self.workdir = workdir
        self.chains: list[str] = []
        self.labels: list[str] = []
        self._texts = 0

    def _textfile(self, text: str) -> str:
        # drawtext reads the text from a file: no escaping of the text itself is needed.
        self._texts += 1
        path = self.workdir / f"text{self._texts}.txt"
        path.write_text(text, encoding="utf-8")
        return escape_filter_value(str(path))

    def drawtext(self, text: str, *, fontsize: int, y: str, box: bool) -> str:
        font = cjk_font()
        parts = [
            f"textfile={self._textfile(text)}",
            "expansion=none",
            "fontcolor=white",
            f"fontsize={fontsize}",
            "line_spacing=4",
            "x=(w-text_w)/2",
            f"y={y}",
        ]
        if font:
            parts.insert(0, f"fontfile={escape_filter_value(font)}")
        if box:
            parts += ["box=1", "boxcolor=black@0.55", "boxborderw=4"]
        return "drawtext=" + ":".join(parts)

    def add(self, index: int, spec: SceneSpec, *, burn_text: bool, with_audio: bool) -> None:
        w, h = self.size
        s = f"{w}x{h}"
        q = f"{max(w // 4, 16)}x{max(h // 4, 16)}"
        r = f"{self.fps:g}"
        d = _seconds(spec.duration)
        fontsize = max(h // 12, 10)
        if spec.kind == "scene":
            if spec.look not in LOOKS:
                raise ValueError(f"unknown look {spec.look!r}; one of {', '.join(LOOKS)}")
            video = [LOOKS[spec.look].format(s=s, q=q, r=r)]
            if burn_text and spec.dialogue:
                video.append(self.drawtext(spec.dialogue, fontsize=fontsize, y="h-th-8", box=True))
        else:
            video = [f"color=c=black:s={s}:r={r}"]
            if spec.kind == "credits" and spec.text:
                # Scrolling credits move up by one frame height over the segment.
                y = f"h-t*{h / spec.duration:.3f}" if spec.scroll else "(h-th)/2"
                video.append(self.drawtext(spec.text, fontsize=fontsize, y=y, box=False))
        video += [f"trim=duration={d}", "setpts=PTS-STARTPTS", "format=yuv420p", "setsar=1"]
        self.chains.append(",".join(video) + f"[v{index}]")
        self.labels.append(f"[v{index}]")
        if with_audio:
            if spec.kind == "black":
                audio = f"anullsrc=r=48000:cl=mono,atrim=duration={d}"
            else:
                audio = f"sine=f={spec.tone_hz:g}:r=48000:d={d},volume=0.25"
            self.chains.append(f"{audio},aformat=sample_rates=48000:channel_layouts=mono[a{index}]")
            self.labels.append(f"[a{index}]")

    def script(self, count: int, with_audio: bool) -> str:
        joined = "".join(self.labels)
        concat = f"{joined}concat=n={count}:v=1:a={1 if with_audio else 0}"
        concat += "[vout][aout]" if with_audio else "[vout]"
        return ";\n".join([*self.chains, concat])


def make_film(
    path: str | Path,
    scenes: Sequence[SceneSpec],
    size: tuple[int, int] = (320, 180),
    fps: float = 25,
    with_audio: bool = True,
    burn_text: bool = True,
    *,
    sidecar_srt: bool = False,
    embed_subtitles: bool = False,
    subtitle_language: str = "chi",
    video_args: Sequence[str] = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "26"),
    extra_filters: str = "",
) -> Film:
    """Render ``scenes`` back to back into ``path`` (an .mp4 or .mkv) and return the truth.

    ``sidecar_srt`` writes ``<stem>.srt`` beside the film with each scene's dialogue as one cue;
    ``embed_subtitles`` muxes the same cues into the file as a subtitle stream (mov_text in MP4,
    SubRip in MKV). ``extra_filters`` is appended to the whole picture (e.g. film grain).
    """
    if not scenes:
        raise ValueError("a film needs at least one segment")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    segments: list[Segment] = []
    t = 0.0
    for spec in scenes:
        # Durations are snapped to whole frames so the truth matches the frames ffmpeg makes.
        frames = max(round(spec.duration * fps), 1)
        end = round(t + frames / fps, 6)
        segments.append(Segment(spec=spec, start=t, end=end))
        t = end
    cues = [
        (seg.start, seg.end, seg.spec.dialogue)
        for seg in segments
        if seg.kind == "scene" and seg.spec.dialogue
    ]
    srt_path = path.with_suffix(".srt") if sidecar_srt else None
    if srt_path is not None:
        write_srt(srt_path, cues)

    with tempfile.TemporaryDirectory(prefix="media-") as tmp:
        workdir = Path(tmp)
        graph = _Graph(size, fps, workdir)
        for i, seg in enumerate(segments):
            snapped = replace(seg.spec, duration=seg.end - seg.start)
            graph.add(i, snapped, burn_text=burn_text, with_audio=with_audio)
        script = graph.script(len(segments), with_audio)
        if extra_filters:
            script = script.replace("[vout]", "[vraw]", 1) + f";\n[vraw]{extra_filters}[vout]"
        script_path = workdir / "graph.txt"
        script_path.write_text(script, encoding="utf-8")

        args: list[str] = []
        if embed_subtitles:
            sub_file = srt_path or write_srt(workdir / "embedded.srt", cues)
            args += ["-i", str(sub_file)]
        args += [filter_script_option(), str(script_path), "-map", "[vout]"]
        if with_audio:
            args += ["-map", "[aout]", "-c:a", "aac", "-b:a", "64k"]
        if embed_subtitles:
            codec = "mov_text" if path.suffix.lower() in {".mp4", ".m4v", ".mov"} else "srt"
            args += [
                "-map",
                "0:s",
                "-c:s",
                codec,
                "-metadata:s:s:0",
                f"language={subtitle_language}",
            ]
        args += [*video_args, "-pix_fmt", "yuv420p", "-r", f"{fps:g}", str(path)]
        # Encoding runs faster than real time even at 1080p; a long benchmark film needs more
        # than the default limit.
        run_ffmpeg(args, what=f"make_film {path.name}", timeout=120 + 10 * t)
    return Film(path=path, segments=tuple(segments), size=size, fps=fps, srt=srt_path)


def make_tone(
    path: str | Path, duration: float = 2.0, *, frequency: float = 440.0, sample_rate: int = 48000
) -> Path:
    """A sine tone; the container follows the suffix (.wav, .m4a, .mp3 ...)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = f"sine=f={frequency:g}:r={sample_rate}:d={_seconds(duration)}"
    run_ffmpeg(["-f", "lavfi", "-i", source, str(path)], what=f"make_tone {path.name}")
    return path


def make_image(
    path: str | Path,
    size: tuple[int, int] = (320, 180),
    *,
    look: str = "smptebars",
    text: str | None = None,
) -> Path:
    """One still picture; the format follows the suffix (.png, .jpg, .webp)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    chain = [LOOKS[look].format(s=f"{w}x{h}", q=f"{max(w // 4, 16)}x{max(h // 4, 16)}", r="25")]
    with tempfile.TemporaryDirectory(prefix="media-") as tmp:
        if text:
            graph = _Graph(size, 25, Path(tmp))
            chain.append(graph.drawtext(text, fontsize=max(h // 10, 10), y="(h-th)/2", box=True))
        args = ["-f", "lavfi", "-i", ",".join(chain), "-frames:v", "1", "-update", "1", str(path)]
        run_ffmpeg(args, what=f"make_image {path.name}")
    return path
