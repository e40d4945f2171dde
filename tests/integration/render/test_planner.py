"""Planning on a small generated film whose scenes, black gap, credits and dialogue are known."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from highlights.manifest.models import Manifest
from highlights.manifest.vocabulary import DEFAULT_TRANSITIONS
from highlights.render import faces, shots, speech, voices
from highlights.render.media import MediaError
from highlights.render.planning import (
    DEFAULT_FIRST_CLIP_EFFECTS,
    DEFAULT_OTHER_CLIP_EFFECTS,
    PAD,
    analysis,
    plan_timelines,
)
from highlights.render.sentences import is_cjk
from highlights.render.timeline import Segment, Timeline
from highlights.render.wav import wav_format
from highlights.storage.local import LocalStore
from highlights.storage.urls import folder_key_for_url
from tests.integration.render.conftest import NEEDS_FFMPEG
from tests.media import Film, copy_film, make_image, make_tone

pytestmark = [pytest.mark.media, NEEDS_FFMPEG]

MEDIA_ID = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
# One paraphrase per scene, in the film's order: what a narrator says about each.
NARRATION = [
    "At dawn they leave for the coast.",
    "A storm is coming tonight.",
    "他找到了那把钥匙。",
    "Nobody leaves the island alive.",
    "这是故事的结局。",
]
SHUFFLE = [3, 0, 4, 2, 1]


@dataclass(frozen=True)
class Bucket:
    store: LocalStore
    film: Film
    cache: Path

    def scene_of(self, segment: Segment) -> int | None:
        """The number (0-based, among scenes) of the scene that holds the whole range."""
        scenes = self.film.of_kind("scene")
        for k, scene in enumerate(scenes):
            if scene.start - 1e-6 <= segment.source_in and segment.source_out <= scene.end + 1e-6:
                return k
        return None


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory, dialogue_film: Film) -> Bucket:
    root = tmp_path_factory.mktemp("bucket")
    film = copy_film(dialogue_film, root / "films" / "story.mp4")
    make_image(root / "pics" / "poster.png", look="teal")
    make_image(root / "pics" / "still.jpg", look="violet")
    make_image(root / "media" / f"{MEDIA_ID}.png", (64, 64), look="amber")
    for name, hz in (("a", 220), ("b", 330), ("c", 440)):
        make_tone(root / "music" / f"{name}.m4a", 1.0, frequency=hz)
    return Bucket(LocalStore(root), film, root / ".highlights" / "cache")


def manifest(
    narration: list[str] | None = None,
    *,
    process: dict[str, Any] | None = None,
    inputs: dict[str, Any] | None = None,
    editing: dict[str, Any] | None = None,
    output: dict[str, Any] | None = None,
) -> Manifest:
    merged = {
        "MediaArray": ["https://any.oss-cn-shanghai.aliyuncs.com/films/story.mp4"],
        "SpeechTextArray": [" ".join(narration or NARRATION)],
        "SceneInfo": {"Scene": "MovieHighlights"},
        **(inputs or {}),
    }
    return Manifest.model_validate(
        {
            "InputConfig": {k: v for k, v in merged.items() if v is not None},
            "EditingConfig": {"ProcessConfig": process or {}, **(editing or {})},
            "OutputConfig": {
                "MediaURL": "oss://bucket/out/highlight_{index}.mp4",
                "Width": 320,
                "Height": 180,
                **(output or {}),
            },
        }
    )


def run(bucket: Bucket, work: Path, m: Manifest, **kw: Any) -> list[Timeline]:
    kw.setdefault("contact_sheets", False)
    return plan_timelines(
        m,
        bucket.store,
        work,
        key_for_url=folder_key_for_url("cn-shanghai"),
        cache_dir=bucket.cache,
        preview_prefix=".highlights/previews/test/",
        **kw,
    )


MODES = {
    "random": {},
    "temporal": {"EnableTemporalOpt": True},
    "subtitle": {"EnableSubtitleMatch": True},
    "both": {"EnableTemporalOpt": True, "EnableSubtitleMatch": True},
}


@pytest.mark.parametrize("mode", MODES)
def test_ranges_lie_inside_one_scene_and_never_in_credits_or_black(
    bucket: Bucket, tmp_path: Path, mode: str
) -> None:
    for timeline in run(bucket, tmp_path, manifest(process=MODES[mode], output={"Count": 2})):
        assert len(timeline.segments) == len(NARRATION)
        for seg in timeline.segments:
            assert bucket.scene_of(seg) is not None, seg
            for gap in [*bucket.film.of_kind("credits"), *bucket.film.of_kind("black")]:
                assert seg.source_out <= gap.start or seg.source_in >= gap.end
            assert seg.source_out - seg.source_in == pytest.approx(seg.duration, abs=1e-3)
            assert seg.source_out <= bucket.film.duration


@pytest.mark.parametrize("mode", MODES)
def test_segments_last_as_long_as_their_speech_and_nothing_is_reused(
    bucket: Bucket, tmp_path: Path, mode: str
) -> None:
    (timeline,) = run(bucket, tmp_path, manifest(process=MODES[mode]))
    for seg in timeline.segments:
        assert seg.narration is not None
        assert seg.duration >= seg.narration.duration + PAD - 1e-3
        # Named relative to the work folder: a timeline carries no host path.
        assert not Path(seg.narration.audio).is_absolute()
        assert (tmp_path / seg.narration.audio).is_file()
        assert seg.caption == seg.narration.text
    for a, b in itertools.combinations(timeline.segments, 2):
        assert a.source_out <= b.source_in or b.source_out <= a.source_in


def test_temporal_opt_keeps_source_order_even_for_shuffled_narration(
    bucket: Bucket, tmp_path: Path
) -> None:
    for narration in (NARRATION, [NARRATION[k] for k in SHUFFLE]):
        (timeline,) = run(bucket, tmp_path, manifest(narration, process=MODES["temporal"]))
        starts = [s.source_in for s in timeline.segments]
        assert starts == sorted(starts)
        assert all(s.match == "temporal" for s in timeline.segments)
        # Five sentences over five equal scenes, in order: one scene each.
        assert [bucket.scene_of(s) for s in timeline.segments] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("mode", ["subtitle", "both"])
def test_subtitle_match_finds_each_sentence_s_scene(
    bucket: Bucket, tmp_path: Path, mode: str
) -> None:
    order = SHUFFLE if mode == "subtitle" else list(range(5))
    (timeline,) = run(
        bucket, tmp_path, manifest([NARRATION[k] for k in order], process=MODES[mode])
    )
    assert [bucket.scene_of(s) for s in timeline.segments] == order
    scenes = bucket.film.of_kind("scene")
    for seg, k in zip(timeline.segments, order, strict=True):
        assert seg.match == "subtitle"
        assert seg.matched_text == scenes[k].spec.dialogue
        assert seg.match_score is not None and seg.match_score > 0.3


def test_transitions_overlap_segments_and_the_timeline_adds_up(
    bucket: Bucket, tmp_path: Path
) -> None:
    process = {"AllowTransition": True, "TransitionDuration": 0.4, "EnableTemporalOpt": True}
    (timeline,) = run(bucket, tmp_path, manifest(process=process))
    segs = timeline.segments
    assert segs[0].transition is None and segs[0].start == 0.0
    names = {s.transition for s in segs[1:]}
    assert len(names) == 1 and names <= set(DEFAULT_TRANSITIONS)  # uniform by default
    for prev, seg in itertools.pairwise(segs):
        assert seg.transition_duration == 0.4
        assert seg.start == pytest.approx(prev.start + prev.duration - 0.4, abs=1e-3)
        assert prev.narration is not None
        assert prev.start + prev.narration.duration + PAD <= seg.start + 1e-3
    assert timeline.duration == pytest.approx(segs[-1].start + segs[-1].duration, abs=1e-3)


def test_same_seed_same_timelines_and_outputs_differ(bucket: Bucket, tmp_path: Path) -> None:
    m = manifest(
        inputs={
            "TitleArray": ["One", "Two", "Three"],
            "BackgroundMusicArray": ["music/a.m4a", "music/b.m4a", "music/c.m4a"],
            "SpeechTextArray": [" ".join(NARRATION), " ".join(NARRATION[:3])],
        },
        process={"AllowTransition": True, "UseUniformTransition": False},
        output={"Count": 3},
    )
    first = run(bucket, tmp_path, m, seed=11)
    again = run(bucket, tmp_path, m, seed=11)
    assert [t.model_dump() for t in first] == [t.model_dump() for t in again]
    assert [t.seed for t in first] == [11, 12, 13]
    assert [t.index for t in first] == [1, 2, 3]
    assert len({t.title.text for t in first if t.title}) == 3
    assert len({t.music.source for t in first if t.music}) == 3
    assert len({len(t.segments) for t in first}) == 2  # both narrations are used
    picks = [tuple((s.source_in, s.source_out) for s in t.segments) for t in first]
    assert len(set(picks)) == 3
    other = run(bucket, tmp_path, m, seed=12)
    assert [t.model_dump() for t in other] != [t.model_dump() for t in first]
    # Without a seed, the manifest's content is the seed: a retried job plans the same videos.
    assert [t.model_dump() for t in run(bucket, tmp_path, m)] == [
        t.model_dump() for t in run(bucket, tmp_path, m)
    ]


def storyboard(shots_: list[dict[str, Any]], **kw: Any) -> Manifest:
    scene = {"Scene": "MovieHighlights", "ShotInfo": {"ShotScripts": shots_}}
    return manifest(inputs={"SpeechTextArray": None, "SceneInfo": scene}, **kw)


def test_storyboard_speaks_or_plays_each_shot_for_its_duration(
    bucket: Bucket, tmp_path: Path
) -> None:
    shots_ = [
        {"ScriptText": "They set off at dawn.", "SpeechText": "At dawn they leave for the coast."},
        {"ScriptText": "The sky darkens.", "Duration": 2.5, "Volume": 0.7},
        {"Descriptions": ["a key in a drawer"], "Duration": 3.0},
        {"ScriptText": "The end.", "SpeechText": "这是故事的结局。"},
    ]
    m = storyboard(shots_, process={"AllowTransition": True, "EnableTemporalOpt": True})
    (timeline,) = run(bucket, tmp_path, m)
    segs = timeline.segments
    assert [s.shot_text for s in segs] == [
        "They set off at dawn.",
        "The sky darkens.",
        "a key in a drawer",
        "The end.",
    ]
    assert segs[1].narration is None and segs[2].narration is None
    assert segs[1].duration == 2.5 and segs[2].duration == 3.0
    assert segs[1].source_volume == 0.7  # the shot's Volume
    assert segs[2].source_volume == 1.0  # a silent shot plays the film's sound
    assert segs[0].source_volume == 0.0  # MediaConfig.Volume under narration: muted
    assert segs[0].narration is not None and segs[0].duration >= segs[0].narration.duration + PAD
    assert segs[1].caption is None and segs[0].caption == "At dawn they leave for the coast."
    assert timeline.captions is not None and timeline.captions.y == 0.9
    for seg in segs:
        assert bucket.scene_of(seg) is not None


def test_characters_prefer_shots_with_faces_when_a_detector_is_there(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shots_ = [{"Descriptions": ["two people talk"], "Characters": ["Lin", "Mei"], "Duration": 2.0}]
    if not faces.available():
        (timeline,) = run(bucket, tmp_path, storyboard(shots_))
        assert any("opencv" in w for w in timeline.warnings)
    life = bucket.film.of_kind("scene")[3]
    samples = tuple((t / 2, 2 if life.start < t / 2 < life.end else 0) for t in range(60))
    monkeypatch.setattr(faces, "available", lambda: True)
    monkeypatch.setattr(faces, "face_samples", lambda path, **kw: samples)
    for seed in range(3):
        (timeline,) = run(bucket, tmp_path, storyboard(shots_), seed=seed)
        assert bucket.scene_of(timeline.segments[0]) == 3
        assert any("detected, not recognised" in w for w in timeline.warnings)


def test_images_are_stills(bucket: Bucket, tmp_path: Path) -> None:
    m = manifest(
        NARRATION[:2], inputs={"MediaArray": ["pics/poster.png", "oss://b/pics/still.jpg"]}
    )
    (timeline,) = run(bucket, tmp_path, m)
    assert {s.source for s in timeline.segments} == {"pics/poster.png", "pics/still.jpg"}
    for seg in timeline.segments:
        assert seg.source_in == 0.0
        assert seg.source_out == pytest.approx(seg.duration, abs=1e-3)
        assert seg.source_volume == 0.0


def test_overlays_music_background_and_output_follow_the_manifest(
    bucket: Bucket, tmp_path: Path
) -> None:
    m = manifest(
        inputs={
            "TitleArray": ["Island"],
            "SubHeadingArray": [
                {"Level": 1, "TitleArray": ["Part one"]},
                {"Level": 2, "TitleArray": ["Dawn"]},
            ],
            "StickerArray": [
                {
                    "MediaId": MEDIA_ID,
                    "X": 0.05,
                    "Y": 0.05,
                    "Width": 0.2,
                    "Height": 0.2,
                    "Opacity": 0.6,
                },
                {
                    "MediaURL": "oss://b/pics/poster.png",
                    "X": 10,
                    "Y": 20,
                    "Width": 64,
                    "Height": 36,
                },
            ],
            "BackgroundImageArray": ["pics/still.jpg"],
            "BackgroundMusicArray": ["music/a.m4a"],
        },
        editing={
            "TitleConfig": {"FontSize": 30},
            "SubHeadingConfig": {"1": {"Y": 0.3, "FontSize": 20}},
            "BackgroundMusicConfig": {"Volume": 0.35},
            "SpeechConfig": {"Volume": 1.5, "AsrConfig": {"Y": 0.8}},
            "MediaConfig": {"Volume": 0.25},
        },
        process={
            "AllowFilter": True,
            "FilterList": ["m1"],
            "AllowVfxEffect": True,
            "VfxEffectProbability": 1,
        },
        output={"Video": {"Crf": 27}, "Count": 2},
    )
    first, second = run(bucket, tmp_path, m)
    assert first.title is not None and (first.title.text, first.title.y, first.title.font_size) == (
        "Island",
        0.05,
        30,
    )
    levels = {h.level: (h.text, h.y, h.font_size) for h in first.sub_headings}
    assert levels == {1: ("Part one", 0.3, 20), 2: ("Dawn", pytest.approx(0.05 + 2 * 0.06), None)}
    assert [(s.source, s.x, s.opacity) for s in first.stickers] == [
        (f"media/{MEDIA_ID}.png", 0.05, 0.6),
        ("pics/poster.png", 10, 1.0),
    ]
    assert first.background.kind == "image" and first.background.image == "pics/still.jpg"
    assert first.music is not None and (first.music.source, first.music.volume) == (
        "music/a.m4a",
        0.35,
    )
    assert first.captions is not None and first.captions.y == 0.8
    assert first.crf == 27 and (first.width, first.height) == (320, 180)
    assert (first.output, second.output) == ("out/highlight_1.mp4", "out/highlight_2.mp4")
    for seg in first.segments:
        assert seg.filter == "m1"
        assert seg.narration is not None and seg.narration.volume == 1.5
        assert seg.source_volume == 0.25
    assert first.segments[0].effect in DEFAULT_FIRST_CLIP_EFFECTS
    assert all(s.effect in DEFAULT_OTHER_CLIP_EFFECTS for s in first.segments[1:])
    assert Timeline.model_validate_json(first.model_dump_json()) == first


def test_blur_background_by_default_and_preview_only_has_no_output(
    bucket: Bucket, tmp_path: Path
) -> None:
    m = manifest(
        NARRATION[:2],
        editing={"BackgroundImageConfig": {"SubType": "Blur", "Radius": 0.8}},
        output={"GeneratePreviewOnly": True, "Width": 180, "Height": 320},
    )
    (timeline,) = run(bucket, tmp_path, m)
    assert timeline.output is None
    assert (timeline.background.kind, timeline.background.radius) == ("blur", 0.8)
    assert timeline.title is None and timeline.music is None
    assert timeline.captions is not None and timeline.captions.y == 0.8  # vertical


def test_analysis_is_cached_for_later_jobs(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = manifest(NARRATION[:2])
    before = run(bucket, tmp_path / "a", m)

    def no_decoding(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the film was decoded again")

    monkeypatch.setattr(shots, "analyse", no_decoding)
    assert [t.model_dump(exclude={"segments"}) for t in run(bucket, tmp_path / "b", m)] == [
        t.model_dump(exclude={"segments"}) for t in before
    ]
    assert any(bucket.cache.glob("shots-story-*.json"))


def test_without_clip_detection_the_whole_film_is_one_shot(bucket: Bucket, tmp_path: Path) -> None:
    (timeline,) = run(
        bucket,
        tmp_path,
        manifest(process={"EnableClipDetection": False, "EnableTemporalOpt": True}),
    )
    assert all(0.0 <= s.source_in < s.source_out <= bucket.film.duration for s in timeline.segments)


def test_bad_references_fail_before_any_analysis(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analysis, "probe", lambda *a, **k: pytest.fail("probed"))
    for media, code in [
        (["films/story.mp4", "films/missing.mp4"], "InvalidMedia.NotFound"),
        (["https://b.oss-cn-beijing.aliyuncs.com/films/story.mp4"], "InvalidMedia.OutsideBucket"),
    ]:
        with pytest.raises(MediaError) as caught:
            run(bucket, tmp_path, manifest(inputs={"MediaArray": media}))
        assert caught.value.code == code
    with pytest.raises(MediaError) as caught:
        run(bucket, tmp_path, manifest(inputs={"BackgroundMusicArray": ["music/none.mp3"]}))
    assert "music/none.mp3" in caught.value.message


def test_audio_is_not_a_source(bucket: Bucket, tmp_path: Path) -> None:
    with pytest.raises(MediaError) as caught:
        run(bucket, tmp_path, manifest(inputs={"MediaArray": ["music/a.m4a"]}))
    assert caught.value.code == "InvalidMedia.Unsupported"


def test_ssml_is_spoken_with_its_breaks_and_shown_without_tags(
    bucket: Bucket, tmp_path: Path
) -> None:
    plain = manifest(["At dawn they leave for the coast."])
    tagged = manifest(
        ['<speak>At dawn <break time="800ms"/> they leave for the coast.</speak>'],
        editing={"SpeechConfig": {"Voice": "zhixiaobai"}},
    )
    (without,) = run(bucket, tmp_path / "a", plain)
    (with_break,) = run(bucket, tmp_path / "b", tagged)
    seg = with_break.segments[0]
    assert seg.caption == "At dawn they leave for the coast."
    assert seg.narration is not None and without.segments[0].narration is not None
    # Each spoken piece carries espeak's own lead-in and tail, so the break adds at least 0.8 s.
    assert seg.narration.duration >= without.segments[0].narration.duration + 0.8
    assert seg.duration >= seg.narration.duration + PAD
    assert any("'zhixiaobai' is not available offline" in w for w in with_break.warnings)


def test_each_sentence_records_its_engine_voice_and_sample_rate_and_is_synthesised_once(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (first,) = run(bucket, tmp_path / "a", manifest())
    spoken = [seg.narration.sentences for seg in first.segments if seg.narration]
    assert [[(s.text, s.engine, s.model) for s in sentences] for sentences in spoken] == [
        [
            (
                text,
                "espeak" if is_cjk(text[0]) else "piper",
                "cmn" if is_cjk(text[0]) else "en_US-joe-medium",
            )
        ]
        for text in NARRATION
    ]
    for seg in first.segments:
        assert seg.narration is not None
        audio = tmp_path / "a" / seg.narration.audio
        assert seg.narration.sample_rate == wav_format(audio).rate == 22050
        assert [s.sample_rate for s in seg.narration.sentences] == [22050]
    assert not first.warnings
    # A later job with the same sentences takes their audio from the cache: nothing is spoken.
    monkeypatch.setattr(speech, "piper_speak", lambda *a: pytest.fail("spoke again"))
    monkeypatch.setattr(speech, "espeak_speak", lambda *a: pytest.fail("spoke again"))
    (second,) = run(bucket, tmp_path / "b", manifest(output={"Count": 1}))
    assert [s.narration.duration for s in second.segments if s.narration] == [
        s.narration.duration for s in first.segments if s.narration
    ]


def test_a_missing_piper_voice_is_one_warning_for_the_job(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voices, "PIPER_VOICE_PACKAGES", {"no_such_voice_package": "xx"})
    (timeline,) = run(bucket, tmp_path, manifest())
    engines = {
        s.engine for seg in timeline.segments if seg.narration for s in seg.narration.sentences
    }
    assert engines == {"espeak"}
    assert [w for w in timeline.warnings if "Piper" in w] == [
        "no Piper voice is installed (no-such-voice-package); English is spoken by espeak-ng"
    ]
