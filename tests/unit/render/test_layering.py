"""The engine depends on ports and the manifest, never on the adapters or the use cases around
it: a folder store reaches it as a ``ports.MediaFolder``, its tools as ``render.tools.Tools``."""

from __future__ import annotations

import ast
from pathlib import Path

import highlights.render

RENDER = Path(highlights.render.__file__).parent
OUTSIDE = ("storage", "jobs", "fc", "producers", "local", "config", "wiring", "cli")


def imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_render_imports_nothing_of_the_adapters_or_use_cases() -> None:
    modules = sorted(RENDER.rglob("*.py"))
    assert len(modules) > 40
    wrong = {
        f"{path.relative_to(RENDER)}: {name}"
        for path in modules
        for name in imported(path)
        if name.startswith("highlights.") and name.split(".")[1] in OUTSIDE
    }
    assert wrong == set()
