"""How a timeline is cut into ffmpeg passes: shared decoding, picture chunks, the sound, the join."""

from __future__ import annotations

import pytest

from highlights.render import compose
from highlights.render.compose import parallel_chunks
from highlights.render.graph import chunk_spans, concat_quote, frame_segments, picture, timing
from highlights.render.probe import MediaInfo
from highlights.render.timeline import Captions, Narration, StickerOverlay, TextOverlay
from tests.unit.render.test_graph import (
    MEDIA,
    check_graph,
    check_pass,
    options,
    passes_for,
    seg,
    timeline,
)


def in_order(*spans: tuple[float, float], start_in: float = 5.0, gap: float = 0.5) -> list:
    """Segments cut one after another from film.mp4, each ``gap`` after the previous one."""
    segments, at, source_in = [], 0.0, start_in
    for i, (duration, _) in enumerate(spans):
        segments.append(seg(i, at, duration, source_in=source_in, source_out=source_in + duration))
        at += duration
        source_in += duration + gap
    return segments


def heads(passes, chunk: int = 0) -> dict[str, str]:
    """Per statement output: the chain of filters (the statement as written)."""
    return {
        line.rsplit("[", 1)[-1].rstrip("]"): line
        for line in passes.pictures[chunk].filter_script.strip().split(";\n")
    }


# -- decoding a film once for consecutive segments ---------------------------------------------


def test_segments_reading_a_film_forward_share_one_input() -> None:
    tl = timeline(in_order((2.0, 0), (2.0, 0), (2.0, 0), gap=0.5))
    passes = passes_for(tl)
    check_graph(passes)
    (picture,) = passes.pictures
    assert picture.inputs == ("/store/film.mp4",)
    args = picture.args()
    # One seek to the first segment, read to the end of the last one (+ the seek margin).
    assert args[args.index("-i") - 4 : args.index("-i")] == ["-ss", "5", "-t", "7.2"]
    script = picture.filter_script
    assert "[0:v]split=3[d0][d1][d2]" in script
    # Each branch keeps its own range, timestamps as a seek to its source_in would give.
    assert "[d0]fps=25," in script
    assert "[d1]trim=start=2.5,setpts=PTS-2.5/TB,fps=25," in script
    assert "[d2]trim=start=5,setpts=PTS-5/TB,fps=25," in script


@pytest.mark.parametrize(
    ("second_in", "source", "shared"),
    [
        (7.0, "film.mp4", True),  # right after the first
        (7.0 + picture.SHARE_GAP, "film.mp4", True),  # the longest gap still shared
        (7.0 + picture.SHARE_GAP + 0.1, "film.mp4", False),  # cheaper to seek
        (4.0, "film.mp4", False),  # backwards
        (6.0, "film.mp4", False),  # overlapping the first
        (7.0, "mute.mp4", False),  # another film
        (0.0, "still.png", False),  # a still
    ],
)
def test_what_shares_an_input(second_in: float, source: str, shared: bool) -> None:
    tl = timeline(
        [
            seg(0, 0, 2.0, source_in=5.0, source_out=7.0),
            seg(1, 2.0, 2.0, source=source, source_in=second_in, source_out=second_in + 2),
        ]
    )
    passes = passes_for(tl)
    check_graph(passes)
    (picture,) = passes.pictures
    assert len(picture.inputs) == (1 if shared else 2)
    assert ("split=2[d0][d1]" in picture.filter_script) is shared


# -- chunks --------------------------------------------------------------------------------------


def plans_of(tl):
    return frame_segments(tl, timing.frame_rate(tl.fps))[0]


def test_chunks_split_at_the_cut_nearest_the_middle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing, "MIN_CHUNK_SECONDS", 1.0)
    tl = timeline(in_order((3.0, 0), (1.0, 0), (2.0, 0), (4.0, 0)))  # cuts at 3, 4, 6 of 10
    framed = plans_of(tl)
    assert chunk_spans(framed, 1) == [(0, 4)]
    assert chunk_spans(framed, 2) == [(0, 2), (2, 4)]  # 4 s is nearest to 5
    assert chunk_spans(framed, 3) == [(0, 1), (1, 3), (3, 4)]  # 3 s and 6 s: thirds of 10


def test_chunks_never_split_a_transition_nor_make_a_short_chunk() -> None:
    tl = timeline(
        [
            seg(0, 0, 6.0),
            seg(1, 5.0, 6.0, transition="fade"),  # overlaps segment 0: no cut here
            seg(2, 11.0, 9.0),
        ]
    )
    framed = plans_of(tl)
    assert chunk_spans(framed, 2) == [(0, 2), (2, 3)]  # at 11 s, the only cut
    short = timeline([seg(0, 0, 6.0), seg(1, 6.0, 3.0)])  # the second part would be 3 s
    assert chunk_spans(plans_of(short), 2) == [(0, 2)]
    assert chunk_spans(plans_of(timeline([seg(0, 0, 20.0)])), 4) == [(0, 1)]


