"""SHACL Core compiled to set-oriented SPARQL and evaluated by Oxigraph over the whole data at once.

pyshacl validates focus node by focus node in Python over rdflib; on the real data that is most of
the build's validation time and it grows linearly with a large constant. Here every constraint
component of a shape becomes one SPARQL query over all its focus nodes, e.g. sh:class C on path p:

    SELECT DISTINCT ?this (?v AS ?value) WHERE {
        { SELECT DISTINCT ?this WHERE { ?this rdf:type/rdfs:subClassOf* <T> } }   # the focus nodes
        ?this <p> ?v .                                                             # the value nodes
        MINUS { ?v rdf:type/rdfs:subClassOf* <C> }                                 # those that conform
    }

Only joins, MINUS, plain FILTERs and uncorrelated aggregate subqueries are used: Oxigraph evaluates
a FILTER (NOT) EXISTS by running its pattern again for every row, without using the row's bindings
to narrow it, which is quadratic (minutes at 10^6 triples), while MINUS and joins are hash-based.
So a shape used through sh:node, sh:not, sh:and, sh:or, sh:xone or sh:qualifiedValueShape is
compiled into the *set* of candidate nodes that violate it, a DISTINCT subquery that the using
constraint joins (sh:node: values in the set violate) or subtracts (sh:not: values outside violate).
The candidates are the value nodes of the using constraint, so every set stays finite and small.

Semantics follow the SHACL recommendation (and pyshacl, the reference engine they are tested
against in tests/test_shacl_engine.py): SHACL instances through rdfs:subClassOf* in the data graph;
value nodes and counts are distinct RDF terms; sh:datatype also rejects ill-typed literals, judged
by rdflib exactly as pyshacl does; sh:pattern uses sh:flags; conformance of a nested shape means
no result of any severity; deactivated shapes produce nothing and conform.

A shape using anything this compiler does not know (SHACL-AF targets and rules, custom constraint
components, sh:sparql below a sh:node, recursive shapes, a regex Oxigraph cannot run, ...) raises
`Unsupported`; `compile_shapes` then hands the whole target-bearing shape that contains it to
pyshacl (see `Plan.fallback`), or, with `fallback=False`, fails. Nothing is skipped silently.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph

from kg.errors import UnsupportedShapes
from kg.shacl import sparql_constraints
from kg.shacl.compiler import Compiler, untargeted
from kg.shacl.plan import Deadline, Plan, Unsupported
from kg.sparql.execute import solutions

# ----------------------------------------------------------------------------------------- errors


# ----------------------------------------------------------------------------------------- the plan


# ----------------------------------------------------------------------------------------- helpers


# ----------------------------------------------------------------------------------------- the compiler


def compile_shapes(
    shapes: Graph, store: ox.Store | None = None, fallback: bool = True, deadline: Deadline | None = None
) -> Plan:
    """Compile every target-bearing shape; those the compiler cannot run go to `Plan.fallback`.

    `store` (the data) lets the compiler look up the ill-typed literals of sh:datatype constraints
    and check that Oxigraph can run each sh:pattern; without it neither is checked."""
    compiler = Compiler(shapes, store, deadline)
    plan = Plan()
    units: dict = {}
    for root in compiler.roots():
        try:
            found = compiler.units(root)
            for shape, focus in found.items():  # compile once to find what is unsupported
                compiler.unit_queries(shape, compiler.focus(focus))
        except Unsupported as exc:
            plan.fallback[root] = str(exc)
            continue
        for shape, focus in found.items():
            units.setdefault(shape, []).extend(focus)
    if plan.fallback and not fallback:
        raise UnsupportedShapes(plan.fallback)
    for shape in sorted(units, key=str):
        core, sparql = compiler.unit_queries(shape, compiler.focus(units[shape]))
        plan.core += core
        plan.sparql += sparql
    if plan.fallback:
        fast = [r for r in compiler.roots() if r not in plan.fallback]
        plan.fallback_shapes = untargeted(shapes, fast, compiler)
    return plan


# ----------------------------------------------------------------------------------------- running


def run(store: ox.Store, plan: Plan, deadline: Deadline) -> list[dict]:
    """Every result of the plan's queries: dicts of focus, path, value (pyoxigraph terms), message, ..."""
    results = []
    for q in plan.core:
        deadline.check()
        try:
            answer = solutions(store.query(q.text, use_default_graph_as_union=True))
        except (SyntaxError, OSError, ValueError) as exc:  # a bug here must not pass as "no result"
            raise RuntimeError(f"shape {q.shape}: compiled query failed: {exc}\n{q.text}") from exc
        names = {v.value for v in answer.variables}
        for i, row in enumerate(answer):
            if i % 1000 == 999:
                deadline.check()
            results.append(
                {
                    "focus": row["this"],
                    "value": row["value"] if "value" in names else None,
                    "path": row["path"] if "path" in names else None,
                    "query": q,
                }
            )
    for s in plan.sparql:
        results += sparql_constraints.evaluate(store, s.constraint, s.focus, deadline.check)
    return results
