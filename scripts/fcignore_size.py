"""Prints what `s deploy` would upload: the files under the project that .fcignore keeps, and their
size, zipped as Function Compute receives them."""

from __future__ import annotations

import fnmatch
import io
import os
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def patterns() -> list[str]:
    lines = (ROOT / ".fcignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(relative: str, rules: list[str]) -> bool:
    parts = relative.split("/")
    for rule in rules:
        rule = rule.rstrip("/")
        if "/" in rule.strip("/"):
            if fnmatch.fnmatch(relative, rule.lstrip("/")) or relative.startswith(
                rule.lstrip("/") + "/"
            ):
                return True
        elif any(fnmatch.fnmatch(part, rule) for part in parts):
            return True
    return False


def kept() -> list[Path]:
    rules = patterns()
    files = []
    for folder, dirs, names in os.walk(ROOT):
        base = Path(folder).relative_to(ROOT)
        dirs[:] = [d for d in dirs if not ignored((base / d).as_posix(), rules)]
        files += [ROOT / base / n for n in names if not ignored((base / n).as_posix(), rules)]
    return files


if __name__ == "__main__":
    files = kept()
    raw = sum(f.stat().st_size for f in files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in files:
            archive.write(f, f.relative_to(ROOT).as_posix())
    print(f"  {len(files)} files, {raw / 2**20:.1f} MiB, {buffer.tell() / 2**20:.1f} MiB zipped")
