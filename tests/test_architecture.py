"""The package's structure holds (docs/architecture.md): every module in a layer, imports only
downward or sideways, no import cycle (module- or function-level), no module over 600 lines and no
function over 60, and the layout table of README.md names every module."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "kg"
VENDORED = ("src/kg/web/static/",)

# The layers, lowest first: a module may import modules of its own layer and of the layers below.
# docs/architecture.md draws the same table; test_the_architecture_page_draws_these_layers keeps them one.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("kg.version", "kg.config", "kg.errors", "kg.namespaces", "kg.formats", "kg.iris")),
    ("rdf", ("kg.rdf", "kg.sparql.syntax")),
    ("engines", ("kg.sparql", "kg.shacl", "kg.reasoner")),
    ("readers", ("kg.release.directory", "kg.describe", "kg.records", "kg.remote", "kg.align", "kg.explorer")),
    ("producers", ("kg.generate", "kg.pipeline", "kg.release")),
    ("curation", ("kg.curate",)),
    ("interfaces", ("kg.api", "kg.web", "kg.mcp")),
    ("commands", ("kg.cli", "kg")),
)
# Rooms of one layer that must not lean on each other.
INDEPENDENT = (
    ("kg.generate", "kg.pipeline"),
    ("kg.generate", "kg.release"),
    ("kg.web", "kg.api"),
    ("kg.web", "kg.mcp"),
    ("kg.api", "kg.mcp"),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return best[0] if best else None


def imports(path: Path) -> list[tuple[str, int]]:
    """The project modules a file imports, anywhere in it (functions too), with their lines."""
    known = modules()
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "kg"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "kg":
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                out.append((full if full in known else str(node.module), node.lineno))
    return out


def graph() -> dict[str, set[str]]:
    return {m: {t for t, _ in imports(p) if t in modules() and t != m} for m, p in modules().items()}


def test_every_module_is_in_a_layer():
    assert [m for m in modules() if layer_of(m) is None] == []


def test_imports_go_down_or_sideways():
    wrong = []
    for module, path in modules().items():
        here = layer_of(module)
        for target, line in imports(path):
            there = layer_of(target)
            if here is not None and there is not None and there > here:
                wrong.append(
                    f"{path.relative_to(ROOT)}:{line}: {module} ({LAYERS[here][0]}) imports "
                    f"{target} ({LAYERS[there][0]})"
                )
    assert wrong == [], "imports against the layers (docs/architecture.md):\n" + "\n".join(wrong)


def test_independent_rooms_do_not_import_each_other():
    edges = graph()
    wrong = [
        f"{a} -> {b}"
        for a, b in ((x, y) for m, targets in edges.items() for x in [m] for y in targets)
        for one, two in INDEPENDENT
        if (a.startswith(one) and b.startswith(two)) or (a.startswith(two) and b.startswith(one))
    ]
    assert wrong == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def test_there_is_no_import_cycle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_stay_small(path):
    rel = path.relative_to(ROOT).as_posix()
    if rel.startswith(VENDORED):
        return
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 600, f"{rel}: {len(text.splitlines())} lines; split it (docs/architecture.md)"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or node.lineno) - node.lineno + 1 > 60
    ]
    assert long == [], f"{rel}: functions over 60 lines: {long}"


def test_error_types_live_in_one_module():
    elsewhere = []
    for module, path in modules().items():
        if module == "kg.errors":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                getattr(b, "id", getattr(b, "attr", "")).endswith(("KGError", "Error", "RetryLater"))
                and getattr(b, "id", "") != "Exception"
                for b in node.bases
            ):
                elsewhere.append(f"{module}.{node.name}")
    assert elsewhere == [], "error types belong in kg.errors: " + ", ".join(elsewhere)


def test_namespaces_are_declared_once():
    """Namespace IRIs come from kg.namespaces (NS / PREFIXES), not string constants of each module."""
    from kg.namespaces import NS

    known = set(vars(NS).values()) | {v for v in NS.__dataclass_fields__.values() for v in [v.default]}
    constant = re.compile(r'^[A-Z_]+ = "(https?://[^"]*[#/])"', re.M)
    found = [
        f"{m}: {iri}"
        for m, p in modules().items()
        if m != "kg.namespaces"
        for iri in constant.findall(p.read_text(encoding="utf-8"))
        if iri in known
    ]
    assert found == []


def layout_table() -> dict[str, str]:
    """The rows of README.md's layout table for the package: module path -> what it says."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(src/kg/[^`]*)` \| ([^|]+) \|", section, re.M))
    rows.pop("src/kg/", None)  # the package itself
    return rows


def test_the_readme_layout_table_names_every_room_of_the_package():
    rows = layout_table()
    rooms = {
        f"src/kg/{p.relative_to(PACKAGE).as_posix()}" + ("/" if p.is_dir() else "")
        for p in PACKAGE.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.name != "__init__.py")
    }
    assert sorted(rooms - set(rows)) == [], "README.md's layout table misses these; add a row for each"
    assert sorted(set(rows) - rooms) == [], "README.md's layout table names what is not there"


def test_the_architecture_page_draws_these_layers():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name, prefixes in LAYERS:
        row = next((line for line in page.splitlines() if line.startswith(f"| {name} |")), None)
        assert row is not None, f"docs/architecture.md has no row for the layer {name}"
        for prefix in prefixes:
            assert f"`{prefix}`" in row, f"docs/architecture.md: the {name} row does not name {prefix}"


def test_routes_do_not_import_routes():
    """What two routes share lives in kg.web.state, kg.web.catalogue or kg.web.editor."""
    wrong = [
        f"{m} -> {t}"
        for m, targets in graph().items()
        if m.startswith("kg.web.routes.")
        for t in targets
        if t.startswith("kg.web.routes.")
    ]
    assert wrong == []
