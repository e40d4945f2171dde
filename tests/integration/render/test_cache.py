"""The analysis cache: entries keyed by a file's identity and parameters, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from highlights.render import cache


def test_cache_round_trip_and_invalidation(tmp_path: Path) -> None:
    source = tmp_path / "film.mp4"
    source.write_bytes(b"one")
    key = cache.cache_key("shots", source, {"width": 160})
    assert cache.load(tmp_path / "c", key) is None
    cache.store(tmp_path / "c", key, {"answer": 42})
    assert cache.load(tmp_path / "c", key) == {"answer": 42}
    # Other parameters, or a changed file, are other entries.
    assert cache.load(tmp_path / "c", cache.cache_key("shots", source, {"width": 320})) is None
    source.write_bytes(b"two!")
    os.utime(source, ns=(1, 1))
    assert cache.load(tmp_path / "c", cache.cache_key("shots", source, {"width": 160})) is None


def test_cache_ignores_corrupt_entries(tmp_path: Path) -> None:
    source = tmp_path / "film.mp4"
    source.write_bytes(b"x")
    key = cache.cache_key("shots", source, {})
    path = cache.store(tmp_path, key, [1])
    path.write_text("{not json", encoding="utf-8")
    assert cache.load(tmp_path, key) is None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_cache_key_uses_the_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "f.mp4").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    assert cache.file_identity("f.mp4")["path"] == str((tmp_path / "f.mp4").resolve())
