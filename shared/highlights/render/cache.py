"""A small JSON cache for analyses of source files, keyed by the file's identity and parameters
(speech uses it too, keyed by the voice model's file, with its WAV beside the entry).

A source is identified by its absolute path, size and modification time (ns): a replaced or
edited file gets a new entry, an untouched one is never decoded twice. Each entry stores its own
key, so a hash collision or a hand-edited file reads as a miss rather than as wrong data.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def file_identity(path: str | os.PathLike[str]) -> dict[str, Any]:
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return {"path": str(resolved), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def cache_key(kind: str, path: str | os.PathLike[str], params: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "source": file_identity(path), "params": dict(params)}


def entry_path(cache_dir: Path, key: Mapping[str, Any]) -> Path:
    """Where the entry for ``key`` is kept; a caller may keep a file of its own beside it."""
    canonical = json.dumps(key, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
    stem = Path(str(key["source"]["path"])).stem[:40] or "source"
    return cache_dir / f"{key['kind']}-{stem}-{digest}.json"


def load(cache_dir: str | os.PathLike[str], key: Mapping[str, Any]) -> Any | None:
    """The cached value for ``key``, or None (missing, unreadable or for another key)."""
    path = entry_path(Path(cache_dir), key)
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != json.loads(json.dumps(key)):
        return None
    return entry.get("value")


def store(cache_dir: str | os.PathLike[str], key: Mapping[str, Any], value: Any) -> Path:
    """Write atomically (temp file, then rename) so a reader never sees half an entry."""
    directory = Path(cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = entry_path(directory, key)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"key": key, "value": value}, handle, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
