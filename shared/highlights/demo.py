"""`highlights demo`: generated media and manifests of both modes, run end to end on the local engine.

Everything is made here: a short film with distinct scenes, its dialogue burned in and in a sidecar
`.srt`, opening and closing credits and a black gap (which the engine must leave out); a music bed;
a sticker; face photos. Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from highlights.demo_media import SceneSpec, make_film, make_image
from highlights.render.ffmpeg import run_ffmpeg

if TYPE_CHECKING:
    from highlights.config import Settings

BUCKET_URL = "https://demo-bucket.oss-cn-shanghai.aliyuncs.com"
FILM_KEY = "media/night-train.mp4"
MEDIA_ID_FILM = "media/0123456789abcdef0123456789abcdef.mp4"  # the examples' media ID
SCENES = [
    ("gradients", "The city lights go out one by one."),
    ("smptebars", "The last train leaves the empty station."),
    ("testsrc2", "A lonely train crosses the long iron bridge."),
    ("teal", "Inside, strangers share the silence of the night."),
    ("violet", "Someone stops beside her seat and smiles."),
    ("cellauto", "Snow begins to fall over the frozen river."),
    ("amber", "The conductor checks the tickets in the dark."),
    ("mandelbrot", "At dawn the doors open and everyone goes home."),
]


def film_scenes() -> list[SceneSpec]:
    scenes = [SceneSpec.credits(3.0, "THE NIGHT TRAIN\na generated film")]
    for i, (look, line) in enumerate(SCENES):
        scenes.append(SceneSpec(duration=5.0, look=look, dialogue=line, tone_hz=220 + 55 * i))
        if i == 3:
            scenes.append(SceneSpec.black(1.0))
    scenes.append(SceneSpec.credits(3.0, "directed by ffmpeg\nno trains were harmed", scroll=True))
    return scenes


def make_music(path: Path, duration: float = 20.0) -> Path:
    """A soft A-minor pad with a slow swell: pleasant enough to sit under a narration."""
    chord = "+".join(f"sin(2*PI*{f}*t)" for f in (220.0, 261.63, 329.63, 440.0))
    expr = f"0.12*({chord})*(0.6+0.4*sin(2*PI*t/5))"
    path.parent.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc=exprs='{expr}':s=48000:d={duration}",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            str(path),
        ],
        what="demo music",
    )
    return path


def manifests() -> dict[str, dict[str, Any]]:
    film = f"{BUCKET_URL}/{FILM_KEY}"
    music = f"{BUCKET_URL}/media/theme.m4a"
    badge = f"{BUCKET_URL}/media/badge.png"
    narration = (
        "The city falls asleep as its lights fade away. The final train pulls out of a deserted "
        "platform. It rolls across a long bridge of iron. Passengers sit together without a word. "
        "When the sun rises, the doors slide open and people head home."
    )
    shuffled = (
        "When the sun rises, the doors slide open and people head home. Snowflakes drift down on "
        "the icy river. Passengers sit together without a word. The city falls asleep as its lights fade away."
    )
    return {
        "demo-global-narration": {
            "InputConfig": {
                "MediaArray": [film],
                "TitleArray": ["The Night Train", "One Night, One Train"],
                "SubHeadingArray": [{"Level": 1, "TitleArray": ["Highlights"]}],
                "SpeechTextArray": [narration, shuffled],
                "SceneInfo": {"Scene": "MovieHighlights"},
                "StickerArray": [
                    {
                        "MediaURL": badge,
                        "X": 0.74,
                        "Y": 0.02,
                        "Width": 0.22,
                        "Height": 0.12,
                        "Opacity": 0.85,
                    }
                ],
                "BackgroundMusicArray": [music],
            },
            "EditingConfig": {
                "BackgroundImageConfig": {"SubType": "Blur", "Radius": 0.6},
                "ProcessConfig": {
                    "AllowTransition": True,
                    "TransitionList": ["fade", "directional"],
                    "TransitionDuration": 0.4,
                    "EnableSubtitleMatch": True,
                },
            },
            "OutputConfig": {
                "MediaURL": f"{BUCKET_URL}/outputs/demo/night-train_{{index}}.mp4",
                "Count": 2,
                "Width": 720,
                "Height": 1280,
                "Video": {"Crf": 26},
            },
            "UserData": {"campaign": "demo"},
        },
        "demo-storyboard": {
            "InputConfig": {
                "MediaArray": [film],
                "TitleArray": ["Last Train Home"],
                "SceneInfo": {
                    "Scene": "MovieHighlights",
                    "ShotInfo": {
                        "ShotScripts": [
                            {
                                "ScriptText": "The city at night, its lights going out one by one.",
                                "SpeechText": "Every night, the city goes dark.",
                            },
                            {
                                "ScriptText": "A train crosses a long iron bridge.",
                                "SpeechText": "But one train still crosses the bridge.",
                            },
                            {
                                "ScriptText": "Snow falls over the frozen river.",
                                "Duration": 3.0,
                                "Volume": 1.0,
                            },
                            {
                                "ScriptText": "At dawn the doors open and everyone goes home.",
                                "SpeechText": "And at dawn, everyone is home.",
                            },
                        ]
                    },
                },
                "BackgroundMusicArray": [music],
            },
            "EditingConfig": {
                "ProcessConfig": {"EnableTemporalOpt": True, "EnableSubtitleMatch": True}
            },
            "OutputConfig": {
                "MediaURL": f"{BUCKET_URL}/outputs/demo/last-train_{{index}}.mp4",
                "Width": 1280,
                "Height": 720,
            },
        },
    }


def prepare(bucket: Path, *, out: TextIO | None = None) -> None:
    """Generate the demo media once (kept between runs) and write the manifests' sources."""
    out = sys.stdout if out is None else out
    media = bucket / "media"
    film = bucket / FILM_KEY
    if not film.exists():
        print(
            "generating a 50-second film with 8 scenes, credits and a black gap ...",
            file=out,
            flush=True,
        )
        make_film(film, film_scenes(), size=(640, 360), sidecar_srt=True)
    aliases = {
        bucket / MEDIA_ID_FILM: film,
        media / "0123456789abcdef0123456789abcdef.srt": film.with_suffix(".srt"),
    }
    for alias, target in aliases.items():
        if not alias.exists():
            alias.write_bytes(target.read_bytes())
    if not (media / "theme.m4a").exists():
        make_music(media / "theme.m4a")
    if not (media / "badge.png").exists():
        make_image(media / "badge.png", (240, 120), look="amber", text="DEMO")
    faces = {
        bucket / "faces" / "lin-xia.png": "Lin Xia",
        media / "fedcba9876543210fedcba9876543210.png": "Conductor",
    }
    for path, name in faces.items():
        if not path.exists():
            make_image(path, (160, 160), look="teal", text=name)


def demo(settings: Settings, *, out: TextIO | None = None) -> int:
    """Generate the demo's media into the settings' folder, then run both manifests."""
    from highlights.local.run import run

    out = sys.stdout if out is None else out
    started = time.monotonic()
    bucket = Path(settings.store)
    bucket.mkdir(parents=True, exist_ok=True)
    prepare(bucket, out=out)
    worst = 0
    for name, manifest in manifests().items():
        path = bucket / "demo-manifests" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\n== {name}", file=out, flush=True)
        worst = max(worst, run(path, settings, out=out))
    print(
        f"\ndemo finished in {time.monotonic() - started:.0f} s; bucket: {bucket.resolve()}",
        file=out,
    )
    print(
        f"try: .venv/bin/highlights run examples/storyboard-manual.json --bucket {_short(bucket)}",
        file=out,
        flush=True,
    )
    return worst


def _short(path: Path) -> str:
    """The folder as the person would type it here: relative when it is under this folder."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)
