"""Building the ffmpeg command for a timeline, without running ffmpeg."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest

from highlights.render.ffmpeg import PLAIN_DEMUXERS
from highlights.render.graph import (
    LIMIT,
    Encoding,
    FfmpegPass,
    Fonts,
    FontSpec,
    RenderPasses,
    TimelineError,
    blur_canvas,
    build_passes,
    canvas_size,
    caption_windows,
    fit_geometry,
    frame_rate,
    frame_segments,
    integrated_loudness,
    loudness_gain,
    rate_text,
    sound_pass,
    text_band,
)
from highlights.render.probe import MediaInfo
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

# -- a small filtergraph parser: labels and filters of each statement -----------------------------

KNOWN_FILTERS = frozenset(
    [
        "fps",
        "tpad",
        "trim",
        "setpts",
        "split",
        "crop",
        "scale",
        "setsar",
        "boxblur",
        "format",
        "vstack",
        "hstack",
        "overlay",
        "loop",
        "null",
        "nullsink",
        "concat",
        "xfade",
        "settb",
        "eq",
        "hue",
        "lutyuv",
        "curves",
        "vignette",
        "fade",
        "color",
        "drawbox",
        "avgblur",
        "rgbashift",
        "colorchannelmixer",
        "drawtext",
        "aformat",
        "atrim",
        "volume",
        "afade",
        "adelay",
        "asetpts",
        "anullsrc",
        "amix",
        "asplit",
        "ebur128",
        "ametadata",
        "anullsink",
    ]
)
SOURCES = frozenset({"color", "anullsrc"})


def split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside quotes, honouring backslash escapes (filtergraph syntax)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char == "'":
            quoted = not quoted
        if char == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


@dataclass
class Statement:
    inputs: list[str]
    filters: list[tuple[str, str]]  # (name, arguments)
    outputs: list[str]

    def names(self) -> list[str]:
        return [name for name, _ in self.filters]


_STATEMENT = re.compile(r"^((?:\[[^\]]+\])*)(.*?)((?:\[[^\]]+\])*)$", re.S)


def parse_script(script: str) -> list[Statement]:
    statements = []
    for text in script.strip().split(";\n"):
        match = _STATEMENT.match(text.strip())
        assert match, text
        ins, chain, outs = match.groups()
        filters = []
        for part in split_top(chain, ","):
            name, _, args = part.partition("=")
            filters.append((name, args))
        statements.append(
            Statement(re.findall(r"\[([^\]]+)\]", ins), filters, re.findall(r"\[([^\]]+)\]", outs))
        )
    return statements


def check_pass(part: FfmpegPass, outputs: set[str]) -> list[Statement]:
    """Every label is made once and used once; inputs exist; filters are known ffmpeg 5.1 ones."""
    statements = parse_script(part.filter_script)
    made: dict[str, int] = {}
    used: dict[str, int] = {}
    for st in statements:
        for label in st.outputs:
            made[label] = made.get(label, 0) + 1
        for label in st.inputs:
            if re.fullmatch(r"\d+:[va]", label):
                assert int(label.split(":")[0]) < len(part.inputs), label
            else:
                used[label] = used.get(label, 0) + 1
        if not st.inputs:
            assert st.names()[0] in SOURCES, st
        for name in st.names():
            assert name in KNOWN_FILTERS, name
    assert all(count == 1 for count in made.values()), made
    assert set(used) | outputs == set(made), set(made) ^ set(used)
    assert all(count == 1 for count in used.values()), used
    assert part.input_args.count("-i") == len(part.inputs)
    check_inputs(part.input_args)
    assert part.max_bytes > 0 and arg_after(part.output_args, "-fs") == str(part.max_bytes)
    return statements


def check_inputs(args: list[str]) -> None:
    """Every input is a local file read by one plain demuxer, or the engine's own lavfi source:
    the whitelists come first among its options, and a demuxer is forced when it is known."""
    begin = 0
    for at, arg in enumerate(args):
        if arg != "-i":
            continue
        options = args[begin:at]
        begin = at + 2
        if options[:4] == ["-format_whitelist", "lavfi", "-f", "lavfi"]:
            assert args[at + 1].startswith("anullsrc="), args[at + 1]
            continue
        assert options[:3] == ["-protocol_whitelist", "file", "-format_whitelist"], options
        allowed = options[3].split(",")
        assert set(allowed) <= PLAIN_DEMUXERS and "image2" not in allowed, allowed
        if len(allowed) == 1:
            assert options[4:6] == ["-f", allowed[0]], options


def check_graph(passes: RenderPasses) -> list[Statement]:
    """Each pass well formed (``check_pass``); the statements of all passes, pictures first."""
    statements = [st for part in passes.pictures for st in check_pass(part, {"vout"})]
    return statements + check_pass(passes.audio, {"aout"})


def picture_args(passes: RenderPasses) -> list[str]:
    (picture,) = passes.pictures
    return picture.args()


def find(statements: list[Statement], name: str) -> list[tuple[Statement, str]]:
    """(statement, arguments) of every use of the filter ``name``."""
    return [(st, args) for st in statements for n, args in st.filters if n == name]


def unquote(text: str) -> str:
    """One level of ffmpeg's unescaping (av_get_token): '...' is literal, backslash escapes."""
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "'":
                quoted = False
            else:
                out.append(char)
        elif char == "'":
            quoted = True
        elif char == "\\" and i + 1 < len(text):
            i += 1
            out.append(text[i])
        else:
            out.append(char)
        i += 1
    return "".join(out)


