"""compose() end to end: real ffmpeg, small outputs, checked with ffprobe and by looking at frames.

Overlays are found by rendering the same timeline with and without them and comparing frames:
inside the region where the title, a caption or a sticker was placed the pictures must differ,
everywhere else they must not.
"""

from __future__ import annotations

import dataclasses
import json
import math
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from highlights.manifest.vocabulary import EFFECTS, FILTERS, TRANSITIONS
from highlights.render.compose import ComposeResult, compose
from highlights.render.errors import RenderError, ToolError
from highlights.render.ffmpeg import ffmpeg_major_version, ffmpeg_path, run_ffmpeg, run_ffprobe
from highlights.render.fonts import find_fonts
from highlights.render.gather import display_size, gather_media
from highlights.render.graph import Encoding, RenderPasses, build_passes, integrated_loudness
from highlights.render.graph.sound import LOUDNESS_I
from highlights.render.probe import probe
from highlights.render.timeline import (
    Background,
    Captions,
    Music,
    Narration,
    Segment,
    StickerOverlay,
    TextOverlay,
    Timeline,
)
from highlights.storage.local import LocalStore, is_temp_name
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import SceneSpec, make_film, make_image, make_tone

pytestmark = [pytest.mark.media, NEEDS_FFMPEG]

Rect = tuple[int, int, int, int]  # left, top, right, bottom


# -- media and helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(media_dir: Path) -> LocalStore:
    root = media_dir / "compose-store"
    make_film(
        root / "films/colours.mp4",
        [
            SceneSpec(2.0, "amber", tone_hz=330),
            SceneSpec(2.0, "teal", tone_hz=440),
            SceneSpec(2.0, "testsrc2", tone_hz=550),
        ],
        size=(320, 180),
        burn_text=False,
    )
    make_image(root / "img/bg.png", (320, 180), look="violet")
    make_image(root / "img/portrait.png", (90, 160), look="rgbtestsrc")
    make_image(root / "img/sticker.png", (64, 64), look="smptebars")
    make_tone(root / "music/theme.m4a", 1.5, frequency=220)
    return LocalStore(root)


@pytest.fixture(scope="module")
def speech(media_dir: Path) -> Path:
    return make_tone(media_dir / "compose-narration.wav", 1.0, frequency=880)


def timeline(**kw: Any) -> Timeline:
    fields: dict[str, Any] = {
        "index": 1,
        "seed": 7,
        "width": 180,
        "height": 320,
        "duration": 3.0,
        "segments": [
            Segment(index=0, start=0, duration=1.5, source="films/colours.mp4",
                    source_in=0.2, source_out=1.7),
            Segment(index=1, start=1.5, duration=1.5, source="films/colours.mp4",
                    source_in=2.2, source_out=3.7),
        ],
    }  # fmt: skip
    fields.update(kw)
    return Timeline(**fields)


def passes_of(tl: Timeline, store: LocalStore, tmp: Path) -> RenderPasses:
    """The passes compose() runs, to know where it placed things."""
    media = gather_media(tl, store)
    return build_passes(
        tl, media, output=str(tmp / "x.mp4"), work_dir=str(tmp), fonts=find_fonts()[0]
    )


