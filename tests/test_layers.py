"""The package keeps its layers: no import cycle, and the core never reaches up into presentation.

Every ``import`` of an ``ability2`` module is counted, at module level and inside functions
(lazy imports are how ``import ability2`` stays light, but they are dependencies all the
same); imports under ``if TYPE_CHECKING:`` are not, since they never run. A package and
its own submodules may import each other.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import ability2

ROOT = Path(ability2.__file__).resolve().parent

#: presentation: command line, reports, plots, notebook displays, the demo, the scaffold
PRESENTATION = (
    "ability2.cli",
    "ability2.reports",
    "ability2.plots",
    "ability2.display",
    "ability2.demo",
    "ability2.scaffold",
    "ability2.service",
)

#: the only ways up from the core into presentation, each a convenience method that exists
#: for the reader: (importer, imported, the function that imports)
CALLBACKS = {
    ("ability2.__main__", "ability2.cli", None),  # `python -m ability2` is the CLI
    ("ability2.policy", "ability2.display", "_repr_html_"),  # Jupyter shows a Policy
    ("ability2.result", "ability2.display", "_repr_html_"),  # ... a Result
    ("ability2.comparison", "ability2.display", "_repr_html_"),  # ... a Comparison
    ("ability2.comparison", "ability2.plots", "plot"),  # Comparison.plot() draws with plots
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


class _Imports(ast.NodeVisitor):
    def __init__(self, modules: set[str]) -> None:
        self.modules = modules
        self.found: list[tuple[str, str | None]] = []
        self.functions: list[str] = []

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def _add(self, target: str) -> None:
        self.found.append((target, self.functions[-1] if self.functions else None))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.module.split(".")[0] == "ability2":
            target = node.module
            for alias in node.names:
                if f"{node.module}.{alias.name}" in self.modules:
                    target = f"{node.module}.{alias.name}"
            self._add(target)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == "ability2":
                self._add(alias.name)


def import_edges() -> dict[tuple[str, str], set[str | None]]:
    paths = {module_name(p): p for p in ROOT.rglob("*.py")}
    edges: dict[tuple[str, str], set[str | None]] = defaultdict(set)
    for name, path in paths.items():
        if name == "ability2":
            continue  # the package's __init__ is the public API: it imports everything
        visitor = _Imports(set(paths))
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        for target, function in visitor.found:
            own_package = target.startswith(name + ".") or name.startswith(target + ".")
            if target != name and not own_package:
                edges[(name, target)].add(function)
    return edges


def cycles(edges: dict[tuple[str, str], set[str | None]]) -> list[list[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
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

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def presentation(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in PRESENTATION)


def test_no_import_cycle_among_modules() -> None:
    assert cycles(import_edges()) == []


def test_the_core_does_not_import_presentation_except_reader_callbacks() -> None:
    upward = {
        (source, target, function)
        for (source, target), functions in import_edges().items()
        if presentation(target) and not presentation(source)
        for function in functions
    }
    assert upward <= CALLBACKS, sorted(upward - CALLBACKS)


def test_evaluation_never_imports_reports_plots_or_the_cli() -> None:
    evaluation = ("ability2.evaluation", "ability2.batch", "ability2.rules", "ability2.result", "ability2.policy")
    edges = import_edges()
    reached: set[str] = set()
    todo = [m for m in {s for s, _ in edges} if any(m == e or m.startswith(e + ".") for e in evaluation)]
    while todo:
        module = todo.pop()
        for (source, target), functions in edges.items():
            if source == module and target not in reached and functions != {"_repr_html_"}:
                reached.add(target)
                todo.append(target)
    assert not [m for m in reached if presentation(m)]


def test_the_checker_sees_a_cycle() -> None:
    # the test above could pass by seeing nothing: a made-up cycle is found
    assert cycles({("a", "b"): {None}, ("b", "a"): {"f"}, ("b", "c"): {None}}) == [["a", "b"]]