def options(args: str) -> dict[str, str]:
    """A filter's options as ffmpeg reads them: graph level, then option level."""
    found = {}
    for item in split_top(unquote(args), ":"):
        key, _, value = item.partition("=")
        found[key] = unquote(value)
    return found


# -- fixtures ------------------------------------------------------------------------------------

MP4 = "mov,mp4,m4a,3gp,3g2,mj2"  # what ffprobe calls the demuxer of MP4 and M4A files


def video(
    path: str = "/store/film.mp4", size: tuple[int, int] = (320, 180), **kw: Any
) -> MediaInfo:
    return MediaInfo(
        path=path,
        kind="video",
        duration=kw.get("duration", 120.0),
        width=size[0],
        height=size[1],
        fps=25.0,
        has_audio=kw.get("audio", True),
        format_name=MP4,
    )


def still(path: str, size: tuple[int, int] = (320, 180)) -> MediaInfo:
    return MediaInfo(path, "image", None, size[0], size[1], None, False, format_name="png_pipe")


def sound(path: str, duration: float = 2.0, audio: bool = True) -> MediaInfo:
    found = "wav" if path.endswith(".wav") else MP4
    return MediaInfo(path, "audio", duration, None, None, None, audio, format_name=found)


MEDIA: dict[str, MediaInfo] = {
    "film.mp4": video(),
    "portrait.mp4": video("/store/portrait.mp4", (180, 320)),
    "square.mp4": video("/store/square.mp4", (360, 640)),
    "mute.mp4": video("/store/mute.mp4", audio=False),
    "still.png": still("/store/still.png"),
    "bg.png": still("/store/bg.png", (640, 480)),
    "logo.png": still("/store/logo.png", (100, 50)),
    "music.m4a": sound("/store/music.m4a", 7.0),
    "/work/n0.wav": sound("/work/n0.wav", 1.2),
    "/work/n1.wav": sound("/work/n1.wav", 3.0),
}


def seg(index: int, start: float, duration: float, **kw: Any) -> Segment:
    fields: dict[str, Any] = {
        "index": index,
        "start": start,
        "duration": duration,
        "source": "film.mp4",
        "source_in": 10.0 * index,
        "source_out": 10.0 * index + duration,
    }
    fields.update(kw)
    return Segment(**fields)


def timeline(segments: list[Segment] | None = None, **kw: Any) -> Timeline:
    segments = segments or [seg(0, 0, 2.0), seg(1, 2.0, 2.0)]
    fields: dict[str, Any] = {
        "index": 1,
        "seed": 1,
        "width": 360,
        "height": 640,
        "duration": segments[-1].start + segments[-1].duration,
        "segments": segments,
    }
    fields.update(kw)
    return Timeline(**fields)


def passes_for(tl: Timeline, **kw: Any) -> RenderPasses:
    cjk = "Noto Sans CJK SC"
    kw.setdefault("fonts", Fonts(FontSpec(family=cjk), FontSpec(family=cjk, style="Bold")))
    return build_passes(tl, MEDIA, output="/out/.x.tmp", work_dir="/work", **kw)


def arg_after(args: list[str], flag: str) -> str:
    """The value of the last ``flag`` (output options come after the inputs')."""
    return args[len(args) - 1 - args[::-1].index(flag) + 1]


# -- timing --------------------------------------------------------------------------------------


def test_frame_rates() -> None:
    assert rate_text(frame_rate(25)) == "25"
    assert rate_text(frame_rate(30000 / 1001)) == "30000/1001"
    assert rate_text(frame_rate(23.976)) == "2997/125"
    with pytest.raises(TimelineError):
        frame_rate(0)


def test_cuts_tile_the_output_exactly() -> None:
    tl = timeline([seg(0, 0, 1.5), seg(1, 1.5, 2.02), seg(2, 3.52, 1.0)])
    framed, warnings = frame_segments(tl, Fraction(25))
    assert [(p.start_frame, p.frames, p.overlap) for p in framed] == [
        (0, 38, 0),
        (38, 50, 0),
        (88, 25, 0),
    ]
    assert sum(p.frames for p in framed) == round(tl.duration * 25)
    assert warnings == []


