"""Composition of real footage's quirks: the picture inside black bars is what is fitted, and
captions keep clear of a film's burned-in subtitles. No ffmpeg."""

from __future__ import annotations

import pytest

from highlights.render.graph.fit import canvas_rows, crop_to, cropped, fit_geometry
from highlights.render.timeline import Background, Captions, Narration
from tests.unit.render.test_graph import (
    MEDIA,
    check_graph,
    find,
    passes_for,
    seg,
    timeline,
    video,
)

PILLARBOX = (40, 0, 240, 180)  # a 4:3 picture in the 320x180 frame of film.mp4


def test_the_picture_inside_bars_is_cropped_before_it_is_fitted() -> None:
    tl = timeline([seg(0, 0, 2.0, picture=PILLARBOX), seg(1, 2.0, 2.0)])
    statements = check_graph(passes_for(tl))
    crops = [args for _, args in find(statements, "crop") if "min(240,iw)" in args]
    assert crops == ["w='min(240,iw)':h='min(180,ih)':x='min(40,iw-ow)':y='min(0,ih-oh)'"]
    # Fitted as 4:3 onto the 360x640 canvas (full width), the whole frame as 16:9.
    four_three = fit_geometry((240, 180), (360, 640)).size
    sixteen_nine = fit_geometry((320, 180), (360, 640)).size
    scales = {args for _, args in find(statements, "scale")}
    assert f"{four_three[0]}:{four_three[1]}" in scales
    assert f"{sixteen_nine[0]}:{sixteen_nine[1]}" in scales


def test_a_film_without_bars_is_composed_as_before() -> None:
    plain = passes_for(timeline())
    assert "min(240,iw)" not in plain.pictures[0].filter_script
    assert crop_to(PILLARBOX).startswith("crop=w='min(240,iw)'")


def test_the_cropped_picture_is_shown_at_its_display_size() -> None:
    anamorphic = video(size=(720, 576))
    anamorphic = anamorphic.__class__(**{**anamorphic.__dict__, "sample_aspect": 16 / 15})
    assert (
        cropped(anamorphic, (0, 72, 720, 432)).width,
        cropped(anamorphic, (0, 72, 720, 432)).height,
    ) == (768, 432)
    assert (
        cropped(MEDIA["film.mp4"], PILLARBOX).width,
        cropped(MEDIA["film.mp4"], PILLARBOX).height,
    ) == (240, 180)


@pytest.mark.parametrize(
    ("source", "canvas", "background", "rows"),
    [
        ((320, 180), (640, 360), "blur", (315, 342)),  # the same shape: fills the canvas
        ((320, 180), (360, 640), "blur", (394, 410)),  # in a band across a vertical canvas
        ((320, 180), (360, 640), "crop", (560, 608)),  # cover: every row shows, taller
        ((180, 320), (640, 360), "blur", (315, 342)),  # pillarboxed: every row shows
        ((180, 320), (640, 360), "crop", None),  # cover cuts the bottom off
    ],
)
def test_canvas_rows_follow_the_fit(
    source: tuple[int, int],
    canvas: tuple[int, int],
    background: str,
    rows: tuple[int, int] | None,
) -> None:
    assert canvas_rows((0.875, 0.95), source, canvas, background) == rows


def captioned(picture: tuple[int, int, int, int] | None = None, **kw: object) -> object:
    spoken = Narration(text="x", audio="/work/n0.wav", duration=1.2)
    segments = [
        seg(
            0,
            0,
            2.0,
            caption="First sentence here.",
            narration=spoken,
            picture=picture,
            burned_text=(0.85, 0.95),
        ),
        seg(1, 2.0, 2.0, caption="Second one.", narration=spoken, picture=picture),
    ]
    return timeline(segments, **kw)


def test_captions_move_above_burned_in_subtitles_all_to_one_place() -> None:
    tl = captioned(width=640, height=360, captions=Captions(y=0.9))
    passes = passes_for(tl)  # type: ignore[arg-type]
    captions = [t for t in passes.texts if t.role == "caption"]
    assert len(captions) == 2
    band_top = round(0.85 * 360)
    assert all(c.block.bottom < band_top for c in captions)
    assert len({c.block.bottom for c in captions}) == 1  # one position for the whole output
    asked = passes_for(captioned(width=640, height=360, captions=Captions(y=0.1)))  # type: ignore[arg-type]
    high = [t for t in asked.texts if t.role == "caption"]
    assert all(c.block.top == round(0.1 * 360) for c in high)  # already clear: untouched


def test_a_vertical_output_keeps_its_captions_below_the_film() -> None:
    tl = captioned(width=360, height=640, captions=Captions(y=0.8))
    captions = [t for t in passes_for(tl).texts if t.role == "caption"]  # type: ignore[arg-type]
    assert all(c.block.top == round(0.8 * 640) for c in captions)


def test_a_film_covering_a_vertical_canvas_moves_its_captions_and_none_stay_without_text() -> None:
    tl = captioned(
        width=360, height=640, captions=Captions(y=0.85), background=Background(kind="crop")
    )
    moved = [t for t in passes_for(tl).texts if t.role == "caption"]  # type: ignore[arg-type]
    assert all(c.block.bottom < 560 for c in moved)  # the film's subtitles from row 560 on
    segments = tl.segments  # type: ignore[attr-defined]
    segments[0] = segments[0].model_copy(update={"burned_text": None})
    kept = [t for t in passes_for(tl).texts if t.role == "caption"]  # type: ignore[arg-type]
    assert all(c.block.top == round(0.85 * 640) for c in kept)
