"""SHACL validation of instance data, with violations traced back to the file they came from.

Two engines give the same results (tests/test_shacl_engine.py holds them to it):

- "fast" (the default): `kg.shacl.core` compiles every constraint into one set-oriented SPARQL query
  run by Oxigraph over all focus nodes at once, and `kg.shacl.sparql_constraints` runs the sh:sparql constraints
  the same way. Shapes it cannot compile are run by pyshacl (never skipped).
- "pyshacl": everything by pyshacl, the reference implementation (slow: per focus node, in Python).

`validate_store` validates a pyoxigraph store directly (the union of its graphs), so a caller that
already has the data in Oxigraph needs no rdflib copy. `timeout` bounds the whole validation:
pyshacl cannot be interrupted, so with a timeout it runs in a child process that is killed at the
deadline; the Oxigraph engine checks the deadline between queries and while reading results.
owl:imports are never followed (pyshacl gets do_owl_imports=False; the fast engine fetches nothing).
"""

from __future__ import annotations

import multiprocessing
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast, overload

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from kg.errors import KGError, UnsupportedShapes, ValidationTimeout
from kg.namespaces import SH, bind_all
from kg.shacl import core, sparql_constraints
from kg.shacl.patterns import quiet_rdflib
from kg.shacl.plan import CoreQuery, Deadline
from kg.sparql.execute import constructed, solutions

__all__ = [
    "Violation",
    "validate_graphs",
    "validate_store",
    "failing",
    "subject_sources",
    "violations_from_report",
    "path_text",
    "ValidationTimeout",
    "UnsupportedShapes",
]


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    message: str
    severity: str  # "Violation", "Warning" or "Info"
    value: str | None
    shape: str | None
    source: str | None = None  # the file the focus node is described in

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        path = f" path {self.path}" if self.path else ""
        value = f" value {self.value}" if self.value is not None else ""
        return f"{where}{self.severity}: focus {self.focus}{path}{value}: {self.message}"


_NAMES = Graph()
bind_all(_NAMES)


def _short(iri: Node) -> str:
    """An IRI as a prefixed name where a project prefix fits, else <iri>."""
    return iri.n3(_NAMES.namespace_manager)


@overload
def _term(node: None) -> None: ...
@overload
def _term(node: Node) -> str: ...
def _term(node: Node | None) -> str | None:
    """A term in N-Triples-like syntax; literals in their RDF 1.1 canonical spelling
    (lower-case language tags, no ^^xsd:string), so both engines print the same text."""
    if node is None:
        return None
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        if node.language:
            return Literal(str(node), lang=node.language.lower()).n3()
        if node.datatype == XSD.string:
            return Literal(str(node)).n3()
        return node.n3()
    return f"<{node}>"


def path_text(graph: Graph, path) -> str:
    """A SHACL path in SPARQL property path syntax with project prefixes (`^airm:classifies`, `a/b`)."""

    def show(node, top: bool) -> str:
        if isinstance(node, URIRef):
            return _short(node)
        if node == RDF.nil or (node, RDF.first, None) in graph:
            items: list[str] = []
            while node not in (None, RDF.nil) and len(items) < 100:
                items.append(show(graph.value(node, RDF.first), False))
                node = graph.value(node, RDF.rest)
            return "/".join(items) if top else "(" + "/".join(items) + ")"
        for predicate, template in (
            (SH.inversePath, "^{}"),
            (SH.zeroOrMorePath, "{}*"),
            (SH.oneOrMorePath, "{}+"),
            (SH.zeroOrOnePath, "{}?"),
        ):
            inner = graph.value(node, predicate)
            if inner is not None:
                return template.format(show(inner, False))
        alternatives = graph.value(node, SH.alternativePath)
        if alternatives is not None:
            text = show(alternatives, True).replace("/", "|")
            return text if top else f"({text})"
        return " ".join(f"{_short(p)} {o.n3()}" for p, o in graph.predicate_objects(node))

    return show(path, True)


