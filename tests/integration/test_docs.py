"""docs/architecture.md stays true to the code: every module it names exists."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_module_the_architecture_names_exists() -> None:
    named = set(re.findall(r"`?(highlights(?:\.[a-z_]+)+)", DOC))
    assert len(named) > 20  # the scan works
    missing = [dotted for dotted in sorted(named) if not _exists(dotted)]
    assert not missing, f"named in docs/architecture.md but not in the code: {missing}"


def _exists(dotted: str) -> bool:
    """A module, or an attribute of one (highlights.jobs.layout.BucketLayout)."""
    parts = dotted.split(".")
    for n in range(len(parts), 1, -1):
        try:
            found = importlib.util.find_spec(".".join(parts[:n]))
        except ModuleNotFoundError:
            found = None
        if found is None:
            continue
        target: object = importlib.import_module(".".join(parts[:n]))
        for attribute in parts[n:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


def test_every_file_the_architecture_names_exists() -> None:
    paths = set(re.findall(r"`((?:tests|benchmarks|docs|shared)/[\w/.-]+\.(?:py|md))`", DOC))
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, missing