def test_a_transition_overlaps_the_segments_by_its_duration() -> None:
    tl = timeline(
        [
            seg(0, 0, 3.0),
            seg(1, 2.5, 3.0, transition="fade", transition_duration=0.5),
            seg(2, 5.5, 2.0),
        ]
    )
    framed, _ = frame_segments(tl, Fraction(25))
    assert [(p.start_frame, p.frames, p.overlap, p.transition) for p in framed] == [
        (0, 75, 0, None),
        (63, 75, 12, "fade"),  # 2.5 s is frame 62.5: halves round up
        (138, 50, 0, None),
    ]
    assert framed[-1].end_frame == round(tl.duration * 25)


def test_a_transition_without_overlap_becomes_a_cut_with_a_warning() -> None:
    tl = timeline([seg(0, 0, 2.0), seg(1, 2.0, 2.0, transition="fade")])
    framed, warnings = frame_segments(tl, Fraction(25))
    assert framed[1].overlap == 0 and framed[1].transition is None
    assert "cut instead" in warnings[0]


def test_overlaps_and_gaps_at_cuts_are_absorbed_by_the_previous_segment() -> None:
    tl = timeline([seg(0, 0, 2.5), seg(1, 2.0, 1.0), seg(2, 3.5, 1.0)])
    framed, _ = frame_segments(tl, Fraction(25))
    # 0 runs past 1's start (cut there); 1 stops short of 2's start (held until then).
    assert [(p.start_frame, p.frames) for p in framed] == [(0, 50), (50, 38), (88, 25)]


def test_timeline_duration_wins_over_the_last_segment() -> None:
    tl = timeline([seg(0, 0, 2.0), seg(1, 2.0, 2.0)], duration=5.0)
    framed, warnings = frame_segments(tl, Fraction(25))
    assert framed[-1].end_frame == 125
    assert "held" in warnings[0]


def test_unknown_transition_falls_back_to_a_fade() -> None:
    tl = timeline([seg(0, 0, 2.0), seg(1, 1.5, 2.0, transition="sparkles")])
    framed, warnings = frame_segments(tl, Fraction(25))
    assert framed[1].transition == "fade"
    assert "sparkles" in warnings[0]


def test_segments_out_of_order_are_refused() -> None:
    tl = timeline([seg(0, 0, 2.0), seg(1, 0.0, 0.01)], duration=2.0)
    with pytest.raises(TimelineError):
        frame_segments(tl, Fraction(25))
    with pytest.raises(TimelineError):
        frame_segments(
            timeline([seg(0, 0, 2.0), seg(1, 0.5, 1.0, transition="fade")]), Fraction(25)
        )


# -- picture: fitting and backgrounds -------------------------------------------------------------


def test_fit_geometry() -> None:
    wide = fit_geometry((1280, 720), (1080, 1920))
    assert wide.axis == "v" and wide.size == (1080, 608)
    assert wide.bars is not None
    t, b = wide.bars
    assert t == (0, 0, 1080, 656) and b == (0, 1264, 1080, 656)
    assert t[3] + wide.size[1] + b[3] == 1920
    tall = fit_geometry((720, 1280), (1920, 1080))
    assert tall.axis == "h" and tall.size[1] == 1080
    assert tall.bars is not None
    assert sum(bar[2] for bar in tall.bars) + tall.size[0] == 1920
    assert fit_geometry((1080, 1920), (540, 960)).axis == "full"


def test_blur_canvas() -> None:
    assert blur_canvas(1080, 1920, 0.5) == (270, 480, 22)
    assert blur_canvas(360, 640, 0.5)[:2] == (180, 320)  # half size for small outputs
    assert blur_canvas(1080, 1920, 0)[2] == 0
    sw, sh, box = blur_canvas(1080, 1920, 1.0)
    assert box <= min(sw, sh) // 4 - 1  # boxblur's chroma limit


def test_crop_background_scales_and_crops_without_blur() -> None:
    passes = passes_for(timeline(background=Background(kind="crop")))
    statements = check_graph(passes)
    assert not find(statements, "boxblur") and not find(statements, "vstack")
    crops = [args for _, args in find(statements, "crop")]
    assert len(crops) == 2 and all("min(iw,ih*360/640/sar)" in c for c in crops)
    assert ("scale", "360:640") in statements[0].filters


def test_blur_background_stacks_blurred_bars_around_the_picture() -> None:
    passes = passes_for(timeline(background=Background(kind="blur", radius=0.5)))
    statements = check_graph(passes)
    box = blur_canvas(360, 640, 0.5)[2]
    blurs = find(statements, "boxblur")
    assert len(blurs) == 2 and blurs[0][1] == f"{box}:2"
    stacks = find(statements, "vstack")
    assert len(stacks) == 2
    fg = fit_geometry((320, 180), (360, 640))
    assert any(("scale", f"{fg.size[0]}:{fg.size[1]}") in st.filters for st in statements)
    # The bars are cut from the reduced blurred copy and scaled up to their place.
    bars = [args for _, args in find(statements, "scale") if args.endswith(":flags=bilinear")]
    assert fg.bars is not None
    assert {b.split(":flags")[0] for b in bars} == {f"{r[2]}:{r[3]}" for r in fg.bars}