def violations_from_report(report: Graph, sources: dict | None = None) -> list[Violation]:
    out = []
    for result in report.objects(None, SH.result):  # top-level results only, not sh:detail
        focus = report.value(result, SH.focusNode)
        if focus is None:  # SHACL gives every result exactly one
            raise KGError(f"a SHACL validation result without sh:focusNode: {result.n3()}")
        severity = report.value(result, SH.resultSeverity)
        message = report.value(result, SH.resultMessage)
        path = report.value(result, SH.resultPath)
        out.append(
            Violation(
                focus=_term(focus),
                path=path_text(report, path) if path is not None else None,
                message=str(message) if message is not None else "constraint not met",
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                value=_term(report.value(result, SH.value)),
                shape=_term(report.value(result, SH.sourceShape)),
                source=(sources or {}).get(focus),
            )
        )
    return _sorted(out)


def _sorted(results: list[Violation]) -> list[Violation]:
    return sorted(results, key=lambda v: (v.source or "", v.focus, v.path or "", v.message, v.value or ""))


# ----------------------------------------------------------------------------------------- entry points


def validate_graphs(
    data: Graph,
    shapes: Graph,
    ontology: Graph | None = None,
    sources: dict | None = None,
    engine: str = "fast",
    timeout: float | None = None,
    fallback: bool = True,
) -> list[Violation]:
    """Validate `data` (with `ontology` as extra class/concept context) against `shapes`.

    `sources` maps a subject to the file it came from, so each violation names its file.
    engine "fast": the Oxigraph engine (`kg.shacl.core`, `kg.shacl.sparql_constraints`), pyshacl only for shapes
    it cannot compile (`fallback=False`: raise UnsupportedShapes instead);
    engine "pyshacl": everything by pyshacl (slow; the reference the fast engine is tested against).
    `timeout` (seconds, None: unbounded) raises ValidationTimeout when exceeded.
    Returns every result, warnings included; callers decide what fails.
    """
    deadline = Deadline(timeout)
    parts = [data] if ontology is None else [data, ontology]

    def combined() -> Graph:
        if len(parts) == 1:
            return data
        g = Graph()
        for part in parts:
            g += part
        return g

    if engine == "pyshacl":
        return _with_sources(_run_pyshacl(combined(), shapes, deadline), sources)
    if engine != "fast":
        raise ValueError(f"unknown SHACL engine {engine!r}: 'fast' or 'pyshacl'")
    store = ox.Store()
    for part in parts:
        store.load(part.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    deadline.check()
    return _validate(store, shapes, deadline, fallback, lambda: combined(), _dict_lookup(sources))


def validate_store(
    store: ox.Store,
    shapes: Graph,
    sources: dict | None = None,
    *,
    graph_files: dict[str, str] | None = None,
    timeout: float | None = None,
    fallback: bool = True,
) -> list[Violation]:
    """Validate the union of the graphs of `store` against `shapes` with the fast engine.

    Each violation names its file through `sources` (subject -> file, rdflib terms) or
    `graph_files` (graph IRI -> file, in precedence order: the first graph describing the focus
    node wins). Shapes that need pyshacl get an rdflib copy of the store. Nothing in `store` changes.
    """
    deadline = Deadline(timeout)
    lookup = _dict_lookup(sources) if sources is not None else _graph_lookup(store, graph_files or {})

    def copy() -> bytes:
        everything = constructed(
            store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
        )
        return cast(bytes, everything.serialize(format=ox.RdfFormat.N_TRIPLES))  # bytes: no output given

    return _validate(store, shapes, deadline, fallback, copy, lookup)


def _validate(store: ox.Store, shapes: Graph, deadline: Deadline, fallback: bool, data, lookup) -> list[Violation]:
    plan = core.compile_shapes(shapes, store, fallback=fallback, deadline=deadline)
    results = [_from_result(r, shapes) for r in core.run(store, plan, deadline)]
    if plan.fallback_shapes is not None:
        results += _run_pyshacl(data(), plan.fallback_shapes, deadline)
    return _sorted([replace(v, source=lookup(v)) for v in results])


def _dict_lookup(sources: dict | None):
    by_text = {_term(k): f for k, f in (sources or {}).items()}
    return lambda v: by_text.get(v.focus)


def _graph_lookup(store: ox.Store, graph_files: dict[str, str]):
    order = {iri: i for i, iri in enumerate(graph_files)}
    cache: dict = {}

    def lookup(v: Violation) -> str | None:
        if not graph_files or not v.focus.startswith("<"):
            return None
        if v.focus not in cache:
            rows = solutions(store.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {v.focus} ?p ?o }} }}"))
            graphs = [r["g"].value for r in rows if r["g"].value in order]
            cache[v.focus] = graph_files[min(graphs, key=order.__getitem__)] if graphs else None
        return cache[v.focus]

    return lookup


