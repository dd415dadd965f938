"""The package's import graph, read from the source (``ast``, nothing imported).

``python tests/support/imports.py`` prints the graph between the top-level packages as
the Mermaid block kept in docs/architecture.md; tests/unit/test_layering.py checks the
layering (LAYERS) over the module graph and that the documented graph is the generated
one. Every import counts, also those inside functions (a lazy import is still a
dependency), except those under ``if TYPE_CHECKING:``: a name for the type checker only
may point upwards (``protocol.call`` names ``server.context.AppContext``, the type of
``Call.ctx``), since nothing imports it at run time.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "stationmaster"
SKIP_DIRS = {"tests", "bench", "docs", ".venv", "build", "dist", "__pycache__", "parsed"}

#: Lowest first. A package may import its own modules and those of lower layers only.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("protocol",),
    ("config",),
    ("schema",),
    ("database",),
    ("bll",),
    ("services", "fileserver"),
    ("web",),
    ("server",),  # HTTP dispatch and the composition root (app factory, runner, CLI)
)

#: The package itself and the modules at its root (``version.py``, ``setup.py``): outside the layers.
ROOT_MODULES = {"", "version", "setup"}


def modules() -> Iterator[tuple[str, Path]]:
    """(dotted module name below the package, file) for every source file."""
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if set(rel.parts[:-1]) & SKIP_DIRS or rel.parts[0] in SKIP_DIRS:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imports_of(module: str, path: Path, *, typing_too: bool = False) -> set[str]:
    """The package-internal modules ``module`` imports (dotted, below the package);
    imports under ``if TYPE_CHECKING`` only with ``typing_too``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if not typing_too and isinstance(node, ast.If) and _is_type_checking(node.test)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = [*anchor, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.split(".")[0] == PACKAGE:
                target = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:
                found.add(".".join([*target, alias.name]))
            if node.module:
                found.add(".".join(target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    found.add(".".join(alias.name.split(".")[1:]))
    # a module's own parent packages are imported with it anyway
    return {name for name in found if name and not module.startswith(name + ".")}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_graph() -> dict[str, set[str]]:
    """module → the internal modules it imports (names resolved to existing modules)."""
    files = dict(modules())
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        targets = set()
        for name in imports_of(module, path):
            while name and name not in files:  # "a.b.func" → the module "a.b"
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def top(module: str) -> str:
    return module.split(".")[0]


def package_graph(graph: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """top-level package → the other top-level packages it imports."""
    graph = module_graph() if graph is None else graph
    result: dict[str, set[str]] = {}
    for module, targets in graph.items():
        if top(module) in ROOT_MODULES:
            continue
        deps = result.setdefault(top(module), set())
        deps.update(top(t) for t in targets if top(t) != top(module) and top(t) not in ROOT_MODULES)
    return result


def layer_of(package: str) -> int | None:
    for index, names in enumerate(LAYERS):
        if package in names:
            return index
    return None


def layering_violations(graph: dict[str, set[str]] | None = None) -> list[str]:
    """``a.b imports c.d`` for every import of a package not below the importer's layer."""
    graph = module_graph() if graph is None else graph
    problems = []
    for module, targets in sorted(graph.items()):
        if top(module) in ROOT_MODULES:
            continue
        own = layer_of(top(module))
        for target in sorted(targets):
            if top(target) in ROOT_MODULES or top(target) == top(module):
                continue
            theirs = layer_of(top(target))
            if own is None or theirs is None or theirs >= own:
                problems.append(f"{module} imports {target}")
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def mermaid(graph: dict[str, set[str]] | None = None) -> str:
    """The package graph as a Mermaid flowchart, lowest layer at the bottom."""
    packages = package_graph(graph)
    lines = ["```mermaid", "flowchart BT"]
    for package in sorted(packages):
        for dep in sorted(packages[package]):
            lines.append(f"    {package} --> {dep}")
    lines.append("```")
    return "\n".join(lines)


if __name__ == "__main__":
    print(mermaid())
