"""Validation speed of large legal manifests, the import cost of the contract, and how validation
scales with hostile sizes.

    .venv/bin/python benchmarks/bench_manifest.py [--quick]

Goals (issue #2): validate a large legal manifest in under 20 ms; import
`highlights.manifest` in under 150 ms. Issue #13: validation linear in time and memory (under
30 MB of memory per MB of input) for 1, 10 and 30 MB manifests (the size cap raised for them),
and a manifest above the cap refused in under 100 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
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
    """100 shots (the most a storyboard takes), narrated with all 5,000 characters a storyboard
    may speak, and described at length."""
    doc = _common()
    doc["InputConfig"]["SceneInfo"]["ShotInfo"] = {
        "ShotScripts": [
            {
                "Descriptions": [
                    f"Shot {i}, part {part}: " + ("the camera follows the train. " * 10)[:280]
                    for part in range(3)
                ],
                "Characters": [f"Person {i % 200}", f"Person {(i * 7) % 200}"],
                "Settings": ["A street at night"],
                "SpeechText": ("Narration for this shot. " * 2)[:50],
            }
            for i in range(100)
        ]
    }
    return json.dumps(doc)


def largest_possible() -> str:
    """Every array and text at its limit, in CJK (3 bytes a character), references at 2,048
    characters: what the default size cap must hold."""
    from highlights.manifest import limits as lim

    cjk = "夜"

    def ref(i: int) -> str:
        head = f"{URL}/{i:04d}/"
        return head + "a" * (2048 - len(head) - 4) + ".mp4"

    doc: dict[str, Any] = {
        "InputConfig": {
            "MediaArray": [ref(i) for i in range(lim.MAX_MEDIA)],
            "TitleArray": [cjk * lim.MAX_TITLE_CHARS] * lim.MAX_TITLES,
            "SubHeadingArray": [
                {"Level": level, "TitleArray": [cjk * lim.MAX_TITLE_CHARS] * lim.MAX_TITLES}
                for level in range(1, lim.MAX_SUB_HEADINGS + 1)
            ],
            "SceneInfo": {
                "Scene": "MovieHighlights",
                "FaceInfo": {
                    "ImageInfoList": [
                        {
                            "Name": f"{i:03d}" + cjk * (lim.MAX_NAME_CHARS - 3),
                            "ImageURL": "https://cdn.example.com/" + "f" * 2000 + f"{i}.png",
                        }
                        for i in range(lim.MAX_FACES)
                    ]
                },
                "ShotInfo": {
                    "ShotScripts": [
                        {
                            "Descriptions": [cjk * lim.MAX_SHOT_ITEM_CHARS] * lim.MAX_SHOT_ITEMS,
                            "Characters": [
                                f"{(i + j) % lim.MAX_FACES:03d}" + cjk * (lim.MAX_NAME_CHARS - 3)
                                for j in range(lim.MAX_SHOT_CHARACTERS)
                            ],
                            "Settings": [cjk * lim.MAX_SHOT_ITEM_CHARS] * lim.MAX_SHOT_ITEMS,
                            "SpeechText": cjk * (lim.MAX_STORYBOARD_SPEECH_CHARS // lim.MAX_SHOTS),
                        }
                        for i in range(lim.MAX_SHOTS)
                    ]
                },
            },
            "StickerArray": [
                {"MediaURL": ref(i), "X": 0.1, "Y": 0.1, "Width": 0.2, "Height": 0.2}
                for i in range(lim.MAX_STICKERS)
            ],
            "BackgroundMusicArray": [ref(i) for i in range(lim.MAX_MUSIC)],
            "BackgroundImageArray": [ref(i) for i in range(lim.MAX_BACKGROUND_IMAGES)],
        },
        "OutputConfig": {
            "MediaURL": f"{URL}/out/h_{{index}}.mp4",
            "Count": lim.MAX_OUTPUTS,
            "Width": 1080,
            "Height": 1920,
        },
    }
    return json.dumps(doc, ensure_ascii=False)


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
    size = len(text.encode())
    print(
        f"validate {name:<11} {size / 1024:6.0f} KiB  median {statistics.median(times):6.2f} ms"
        f"  p95 {times[int(len(times) * 0.95)]:6.2f} ms"
        + ("  (goal < 20 ms)" if name != "maximal" else "  (every limit at its maximum)")
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


# -- scaling: hostile sizes, each validated in a fresh process -------------------------------------


def _base() -> dict[str, Any]:
    return {
        "InputConfig": {
            "MediaArray": [f"{URL}/in/film.mp4"],
            "SceneInfo": {"Scene": "MovieHighlights"},
        },
        "OutputConfig": {"MediaURL": f"{URL}/out/h_{{index}}.mp4", "Width": 1080, "Height": 1920},
    }


def one_long_text(size: int) -> str:
    """One shot whose ScriptText is the whole size (the comment stripper once grew per character)."""
    doc = _base()
    shot = {"ScriptText": "A long night. " * (size // 14), "SpeechText": "Night."}
    doc["InputConfig"]["SceneInfo"]["ShotInfo"] = {"ShotScripts": [shot]}
    return json.dumps(doc)


def many_shots(size: int) -> str:
    """Shots until the size is reached, narrated in CJK (written as \\u escapes)."""
    doc = _base()
    shot = {
        "ScriptText": "A train crosses the bridge at night, lights on the water. " * 3,
        "SpeechText": "夜班列车穿过大桥，灯光落在水面上。" * 5,
    }
    count = size // len(json.dumps(shot)) + 1
    doc["InputConfig"]["SceneInfo"]["ShotInfo"] = {"ShotScripts": [shot] * count}
    return json.dumps(doc)


def comments(size: int) -> str:
    """A small valid manifest after that many bytes of // and /* */ comments."""
    doc = _base()
    doc["InputConfig"]["SpeechTextArray"] = ["The city sleeps."]
    pad = "// a note for the editors of the film, with a URL: https://example.com/x\n" * 20
    pad += "/* " + "a block comment, * and / inside\n" * 40 + "*/\n"
    return pad * (size // len(pad) + 1) + json.dumps(doc, indent=2)


def big_template(size: int) -> str:
    """A valid manifest whose TemplateConfig (passed through as it is) holds the size."""
    doc = _base()
    doc["InputConfig"]["SpeechTextArray"] = ["The city sleeps."]
    entry = {"Name": "clip", "Url": f"{URL}/x/y.mp4", "Start": 1.5, "Tags": ["a", "b"]}
    doc["TemplateConfig"] = {"Clips": [entry] * (size // len(json.dumps(entry)) + 1)}
    return json.dumps(doc)


def many_errors(size: int) -> str:
    """Shots that each break several rules (silent too long, control characters, unknown keys)."""
    doc = _base()
    shot = {"ScriptText": "A\u0000train.", "Duration": 1e9, "Volume": 99, "Colour": "red"}
    count = size // (len(json.dumps(shot)) + len('"not a reference", ')) + 1
    doc["InputConfig"]["SceneInfo"]["ShotInfo"] = {"ShotScripts": [shot] * count}
    doc["InputConfig"]["MediaArray"] = ["not a reference"] * count
    return json.dumps(doc)


SHAPES = {
    "one long text": one_long_text,
    "many shots": many_shots,
    "many errors": many_errors,
    "comments": comments,
    "big template": big_template,
}

CHILD = """
import resource, sys, time
from highlights.manifest import validate_manifest

def rss_kib(field):
    try:
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith(field + ":"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

validate_manifest("{}")  # builds the models
data = open(sys.argv[1], "rb").read()
try:  # resets the peak (VmHWM) to the current size, so the peak below is this call's
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
except OSError:
    pass
before = rss_kib("VmRSS")
start = time.perf_counter()
validation = validate_manifest(data, region="cn-shanghai", max_bytes=int(sys.argv[2]))
took = time.perf_counter() - start
print(took, max(rss_kib("VmHWM") - before, 0), int(validation.ok), len(validation.errors))
"""


def bench_scaling(sizes_mib: tuple[int, ...]) -> None:
    print(f"scaling (fresh process each; cap raised to {max(sizes_mib) * 2} MiB):")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "manifest.json"
        for name, shape in SHAPES.items():
            for mib in sizes_mib:
                data = shape(mib << 20).encode()
                path.write_bytes(data)
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, str(path), str(max(sizes_mib) * 2 << 20)],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "PYTHONHASHSEED": "0"},
                )
                took, grown_kib, ok, errors = out.stdout.split()
                size_mb = len(data) / 2**20
                grown_mb = int(grown_kib) / 1024
                print(
                    f"  {name:<14} {size_mb:5.1f} MB  {float(took):6.2f} s"
                    f"  peak +{grown_mb:6.0f} MB ({grown_mb / size_mb:5.1f} MB per MB)"
                    f"  {'valid' if ok == '1' else f'{errors} error(s)'}  (goal < 30 MB per MB)"
                )