def streams(path: Path) -> dict[str, Any]:
    done = run_ffprobe(["-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)])
    return json.loads(done.stdout)


def check_file(result: ComposeResult, tl: Timeline) -> dict[str, Any]:
    data = streams(result.path)
    kinds = {s["codec_type"]: s for s in data["streams"]}
    video, audio = kinds["video"], kinds["audio"]
    assert (video["codec_name"], video["pix_fmt"]) == ("h264", "yuv420p")
    assert (video["width"], video["height"]) == (result.width, result.height)
    assert audio["codec_name"] == "aac"
    assert float(data["format"]["duration"]) == pytest.approx(tl.duration, abs=0.1)
    assert float(video["duration"]) == pytest.approx(tl.duration, abs=0.1)
    assert result.duration == pytest.approx(tl.duration, abs=0.1)
    return data


def gray(path: Path, t: float, size: tuple[int, int]) -> bytes:
    done = subprocess.run(
        [ffmpeg_path(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    assert len(done.stdout) == size[0] * size[1]
    return done.stdout


def mad(a: bytes, b: bytes, width: int, rect: Rect) -> float:
    """Mean absolute difference of two gray frames inside ``rect``."""
    left, top, right, bottom = rect
    total = count = 0
    for y in range(top, bottom):
        row = y * width
        for x in range(left, right):
            total += abs(a[row + x] - b[row + x])
            count += 1
    return total / max(count, 1)


def mad_outside(a: bytes, b: bytes, size: tuple[int, int], rects: list[Rect], pad: int) -> float:
    width, height = size
    total = count = 0
    for y in range(height):
        for x in range(width):
            if any(r[0] - pad <= x < r[2] + pad and r[1] - pad <= y < r[3] + pad for r in rects):
                continue
            i = y * width + x
            total += abs(a[i] - b[i])
            count += 1
    return total / max(count, 1)


def pcm(path: Path) -> list[float]:
    """The output's sound as mono samples in -1..1, 48 kHz."""
    done = subprocess.run(
        [ffmpeg_path(), "-v", "error", "-i", str(path), "-map", "0:a", "-ac", "1", "-ar", "48000",
         "-f", "s16le", "-"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    count = len(done.stdout) // 2
    return [v / 32768 for v in struct.unpack(f"<{count}h", done.stdout[: count * 2])]


def rms(samples: list[float], start: float, end: float) -> float:
    window = samples[int(start * 48000) : int(end * 48000)]
    return math.sqrt(sum(v * v for v in window) / max(len(window), 1))


def no_temp_files(folder: Path) -> Iterator[str]:
    return (p.name for p in folder.iterdir() if is_temp_name(p.name))


# -- the file --------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunks", [1, 3])
@pytest.mark.parametrize("kind", ["crop", "blur", "image"])
def test_output_matches_the_timeline(
    store: LocalStore,
    tmp_path: Path,
    kind: Literal["crop", "blur", "image"],
    chunks: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from highlights.render.graph import timing

    monkeypatch.setattr(timing, "MIN_CHUNK_SECONDS", 1.0)  # the still gets its own chunk
    tl = timeline(
        duration=3.4,
        segments=[
            Segment(index=0, start=0, duration=1.5, source="films/colours.mp4",
                    source_in=0.2, source_out=1.7, filter="m2"),
            Segment(index=1, start=1.2, duration=1.2, source="films/colours.mp4",
                    source_in=2.2, source_out=3.4, transition="linearblur",
                    transition_duration=0.3, effect="zoomslight"),
            Segment(index=2, start=2.4, duration=1.0, source="img/portrait.png",
                    source_in=0, source_out=1.0),
        ],
        background=Background(kind=kind, image="img/bg.png" if kind == "image" else None),
    )  # fmt: skip
    out = tmp_path / "out" / "highlights_1.mp4"
    result = compose(tl, store, out, chunks=chunks)
    assert result.path == out and (result.width, result.height) == (180, 320)
    media = gather_media(tl, store)
    split = build_passes(tl, media, output="x", work_dir=str(tmp_path), chunks=chunks)
    assert len(split.pictures) == min(chunks, 2)  # a cut only before the still
    data = check_file(result, tl)
    assert int(next(s for s in data["streams"] if s["codec_type"] == "video")["nb_frames"]) == 85
    # Fast start: the index (moov) comes before the media data.
    head = out.read_bytes()[:4096]
    assert 0 <= head.find(b"moov") < 200 and head.find(b"mdat") in (
        -1,
        *range(head.find(b"moov"), 4096),
    )
    assert list(no_temp_files(out.parent)) == []


def test_landscape_output_from_a_portrait_still(store: LocalStore, tmp_path: Path) -> None:
    tl = timeline(
        width=320,
        height=180,
        duration=1.0,
        segments=[Segment(index=0, start=0, duration=1.0, source="img/portrait.png",
                          source_in=0, source_out=1.0)],
    )  # fmt: skip
    result = compose(tl, store, tmp_path / "landscape.mp4")
    check_file(result, tl)
    frame = gray(result.path, 0.5, (320, 180))
    # The picture (rgbtestsrc: bright colour bars) sits in the middle; blurred bars either side.
    middle = mad(frame, bytes(320 * 180), 320, (140, 40, 180, 140))
    assert middle > 40


# -- overlays --------------------------------------------------------------------------------------


def test_title_captions_and_sticker_appear_where_configured(
    store: LocalStore, speech: Path, tmp_path: Path
) -> None:
    base = timeline(
        segments=[
            Segment(index=0, start=0, duration=1.5, source="films/colours.mp4",
                    source_in=0.2, source_out=1.7,
                    narration=Narration(text="我们出发吧 Let's go", audio=str(speech), duration=1.0)),
            Segment(index=1, start=1.5, duration=1.5, source="films/colours.mp4",
                    source_in=2.2, source_out=3.7),
        ],
        background=Background(kind="crop"),
    )  # fmt: skip
    dressed = base.model_copy(
        update={
            "title": TextOverlay(text="高光时刻 Highlights", y=0.08),
            "captions": Captions(y=0.75),
            "stickers": [StickerOverlay(source="img/sticker.png", x=0.55, y=0.4, width=0.3,
                                        height=48, opacity=1.0)],
        }
    )  # fmt: skip
    plain = compose(base, store, tmp_path / "plain.mp4")
    full = compose(dressed, store, tmp_path / "full.mp4")
    check_file(full, dressed)
    passes = passes_of(dressed, store, tmp_path)
    size = (180, 320)
    title = next(t for t in passes.texts if t.role == "title").block.box
    caption = next(t for t in passes.texts if t.role == "caption")
    assert (caption.start, caption.end) == (0.0, 1.0)  # while the narration plays
    cap = caption.block.box
    (sx, sy, sw, sh) = passes.stickers[0]
    sticker = (sx, sy, sx + sw, sy + sh)
    assert sticker == (99, 128, 153, 176)

    during = gray(full.path, 0.5, size), gray(plain.path, 0.5, size)
    after = gray(full.path, 2.2, size), gray(plain.path, 2.2, size)
    assert mad(*during, 180, title) > 10
    assert mad(*after, 180, title) > 10  # the title stays
    assert mad(*during, 180, cap) > 10
    assert mad(*after, 180, cap) < 3  # the caption has gone with its narration
    assert mad(*during, 180, sticker) > 20
    assert mad(*after, 180, sticker) > 20
    assert mad_outside(*during, size, [title, cap, sticker], pad=8) < 3
    assert mad_outside(*after, size, [title, sticker], pad=8) < 3


def test_transition_blends_the_two_segments_during_the_overlap(
    store: LocalStore, tmp_path: Path
) -> None:
    tl = timeline(
        duration=3.2,
        background=Background(kind="crop"),
        segments=[
            Segment(index=0, start=0, duration=2.0, source="films/colours.mp4",
                    source_in=0.0, source_out=2.0),  # amber
            Segment(index=1, start=1.2, duration=2.0, source="films/colours.mp4",
                    source_in=2.0, source_out=4.0, transition="fade", transition_duration=0.8),
        ],
    )  # fmt: skip
    result = compose(tl, store, tmp_path / "fade.mp4")
    check_file(result, tl)
    size = (180, 320)
    whole = (0, 0, 180, 320)
    before, middle, after = (gray(result.path, t, size) for t in (0.6, 1.6, 2.6))
    assert mad(before, after, 180, whole) > 30  # amber and teal really differ
    assert mad(middle, before, 180, whole) > 10
    assert mad(middle, after, 180, whole) > 10
    halfway = bytes((a + b) // 2 for a, b in zip(before, after, strict=True))
    assert mad(middle, halfway, 180, whole) < mad(before, after, 180, whole) / 4


def test_every_transition_filter_and_effect_renders(store: LocalStore, tmp_path: Path) -> None:
    """All the mapping tables through real ffmpeg 5.1 at once, on a tiny canvas."""
    transitions, filters, effects = sorted(TRANSITIONS), sorted(FILTERS), sorted(EFFECTS)
    count = max(len(transitions) + 1, len(filters), len(effects))
    step, overlap = 0.48, 0.16
    segments = [
        Segment(
            index=i, start=i * step, duration=step + overlap, source="img/bg.png",
            source_in=0, source_out=1, filter=filters[i % len(filters)],
            effect=effects[i % len(effects)],
            transition=transitions[i - 1] if 0 < i <= len(transitions) else None,
            transition_duration=overlap,
        )
        for i in range(count)
    ]  # fmt: skip
    tl = timeline(
        width=64, height=112, duration=(count - 1) * step + step + overlap, segments=segments
    )
    result = compose(tl, store, tmp_path / "all.mp4", work_dir=tmp_path / "work")
    check_file(result, tl)
    skipped = {w.split("'")[1] for w in result.warnings if "skipped" in w}
    assert skipped == {"image_in_image", "starfieldshinee"}


# -- sound -----------------------------------------------------------------------------------------


def test_narration_over_looped_music_faded_out_and_never_clipping(
    store: LocalStore, speech: Path, tmp_path: Path
) -> None:
    tl = timeline(
        duration=4.0,
        segments=[
            Segment(index=0, start=0, duration=1.2, source="films/colours.mp4",
                    source_in=0, source_out=1.2),
            Segment(index=1, start=1.2, duration=2.8, source="films/colours.mp4",
                    source_in=2.0, source_out=4.8,
                    narration=Narration(text="x", audio=str(speech), duration=1.0)),
        ],
        music=Music(source="music/theme.m4a", volume=0.2),
    )  # fmt: skip
    result = compose(tl, store, tmp_path / "sound.mp4")
    check_file(result, tl)
    samples = pcm(result.path)
    music_only = rms(samples, 0.3, 1.1)
    with_speech = rms(samples, 1.35, 2.1)
    assert music_only > 0.005  # the 1.5 s music is still playing at 0.3-1.1 s ...
    assert rms(samples, 2.5, 3.0) > 0.005  # ... and, looped, after its end
    assert with_speech > 2.5 * music_only  # narration at 1.0 over music at 0.2
    assert rms(samples, 3.85, 4.0) < 0.5 * rms(samples, 2.3, 2.8)  # faded out at the end
    assert max(abs(v) for v in samples) < 0.95  # limited below full scale
    # Delivered at the target loudness, whatever the mix measured.
    assert measured_loudness(result.path, tmp_path) == pytest.approx(LOUDNESS_I, abs=1.0)


def measured_loudness(path: Path, tmp: Path) -> float | None:
    readings = tmp / "readings.txt"
    run_ffmpeg(["-v", "error", "-i", str(path), "-af",
                f"ebur128=metadata=1,ametadata=mode=print:key=lavfi.r128.I:file={readings}",
                "-f", "null", "-"])  # fmt: skip
    return integrated_loudness(readings.read_text())


def test_source_sound_is_muted_by_default_and_silence_is_still_a_track(
    store: LocalStore, tmp_path: Path
) -> None:
    muted = compose(timeline(), store, tmp_path / "muted.mp4")
    check_file(muted, timeline())
    assert max(abs(v) for v in pcm(muted.path)) < 1e-3
    loud = timeline().model_copy(
        update={
            "segments": [s.model_copy(update={"source_volume": 1.0}) for s in timeline().segments]
        }
    )
    played = compose(loud, store, tmp_path / "played.mp4")
    assert rms(pcm(played.path), 0.3, 1.2) > 0.01


# -- modes, progress, failures ----------------------------------------------------------------------


def test_preview_is_smaller_and_progress_is_reported(store: LocalStore, tmp_path: Path) -> None:
    tl = timeline(width=720, height=1280, duration=2.0, title=TextOverlay(text="Preview", y=0.1),
                  segments=[Segment(index=0, start=0, duration=2.0, source="films/colours.mp4",
                                    source_in=4.0, source_out=6.0)])  # fmt: skip
    seen: list[tuple[float, str]] = []
    preview = compose(tl, store, tmp_path / "preview.mp4", preview=True)
    final = compose(tl, store, tmp_path / "final.mp4", progress=lambda f, m: seen.append((f, m)))
    assert (preview.width, preview.height) == (360, 640) and preview.preview
    assert (final.width, final.height) == (720, 1280)
    check_file(preview, tl)
    assert preview.path.stat().st_size < final.path.stat().st_size / 2
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert len(fractions) >= 3
    assert any(0 < f < 1 for f in fractions) or final.elapsed < 0.5  # reports every 0.25 s


def test_a_failed_render_leaves_the_previous_output_and_no_temp_file(
    store: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"previous")
    import highlights.render.compose as module

    real = module.build_passes

    def broken(*args: Any, **kwargs: Any) -> RenderPasses:
        passes = real(*args, **kwargs)
        last = passes.pictures[-1]
        script = last.filter_script.replace("format=yuv420p[vout]", "nosuchfilter[vout]")
        pictures = (*passes.pictures[:-1], dataclasses.replace(last, filter_script=script))
        return dataclasses.replace(passes, pictures=pictures)

    monkeypatch.setattr(module, "build_passes", broken)
    with pytest.raises(ToolError) as caught:
        compose(timeline(), store, out)
    assert "nosuchfilter" in str(caught.value)
    assert out.read_bytes() == b"previous"
    assert list(no_temp_files(tmp_path)) == []


def test_a_pass_that_reaches_its_size_bound_fails_the_render(
    store: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ffmpeg stops writing at -fs and exits 0: only the size tells a runaway pass."""
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"previous")
    import highlights.render.compose as module

    real = module.build_passes

    def tight(*args: Any, **kwargs: Any) -> RenderPasses:
        passes = real(*args, **kwargs)
        first = passes.pictures[0]
        where = first.output_args.index("-fs")
        output_args = [*first.output_args[: where + 1], "2000", *first.output_args[where + 2 :]]
        bounded = dataclasses.replace(first, output_args=output_args, max_bytes=2000)
        return dataclasses.replace(passes, pictures=(bounded, *passes.pictures[1:]))

    monkeypatch.setattr(module, "build_passes", tight)
    with pytest.raises(RenderError, match="reached its size bound"):
        compose(timeline(), store, out)
    assert out.read_bytes() == b"previous"
    assert list(no_temp_files(tmp_path)) == []


def test_missing_media_is_reported_before_rendering(store: LocalStore, tmp_path: Path) -> None:
    tl = timeline(segments=[Segment(index=0, start=0, duration=1, source="films/none.mp4",
                                    source_in=0, source_out=1)], duration=1.0)  # fmt: skip
    with pytest.raises(RenderError, match="not in the store"):
        compose(tl, store, tmp_path / "x.mp4")
    narrated = timeline(segments=[Segment(index=0, start=0, duration=1, source="films/colours.mp4",
                                          source_in=0, source_out=1,
                                          narration=Narration(text="a", audio="/nope.wav",
                                                              duration=1))], duration=1.0)  # fmt: skip
    with pytest.raises(RenderError, match="narration audio"):
        compose(narrated, store, tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


def test_display_size_follows_rotation_and_sample_aspect(tmp_path: Path) -> None:
    plain = tmp_path / "plain.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=0.2", "-c:v", "libx264", str(plain)]
    )
    rotated = tmp_path / "rotated.mp4"
    major = ffmpeg_major_version()
    if major is not None and major < 7:  # 7.0 replaced the rotate tag by a display matrix
        run_ffmpeg(["-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated)])
    else:
        run_ffmpeg(["-display_rotation", "90", "-i", str(plain), "-c", "copy", str(rotated)])
    wide = tmp_path / "anamorphic.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=0.2", "-vf", "setsar=4/3",
                "-c:v", "libx264", str(wide)])  # fmt: skip
    assert (display_size(probe(plain)).width, display_size(probe(plain)).height) == (320, 180)
    turned = display_size(probe(rotated))
    assert (turned.width, turned.height) == (180, 320)
    stretched = display_size(probe(wide))
    assert (stretched.width, stretched.height) == (427, 180)


# -- passes: shared decoding, chunks run at once, the join ----------------------------------------


def frame_hashes(path: Path) -> list[str]:
    """The MD5 of every decoded picture (ffmpeg's framemd5 muxer)."""
    done = run_ffmpeg(["-v", "error", "-i", str(path), "-map", "0:v", "-f", "framemd5", "-"])
    return [line.rsplit(",", 1)[1].strip() for line in done.stdout.splitlines() if line[:1] != "#"]


def psnr_per_frame(ours: Path, theirs: Path, tmp: Path) -> list[float]:
    stats = tmp / "psnr.log"
    run_ffmpeg(["-v", "error", "-i", str(ours), "-i", str(theirs), "-lavfi",
                f"[0:v][1:v]psnr=stats_file={stats}", "-f", "null", "-"])  # fmt: skip
    values = [line.split("psnr_avg:")[1].split()[0] for line in stats.read_text().splitlines()]
    return [math.inf if v == "inf" else float(v) for v in values]


@pytest.mark.parametrize("transition", [None, "fade"])
def test_chunks_and_shared_decoding_give_the_frames_of_one_pass(
    store: LocalStore,
    tmp_path: Path,
    speech: Path,
    monkeypatch: pytest.MonkeyPatch,
    transition: str | None,
) -> None:
    from highlights.render.graph import picture, timing

    # Five segments read the film forward (0.1 s apart): one shared input per chunk. A
    # transition, captions, a title and a sticker, so overlays are timed within each chunk.
    ins = [0.0, 1.1, 2.2, 3.3, 4.4]
    segments = [
        Segment(index=i, start=1.0 * i, duration=1.0, source="films/colours.mp4",
                source_in=t, source_out=t + 1.0, caption=f"c{i}",
                narration=Narration(text=f"n{i}", audio=str(speech), duration=0.6))
        for i, t in enumerate(ins)
    ]  # fmt: skip
    segments[3] = segments[3].model_copy(update={"transition": transition, "start": 2.8})
    segments[4] = segments[4].model_copy(update={"start": 3.8})
    tl = timeline(
        duration=4.8,
        segments=segments,
        title=TextOverlay(text="Chunks", y=0.1),
        captions=Captions(y=0.8),
        stickers=[StickerOverlay(source="img/sticker.png", x=0.5, y=0.5, width=40, height=40)],
    )
    lossless = Encoding(preset="ultrafast", crf=0, x264_params="qp=0")  # qp 0: lossless
    monkeypatch.setattr(timing, "MIN_CHUNK_SECONDS", 1.0)
    monkeypatch.setattr(picture, "SHARE_GAP", 3.0)
    split = passes_of(tl, store, tmp_path)
    assert len(build_passes(tl, gather_media(tl, store), output="x", work_dir=str(tmp_path),
                          chunks=3).pictures) == 3  # fmt: skip
    assert len(split.pictures[0].inputs) == 2  # the film once, the sticker
    chunked = compose(tl, store, tmp_path / "chunked.mp4", chunks=3, encoding=lossless)
    monkeypatch.setattr(picture, "SHARE_GAP", -1.0)  # every segment seeks on its own
    single = compose(tl, store, tmp_path / "single.mp4", chunks=1, encoding=lossless)
    for result in (chunked, single):
        check_file(result, tl)
    ours, theirs = frame_hashes(chunked.path), frame_hashes(single.path)
    assert len(ours) == len(theirs) == 120  # 4.8 s at 25 fps
    if transition is None:
        assert ours == theirs  # lossless: the very same pictures
    else:
        # ffmpeg negotiates pixel formats per graph, and a graph with an xfade converts a
        # little differently (+-1 in a few values): the same pictures, not the same bytes.
        # A frame out of place would be far below 40 dB on this moving film.
        assert min(psnr_per_frame(chunked.path, single.path, tmp_path)) > 40
    assert list(no_temp_files(tmp_path)) == []
    assert not list(tmp_path.glob("*.video*.mp4")) and not list(tmp_path.glob("*.m4a"))


def test_a_failing_chunk_stops_the_others_and_leaves_nothing(
    store: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import highlights.render.compose as module
    from highlights.render.graph import timing

    monkeypatch.setattr(timing, "MIN_CHUNK_SECONDS", 1.0)
    real = module.build_passes

    def first_chunk_broken(*args: Any, **kwargs: Any) -> RenderPasses:
        passes = real(*args, **kwargs)
        first = passes.pictures[0]
        script = first.filter_script.replace("format=yuv420p[vout]", "nosuchfilter[vout]")
        pictures = (dataclasses.replace(first, filter_script=script), *passes.pictures[1:])
        return dataclasses.replace(passes, pictures=pictures)

    monkeypatch.setattr(module, "build_passes", first_chunk_broken)
    out = tmp_path / "out" / "x.mp4"
    with pytest.raises(ToolError) as caught:
        compose(timeline(), store, out, chunks=2, work_dir=tmp_path / "work")
    assert "picture 1/2" in str(caught.value) and "nosuchfilter" in str(caught.value)
    assert not out.exists() and list(no_temp_files(out.parent)) == []
    left = sorted(p.name for p in (tmp_path / "work").iterdir())
    assert all(name.endswith(".txt") for name in left), left  # only the scripts are kept
