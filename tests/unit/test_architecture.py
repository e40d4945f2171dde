"""The house rules, checked: small modules, imports one way with no cycle, a library that never
writes the process environment nor reaches for Function Compute's entry points."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

LIBRARY = Path(__file__).resolve().parents[2] / "shared" / "highlights"
MAX_LINES = 450


def _modules() -> list[Path]:
    return sorted(p for p in LIBRARY.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_library_module_is_over_the_limit() -> None:
    over = {
        str(p.relative_to(LIBRARY)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not over, f"split these by concern (at most {MAX_LINES} lines): {over}"


def _writes_environment(tree: ast.AST) -> list[int]:
    found = []
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = list(node.targets) if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Delete):
            targets = list(node.targets)
        for target in targets:
            if isinstance(target, ast.Subscript) and ast.unparse(target.value) == "os.environ":
                found.append(node.lineno)
        if isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            if called in {"os.putenv", "os.unsetenv"} or (
                called.startswith("os.environ.")
                and called.split(".")[-1] in {"update", "setdefault", "pop", "clear", "popitem"}
            ):
                found.append(node.lineno)
    return found


def test_the_library_never_writes_the_environment_nor_imports_functions() -> None:
    writes, imports = {}, {}
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = str(path.relative_to(LIBRARY))
        if lines := _writes_environment(tree):
            writes[name] = lines
        for node in ast.walk(tree):
            module = (
                node.module
                if isinstance(node, ast.ImportFrom)
                else node.names[0].name
                if isinstance(node, ast.Import)
                else None
            )
            if module and (module == "functions" or module.startswith("functions.")):
                imports[name] = module
    assert not writes, f"the library writes os.environ: {writes}"
    assert not imports, f"the library imports Function Compute's entry points: {imports}"


def test_no_import_cycle_in_the_library() -> None:
    graph = grimp.build_graph("highlights")
    cycles = _cycles({m: graph.find_modules_directly_imported_by(m) for m in graph.modules})
    assert not cycles, f"import cycles: {cycles}"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ],
)
def test_the_cycle_finder_finds_cycles(
    edges: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert _cycles(edges) == expected
