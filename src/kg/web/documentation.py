"""The ontology and the shapes as documents: `/ontology` (the hash namespace `ontology#Term` and the
version IRI dereference here) and `/shapes`, each in RDF (the ontology's named graph; the release's
copies of `shapes/*.ttl`) or as an HTML documentation page rendered from the graph — one anchor per
term (label, definition, domain, range, super, inverse, status). pyLODE is not used: our page needs no
network and no extra dependency, and shows the vocabularies too.

The dereferencing itself is in `resources.py`; this module builds the documents (cached per release)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from starlette.requests import Request

from kg.describe import Describer, Term, natural_key
from kg.namespaces import NS

SECTIONS = (
    ("Classes", NS.owl + "Class"),
    ("Object properties", NS.owl + "ObjectProperty"),
    ("Datatype properties", NS.owl + "DatatypeProperty"),
    ("Annotation properties", NS.owl + "AnnotationProperty"),
    ("Individuals", NS.owl + "NamedIndividual"),
)
SHAPE_SECTIONS = (("Node shapes", NS.sh + "NodeShape"), ("Property shapes", NS.sh + "PropertyShape"))


@dataclass
class Document:
    iri: str
    title: str
    kind: str
    triples: list[ox.Triple]
    meta: list[tuple[Term, list[Term]]] = field(default_factory=list)
    sections: list[tuple[str, list[dict]]] = field(default_factory=list)
    schemes: list[Term] = field(default_factory=list)
    description: str = ""

    def context(self) -> dict:
        return {"title": self.title, "doc": self}


def _graph_store(triples: list[ox.Triple]) -> ox.Store:
    store = ox.Store()
    store.extend([ox.Quad(t.subject, t.predicate, t.object) for t in triples])
    return store


def _values(store: ox.Store, node, predicate: str) -> list:
    return sorted({q.object for q in store.quads_for_pattern(node, ox.NamedNode(predicate), None)}, key=str)


def _text(store: ox.Store, node, *predicates: str) -> str:
    for p in predicates:
        for o in _values(store, node, p):
            if isinstance(o, ox.Literal) and o.language in (None, "en"):
                return o.value
    return ""


def _terms(store: ox.Store, d: Describer, ns: str, section_types, props) -> list[tuple[str, list[dict]]]:
    sections = []
    for title, cls in section_types:
        entries = []
        for q in store.quads_for_pattern(None, ox.NamedNode(NS.rdf + "type"), ox.NamedNode(cls)):
            node = q.subject
            if not isinstance(node, ox.NamedNode) or not node.value.startswith(ns):
                continue
            entry: dict[str, Any] = {  # what the template reads of a term
                "id": node.value[len(ns) :] if ns else node.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1],
                "iri": node.value,
                "label": _text(store, node, NS.skos + "prefLabel", NS.rdfs + "label") or node.value[len(ns) :],
                "definition": _text(store, node, NS.skos + "definition", NS.rdfs + "comment"),
                "rows": [],
            }
            for name, predicate in props:
                values = [d.term(o) for o in _values(store, node, predicate)]
                if values:
                    entry["rows"].append((name, values))
            entries.append(entry)
        if entries:
            sections.append(
                (title, sorted({e["iri"]: e for e in entries}.values(), key=lambda e: natural_key(e["id"])))
            )
    return sections


ONTOLOGY_PROPS = (
    ("super class", NS.rdfs + "subClassOf"),
    ("super property", NS.rdfs + "subPropertyOf"),
    ("domain", NS.rdfs + "domain"),
    ("range", NS.rdfs + "range"),
    ("inverse of", NS.owl + "inverseOf"),
    ("equivalent", NS.owl + "equivalentClass"),
    ("disjoint with", NS.owl + "disjointWith"),
    ("type", NS.rdf + "type"),
    ("status", NS.vs + "term_status"),
    ("see also", NS.rdfs + "seeAlso"),
)
SHAPE_PROPS = (
    ("target class", NS.sh + "targetClass"),
    ("path", NS.sh + "path"),
    ("property", NS.sh + "property"),
    ("class", NS.sh + "class"),
    ("datatype", NS.sh + "datatype"),
    ("min count", NS.sh + "minCount"),
    ("max count", NS.sh + "maxCount"),
    ("severity", NS.sh + "severity"),
    ("message", NS.sh + "message"),
)


def ontology_document(d: Describer) -> Document:
    iri = d.base + "ontology"
    triples = d.graph(d.base + "graph/ontology/airm")
    # terms of the namespace stated elsewhere too (alignments, vocabularies extending the ontology)
    triples += [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in d.store
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(d.ns)
    ]
    triples = list(dict.fromkeys(triples))
    store = _graph_store(triples)
    node = ox.NamedNode(iri)
    meta = []
    for q in store.quads_for_pattern(node, None, None):
        if q.predicate.value not in (NS.dcterms + "description",):
            meta.append((d.term(q.predicate), [d.term(q.object)]))
    return Document(
        iri,
        _text(store, node, NS.dcterms + "title", NS.rdfs + "label") or "Ontology",
        "ontology",
        triples,
        sorted(meta, key=lambda m: m[0].text),
        _terms(store, d, d.ns, SECTIONS, ONTOLOGY_PROPS),
        d.schemes(),
        _text(store, node, NS.dcterms + "description", NS.rdfs + "comment"),
    )


def shapes_document(request: Request, d: Describer) -> Document:
    triples: list[ox.Triple] = []
    folder = request.app.state.release.path
    for path in sorted(folder.glob("shapes-*.ttl")):
        triples += list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    triples = list(dict.fromkeys(triples))
    store = _graph_store(triples)
    iri = d.base + "shapes"
    node = ox.NamedNode(iri)
    meta = [
        (d.term(q.predicate), [d.term(q.object)])
        for q in store.quads_for_pattern(node, None, None)
        if q.predicate.value not in (NS.sh + "declare", NS.rdfs + "comment")
    ]
    return Document(
        iri,
        _text(store, node, NS.rdfs + "label") or "SHACL shapes",
        "shapes",
        triples,
        sorted(meta, key=lambda m: m[0].text),
        _terms(store, d, d.base + "shapes#", SHAPE_SECTIONS, SHAPE_PROPS),
        [],
        _text(store, node, NS.rdfs + "comment"),
    )


def module_document(d: Describer, iri: str) -> Document:
    """An ontology module of its own file (an extract of ontology/imports/, the alignment): its graph."""
    triples = d.graph(d.base + "graph/" + iri[len(d.base) :])
    store = _graph_store(triples)
    node = ox.NamedNode(iri)
    meta = [
        (d.term(q.predicate), [d.term(q.object)])
        for q in store.quads_for_pattern(node, None, None)
        if q.predicate.value not in (NS.dcterms + "description",)
    ]
    return Document(
        iri,
        _text(store, node, NS.dcterms + "title", NS.rdfs + "label") or "Ontology module",
        "ontology",
        triples,
        sorted(meta, key=lambda m: m[0].text),
        _terms(store, d, "", SECTIONS, ONTOLOGY_PROPS),
        [],
        _text(store, node, NS.dcterms + "description", NS.rdfs + "comment"),
    )


def document(request: Request, d: Describer, kind: str, iri: str = "") -> Document:
    """The ontology (`kind="ontology"`), a module of it (`"module"`, by IRI) or the shapes document of
    the release in service, built once."""
    cache = getattr(request.app.state, "documents", None)
    if cache is None:
        cache = request.app.state.documents = {}
    key = (request.app.state.release.id, kind, iri if kind == "module" else "")
    if key not in cache:
        if kind == "module":
            cache[key] = module_document(d, iri)
        else:
            cache[key] = ontology_document(d) if kind == "ontology" else shapes_document(request, d)
    return cache[key]
