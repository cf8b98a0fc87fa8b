"""The house stays in order: srzoo's import graph, read with ``ast``, has no cycle and no upward import.

The layers, bottom to top, are declared once in `LAYERS` (``docs/architecture.md`` explains them).
A module may import its own layer and the layers below it, never one above; module-level imports
form no cycle; and an import inside a function is only for an optional heavy dependency (or, in the
CLI, for a command's own layers, imported when it runs so that ``srzoo --help`` stays fast).
Imports under ``if TYPE_CHECKING:`` are annotations only and are not counted.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "srzoo"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundation",
        (
            "srzoo",  # the package itself: lazy attributes, it imports only hookspecs
            "srzoo.errors",
            "srzoo.hookspecs",
            "srzoo._annotations",
            "srzoo.checks",
            "srzoo.color",
            "srzoo._io",
            "srzoo.imageio",
            "srzoo.runtime",
        ),
    ),
    ("registry", ("srzoo.registry", "srzoo.component_info")),
    ("catalog", ("srzoo.recipe", "srzoo.charts")),
    ("model", ("srzoo.model", "srzoo.weights", "srzoo.tiling")),
    ("api", ("srzoo.api",)),
    ("inference", ("srzoo.inference", "srzoo.upscaling")),
    ("apps", ("srzoo.bench", "srzoo.train")),
    ("cli", ("srzoo.cli", "srzoo.__main__")),
)
"""Bottom to top: data flows recipe → registry → module → SRModel → trainer / bench / upscale → CLI."""

LAZY_ALLOWED: dict[str, str] = {
    "matplotlib": "optional plotting, imported only when figures are drawn",
    "scipy": "optional, heavy",
    "kornia": "optional augmentation, heavy to import",
    "torch.distributed": "only under torchrun",
    "fcntl": "POSIX only: run folders are locked where it exists",
}
"""Third-party modules a function may import lazily, and why."""

LAZY_CALLERS: dict[str, str] = {
    "srzoo.cli": "each command imports the layers it runs only when it runs: `srzoo --help` stays fast",
}
"""Packages whose functions may import anything lazily, and why."""


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (a module of the package, or a third-party name)
    line: int
    lazy: bool  # inside a function
    commented: bool  # a comment on its line or the line above says why


def module_names(root: Path) -> dict[str, Path]:
    """``srzoo.x.y`` -> file, for every module of the package at ``root``."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(root: Path) -> Iterator[Import]:
    """Every import statement of the package (one per imported module), outside ``TYPE_CHECKING``."""
    modules = module_names(root)
    for module, path in modules.items():
        text = path.read_text(encoding="utf-8")
        scan = _Scan(module, path.name == "__init__.py", text.splitlines(), set(modules))
        yield from scan.walk(ast.parse(text), lazy=False)


