"""Imports follow the data's one direction: no module of `recognition/` or `training/`
imports, directly or through others, a module that imports it back. Every import
counts, at module level and inside functions (an import moved into a function still
ties the two modules together), with relative imports resolved."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("recognition", "training")

def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Every module of the packages, by dotted name (a package by its own name)."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.parts:
                modules[module_name(path, root)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterable[ast.Import | ast.ImportFrom]:
    """Every import statement that runs: at module level, in functions and classes, not
    under `if TYPE_CHECKING:` (those never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child
            elif isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def _resolve(base: str, modules: dict[str, Path]) -> str | None:
    """The project module a dotted name stands for: itself, or the longest module that
    contains it (`pkg.mod.Class` -> `pkg.mod`); None outside the project."""
    parts = base.split(".")
    while parts:
        name = ".".join(parts)
        if name in modules:
            return name
        parts.pop()
    return None


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules that module `name` (at `path`) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _imports(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            # `from pkg import mod` imports the module pkg.mod; `from mod import name`, mod.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        for target in targets:
            resolved = _resolve(target, modules)
            if resolved is not None and resolved != name:
                found.add(resolved)
    return found


def import_graph(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    modules = project_modules(root, packages)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that all reach one another (Tarjan's algorithm, iterative);
    only groups of two or more, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def a_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """One concrete cycle through the group's first module, for the failure message:
    the shortest way back to it (breadth first), so `a -> b -> a` reads as it is."""
    members, start = set(group), group[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group always has one


def describe(graph: dict[str, set[str]], groups: list[list[str]]) -> str:
    return "\n".join(
        f"  {' -> '.join(a_cycle(graph, group))}" + (f"  (cycle among {', '.join(group)})" if len(group) > 2 else "")
        for group in groups
    )


def test_the_graph_sees_module_level_function_level_and_relative_imports(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/services.py": "from . import jobs\n",
        "app/jobs.py": "def send():\n    from .tasks import run\n",
        "app/tasks.py": "import app.services\nfrom app.sub.deep import thing\n",
        "app/sub/__init__.py": "",
        "app/sub/deep.py": "from ..jobs import send\nfrom typing import TYPE_CHECKING\n"
                           "if TYPE_CHECKING:\n    from app.services import x\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path, ["app"])
    assert graph["app.services"] == {"app.jobs"}
    assert graph["app.jobs"] == {"app.tasks"}
    assert graph["app.tasks"] == {"app.services", "app.sub.deep"}
    assert graph["app.sub.deep"] == {"app.jobs"}  # not the TYPE_CHECKING import
    groups = strongly_connected(graph)
    assert groups == [["app.jobs", "app.services", "app.sub.deep", "app.tasks"]]
    assert a_cycle(graph, groups[0]) == ["app.jobs", "app.tasks", "app.services", "app.jobs"]


def test_no_module_imports_itself_back():
    graph = import_graph()
    assert "recognition.services" in graph and "training.finetune" in graph  # it read the project
    cycles = strongly_connected(graph)
    assert not cycles, "import cycles (each module reaches itself again):\n" + describe(graph, cycles)
