"""The package's shape, read from its source: stage subpackages with a public surface, no
import cycles, no reaching into another package's private names, and lazy imports only
where they keep a heavy dependency out of light paths."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "assistant"
STAGES = ("sources", "index", "answer", "audit", "verifier", "evaluation", "bench", "web", "cli")
MAX_MODULE_LINES = 420
MAX_FUNCTION_LINES = 80


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_module(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an import names: the longest prefix that is a module."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def function_import_ids(tree: ast.AST) -> set[int]:
    return {
        id(sub)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for sub in ast.walk(node)
        if isinstance(sub, ast.Import | ast.ImportFrom)
    }


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the project modules it imports, at the top or inside functions alike."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [
                    f"{node.module}.{a.name}"
                    if f"{node.module}.{a.name}" in modules
                    else node.module
                    for a in node.names
                ]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                found = imported_module(target, modules) if target.startswith("assistant") else None
                if found and found != name:
                    graph[name].add(found)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first == last), or None."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_cycle_finder_finds_a_planted_cycle(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.py", tmp_path / "b.py", tmp_path / "c.py"
    a.write_text("from assistant.b import x\n")
    b.write_text("def f():\n    from assistant.c import y  # lazy: hidden in a function\n")
    c.write_text("import assistant.a\n")
    graph = import_graph({"assistant.a": a, "assistant.b": b, "assistant.c": c})
    assert find_cycle(graph) == ["assistant.a", "assistant.b", "assistant.c", "assistant.a"]
    c.write_text("import json\n")
    assert find_cycle(import_graph({"assistant.a": a, "assistant.b": b, "assistant.c": c})) is None


def test_no_import_cycles() -> None:
    cycle = find_cycle(import_graph(MODULES))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_imports_another_packages_private_names() -> None:
    offenders = []
    for name, path in MODULES.items():
        mine = name.split(".")[:2]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("assistant"):
                theirs = (node.module or "").split(".")[:2]
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private and theirs != mine:
                    offenders.append(f"{name} imports {private} from {node.module}")
    assert not offenders, offenders


def test_imports_inside_functions_say_why() -> None:
    """Only to keep a heavy dependency out of light paths, and each says so: `# lazy: ...` on
    the import's line or the line above it."""
    unexplained = []
    for name, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        inner = function_import_ids(tree)
        for node in ast.walk(tree):
            if id(node) in inner and isinstance(node, ast.Import | ast.ImportFrom):
                span = lines[max(node.lineno - 2, 0) : node.end_lineno]  # the line above too
                if not any("# lazy:" in line for line in span):
                    unexplained.append(f"{name}:{node.lineno}")
    assert not unexplained, unexplained


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_is_a_package_with_a_documented_public_surface(stage: str) -> None:
    package = importlib.import_module(f"assistant.{stage}")
    assert (PACKAGE / stage / "__init__.py").is_file()
    assert package.__doc__ and len(package.__doc__.split()) >= 8
    public = getattr(package, "__all__", None)
    assert public, f"assistant.{stage} declares no __all__"
    missing = [n for n in public if not hasattr(package, n)]
    assert not missing, missing


def test_modules_and_functions_stay_small() -> None:
    too_long = []
    for name, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        if (n := len(source.splitlines())) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {n} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}.{node.name}: {length} lines")
    assert not too_long, too_long