@dataclass(frozen=True)
class _Scan:
    module: str
    is_package: bool
    lines: list[str]
    modules: set[str]

    def targets(self, node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = _resolve(self.module, self.is_package, node)
        found = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in self.modules]
        return found or [base]

    def walk(self, node: ast.AST, lazy: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                above = self.lines[child.lineno - 2] if child.lineno > 1 else ""
                here = self.lines[(child.end_lineno or child.lineno) - 1]
                commented = "#" in here or above.strip().startswith("#")
                for target in dict.fromkeys(self.targets(child)):
                    yield Import(self.module, target, child.lineno, lazy, commented)
            else:
                inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                yield from self.walk(child, inner)


def _own_module(name: str, modules: dict[str, Path]) -> str | None:
    """The package module ``name`` runs when imported (``srzoo.x.attr`` -> ``srzoo.x``)."""
    parts = name.split(".")
    while parts and ".".join(parts) not in modules:
        parts.pop()
    return ".".join(parts) if parts else None


def graph(root: Path, *, include_lazy: bool = False) -> dict[str, set[str]]:
    """Module -> the package modules it imports (and, through them, their parent packages)."""
    modules = module_names(root)
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for item in imports(root):
        if item.lazy and not include_lazy:
            continue
        target = _own_module(item.target, modules) if item.target.split(".")[0] == root.name else None
        if target is None:
            continue
        parts = target.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
            ancestor = ".".join(parts[:i])
            if ancestor != item.source and not item.source.startswith(ancestor + "."):
                edges[item.source].add(ancestor)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def layer_of(module: str, layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS) -> int:
    """The index of ``module``'s layer in ``layers`` (the longest matching package wins)."""
    best, depth = -1, -1
    for position, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            matches = module == prefix or (prefix.count(".") > 0 and module.startswith(prefix + "."))
            if matches and prefix.count(".") > depth:
                best, depth = position, prefix.count(".")
    if best < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_architecture.py")
    return best


def upward(edges: dict[str, set[str]], layers=LAYERS) -> list[str]:
    """``a -> b`` for every import of a higher layer ``b`` by ``a``."""
    names = [name for name, _ in layers]
    return [
        f"{source} ({names[layer_of(source, layers)]}) -> {target} ({names[layer_of(target, layers)]})"
        for source, targets in sorted(edges.items())
        for target in sorted(targets)
        if layer_of(target, layers) > layer_of(source, layers)
    ]


def unexplained_lazy_imports(root: Path) -> list[str]:
    """Function-level imports that are neither an allowed optional dependency nor an allowed caller's,
    and allowed ones without a comment saying why."""
    problems = []
    for item in imports(root):
        if not item.lazy:
            continue
        if any(item.source == p or item.source.startswith(p + ".") for p in LAZY_CALLERS):
            continue
        allowed = any(item.target == p or item.target.startswith(p + ".") for p in LAZY_ALLOWED)
        if not allowed:
            problems.append(f"{item.source}:{item.line} imports {item.target} inside a function")
        elif not item.commented:
            problems.append(f"{item.source}:{item.line} imports {item.target} lazily without a comment why")
    return problems


def test_every_module_has_a_layer():
    for module in module_names(PACKAGE):
        layer_of(module)


def test_no_import_cycle():
    assert cycles(graph(PACKAGE)) == []


def test_no_import_from_a_lower_layer_to_a_higher_one():
    assert upward(graph(PACKAGE)) == []


def test_function_level_imports_are_only_for_optional_heavy_dependencies():
    assert unexplained_lazy_imports(PACKAGE) == []


def test_hookspecs_imports_nothing_from_srzoo():
    assert graph(PACKAGE)["srzoo.hookspecs"] == set()


def test_the_plugin_loader_knows_nothing_of_the_cli():
    edges = graph(PACKAGE, include_lazy=True)
    assert not [t for t in edges["srzoo.registry.loader"] if t.startswith("srzoo.cli")]


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A small package shaped like srzoo, to show that the checks catch what they claim to."""
    root = tmp_path / "srzoo"
    for name in ("registry", "model", "cli"):
        (root / name).mkdir(parents=True)
        (root / name / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "errors.py").write_text("class E(Exception): ...\n")
    (root / "registry" / "table.py").write_text("from ..errors import E\n")
    (root / "model" / "graph.py").write_text("from ..registry.table import E\n")
    (root / "cli" / "main.py").write_text("from srzoo.model import graph\n")
    return root


def test_the_checks_catch_a_cycle_an_upward_import_and_a_hidden_import(package: Path):
    assert cycles(graph(package)) == [] and upward(graph(package)) == []
    (package / "registry" / "table.py").write_text(
        "from typing import TYPE_CHECKING\nfrom ..errors import E\nif TYPE_CHECKING:\n    from ..cli import main\n"
    )
    assert upward(graph(package)) == []  # annotations only
    (package / "registry" / "loader.py").write_text("from ..cli.main import graph\n")
    assert upward(graph(package)) == [
        "srzoo.registry.loader (registry) -> srzoo.cli (cli)",
        "srzoo.registry.loader (registry) -> srzoo.cli.main (cli)",
    ]
    (package / "errors.py").write_text("from .model import graph\nclass E(Exception): ...\n")
    assert cycles(graph(package)) == [["srzoo.errors", "srzoo.model.graph", "srzoo.registry.table"]]
    (package / "model" / "graph.py").write_text(
        "def f():\n    import scipy\n    from ..registry import table\n"
    )
    assert unexplained_lazy_imports(package) == [
        "srzoo.model.graph:2 imports scipy lazily without a comment why",
        "srzoo.model.graph:3 imports srzoo.registry.table inside a function",
    ]