def test_a_chunked_plan_times_each_chunk_from_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing, "MIN_CHUNK_SECONDS", 1.0)
    narrated = Narration(text="二号", audio="/work/n0.wav", duration=1.2)
    tl = timeline(
        [
            seg(0, 0, 2.0, caption="one"),
            seg(1, 2.0, 2.0, caption="two", narration=narrated),
            seg(2, 4.0, 2.0),
            seg(3, 5.6, 2.0, transition="fade", caption="four"),
        ],
        title=TextOverlay(text="Title", y=0.1),
        captions=Captions(y=0.8),
        stickers=[StickerOverlay(source="logo.png", x=10, y=10, width=50, height=25)],
    )
    passes = passes_for(tl, chunks=2)
    statements = check_graph(passes)
    assert len(passes.pictures) == 2
    first, second = passes.pictures
    # Segments 0-1 then 2-3 (the transition stays inside the second chunk).
    assert [p.inputs.count("/store/film.mp4") for p in passes.pictures] == [2, 2]
    lengths = [float(p.output_args[p.output_args.index("-t") + 1]) for p in passes.pictures]
    assert lengths == [4.0, 3.6] and sum(lengths) == pytest.approx(passes.duration)
    # The xfade offset counts from the chunk's start: segment 3 starts 1.6 s into chunk 2.
    (xfade,) = [st for st in statements if st.names()[0] == "xfade"]
    assert options(xfade.filters[0][1])["offset"] == "1.6"
    # Title and sticker in both; captions only in their chunk, timed from its start.
    for part in passes.pictures:
        assert part.filter_script.count("text=Title") == 1
        assert "/store/logo.png" in part.inputs
    assert "text=one" in first.filter_script and "text=two" in first.filter_script
    assert "text=four" not in first.filter_script
    assert "gte(t,2.000)*lt(t,3.200)" in first.filter_script  # two: while its narration plays
    assert "text=four" in second.filter_script and "gte(t,1.600)" in second.filter_script
    # The join reads the chunks in order.
    assert passes.concat_list == (
        "file '/work/render.video0.mp4'\nfile '/work/render.video1.mp4'\n"
    )
    assert len(passes.stickers) == 1
    # One thread each: the film's decoder and x264 (a chunk per core).
    for part in passes.pictures:
        films = part.inputs.count("/store/film.mp4")
        assert " ".join(part.input_args).count("-threads 1 ") == films
        assert part.output_args[part.output_args.index("-threads") + 1] == "1"
    single = passes_for(tl).pictures[0].args()
    assert "-threads" not in single
    # The sound is one pass over the whole timeline.
    assert passes.audio.output_args[passes.audio.output_args.index("-t") + 1] == "7.6"


def test_a_moving_sticker_keeps_one_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing, "MIN_CHUNK_SECONDS", 1.0)
    monkeypatch.setitem(
        MEDIA, "spin.gif", MediaInfo("/store/spin.gif", "video", 1.0, 50, 50, 10.0, False)
    )
    tl = timeline(
        [seg(0, 0, 3.0), seg(1, 3.0, 3.0)],
        stickers=[StickerOverlay(source="spin.gif", x=0, y=0, width=50, height=50)],
    )
    assert len(passes_for(tl, chunks=2).pictures) == 1
    still_sticker = tl.model_copy(
        update={"stickers": [StickerOverlay(source="logo.png", x=0, y=0, width=50, height=25)]}
    )
    assert len(passes_for(still_sticker, chunks=2).pictures) == 2


def test_each_pass_of_a_chunked_plan_is_well_formed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing, "MIN_CHUNK_SECONDS", 1.0)
    tl = timeline(in_order(*[(1.5, 0)] * 6, gap=0.2), captions=Captions(y=0.8))
    passes = passes_for(tl, chunks=3)
    for part in passes.pictures:
        check_pass(part, {"vout"})
    check_pass(passes.audio, {"aout"})
    assert len(passes.pictures) == 3
    # Within each chunk the segments still share their film.
    assert [len(p.inputs) for p in passes.pictures] == [1, 1, 1]


def test_concat_list_quoting() -> None:
    assert concat_quote("/w/a.mp4") == "'/w/a.mp4'"
    assert concat_quote("/w/it's.mp4") == "'/w/it'\\''s.mp4'"


def test_the_picture_is_shrunk_bilinear_and_enlarged_bicubic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(
        MEDIA, "hd.mp4", MediaInfo("/store/hd.mp4", "video", 60, 1280, 720, 25, True)
    )
    tl = timeline([seg(0, 0, 2.0, source="hd.mp4"), seg(1, 2.0, 2.0)])  # 1280 and 320 wide
    statements = check_graph(
        passes_for(
            tl,
        )
    )
    fits = {
        st.outputs[0]: dict(st.filters)["scale"]
        for st in statements
        if st.inputs in (["front0"], ["front1"])
    }
    assert fits == {"fg0": "360:202:flags=bilinear", "fg1": "360:202"}


def test_chunks_follow_the_cores_and_the_length(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compose, "usable_cores", lambda: 2)
    assert parallel_chunks(6) == 2
    assert parallel_chunks(48) == 48 // compose.SEGMENTS_PER_PASS
    monkeypatch.setattr(compose, "usable_cores", lambda: 32)
    assert parallel_chunks(6) == 8  # chunk_spans makes fewer when the timeline is short
    monkeypatch.setattr(compose, "usable_cores", lambda: 1)
    assert parallel_chunks(3) == 1
