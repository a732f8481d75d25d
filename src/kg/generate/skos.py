"""Building SKOS concept schemes the way docs/model.md describes them."""

from __future__ import annotations

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kg.namespaces import VS
from kg.records.write import en

# Reference YAML `status` -> vs:term_status.
TERM_STATUS = {"confirmed": "stable", "inferred": "testing"}


def scheme_iri(ns: Namespace) -> URIRef:
    """A scheme's IRI is its namespace without the trailing slash."""
    return URIRef(str(ns).rstrip("/"))


def add_scheme(g: Graph, ns: Namespace, title: str, definition: str, sources: list[URIRef], licence: URIRef) -> URIRef:
    """The scheme with title and definition (also as rdfs:label / dcterms:description for generic tools)."""
    s = scheme_iri(ns)
    g.add((s, RDF.type, SKOS.ConceptScheme))
    g.add((s, DCTERMS.title, en(title)))
    g.add((s, RDFS.label, en(title)))
    g.add((s, SKOS.definition, en(definition)))
    g.add((s, DCTERMS.description, en(definition)))
    g.add((s, DCTERMS.license, licence))
    for src in sources:
        g.add((s, DCTERMS.source, src))
    g.add((s, VS.term_status, Literal("stable")))
    return s


def add_concept(
    g: Graph,
    scheme: URIRef,
    iri: URIRef,
    cls: URIRef,
    *,
    label: str | None,
    definition: str,
    status: str = "stable",
    notation: str | None = None,
    broader: URIRef | None = None,
) -> URIRef:
    """A concept typed skos:Concept and `cls`; top concept when it has no broader one."""
    g.add((iri, RDF.type, SKOS.Concept))
    g.add((iri, RDF.type, cls))
    g.add((iri, SKOS.inScheme, scheme))
    if label is not None:
        g.add((iri, SKOS.prefLabel, en(label)))
    g.add((iri, SKOS.definition, en(definition)))
    g.add((iri, VS.term_status, Literal(status)))
    if notation is not None:
        g.add((iri, SKOS.notation, Literal(notation)))
    link(g, scheme, iri, broader)
    return iri


# The mark of a definition the project wrote itself (docs/model.md, "Text the project wrote").
OWN_DEFINITION = "The definition is AIRM-KG's own wording: no source the project ships gives one."


def mark_own_definition(g: Graph, iri: URIRef) -> URIRef:
    """Mark the concept's skos:definition as written by the project, not by a source."""
    g.add((iri, SKOS.editorialNote, en(OWN_DEFINITION)))
    return iri


def link(g: Graph, scheme: URIRef, iri: URIRef, broader: URIRef | None) -> None:
    """skos:broader and skos:narrower both ways, or topConceptOf / hasTopConcept."""
    if broader is None:
        g.add((iri, SKOS.topConceptOf, scheme))
        g.add((scheme, SKOS.hasTopConcept, iri))
    else:
        g.add((iri, SKOS.broader, broader))
        g.add((broader, SKOS.narrower, iri))
