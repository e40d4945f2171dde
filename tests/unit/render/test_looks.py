"""The mapping tables: every ICE transition, filter and effect name is mapped or skipped on purpose."""

from __future__ import annotations

import pytest

from highlights.manifest.vocabulary import EFFECTS, FILTERS, TRANSITIONS
from highlights.render.graph import Labels
from highlights.render.looks import (
    EFFECT_MAP,
    FILTER_MAP,
    TRANSITION_MAP,
    XFADE_TRANSITIONS,
    EffectContext,
    Grade,
    effect_for,
    grade_for,
    xfade_for,
)
from tests.unit.render.test_graph import KNOWN_FILTERS, SOURCES, options, parse_script

CTX = EffectContext(width=360, height=640, frames=100, rate="25", fps=25.0)


def build(name: str) -> list[str]:
    """The statements of effect ``name`` from [a] to [b], internal labels from ``Labels``."""
    builder = EFFECT_MAP[name].build
    assert builder is not None
    return builder("a", "b", CTX, Labels().new)


# -- transitions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_every_ice_transition_maps_to_an_xfade_transition(name: str) -> None:
    mapped = TRANSITION_MAP[name]
    assert mapped.xfade in XFADE_TRANSITIONS
    assert mapped.note
    assert xfade_for(name) == (mapped.xfade, None)


def test_the_transition_table_has_no_names_ice_lacks() -> None:
    assert set(TRANSITION_MAP) == set(TRANSITIONS)


def test_named_transitions_keep_their_meaning() -> None:
    expected = {
        "fade": "fade",
        "wipeleft": "wipeleft",
        "linearblur": "hblur",
        "dreamyzoom": "zoomin",
        "circleopen": "circleopen",
        "pixelize": "pixelize",
        "radial": "radial",
        "colordistance": "distance",
        "fadegrayscale": "fadegrays",
        "directional": "slideleft",
    }
    assert {name: TRANSITION_MAP[name].xfade for name in expected} == expected


def test_unknown_transitions_fall_back_to_a_fade_with_a_warning() -> None:
    assert xfade_for("BOWTIEVERTICAL") == ("vertopen", None)  # case does not matter
    assert xfade_for("diagtl") == ("diagtl", None)  # an xfade name is used as it is
    xfade, warning = xfade_for("sparkle")
    assert xfade == "fade" and warning and "sparkle" in warning


# -- filters ---------------------------------------------------------------------------------------


def _filter_names(chain: str) -> list[str]:
    (statement,) = parse_script(f"[in]{chain}[out]")
    return statement.names()


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_every_ice_filter_is_a_colour_grade(name: str) -> None:
    chain, warning = grade_for(name)
    assert warning is None and chain and chain != "null"
    assert set(_filter_names(chain)) <= {"eq", "hue", "lutyuv", "curves", "vignette"}
    assert FILTER_MAP[name].note


def test_every_filter_looks_different() -> None:
    assert set(FILTER_MAP) == set(FILTERS)
    chains = [FILTER_MAP[name].filters() for name in sorted(FILTERS)]
    assert len(set(chains)) == len(chains)


def test_grade_building_blocks() -> None:
    assert Grade("neutral").filters() == "null"
    warm = Grade("warm", warmth=1.0).filters()
    assert warm == "lutyuv=u='clip(val-12,0,255)':v='clip(val+14,0,255)'"
    faded = Grade("faded", fade=0.5).filters()
    assert faded.startswith("lutyuv=y='clip(40+(val-16)*")
    assert Grade("bw", saturation=0.0, contrast=1.2).filters() == "eq=contrast=1.2:saturation=0"
    assert Grade("v", curves="vintage", vignette=True).filters() == (
        "curves=preset=vintage,vignette=angle=PI/5"
    )


def test_unknown_filter_is_skipped_with_a_warning() -> None:
    chain, warning = grade_for("nope")
    assert chain is None and warning and "nope" in warning
    assert grade_for("M1")[0] == FILTER_MAP["m1"].filters()


# -- effects ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_every_ice_effect_maps_or_is_skipped_with_a_reason(name: str) -> None:
    mapped = EFFECT_MAP[name]
    assert mapped.note
    effect, warning = effect_for(name)
    if mapped.kind == "skip":
        assert effect is None and warning and mapped.note in warning
        return
    assert effect is mapped and warning is None and mapped.build is not None
    labels = Labels()
    labels.fixed("src")
    labels.fixed("dst")
    statements = parse_script(";\n".join(mapped.build("src", "dst", CTX, labels.new)))
    made = [label for st in statements for label in st.outputs]
    used = [label for st in statements for label in st.inputs]
    assert made[-1] == "dst" and "src" in used
    assert sorted(made[:-1]) == sorted(label for label in used if label != "src")
    for label in made:  # internal labels came from the allocator
        with pytest.raises(ValueError, match="already"):
            labels.fixed(label)
    for st in statements:
        assert st.inputs or st.names()[0] in SOURCES
        assert set(st.names()) <= KNOWN_FILTERS


def test_the_effect_table_covers_ice_and_skips_few() -> None:
    assert set(EFFECT_MAP) == set(EFFECTS)
    skipped = {name for name, m in EFFECT_MAP.items() if m.kind == "skip"}
    assert skipped == {"image_in_image", "starfieldshinee"}


def test_zoom_scales_per_frame_and_crops_the_centre() -> None:
    (statement,) = parse_script(build("zoom")[0])
    (_, scale), (_, crop) = statement.filters
    assert options(scale)["eval"] == "frame" and "t/4.0000" in options(scale)["w"]
    assert options(crop)["w"] == "360" and options(crop)["x"].endswith("-360)/2")


def test_shake_moves_a_slightly_larger_picture() -> None:
    (statement,) = parse_script(build("slightshake")[0])
    assert statement.filters[0] == ("scale", "374:664")  # 4% larger, even
    assert "sin(t*" in options(statement.filters[1][1])["x"]


def test_reveal_and_conceal_go_through_a_colour_with_xfade() -> None:
    reveal = parse_script(";\n".join(build("withcircleopen")))
    plate, join = reveal
    assert options(plate.filters[0][1]) == {
        "c": "black",
        "s": "360x640",
        "r": "25",
        "d": "0.800000",
    }
    assert join.inputs == ["plate0", "a"]
    assert options(join.filters[0][1]) == {
        "transition": "circleopen",
        "duration": "0.800000",
        "offset": "0",
    }
    conceal = parse_script(";\n".join(build("close")))
    join = conceal[1]
    assert join.inputs == ["a", "plate0"]
    # 100 frames, the last 15 (0.6 s) close: the xfade starts at frame 85.
    assert options(join.filters[0][1])["offset"] == "3.400000"


def test_fades_and_grey() -> None:
    (fade,) = parse_script(build("disappear")[0])
    assert options(fade.filters[0][1]) == {
        "t": "out",
        "st": "3.0000",
        "d": "1.0000",
        "color": "black",
    }
    (grey,) = parse_script(build("color_to_grey")[0])
    assert grey.filters == [("hue", "s='max(0,1-t/4.0000)'")]


def test_unknown_effect_is_skipped_with_a_warning() -> None:
    effect, warning = effect_for("confetti")
    assert effect is None and warning and "confetti" in warning