def _with_sources(results: list[Violation], sources: dict | None) -> list[Violation]:
    lookup = _dict_lookup(sources)
    return _sorted([replace(v, source=lookup(v)) for v in results])


# ----------------------------------------------------------------------------------------- result records


def _to_rdflib(term):
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    plain = term.language or term.datatype.value == "http://www.w3.org/2001/XMLSchema#string"
    with quiet_rdflib():
        return Literal(term.value, lang=term.language, datatype=None if plain else URIRef(term.datatype.value))


def _from_result(result: dict, shapes: Graph) -> Violation:
    if "query" not in result:
        return _from_sparql(result)
    q: CoreQuery = result["query"]
    focus, value = result["focus"], result["value"]
    path: str | None
    if result["path"] is not None:
        path = _short(URIRef(result["path"].value))
    else:
        path = path_text(shapes, q.path_node) if q.path_node is not None else None
    names = {"this": focus, **({"value": value} if value is not None else {}), **({"path": path} if path else {})}
    message = sparql_constraints.fill(q.message, names) if q.message else f"{q.component} of shape {q.shape} not met"
    return Violation(
        focus=_term(_to_rdflib(focus)),
        path=path,
        message=message,
        severity=q.severity,
        value=_term(_to_rdflib(value)),
        shape=_term(q.shape),
    )


def _from_sparql(result: dict) -> Violation:
    path = result["path"]
    path_text_ = _short(URIRef(path if isinstance(path, URIRef) else path.value)) if path is not None else None
    return Violation(
        focus=_term(_to_rdflib(result["focus"])),
        path=path_text_,
        message=result["message"],
        severity=result["severity"],
        value=_term(_to_rdflib(result["value"])),
        shape=_term(result["shape"]),
    )


# ----------------------------------------------------------------------------------------- pyshacl


def _pyshacl(data: Graph, shapes: Graph) -> Graph:
    _conforms, report, _text = shacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
        meta_shacl=False,
        do_owl_imports=False,
    )
    return report


def _run_pyshacl(data: Graph | bytes, shapes: Graph, deadline: Deadline) -> list[Violation]:
    """pyshacl's results; with a deadline in a child process that is killed when it passes."""
    if deadline.end is None:
        if isinstance(data, bytes):
            data = Graph().parse(data=data, format="nt")
        return violations_from_report(_pyshacl(data, shapes))
    data_nt = data if isinstance(data, bytes) else data.serialize(format="nt", encoding="utf-8")
    shapes_nt = shapes.serialize(format="nt", encoding="utf-8")
    deadline.check()
    context = multiprocessing.get_context("spawn")  # no fork: the caller may run threads
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_pyshacl_child, args=(data_nt, shapes_nt, send), daemon=True, name="kg-pyshacl")
    child.start()
    send.close()
    try:
        if not receive.poll(deadline.remaining()):
            raise deadline.timeout()
        status, payload = receive.recv()
    except EOFError:
        child.join(5)
        raise KGError(f"pyshacl died during SHACL validation (exit code {child.exitcode})") from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
    if status != "ok":
        raise KGError(f"pyshacl failed:\n{payload}")
    return payload


def _pyshacl_child(data_nt: bytes, shapes_nt: bytes, send) -> None:
    try:
        data = Graph().parse(data=data_nt, format="nt")
        shapes = Graph().parse(data=shapes_nt, format="nt")
        send.send(("ok", violations_from_report(_pyshacl(data, shapes))))
    except BaseException:
        send.send(("error", traceback.format_exc()))
    finally:
        send.close()


# ----------------------------------------------------------------------------------------- helpers


def failing(violations: list[Violation]) -> list[Violation]:
    """The results that block a build: severity Violation."""
    return [v for v in violations if v.severity == "Violation"]


def subject_sources(graphs: dict[Path, Graph], root: Path) -> dict:
    """Map each subject to the (relative) file that describes it."""
    sources: dict = {}
    for path, g in graphs.items():
        rel = str(path.relative_to(root)) if path.is_absolute() and path.is_relative_to(root) else str(path)
        for s in g.subjects():
            sources.setdefault(s, rel)
    return sources
