"""Seconds of work per output second for a two-film job, end to end: analysis, speech, matching,
contact sheets and composition, as the local engine runs a job (``plan_timelines`` then
``compose`` per output).

Generates (once, cached in ``--dir``) two 720p 25 fps films of ``--minutes`` minutes with grain:
one with a 4:3 picture between black bars, opening titles and end credits over moving pictures;
one full-frame with burned-in dialogue. The job narrates both in a vertical 1080x1920 output
(``--count`` outputs, temporal order). The first run starts with an empty analysis cache (what a
new film costs), the next ones reuse it (what another job on the same films costs).

    python benchmarks/bench_footage_job.py [--dir /tmp/highlights-bench] [--minutes 2] [--runs 2]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT / "shared", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from highlights.manifest.models import Manifest  # noqa: E402
from highlights.render.compose import compose  # noqa: E402
from highlights.render.planning import plan_timelines  # noqa: E402
from highlights.storage.local import LocalStore  # noqa: E402
from highlights.storage.urls import folder_key_for_url  # noqa: E402
from tests.media import SceneSpec, make_film  # noqa: E402

LOOKS = ("testsrc2", "smptebars", "amber", "teal", "gradients", "rgbtestsrc", "violet")
NARRATION = (
    "They leave for the coast at dawn. The storm is coming tonight. Nobody knows who opened "
    "the door. The key was under the floor all along. At last the island is quiet again. "
    "Somebody is still watching from the hill. The boat never came back."
)


def plan_of(minutes: float, seed: int, *, titles: bool) -> list[SceneSpec]:
    rng = random.Random(seed)
    total = minutes * 60
    plan = [SceneSpec.titles(4.0, "HIGHLIGHTS PICTURES\npresents")] if titles else []
    t = sum(s.duration for s in plan)
    while t < total - (6 if titles else 0):
        duration = rng.uniform(2.0, 7.0)
        plan.append(SceneSpec(duration, rng.choice(LOOKS), dialogue=f"Line {len(plan)} is said."))
        t += duration
    if titles:
        plan.append(SceneSpec.titles(6.0, "DIRECTED BY A. PERSON\n\nTHE END", scroll=True))
    return plan


def films(directory: Path, minutes: float) -> list[Path]:
    paths = []
    for name, picture, titles in (("bars", (960, 720), True), ("dialogue", None, False)):
        path = directory / f"footage-{name}-{minutes:g}min.mp4"
        if not path.exists():
            print(f"generating {path} (once) ...", flush=True)
            made = make_film(
                path.with_suffix(".part.mp4"),
                plan_of(minutes, len(name), titles=titles),
                size=(1280, 720),
                picture=picture,
                video_args=("-c:v", "libx264", "-preset", "veryfast", "-b:v", "3M"),
                extra_filters="noise=alls=5:allf=t",
            )
            made.path.rename(path)
        paths.append(path)
    return paths


def manifest(count: int) -> Manifest:
    return Manifest.model_validate(
        {
            "InputConfig": {
                "MediaArray": ["films/a.mp4", "films/b.mp4"],
                "SpeechTextArray": [NARRATION],
                "SceneInfo": {"Scene": "MovieHighlights"},
            },
            "EditingConfig": {"ProcessConfig": {"EnableTemporalOpt": True}},
            "OutputConfig": {
                "MediaURL": "oss://bucket/out/highlight_{index}.mp4",
                "Width": 1080,
                "Height": 1920,
                "Count": count,
            },
        }
    )


def cpu() -> float:
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/highlights-bench"))
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--count", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args(argv)

    sources = films(args.dir, args.minutes)
    root = args.dir / "footage-bucket"
    shutil.rmtree(root, ignore_errors=True)
    (root / "films").mkdir(parents=True)
    for source, key in zip(sources, ("a.mp4", "b.mp4"), strict=True):
        shutil.copyfile(source, root / "films" / key)
    store = LocalStore(root)
    cache = root / ".highlights" / "cache"
    for run in range(args.runs):
        work = root / f"work-{run}"
        started, cpu_before = time.perf_counter(), cpu()
        timelines = plan_timelines(
            manifest(args.count),
            store,
            work,
            key_for_url=folder_key_for_url("cn-shanghai"),
            cache_dir=cache,
            preview_prefix=".highlights/previews/bench/",
        )
        planned = time.perf_counter()
        seconds = 0.0
        for timeline in timelines:
            out = root / "out" / f"highlight_{timeline.index}.mp4"
            out.parent.mkdir(parents=True, exist_ok=True)
            seconds += compose(timeline, store, out, work_dir=work).duration
        wall, used = time.perf_counter() - started, cpu() - cpu_before
        cached = "warm cache" if run else "cold cache"
        print(
            f"run {run + 1} ({cached}): {len(timelines)} outputs, {seconds:.1f} s of video; "
            f"planning {planned - started:.1f} s, composing {time.perf_counter() - planned:.1f} s; "
            f"{wall / seconds:.2f} s of wall time and {used / seconds:.2f} CPU-s per output second",
            flush=True,
        )
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