def bench_refusal(rounds: int = 20) -> None:
    from highlights.manifest import validate_manifest
    from highlights.manifest.limits import MAX_MANIFEST_BYTES

    as_bytes = many_shots(32 << 20).encode()
    inputs = (
        ("bytes", as_bytes),
        ("ASCII text", as_bytes.decode()),
        ("CJK text", json.dumps({"x": "夜" * (11 << 20)}, ensure_ascii=False)),
    )
    for label, data in inputs:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            validation = validate_manifest(data, region="cn-shanghai")
            times.append((time.perf_counter() - start) * 1000)
        assert validation.errors[0].path == "$" and "at most" in validation.errors[0].message
        size = len(data.encode() if isinstance(data, str) else data)
        print(
            f"refuse {size / 2**20:.0f} MB ({label}) above the {MAX_MANIFEST_BYTES >> 20} MiB"
            f" cap: median {statistics.median(times):7.3f} ms  max {max(times):7.3f} ms"
            "  (goal < 100 ms)"
        )


if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    bench_validate("narration", largest_narration())
    bench_validate("storyboard", largest_storyboard())
    bench_validate("maximal", largest_possible(), rounds=20)
    bench_import()
    bench_refusal()
    bench_scaling((1, 4) if quick else (1, 10, 30))
