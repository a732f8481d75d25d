"""Canonical formatting of committed RDF (`kg fmt`).

Every Turtle file in ontology/, shapes/ and data/ is written by `canonical_turtle`: rdflib's
`longturtle` serialiser with the project's prefixes, which sorts subjects and predicates and
writes blank nodes inline, so the same graph always gives the same bytes and diffs stay small.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from kg.errors import InputError
from kg.namespaces import PREFIXES, bind_all

EDITED_DIRS = ("ontology", "shapes", "data")


def canonical_turtle(graph: Graph) -> str:
    g = Graph()
    bind_all(g)
    for t in graph:
        g.add(t)
    for prefix, ns in graph.namespaces():
        if prefix and prefix not in PREFIXES and str(ns) not in PREFIXES.values():
            g.bind(prefix, ns)
    return g.serialize(format="longturtle")


def parse_turtle(path: Path) -> Graph:
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises many types; the message names the line
        raise InputError(f"{path}: cannot parse Turtle: {exc}") from exc
    return g


def write_canonical(graph: Graph, path: Path) -> bool:
    """Write `graph` to `path` canonically; return True when the file changed."""
    text = canonical_turtle(graph)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def committed_turtle(root: Path) -> list[Path]:
    """Every Turtle file under the edited directories (data/sources excluded: copied as published)."""
    files: list[Path] = []
    for d in EDITED_DIRS:
        for p in sorted((root / d).rglob("*.ttl")):
            if "sources" not in p.relative_to(root).parts:
                files.append(p)
    return files


def check(paths: list[Path]) -> list[Path]:
    """The files among `paths` that are not in canonical formatting."""
    return [p for p in paths if p.read_text(encoding="utf-8") != canonical_turtle(parse_turtle(p))]


def format_files(paths: list[Path]) -> list[Path]:
    """Rewrite `paths` canonically; return the ones that changed."""
    return [p for p in paths if write_canonical(parse_turtle(p), p)]