def test_blur_background_beside_a_portrait_source_on_a_landscape_canvas() -> None:
    tl = timeline([seg(0, 0, 2.0, source="portrait.mp4")], width=640, height=360)
    statements = check_graph(passes_for(tl))
    assert find(statements, "hstack") and not find(statements, "vstack")


def test_a_source_of_the_canvas_shape_needs_no_background() -> None:
    tl = timeline([seg(0, 0, 2.0, source="square.mp4")])
    statements = check_graph(passes_for(tl))
    assert not find(statements, "boxblur") and not find(statements, "vstack")


def test_unknown_source_size_falls_back_to_an_overlay() -> None:
    media = dict(MEDIA)
    media["odd.mp4"] = MediaInfo("/store/odd.mp4", "video", 60.0, None, None, None, False)
    tl = timeline([seg(0, 0, 2.0, source="odd.mp4")])
    passes = build_passes(tl, media, output="/o.mp4", work_dir="/w")
    statements = check_graph(passes)
    overlay = find(statements, "overlay")
    assert overlay and "x=(W-w)/2" in overlay[0][1]


def test_image_background_is_decoded_once_and_split_per_segment() -> None:
    tl = timeline(background=Background(kind="image", image="bg.png"))
    passes = passes_for(tl)
    statements = check_graph(passes)
    (picture,) = passes.pictures
    assert picture.inputs.count("/store/bg.png") == 1
    (once,) = [st for st in statements if st.inputs == ["0:v"]]
    assert once.outputs == ["bgi0", "bgi1"] and ("split", "2") in once.filters
    assert ("scale", "360:640") in once.filters  # scaled to cover once, not per frame
    assert len(find(statements, "loop")) == 4  # two bars per segment, repeated
    assert not find(statements, "boxblur")


def test_image_background_without_an_image_falls_back_to_blur() -> None:
    passes = passes_for(timeline(background=Background(kind="image")))
    assert find(check_graph(passes), "boxblur")
    assert any("without an image" in w for w in passes.warnings)


def test_each_segment_is_seeked_and_normalised() -> None:
    tl = timeline([seg(0, 0, 2.0, source_in=0.0, source_out=2.0), seg(1, 2.0, 2.0)], fps=30)
    passes = passes_for(tl)
    statements = check_graph(passes)
    args = picture_args(passes)
    first = args.index("-i")
    assert "-ss" not in args[:first]  # a source_in of 0 needs no seek
    assert args[first - 2 : first] == ["-t", "2.2"]
    second = args.index("-i", first + 1)
    assert args[second - 4 : second] == ["-ss", "10", "-t", "2.2"]
    head = statements[0]
    assert head.inputs == ["0:v"]
    assert head.filters[:4] == [
        ("fps", "30"),
        ("tpad", "stop_mode=clone:stop_duration=3"),
        ("trim", "end_frame=60"),
        ("setpts", "N"),
    ]
    (fg,) = [st for st in statements if st.inputs == ["front0"]]
    assert fg.filters == [("scale", "360:202"), ("setsar", "1"), ("format", "yuv420p")]


def test_a_still_segment_is_composed_once_and_repeated() -> None:
    tl = timeline([seg(0, 0, 2.0), seg(1, 2.0, 1.0, source="still.png")])
    passes = passes_for(tl)
    statements = check_graph(passes)
    loops = find(statements, "loop")
    assert len(loops) == 1 and loops[0][1] == "loop=-1:size=1"
    # Picture and blurred bars are stacked on the one decoded frame, then it is repeated.
    stacked = loops[0][0]
    assert stacked.names() == ["vstack", "format", "loop", "trim", "setpts"]
    assert ("trim", "end_frame=25") in stacked.filters
    args = picture_args(passes)
    i = args.index("/store/still.png")
    assert args[i - 1] == "-i" and args[i - 2] != "-t"


def test_a_short_source_range_holds_the_last_frame_with_a_warning() -> None:
    tl = timeline([seg(0, 0, 3.0, source_in=0, source_out=1.0)])
    passes = passes_for(tl)
    assert any("last frame is held" in w for w in passes.warnings)


def test_a_segment_without_picture_is_refused() -> None:
    tl = timeline([seg(0, 0, 2.0, source="music.m4a")])
    with pytest.raises(TimelineError):
        passes_for(tl)
    with pytest.raises(TimelineError):
        passes_for(timeline([seg(0, 0, 2.0, source="missing.mp4")]))


# -- joining ------------------------------------------------------------------------------------


