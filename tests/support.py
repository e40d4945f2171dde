"""What the suites share: one clock, one manifest builder.

The clock is a callable returning "now" that moves only when told to (`advance`) or when something
sleeps on it (`sleep`, for code that takes a sleep function): time-dependent behaviour is tested
without waiting.
"""

from __future__ import annotations

import copy
from typing import Any

REGION = "cn-shanghai"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def clock(self) -> float:  # for APIs that take `clock=` and `sleep=` of one object
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def oss_url(bucket: str, key: str = "") -> str:
    return f"https://{bucket}.oss-{REGION}.aliyuncs.com/{key}"


def manifest(
    bucket: str = "films",
    *,
    outputs: str = "out/night",
    speech: str = "The city sleeps. A train crosses the bridge.",
    count: int = 2,
    size: tuple[int, int] = (720, 1280),
    **changes: Any,
) -> dict[str, Any]:
    """A valid global-narration manifest (one film, one sentence or two), outputs under
    `outputs/` of `bucket`; `changes` replace whole top-level sections (UserData=...)."""
    document: dict[str, Any] = {
        "InputConfig": {
            "MediaArray": [oss_url(bucket, "in/film.mp4")],
            "SpeechTextArray": [speech],
            "SceneInfo": {"Scene": "MovieHighlights"},
        },
        "OutputConfig": {
            "MediaURL": oss_url(bucket, f"{outputs}/h_{{index}}.mp4"),
            "Count": count,
            "Width": size[0],
            "Height": size[1],
        },
    }
    document.update(copy.deepcopy(changes))
    return document


def output_shape(text: str) -> list[str]:
    """What a command's human output looks like, without what varies from run to run: job ids,
    paths, numbers and progress steps; a run of lines of one kind counts as one. The README's
    sample outputs are compared with the real output by it."""
    import re

    shape: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        line = re.sub(r"\S*/\S*|(?<=--bucket )\S+", "PATH", line)  # paths, keys and URLs
        line = re.sub(r"\b[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{12}\b", "JOB", line)
        line = re.sub(r"^(\s*)job JOB: ([A-Z_]+).*", r"\1job JOB: \2", line)
        line = re.sub(r"^(\s+)(\w+)\s.*", r"\1\2", line)  # a report's row: its label
        line = " ".join(re.sub(r"\d+(?:\.\d+)?", "N", line).split())
        if not shape or shape[-1] != line:
            shape.append(line)
    return shape
