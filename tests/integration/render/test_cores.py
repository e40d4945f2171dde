"""Cores the engine may use: affinity capped by a container's CPU quota."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from highlights.render.cores import cgroup_quota, usable_cores


def cgroup(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "quota"),
    [
        ({"cpu.max": "max 100000\n"}, None),  # v2, no limit
        ({"cpu.max": "150000 100000\n"}, 1.5),  # v2, one and a half CPUs
        ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),  # v1
        ({}, None),  # no cgroup files at all
        ({"cpu.max": "garbage"}, None),
    ],
)
def test_cgroup_quota(tmp_path: Path, files: dict[str, str], quota: float | None) -> None:
    assert cgroup_quota(cgroup(tmp_path, files)) == quota


def test_usable_cores_is_capped_by_the_quota(tmp_path: Path) -> None:
    mine = len(os.sched_getaffinity(0))
    assert usable_cores(cgroup(tmp_path / "none", {})) == mine
    assert usable_cores(cgroup(tmp_path / "half", {"cpu.max": "50000 100000"})) == 1
    big = cgroup(tmp_path / "big", {"cpu.max": f"{(mine + 8) * 100000} 100000"})
    assert usable_cores(big) == mine  # a quota above the cores doesn't add any