def test_transitions_become_xfade_at_exact_offsets_and_cuts_concat() -> None:
    tl = timeline(
        [
            seg(0, 0, 3.0),
            seg(1, 3.0, 2.0),
            seg(2, 4.5, 2.0, transition="linearblur", transition_duration=0.5),
            seg(3, 6.5, 2.0),
            seg(4, 8.0, 2.0, transition="dreamyzoom", transition_duration=0.5),
        ]
    )
    passes = passes_for(tl)
    statements = check_graph(passes)
    xfades = find(statements, "xfade")
    assert [options(args) for _, args in xfades] == [
        {"transition": "hblur", "duration": "0.48", "offset": "4.52"},
        {"transition": "zoomin", "duration": "0.52", "offset": "8"},
    ]
    concats = find(statements, "concat")
    # Segments 0 and 1 are concatenated before the first xfade, 2 and 3 before the second.
    assert [c[0].inputs for c in concats] == [["s0", "s1"], ["j1", "s3"]]
    assert all("settb=1/(25)" in ",".join(f"{n}={a}" for n, a in c[0].filters) for c in concats)
    assert passes.frames == 250


def test_xfade_offsets_match_the_segment_plan() -> None:
    tl = timeline(
        [
            seg(0, 0, 2.0),
            seg(1, 1.6, 2.0, transition="fade"),
            seg(2, 3.2, 2.0, transition="wipeleft"),
        ]
    )
    passes = passes_for(tl)
    xfades = find(check_graph(passes), "xfade")
    assert [options(a)["offset"] for _, a in xfades] == ["1.6", "3.2"]
    assert [options(a)["duration"] for _, a in xfades] == ["0.4", "0.4"]
    assert passes.duration == pytest.approx(5.2)


def test_a_single_segment_needs_no_join() -> None:
    passes = passes_for(timeline([seg(0, 0, 2.0)]))
    statements = check_graph(passes)
    assert not find(statements, "concat") and not find(statements, "xfade")


# -- looks on segments ---------------------------------------------------------------------------


def test_filter_and_effect_are_applied_to_the_segment() -> None:
    tl = timeline(
        [
            seg(0, 0, 2.0, filter="warm", effect="zoomslight"),
            seg(1, 2.0, 2.0, effect="withcircleopen"),
        ]
    )
    statements = check_graph(passes_for(tl))
    assert find(statements, "lutyuv")
    assert any("eval=frame" in args for _, args in find(statements, "scale"))
    reveal = find(statements, "xfade")
    assert reveal and options(reveal[0][1])["transition"] == "circleopen"
    assert find(statements, "color")


def test_unknown_and_skipped_looks_warn() -> None:
    tl = timeline(
        [seg(0, 0, 2.0, filter="nope", effect="starfieldshinee"), seg(1, 2.0, 2.0, effect="zzz")]
    )
    passes = passes_for(tl)
    check_graph(passes)
    text = " ".join(passes.warnings)
    assert "nope" in text and "starfieldshinee" in text and "zzz" in text


# -- stickers ------------------------------------------------------------------------------------


def test_sticker_fractions_become_pixels_and_opacity_an_alpha_factor() -> None:
    tl = timeline(
        stickers=[
            StickerOverlay(source="logo.png", x=0.5, y=0.25, width=0.2, height=100, opacity=0.6)
        ]
    )
    passes = passes_for(tl)
    statements = check_graph(passes)
    assert passes.stickers == ((180, 160, 72, 100),)
    ((st, args),) = find(statements, "colorchannelmixer")
    assert args == "aa=0.600"
    assert ("scale", "72:100") in st.filters
    ((_, over),) = [
        (s, a) for s, a in find(statements, "overlay") if "eof_action=repeat" in a and "x=180" in a
    ]
    assert "y=160" in over


def test_sticker_without_a_size_keeps_its_own_and_opaque_needs_no_mixer() -> None:
    tl = timeline(stickers=[StickerOverlay(source="logo.png", x=10, y=20, width=0, height=0)])
    passes = passes_for(tl)
    statements = check_graph(passes)
    assert not find(statements, "colorchannelmixer")
    assert passes.stickers == ((10, 20, 100, 50),)
    tl = timeline(stickers=[StickerOverlay(source="logo.png", x=10, y=20, width=50, height=0)])
    assert passes_for(tl).stickers == ((10, 20, 50, 25),)


def test_fully_transparent_sticker_is_skipped() -> None:
    tl = timeline(
        stickers=[StickerOverlay(source="logo.png", x=1, y=1, width=1, height=1, opacity=0)]
    )
    passes = passes_for(tl)
    assert passes.stickers == () and any("transparent" in w for w in passes.warnings)


def test_stickers_scale_with_the_preview() -> None:
    tl = timeline(
        width=1080,
        height=1920,
        stickers=[StickerOverlay(source="logo.png", x=0.5, y=300, width=300, height=0.1)],
    )
    passes = passes_for(tl, preview=True)
    assert (passes.width, passes.height) == (360, 640)
    assert passes.stickers == ((180, 100, 100, 64),)


# -- text ----------------------------------------------------------------------------------------


