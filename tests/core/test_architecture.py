"""The shape of the code: packages depend on each other one way only, and no module or
function grows past what one reads at once.

Every import in ``competitions/`` counts, those inside functions included (a late import is
still a dependency); imports under ``if TYPE_CHECKING:`` do not (they are annotations, never
run). A unit is a package (``judging``) or a top-level module (``cli``, ``demo``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "competitions"


def _unit_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "competitions":
        return None
    return parts[1] if len(parts) > 1 else "competitions"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "competitions":
                found.extend((f"competitions.{a.name}", node.lineno) for a in node.names)
            else:
                found.append((node.module, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, dict[str, str]]:
    """unit → {unit it imports: where (file:line), the first place found}."""
    graph: dict[str, dict[str, str]] = defaultdict(dict)
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        me = rel.parts[0].removesuffix(".py") if rel.parts[0] != "__init__.py" else "competitions"
        for module, line in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            other = _unit_of(module)
            if other is not None and other != me:
                graph[me].setdefault(other, f"{rel}:{line}")
    return graph


def _cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Each edge that closes a cycle, with the path back: [a, b, ..., a]."""
    found = []
    for start in sorted(graph):
        for nxt in sorted(graph[start]):
            # Is ``start`` reachable from ``nxt``?
            stack, seen = [(nxt, [start, nxt])], {nxt}
            while stack:
                node, path = stack.pop()
                if node == start:
                    found.append(path)
                    break
                for after in sorted(graph.get(node, {})):
                    if after not in seen or after == start:
                        seen.add(after)
                        stack.append((after, [*path, after]))
    return found


def test_no_import_cycles_between_packages() -> None:
    graph = import_graph()
    cycles = _cycles(graph)
    described = [
        " → ".join(path) + f"  ({path[0]} imports {path[1]} at {graph[path[0]][path[1]]})"
        for path in cycles
    ]
    assert not cycles, "import cycles between packages:\n" + "\n".join(described)


def test_core_depends_on_no_domain() -> None:
    assert import_graph().get("core", {}) == {}


def test_the_cycle_detector_finds_a_cycle() -> None:
    graph = {"a": {"b": "a.py:1"}, "b": {"c": "b.py:1"}, "c": {"a": "c.py:1"}, "d": {"a": "d:1"}}
    assert _cycles(graph)[0] == ["a", "b", "c", "a"]
    assert all(path[0] != "d" for path in _cycles(graph))


MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def test_no_module_is_over_600_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in sorted(ROOT.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"split these along their seams: {long}"


def test_no_function_is_over_80_lines() -> None:
    long = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length})")
    assert not long, "functions over 80 lines:\n" + "\n".join(long)
