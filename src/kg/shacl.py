"""SHACL validation of instance data, with violations traced back to the file they came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef

from kg import shacl_sparql
from kg.namespaces import SH, bind_all


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    message: str
    severity: str          # "Violation", "Warning" or "Info"
    value: str | None
    shape: str | None
    source: str | None = None   # the file the focus node is described in

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        path = f" path {self.path}" if self.path else ""
        value = f" value {self.value}" if self.value is not None else ""
        return f"{where}{self.severity}: focus {self.focus}{path}{value}: {self.message}"


_NAMES = Graph()
bind_all(_NAMES)


def _short(iri: URIRef) -> str:
    """An IRI as a prefixed name where a project prefix fits, else <iri>."""
    return iri.n3(_NAMES.namespace_manager)


def _term(node) -> str | None:
    if node is None:
        return None
    if isinstance(node, BNode):
        return f"_:{node}"
    return node.n3() if not isinstance(node, URIRef) else f"<{node}>"


def _result_path(report: Graph, result) -> str | None:
    path = report.value(result, SH.resultPath)
    if path is None:
        return None
    if isinstance(path, BNode):  # a complex path: show it in SHACL's own words
        return " ".join(f"{p.n3(report.namespace_manager)} {o.n3(report.namespace_manager)}"
                        for p, o in report.predicate_objects(path))
    return _short(path)


def violations_from_report(report: Graph, sources: dict | None = None) -> list[Violation]:
    out = []
    for result in report.objects(None, SH.result):  # top-level results only, not sh:detail
        focus = report.value(result, SH.focusNode)
        severity = report.value(result, SH.resultSeverity)
        message = report.value(result, SH.resultMessage)
        out.append(Violation(
            focus=_term(focus),
            path=_result_path(report, result),
            message=str(message) if message is not None else "constraint not met",
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            value=_term(report.value(result, SH.value)),
            shape=_term(report.value(result, SH.sourceShape)),
            source=(sources or {}).get(focus),
        ))
    return sorted(out, key=lambda v: (v.source or "", v.focus, v.path or "", v.message))


def validate_graphs(data: Graph, shapes: Graph, ontology: Graph | None = None,
                    sources: dict | None = None, engine: str = "fast") -> list[Violation]:
    """Validate `data` (with `ontology` as extra class/concept context) against `shapes`.

    `sources` maps a subject to the file it came from, so each violation names its file.
    engine "fast": SHACL Core by pyshacl, sh:sparql constraints by Oxigraph (`kg.shacl_sparql`);
    engine "pyshacl": everything by pyshacl (slow; the reference the fast engine is tested against).
    Returns every result, warnings included; callers decide what fails.
    """
    combined = Graph()
    for t in data:
        combined.add(t)
    if ontology is not None:
        for t in ontology:
            combined.add(t)
    if engine == "pyshacl":
        return violations_from_report(_pyshacl(combined, shapes), sources)
    core, constraints = shacl_sparql.split(shapes)
    results = violations_from_report(_pyshacl(combined, core), sources)
    results += [_from_sparql(r, sources) for r in shacl_sparql.evaluate(_oxigraph(combined), constraints)]
    return sorted(results, key=lambda v: (v.source or "", v.focus, v.path or "", v.message))


def _pyshacl(data: Graph, shapes: Graph) -> Graph:
    _conforms, report, _text = shacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True,
        allow_warnings=True, abort_on_first=False, meta_shacl=False, do_owl_imports=False,
    )
    return report


def _oxigraph(graph: Graph) -> ox.Store:
    store = ox.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    return store


def _to_rdflib(term):
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    plain = term.language or term.datatype.value == "http://www.w3.org/2001/XMLSchema#string"
    return Literal(term.value, lang=term.language, datatype=None if plain else URIRef(term.datatype.value))


def _from_sparql(result: dict, sources: dict | None) -> Violation:
    focus = _to_rdflib(result["focus"])
    path = result["path"]
    path_text = _short(URIRef(path if isinstance(path, URIRef) else path.value)) if path is not None else None
    return Violation(focus=_term(focus), path=path_text, message=result["message"],
                     severity=result["severity"], value=_term(_to_rdflib(result["value"])),
                     shape=_term(result["shape"]), source=(sources or {}).get(focus))


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