def test_title_and_sub_headings_are_drawn_for_the_whole_video() -> None:
    tl = timeline(
        title=TextOverlay(text="高光时刻 The Best Moments", y=0.1),
        sub_headings=[TextOverlay(text="第一集", y=0.3, font_size=40, level=1)],
    )
    passes = passes_for(tl)
    statements = check_graph(passes)
    title, heading = passes.texts
    assert title.role == "title" and title.start is None
    assert title.block.top == 64 and title.block.font_size == 22  # 360 / 16
    assert heading.block.font_size == 40 and heading.block.top == 192
    draws = find(statements, "drawtext")
    assert len(draws) == len(title.block.lines) + len(heading.block.lines)
    title_draw = options(draws[0][1])
    assert title_draw["font"] == "Noto Sans CJK SC" and title_draw["expansion"] == "none"
    assert title_draw["fontfile"] == ":style=Bold"  # a fontconfig pattern
    band_top, _ = text_band(title, 640)
    assert title_draw["y"] == f"{title.block.lines[0].baseline - band_top}-ascent"
    overlays = [
        a for _, a in find(statements, "overlay") if "enable" not in a and f"y={band_top}" in a
    ]
    assert overlays


def test_text_is_escaped_for_the_filtergraph() -> None:
    nasty = "It's 10:30, [ok]; 100% \\ done"
    passes = passes_for(timeline(title=TextOverlay(text=nasty, y=0.5)))
    statements = check_graph(passes)
    texts = [options(a)["text"] for _, a in find(statements, "drawtext")]
    assert " ".join(texts) == nasty


def test_captions_follow_the_narration_and_never_overlap() -> None:
    tl = timeline(
        [
            seg(
                0,
                0,
                2.0,
                narration=Narration(text="第一句旁白。", audio="/work/n0.wav", duration=1.2),
            ),
            seg(
                1,
                2.0,
                2.0,
                narration=Narration(text="long", audio="/work/n1.wav", duration=3.0),
                caption="第二句。",
            ),
            seg(2, 4.0, 1.0, caption="No narration here"),
            seg(3, 5.0, 1.0),
        ],
        captions=Captions(y=0.8),
    )
    framed, _ = frame_segments(tl, Fraction(25))
    assert caption_windows(framed, tl.duration) == [
        ("第一句旁白。", 0.0, 1.2),
        ("第二句。", 2.0, 4.0),  # its 3 s narration is cut where the next caption starts
        ("No narration here", 4.0, 5.0),
    ]
    passes = passes_for(tl)
    statements = check_graph(passes)
    enables = [options(a)["enable"] for _, a in find(statements, "overlay") if "enable" in a]
    assert enables == [
        "gte(t,0.000)*lt(t,1.200)",
        "gte(t,2.000)*lt(t,4.000)",
        "gte(t,4.000)*lt(t,5.000)",
    ]
    captions = [t for t in passes.texts if t.role == "caption"]
    assert all(c.block.top >= 0.8 * 640 - 1 for c in captions)
    # Caption lines get a box; titles do not.
    assert all("box" in options(a) for _, a in find(statements, "drawtext"))


def test_long_captions_are_paged_two_lines_at_a_time() -> None:
    text = (
        "这是一段很长的旁白，需要分成好几页来显示，每一页最多两行，按照字数分配时间，读起来才舒服。"
    )
    tl = timeline(
        [seg(0, 0, 6.0, narration=Narration(text=text, audio="/work/n1.wav", duration=6.0))],
        captions=Captions(y=0.8, font_size=30),
    )
    passes = passes_for(tl)
    pages = [t for t in passes.texts if t.role == "caption"]
    assert len(pages) >= 2 and all(len(p.block.lines) <= 2 for p in pages)
    assert pages[0].start == 0 and pages[-1].end == pytest.approx(6.0)
    assert all(a.end == b.start for a, b in itertools.pairwise(pages))


def test_no_captions_without_the_captions_setting() -> None:
    tl = timeline([seg(0, 0, 2.0, caption="hidden")])
    assert passes_for(tl).texts == ()


def test_preview_scales_pixel_sizes_but_not_fractions() -> None:
    tl = timeline(width=1080, height=1920, title=TextOverlay(text="Title", y=960, font_size=90))
    passes = passes_for(tl, preview=True)
    (title,) = passes.texts
    assert title.block.font_size == 30 and title.block.top == 320


# -- sound ---------------------------------------------------------------------------------------


def test_silence_is_an_anullsrc_track_of_the_right_length() -> None:
    passes = passes_for(timeline())
    statements = check_graph(passes)
    (st,) = [s for s in statements if "aout" in s.outputs]
    assert st.names() == ["atrim", "asplit"]  # measured too: silence, no gain
    assert st.filters[0] == ("atrim", f"end_sample={round(passes.duration * 48000)}")
    # The silence is an input (ffmpeg 7+ aborts on a graph without one that has a sink).
    (k,) = [i for i, path in enumerate(passes.audio.inputs) if path.startswith("anullsrc=")]
    assert st.inputs == [f"{k}:a"]
    args = passes.audio.args()
    where = args.index("anullsrc=r=48000:cl=stereo")
    assert args[where - 3 : where] == ["-f", "lavfi", "-i"]
    assert not find(statements, "amix")


