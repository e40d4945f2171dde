"""How well does narration find its scenes? Goal: >= 90 % with subtitle match on shuffled narration.

Generates a 320x180 film of 16 scenes (6 s each; the ten looks of the test media with a stride
of three, so neighbours always differ), opening credits, a black gap and closing credits; each
scene has one dialogue line burned in and written to a sidecar ``.srt``. The narration has one
sentence for each of 12 scenes that *paraphrases* it (the words a narrator would use, not the
dialogue), in Chinese for the Chinese scenes and English for the English ones; the other four
scenes are distractors whose lines share words with narrated ones. Each configuration is planned end to
end with ``planning.plan_timelines`` (shot detection, speech, matching) for several seeds, in the film's
order and shuffled, and reports the share of segments whose range lies inside the right scene.

Then times ``matching.match`` alone on a feature-length case (1,500 shots with dialogue, 40
sentences) to show the solvers scale.

    .venv/bin/python benchmarks/bench_matching.py [--dir /tmp/highlights-bench] [--seeds 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT / "shared", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from highlights.manifest.models import Manifest  # noqa: E402
from highlights.render.matching import (  # noqa: E402
    Footage,
    MatchOptions,
    Need,
    align,
    build_candidates,
    match,
)
from highlights.render.planning import plan_timelines  # noqa: E402
from highlights.render.subtitles import Cue  # noqa: E402
from highlights.storage.local import LocalStore  # noqa: E402
from highlights.storage.urls import folder_key_for_url  # noqa: E402
from tests.media import LOOK_ORDER, Film, SceneSpec, make_film  # noqa: E402

# (dialogue on screen, what the narrator says about the scene; None: the narration skips it).
# The skipped scenes are distractors: their lines share words with narrated scenes.
SCENES: list[tuple[str, str | None]] = [
    (
        "We leave for the coast at dawn. Pack only what you can carry.",
        "At dawn the family packs what they can carry and heads for the coast.",
    ),
    ("暴风雨今晚就要来了，快把窗户关上。", "暴风雨即将来临，他们连忙关上窗户。"),
    ("The ferry leaves at noon, so don't be late for it.", None),
    (
        "The lighthouse keeper hasn't lit the lamp in twenty years.",
        "For twenty years, the old keeper has left the lighthouse lamp dark.",
    ),
    ("他终于在抽屉里找到了那把旧钥匙。", "翻遍抽屉之后，他找到了那把旧钥匙。"),
    (
        "Nobody leaves this island alive, the ferryman warned.",
        "The ferryman warns them that no one leaves the island alive.",
    ),
    ("看好那扇窗户，别让风吹进来。", None),
    (
        "Mother's letter was hidden inside the piano all along.",
        "Inside the old piano, they discover the letter their mother hid.",
    ),
    ("我们必须在天亮之前穿过森林。", "他们要赶在天亮前穿过那片森林。"),
    (
        "The radio still works, but all we hear is static.",
        "The radio crackles to life, yet only static comes through.",
    ),
    ("That old piano hasn't been tuned in years.", None),
    (
        "Give me the map and I will find the cave myself.",
        "She grabs the map, determined to find the cave alone.",
    ),
    ("船已经修好了，我们明天早上出海。", "渔船终于修好，他们决定明早出海。"),
    ("森林里的狼今晚会出来吗？", None),
    (
        "The wolves only come down from the mountains in winter.",
        "In winter, wolves descend from the snowy mountains.",
    ),
    ("这就是我们故事的结局，也是新的开始。", "故事在这里结束，却也是一个新的开始。"),
]
NARRATED = [k for k, (_, line) in enumerate(SCENES) if line is not None]
SCENE_SECONDS = 6.0

MODES = {
    "random (no option)": {},
    "temporal only": {"EnableTemporalOpt": True},
    "subtitle only": {"EnableSubtitleMatch": True},
    "temporal + subtitle": {"EnableTemporalOpt": True, "EnableSubtitleMatch": True},
}


def make_source(root: Path) -> Film:
    specs = [SceneSpec.credits(3.0, "A FILM BY\nTHE HIGHLIGHTS PROJECT\n高光影业")]
    for k, (dialogue, _) in enumerate(SCENES):
        # Stride 3 over ten looks: neighbours always differ, repeats are ten scenes apart.
        look = LOOK_ORDER[(3 * k) % len(LOOK_ORDER)]
        specs.append(SceneSpec(SCENE_SECONDS, look, dialogue=dialogue, tone_hz=220 + 40 * k))
        if k == 7:
            specs.append(SceneSpec.black(1.0))
    specs.append(SceneSpec.credits(3.0, "THE END\n剧终", scroll=True))
    return make_film(root / "films" / "island.mp4", specs, sidecar_srt=True)


def manifest(order: list[int], process: dict[str, bool]) -> Manifest:
    narration = " ".join(str(SCENES[k][1]) for k in order)
    return Manifest.model_validate(
        {
            "InputConfig": {
                "MediaArray": ["films/island.mp4"],
                "SpeechTextArray": [narration],
                "SceneInfo": {"Scene": "MovieHighlights"},
            },
            "EditingConfig": {"ProcessConfig": process},
            "OutputConfig": {"GeneratePreviewOnly": True, "Width": 320, "Height": 180},
        }
    )


def accuracy(
    film: Film, order: list[int], store: LocalStore, work: Path, m: Manifest, seed: int
) -> float:
    (timeline,) = plan_timelines(
        m,
        store,
        work,
        key_for_url=folder_key_for_url(None),
        cache_dir=store.path_for(".highlights/cache"),
        preview_prefix=".highlights/previews/bench/",
        seed=seed,
        contact_sheets=False,
    )
    if len(timeline.segments) != len(order):
        raise SystemExit(f"expected {len(order)} sentences, got {len(timeline.segments)}")
    scenes = film.of_kind("scene")
    right = 0
    for seg, k in zip(timeline.segments, order, strict=True):
        scene = scenes[k]
        right += scene.start - 1e-6 <= seg.source_in and seg.source_out <= scene.end + 1e-6
    return right / len(order)


def monotonic_bound(order: list[int]) -> int:
    """The most sentences any in-order match without reuse can place right, here: the film has
    one range per scene (6 s scenes, ~4 s sentences), so it is an alignment of 0/1 scores."""
    right = [[1.0 if scene == k else 0.0 for scene in range(len(SCENES))] for k in order]
    return round(sum(right[i][j] for i, j in enumerate(align(right))))


def quality(directory: Path, seeds: int) -> dict[str, dict[str, float]]:
    store = LocalStore(directory)
    started = time.perf_counter()
    film = make_source(directory)
    print(
        f"film: {film.duration:.1f} s, {len(SCENES)} scenes ({time.perf_counter() - started:.1f} s to make)"
    )
    in_order = list(NARRATED)
    shuffled = random.Random(7).sample(in_order, len(in_order))
    print(
        f"shuffled order {shuffled}: a monotonic match can place at most "
        f"{monotonic_bound(shuffled)} of {len(shuffled)} sentences right"
    )
    results: dict[str, dict[str, float]] = {}
    work = directory / "work"
    for name, process in MODES.items():
        results[name] = {}
        for label, order in (("in order", in_order), ("shuffled", shuffled)):
            m = manifest(order, process)
            scores = [accuracy(film, order, store, work, m, seed) for seed in range(seeds)]
            results[name][label] = statistics.mean(scores)
            print(
                f"  {name:<20} {label:<9} accuracy {100 * statistics.mean(scores):5.1f} % "
                f"(min {100 * min(scores):5.1f} %, {seeds} seeds)",
                flush=True,
            )
    return results


def scale() -> dict[str, float]:
    """match() alone on a feature-length footage: 1,500 shots with a line each, 40 sentences."""
    rng = random.Random(3)
    words = [f"w{k}" for k in range(3000)]
    shots, cues, t = [], [], 0.0
    for _ in range(1500):
        length = rng.uniform(1.5, 8.0)
        shots.append((t, t + length))
        cues.append(Cue(t + 0.2, t + length - 0.2, " ".join(rng.sample(words, 8))))
        t += length
    footage = [Footage("film.mp4", t, tuple(shots), tuple(cues))]
    picked = rng.sample(range(1500), 40)
    needs = [
        Need(rng.uniform(2.0, 4.0), " ".join(cues[k].text.split()[:5])) for k in sorted(picked)
    ]
    timings: dict[str, float] = {}
    candidates = build_candidates(footage, window=max(n.duration for n in needs))
    for name, options in (
        ("temporal (DP)", MatchOptions(temporal=True)),
        ("subtitle (assignment)", MatchOptions(subtitle=True)),
        ("temporal + subtitle (DP)", MatchOptions(temporal=True, subtitle=True)),
    ):
        started = time.perf_counter()
        match(needs, candidates, options)
        timings[name] = time.perf_counter() - started
        print(f"  {name:<26} {len(needs)} x {len(candidates)} candidates: {timings[name]:.2f} s")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp one)")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-matching-") as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        print("match accuracy (share of segments inside the right scene):")
        results = quality(directory, args.seeds)
        print("matching alone, feature-length:")
        timings = scale()
    goal = results["subtitle only"]["shuffled"]
    print(json.dumps({"accuracy": results, "seconds": timings}, indent=1))
    verdict = "met" if goal >= 0.9 else "NOT met"
    print(
        f"goal (>= 90 % with subtitle match on shuffled narration): {100 * goal:.1f} %, {verdict}"
    )
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
