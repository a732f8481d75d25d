"""SHACL-SPARQL constraints (sh:sparql) evaluated by Oxigraph instead of pyshacl.

pyshacl runs every SPARQL-based constraint once per focus node through rdflib's SPARQL engine:
on the real data that took minutes. Here each constraint runs once per focus node in Oxigraph with
$this pre-bound through `substitutions` (the SHACL pre-binding semantics), $PATH replaced by the
property shape's path, prefixes taken from sh:prefixes/sh:declare, and the result message filled
in from sh:message templates ({$this}, {?var}). SHACL Core constraints stay with pyshacl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.namespaces import SH


@dataclass(frozen=True)
class SparqlConstraint:
    shape: URIRef | BNode
    constraint: URIRef | BNode
    select: str
    message: str | None
    severity: str
    path: URIRef | None
    focus_query: str


def split(shapes: Graph) -> tuple[Graph, list[SparqlConstraint]]:
    """The shapes graph without its sh:sparql constraints, and those constraints."""
    constraints = [c for shape, node in shapes.subject_objects(SH.sparql) if (c := _constraint(shapes, shape, node))]
    core = Graph()
    for prefix, ns in shapes.namespaces():
        core.bind(prefix, ns)
    for t in shapes:
        if t[1] != SH.sparql:
            core.add(t)
    return core, constraints


def _constraint(shapes: Graph, shape, node) -> SparqlConstraint | None:
    if shapes.value(node, SH.deactivated) == Literal(True) or shapes.value(shape, SH.deactivated) == Literal(True):
        return None
    path = shapes.value(shape, SH.path)
    if path is not None and not isinstance(path, URIRef):
        raise ValueError(f"shape {shape}: sh:sparql with a complex sh:path is not supported; use an IRI path")
    select = str(shapes.value(node, SH.select))
    if path is not None:
        select = re.sub(r"\$PATH\b", f"<{path}>", select)
    message = shapes.value(node, SH.message) or shapes.value(shape, SH.message)
    severity = shapes.value(shape, SH.severity) or SH.Violation
    return SparqlConstraint(shape, node, _prologue(shapes, node) + select, str(message) if message else None,
                            str(severity).rsplit("#", 1)[-1], path, _focus_query(shapes, shape))


def _prologue(shapes: Graph, node) -> str:
    lines = []
    for source in shapes.objects(node, SH.prefixes):
        for decl in shapes.objects(source, SH.declare):
            lines.append(f"PREFIX {shapes.value(decl, SH.prefix)}: <{shapes.value(decl, SH.namespace)}>")
    return "\n".join(sorted(set(lines))) + "\n"


def _owners(shapes: Graph, shape) -> list:
    """The shape itself and the node shapes that use it through sh:property."""
    return [shape, *shapes.subjects(SH.property, shape)]


def _focus_query(shapes: Graph, shape) -> str:
    """A SELECT ?this over the targets of `shape` (and of the node shapes owning it)."""
    parts = []
    for owner in _owners(shapes, shape):
        parts += [f"{{ ?this a/<{RDFS.subClassOf}>* <{c}> }}" for c in shapes.objects(owner, SH.targetClass)]
        if (owner, RDF.type, RDFS.Class) in shapes:
            parts.append(f"{{ ?this a/<{RDFS.subClassOf}>* <{owner}> }}")
        parts += [f"{{ VALUES ?this {{ {n.n3()} }} }}" for n in shapes.objects(owner, SH.targetNode)]
        parts += [f"{{ ?this <{p}> ?any }}" for p in shapes.objects(owner, SH.targetSubjectsOf)]
        parts += [f"{{ ?any <{p}> ?this }}" for p in shapes.objects(owner, SH.targetObjectsOf)]
    if not parts:
        return ""
    return "SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " }"


def evaluate(store: ox.Store, constraints: list[SparqlConstraint]) -> list[dict]:
    """Run every constraint over its focus nodes; one dict per result (focus, path, value, message, ...)."""
    results = []
    for c in constraints:
        if not c.focus_query:
            continue
        for row in store.query(c.focus_query, use_default_graph_as_union=True):
            solutions = store.query(c.select, use_default_graph_as_union=True,
                                    substitutions={ox.Variable("this"): row["this"]})
            names = [v.value for v in solutions.variables]
            for sol in solutions:
                bindings = {n: sol[n] for n in names if sol[n] is not None}
                results.append(_result(c, row["this"], bindings))
    return results


def _text(term) -> str:
    return term.value if isinstance(term, (ox.NamedNode, ox.Literal)) else str(term)


def _result(c: SparqlConstraint, focus, bindings: dict) -> dict:
    message = c.message or "SPARQL constraint not met"
    names = {"this": focus, **bindings}
    message = re.sub(r"\{[?$](\w+)\}", lambda m: _text(names[m.group(1)]) if m.group(1) in names else m.group(0),
                     message)
    path = c.path if c.path is not None else bindings.get("path")
    return {"focus": focus, "path": path, "value": bindings.get("value"), "message": message,
            "severity": c.severity, "shape": c.shape}