def test_narration_source_sound_and_music_are_delayed_and_mixed() -> None:
    tl = timeline(
        [
            seg(0, 0, 2.0, source_volume=0.5),
            seg(1, 1.6, 2.0, transition="fade", source_volume=0.8,
                narration=Narration(text="a", audio="/work/n0.wav", duration=1.2, volume=0.9)),
            seg(2, 3.6, 2.0, source="mute.mp4", source_volume=1.0),
            seg(3, 5.6, 1.0, source_volume=0.0),
        ],
        music=Music(source="music.m4a", volume=0.2),
    )  # fmt: skip
    passes = passes_for(tl)
    statements = check_graph(passes)
    delays = {st.outputs[0]: options(a)["delays"] for st, a in find(statements, "adelay")}
    assert delays == {"sa0": "0S", "sa1": "76800S", "na0": "76800S"}  # 1.6 s at 48 kHz
    # Source sound only where the volume is above 0 and the source has audio.
    assert {st.outputs[0] for st, _ in find(statements, "adelay")} == {"sa0", "sa1", "na0"}
    volumes = {st.outputs[0]: a for st, a in find(statements, "volume")}
    assert volumes == {"sa0": "0.5", "sa1": "0.8", "na0": "0.9", "music": "0.2"}
    # The source sound cross-fades over the transition.
    fades = {(st.outputs[0], options(a)["t"]): options(a) for st, a in find(statements, "afade")}
    assert fades[("sa0", "out")]["d"] == "0.4" and fades[("sa1", "in")]["d"] == "0.4"
    # Music: looped by the demuxer, trimmed to the output, faded out over the last 2 s.
    args = passes.audio.args()
    i = args.index("/store/music.m4a")
    assert args[i - 3 : i] == ["-stream_loop", "-1", "-i"]
    total = round(passes.duration * 48000)
    (music,) = [st for st in statements if st.outputs == ["music"]]
    assert ("atrim", f"end_sample={total}") in music.filters
    assert options(dict(music.filters)["afade"]) == {"t": "out", "st": "4.6", "d": "2"}
    (mix,) = [st for st in statements if "aout" in st.outputs]
    assert mix.inputs == ["bed", "sa0", "sa1", "na0", "music"]
    amix = options(dict(mix.filters)["amix"])
    assert amix["normalize"] == "0" and amix["duration"] == "first" and amix["inputs"] == "5"
    assert mix.filters[-2:] == [("atrim", f"end_sample={total}"), ("asplit", "2")]
    # The mix is measured on its way to the WAV: integrated loudness into a file.
    (meter,) = [st for st in statements if st.inputs == [mix.outputs[1]]]
    assert meter.names() == ["ebur128", "ametadata", "anullsink"]
    printed = options(dict(meter.filters)["ametadata"])
    assert printed["key"] == "lavfi.r128.I" and printed["file"] == passes.loudness_path
    assert passes.audio.output_args[-3:] == ["-f", "wav", passes.mix_path]
    assert arg_after(passes.audio.output_args, "-c:a") == "pcm_f32le"
    # Then one gain to the target and the limiter, encoded to AAC.
    delivered = sound_pass(passes, 3.25)
    chain = dict(part.split("=", 1) for part in arg_after(delivered, "-af").split(","))
    assert chain["volume"] == "3.25dB" and options(chain["alimiter"])["limit"] == f"{LIMIT:.3f}"
    assert chain["atrim"] == f"end_sample={total}"
    assert delivered[:8] == [
        "-protocol_whitelist", "file", "-format_whitelist", "wav", "-f", "wav", "-i", passes.mix_path
    ]  # fmt: skip
    assert delivered[-1] == passes.audio_path
    assert arg_after(delivered, "-fs") == str(passes.audio_max_bytes)
    assert arg_after(delivered, "-c:a") == "aac"


def test_missing_narration_audio_is_an_error() -> None:
    tl = timeline(
        [seg(0, 0, 2.0, narration=Narration(text="a", audio="/work/missing.wav", duration=1))]
    )
    with pytest.raises(TimelineError):
        passes_for(tl)


# -- encoding -------------------------------------------------------------------------------------


