"""How fast is shot detection? Goal: at least 20x real time on a 10-minute 720p film, 2 cores.

Generates (once, cached in ``--dir``) a 1280x720 25 fps H.264 film of ``--minutes`` minutes with
many scenes, a few black gaps and opening/closing credits, encoded at a film-like bitrate with
light grain (a grain-free synthetic picture would compress and decode unrealistically fast).
Then runs ``detect_shots`` without a cache and prints the time and the multiple of real time.

    python benchmarks/bench_shot_detection.py [--dir /tmp/highlights-bench] [--minutes 10]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT / "shared", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from highlights.render.probe import probe  # noqa: E402
from highlights.render.shots import detect_shots  # noqa: E402
from tests.media import LOOK_ORDER, SceneSpec, make_film  # noqa: E402


def film_plan(minutes: float, seed: int = 20) -> list[SceneSpec]:
    rng = random.Random(seed)
    total = minutes * 60
    plan = [SceneSpec.credits(8.0, "A FILM BY\nTHE HIGHLIGHTS PROJECT\n\n高光时刻")]
    t = 8.0
    look = 0
    while t < total - 20:
        duration = rng.uniform(2.0, 9.0)
        # A stride coprime with the number of looks: neighbours always differ.
        look = (look + 3) % len(LOOK_ORDER)
        plan.append(SceneSpec(duration, look=LOOK_ORDER[look], dialogue=f"Scene {len(plan)}"))
        t += duration
        if rng.random() < 0.04:
            plan.append(SceneSpec.black(1.0))
            t += 1.0
    plan.append(SceneSpec.credits(total - t, "CAST\n\nTHE END\n剧终", scroll=True))
    return plan


def source(directory: Path, minutes: float) -> Path:
    path = directory / f"bench-{minutes:g}min-720p.mp4"
    truth = path.with_suffix(".truth.json")
    if path.exists() and truth.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    print(f"generating {path} (once) ...", flush=True)
    started = time.perf_counter()
    film = make_film(
        path.with_suffix(".part.mp4"),
        film_plan(minutes),
        size=(1280, 720),
        fps=25,
        video_args=(
            *("-c:v", "libx264", "-preset", "veryfast"),
            *("-b:v", "3M", "-maxrate", "4M", "-bufsize", "8M"),
        ),
        extra_filters="noise=alls=5:allf=t",
    )
    film.path.rename(path)
    truth.write_text(json.dumps({"cuts": film.cuts, "duration": film.duration}), encoding="utf-8")
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/highlights-bench"))
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=None, help="parallel ffmpeg processes")
    args = parser.parse_args(argv)

    path = source(args.dir, args.minutes)
    info = probe(path)
    truth = json.loads(path.with_suffix(".truth.json").read_text(encoding="utf-8"))
    bitrate = path.stat().st_size * 8 / (info.duration or 1) / 1e6
    print(
        f"source: {info.width}x{info.height} {info.fps:g} fps, {info.duration:.1f} s, "
        f"{bitrate:.1f} Mbit/s, {len(truth['cuts'])} true boundaries"
    )
    for run in range(args.runs):
        started = time.perf_counter()
        analysis = detect_shots(path, info, cache_dir=None, jobs=args.jobs)
        elapsed = time.perf_counter() - started
        speed = (info.duration or 0) / elapsed
        print(
            f"run {run + 1}: {elapsed:.2f} s, {speed:.1f}x real time, "
            f"{len(analysis.shots)} shots kept, {len(analysis.dropped)} dropped, "
            f"opening credits {analysis.opening_credits}, closing {analysis.closing_credits}"
        )
        found = sorted(analysis.cuts)
        missed = [c for c in truth["cuts"] if not any(abs(c - f) <= 0.2 for f in found)]
        extra = [f for f in found if not any(abs(c - f) <= 0.2 for c in truth["cuts"])]
        print(
            f"        true boundaries found within 0.2 s: {len(truth['cuts']) - len(missed)}"
            f"/{len(truth['cuts'])}; boundaries with no true one: {len(extra)} {extra[:5]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
