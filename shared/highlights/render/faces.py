"""Faces, offline: how many faces sampled frames show, with OpenCV's bundled Haar cascade.

What this can honestly do: ICE matches ``Characters`` against the photos in ``FaceInfo``
(recognition). Offline there is no recognition model that ships with a package (OpenCV's SFace
and YuNet models are separate downloads, and nothing is downloaded at run time), so the engine
only *detects* faces: it samples one frame per ``every`` seconds, counts frontal faces with the
Haar cascade that ``opencv-python-headless`` 4.x ships in ``cv2.data``, and the matcher prefers
shots showing at least as many faces as the storyboard shot names characters. Who the faces
are is not known; profiles, small or dark faces are often missed. Without OpenCV (an optional
dependency, never required) ``available()`` is false and the planner says in the timeline's
warnings that Characters were not used.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Any

from highlights.render import cache
from highlights.render.ffmpeg import input_args, run_ffmpeg
from highlights.render.probe import MediaInfo, probe
from highlights.render.process import check_cancelled, scratch_folder

FACES_VERSION = 1
CASCADE = "haarcascade_frontalface_default.xml"


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """True when OpenCV can be imported and ships its Haar cascades (4.x wheels do; the 5.0
    wheels dropped ``CascadeClassifier`` and ``cv2.data``'s XML files)."""
    if importlib.util.find_spec("cv2") is None:
        return False
    try:
        import cv2
    except ImportError:  # e.g. the non-headless wheel without libGL
        return False
    folder = getattr(getattr(cv2, "data", None), "haarcascades", "")
    return hasattr(cv2, "CascadeClassifier") and os.path.isfile(os.path.join(folder, CASCADE))


def _detector() -> Any:
    import cv2  # optional dependency: only imported when available() said so

    classifier = cv2.CascadeClassifier(os.path.join(cv2.data.haarcascades, CASCADE))
    if classifier.empty():
        raise RuntimeError(f"OpenCV could not load its bundled {CASCADE}")
    return cv2, classifier


def face_samples(
    path: str | os.PathLike[str],
    *,
    every: float = 1.0,
    width: int = 320,
    cache_dir: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    info: MediaInfo | None = None,
) -> tuple[tuple[float, int], ...]:
    """``(time, faces seen)`` for one frame every ``every`` seconds of the video at ``path``
    (``info``: what ``probe`` found, probed here when not given)."""
    params = {"version": FACES_VERSION, "every": every, "width": width, "cascade": CASCADE}
    key = cache.cache_key("faces", path, params)
    if cache_dir is not None:
        cached = cache.load(cache_dir, key)
        if cached is not None:
            return tuple((float(t), int(n)) for t, n in cached)
    cv2, classifier = _detector()
    info = info or probe(path)
    samples: list[tuple[float, int]] = []
    with scratch_folder("faces-") as tmp:
        # Small grey frames are all the cascade needs, and they keep the pass cheap.
        run_ffmpeg(
            [
                "-loglevel", "error", *input_args(path, info.format_name),
                "-map", "0:v:0", "-an", "-sn",
                "-vf", f"fps=1/{every:g},scale={width}:-2,format=gray",
                str(Path(tmp) / "%06d.pgm"),
            ],
            what=f"sample frames of {Path(path).name} for faces",
            timeout=timeout if timeout is not None else 120.0 + 2.0 * (info.duration or 0.0),
        )  # fmt: skip
        for k, frame in enumerate(sorted(Path(tmp).glob("*.pgm"))):
            check_cancelled("face detection")  # OpenCV works in this process
            image = cv2.imread(str(frame), cv2.IMREAD_GRAYSCALE)
            if image is None:
                continue
            found = classifier.detectMultiScale(image, scaleFactor=1.1, minNeighbors=5,
                                                minSize=(20, 20))  # fmt: skip
            samples.append((round(k * every, 3), len(found)))
    if cache_dir is not None:
        cache.store(cache_dir, key, [list(s) for s in samples])
    return tuple(samples)
