"""The shape of the code: which package may import which (README, "Layers").

An import graph is read from the source with `ast` (nothing is imported), so the test is fast and
sees imports inside functions too.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Set

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. A package may import its own modules and the packages named here for it.
BASE = {"core"}
LIBRARIES = {"faq", "records", "documents", "replies"}
ADAPTERS = {"actions", "bot", "channels", "console"}
APP = {"madoguchi", "benchmarks"}
ALLOWED: Dict[str, Set[str]] = {
    "core": set(),
    "faq": BASE,
    "records": BASE,
    "documents": BASE | {"faq"},  # the document index reuses the FAQ's analyser, BM25 and fusion
    "replies": BASE | {"faq"},  # what a reply looks like, for actions, channels and the console's preview
    "actions": BASE | LIBRARIES,
    "bot": BASE | {"faq", "records", "replies"},  # runs in the Rasa environment: light modules only
    "channels": BASE | LIBRARIES,
    "console": BASE | LIBRARIES,
    "madoguchi": BASE | LIBRARIES | ADAPTERS,
    "benchmarks": BASE | LIBRARIES | ADAPTERS | {"madoguchi"},
}
PACKAGES = set(ALLOWED)
LAZY_MARK = "# lazy:"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported project module
    line: int
    in_function: bool
    reason: str  # the text after "# lazy:" on the import's line or the line above it


def _modules() -> Dict[str, Path]:
    found = {}
    for package in sorted(PACKAGES):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "versions" in parts or "data" in parts:
                continue  # Alembic revisions and sample-data generators
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _reason(lines: List[str], line: int) -> str:
    for text in (lines[line - 1], lines[line - 2] if line > 1 else ""):
        if LAZY_MARK in text:
            return text.split(LAZY_MARK, 1)[1].strip()
    return ""


def _imports_of(module: str, path: Path) -> Iterator[Import]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    is_package = path.name == "__init__.py"

    def targets(node: ast.AST) -> List[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: None if is_package else -1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            return [f"{prefix}.{alias.name}" for alias in node.names]
        return []

    seen: Set[tuple] = set()

    def walk(node: ast.AST, in_function: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            for name in targets(child):
                if name.split(".")[0] in PACKAGES:
                    target = _resolve(name)
                    if target and target != module and (child.lineno, target) not in seen:
                        seen.add((child.lineno, target))
                        yield Import(module, target, child.lineno, in_function, _reason(lines, child.lineno))
            yield from walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    yield from walk(ast.parse(source), False)


IMPORTS = [found for module, path in MODULES.items() for found in _imports_of(module, path)]


def _where(found: Import) -> str:
    return f"{MODULES[found.module].relative_to(ROOT)}:{found.line} imports {found.target}"


def test_the_graph_is_read():
    assert {"core.settings", "faq.service", "channels.gateway", "madoguchi.cli"} <= set(MODULES)
    assert any(i.module == "faq.store" and i.target == "core.db" for i in IMPORTS)
    assert len(IMPORTS) > 150


def test_no_import_points_upward():
    upward = [
        _where(i) for i in IMPORTS
        if i.target.split(".")[0] != i.module.split(".")[0]
        and i.target.split(".")[0] not in ALLOWED[i.module.split(".")[0]]
    ]
    assert upward == []


def test_no_import_cycle_crosses_files():
    graph: Dict[str, Set[str]] = {name: set() for name in MODULES}
    for found in IMPORTS:
        if not found.module.startswith(found.target + "."):  # a module may import its own package
            graph[found.module].add(found.target)
    cycles = [sorted(group) for group in _strongly_connected(graph) if len(group) > 1]
    assert cycles == []


def test_imports_inside_functions_say_why():
    """Only to keep a heavy dependency lazy (torch, FAISS, scikit-learn, an import of the Rasa
    environment...), each with `# lazy: <reason>` on its line or the line above."""
    unexplained = [_where(i) for i in IMPORTS if i.in_function and not i.reason]
    assert unexplained == []


def _strongly_connected(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Tarjan's algorithm, iterative."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    groups: List[List[str]] = []
    for start in graph:
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
                    work.append((child, iter(sorted(graph[child]))))
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
                groups.append(group)
    return groups
