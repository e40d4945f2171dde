"""Validation speed of the largest legal manifests, and the import cost of the contract.

    .venv/bin/python benchmarks/bench_manifest.py

Goals (issue #2): validate the largest legal manifest in under 20 ms; import
`highlights.manifest` in under 150 ms.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from typing import Any

URL = "https://films.oss-cn-shanghai.aliyuncs.com"


def _common() -> dict[str, Any]:
    faces = [
        {"Name": f"Person {i}", "ImageURL": f"https://cdn.example.com/faces/{i}.png"}
        for i in range(200)
    ]
    return {
        "InputConfig": {
            "MediaArray": [f"{URL}/films/{i}.mp4" for i in range(50)],
            "TitleArray": [f"Title number {i:02d} " + "x" * 34 for i in range(50)],
            "SubHeadingArray": [
                {"Level": level, "TitleArray": [f"Level {level} heading {i}" for i in range(50)]}
                for level in range(1, 6)
            ],
            "SceneInfo": {"Scene": "MovieHighlights", "FaceInfo": {"ImageInfoList": faces}},
            "StickerArray": [
                {
                    "MediaURL": f"{URL}/s/{i}.png",
                    "X": 0.1,
                    "Y": 0.1,
                    "Width": 0.2,
                    "Height": 0.2,
                    "Opacity": 0.5,
                }
                for i in range(50)
            ],
            "BackgroundMusicArray": [f"{URL}/m/{i}.mp3" for i in range(50)],
            "BackgroundImageArray": ["0123456789abcdef0123456789abcdef"] * 50,
        },
        "EditingConfig": {
            "ProcessConfig": {
                "AllowTransition": True,
                "TransitionList": ["fade", "directional"] * 10,
            },
            "SubHeadingConfig": {
                str(level): {"Y": 0.1 * level, "FontSize": 30} for level in range(1, 6)
            },
        },
        "OutputConfig": {
            "MediaURL": f"{URL}/out/h_{{index}}.mp4",
            "Count": 100,
            "Width": 1080,
            "Height": 1920,
        },
        "UserData": {"campaign": "benchmark"},
    }


def largest_narration() -> str:
    doc = _common()
    doc["InputConfig"]["SpeechTextArray"] = [
        ("A sentence of narration. " * 40)[:1000] for _ in range(50)
    ]
    return json.dumps(doc)


def largest_storyboard() -> str:
    doc = _common()
    doc["InputConfig"]["SceneInfo"]["ShotInfo"] = {
        "ShotScripts": [
            {
                "Descriptions": [f"Shot {i} description"],
                "Characters": [f"Person {i % 200}", f"Person {(i * 7) % 200}"],
                "Settings": ["A street at night"],
                "SpeechText": ("Narration for this shot. " * 40)[:1000],
            }
            for i in range(100)
        ]
    }
    return json.dumps(doc)


def bench_validate(name: str, text: str, rounds: int = 200) -> None:
    from highlights.manifest import validate_manifest

    validate_manifest(text, region="cn-shanghai")  # builds the deferred models once
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        validation = validate_manifest(text, region="cn-shanghai")
        times.append((time.perf_counter() - start) * 1000)
    assert validation.ok, validation.errors[:3]
    times.sort()
    print(
        f"validate {name:<11} {len(text) / 1024:6.0f} KiB  median {statistics.median(times):6.2f} ms"
        f"  p95 {times[int(len(times) * 0.95)]:6.2f} ms  (goal < 20 ms)"
    )


def bench_import(rounds: int = 7) -> None:
    code = (
        "import time; t = time.perf_counter();"
        "from highlights.manifest import validate_manifest; a = time.perf_counter();"
        "validate_manifest(open(0).read(), region='cn-shanghai'); b = time.perf_counter();"
        "print((a - t) * 1000, (b - a) * 1000)"
    )
    text = largest_narration()
    imports, firsts = [], []
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, "-c", code], input=text, capture_output=True, text=True, check=True
        )
        imp, first = map(float, out.stdout.split())
        imports.append(imp)
        firsts.append(first)
    print(
        f"from highlights.manifest import validate_manifest: median {statistics.median(imports):6.1f} ms  (goal < 150 ms)"
    )
    print(
        f"first validation in a fresh process (builds models) median {statistics.median(firsts):6.1f} ms"
    )


if __name__ == "__main__":
    bench_validate("narration", largest_narration())
    bench_validate("storyboard", largest_storyboard())
    bench_import()