def test_encoder_settings_and_output() -> None:
    passes = passes_for(timeline(crf=27))
    args = picture_args(passes)
    assert arg_after(args, "-filter_complex_script") == "/work/render.video0.txt"
    assert arg_after(args, "-c:v") == "libx264" and arg_after(args, "-crf") == "27"
    assert arg_after(args, "-preset") in {"ultrafast", "superfast", "veryfast"}
    assert arg_after(args, "-pix_fmt") == "yuv420p" and "-threads" not in args
    assert arg_after(args, "-t") == "4" and passes.duration == 4.0
    assert args[-3:] == ["-f", "mp4", "/work/render.video0.mp4"]
    assert [args[i + 1] for i, a in enumerate(args) if a == "-map"] == ["[vout]"]
    assert "-c:a" not in args
    sound = passes.audio.args("-/filter_complex")
    assert arg_after(sound, "-/filter_complex") == "/work/render.audio.txt"
    assert arg_after(sound, "-c:a") == "pcm_f32le" and passes.audio_bitrate == "128k"
    assert [sound[i + 1] for i, a in enumerate(sound) if a == "-map"] == ["[aout]"]
    assert sound[-3:] == ["-f", "wav", "/work/render.mix.wav"] and "-c:v" not in sound
    assert arg_after(sound_pass(passes, 0.0), "-b:a") == "128k"
    # The join copies both into the output, moving the index to the front.
    join = passes.join_args
    # The concat demuxer reads the engine's own list of its own MP4 chunks, nothing else.
    assert join[:10] == [
        "-protocol_whitelist", "file", "-format_whitelist", "concat,mov",
        "-f", "concat", "-safe", "0", "-i", "/work/render.pictures.txt",
    ]  # fmt: skip
    assert arg_after(join, "-i") == "/work/render.audio.m4a"
    assert arg_after(join, "-c") == "copy" and arg_after(join, "-movflags") == "+faststart"
    assert arg_after(join, "-t") == "4" and join[-3:] == ["-f", "mp4", "/out/.x.tmp"]
    assert arg_after(join, "-fs") == str(passes.join_max_bytes)
    assert passes.join_max_bytes > passes.pictures[0].max_bytes + passes.audio_max_bytes
    assert passes.concat_list == "file '/work/render.video0.mp4'\n"
    assert set(passes.intermediates) == {
        "/work/render.video0.mp4", "/work/render.mix.wav", "/work/render.loudness.txt",
        "/work/render.audio.m4a", "/work/render.pictures.txt",
    }  # fmt: skip


def test_encoding_override() -> None:
    passes = passes_for(
        timeline(), encoding=Encoding(preset="veryfast", crf=20, x264_params=None, threads=1)
    )
    args = picture_args(passes)
    assert arg_after(args, "-preset") == "veryfast" and "-x264-params" not in args
    assert arg_after(args, "-threads") == "1"


def test_preview_is_small_and_cheap() -> None:
    assert canvas_size(1080, 1920, preview=True) == (360, 640)
    assert canvas_size(1920, 1080, preview=True) == (640, 360)
    assert canvas_size(320, 180, preview=True) == (320, 180)
    assert canvas_size(641, 361, preview=False) == (640, 360)  # even, for yuv420p
    passes = passes_for(timeline(width=1080, height=1920), preview=True)
    assert (passes.width, passes.height) == (360, 640)
    args = picture_args(passes)
    assert arg_after(args, "-preset") == "ultrafast" and arg_after(args, "-crf") == "35"
    assert passes.audio_bitrate == "64k"


def test_font_specs() -> None:
    assert FontSpec(family="Noto Sans CJK SC").options() == ["font=Noto Sans CJK SC"]
    assert FontSpec(family="F", style="Bold").options() == ["font=F", "fontfile=\\\\:style=Bold"]
    assert FontSpec(file="/a:b.ttc").options() == ["fontfile=/a\\\\:b.ttc"]
    assert FontSpec().options() == []


def test_everything_at_once_is_a_well_formed_graph() -> None:
    tl = timeline(
        [
            seg(0, 0, 2.0, filter="m5", effect="shock", source_volume=1,
                narration=Narration(text="一", audio="/work/n0.wav", duration=1.2)),
            seg(1, 1.5, 2.0, source="still.png", transition="circleopen", effect="bluropen"),
            seg(2, 3.5, 2.0, source="portrait.mp4", effect="withcircleclose", filter="pf1"),
            seg(3, 5.0, 2.0, transition="doomscreentransition_up", effect="movie"),
        ],
        title=TextOverlay(text="Title", y=0.1),
        sub_headings=[TextOverlay(text="Sub", y=0.3, level=1)],
        captions=Captions(y=0.8),
        stickers=[StickerOverlay(source="logo.png", x=0.1, y=0.1, width=0.2, height=0.1, opacity=0.5)],
        background=Background(kind="image", image="bg.png"),
        music=Music(source="music.m4a"),
    )  # fmt: skip
    passes = passes_for(tl)
    check_graph(passes)
    assert passes.frames == 175


def test_loudness_readings_and_the_gain_they_call_for() -> None:
    readings = "frame:0 pts:0 pts_time:0\nlavfi.r128.I=-70.0\nframe:1\nlavfi.r128.I=-23.5\n"
    assert integrated_loudness(readings) == -23.5  # the last reading covers the whole mix
    assert integrated_loudness("") is None
    assert integrated_loudness("lavfi.r128.I=-inf\n") is None
    assert loudness_gain(-23.5) == pytest.approx(7.5)
    assert loudness_gain(-9.0) == pytest.approx(-7.0)  # too loud: turned down
    assert loudness_gain(None) == 0.0 and loudness_gain(-70.0) == 0.0  # silence stays silent
    assert loudness_gain(-60.0) == 30.0  # a whisper is raised at most 30 dB
