"""Curated imports as an overlay: how `data/imports/*.ttl` change records that other files describe.

An import file describes the records it brought in (new mitigations and documents), and may
*override* fields of records described elsewhere (in the generated `data/seed.ttl`,
`data/mit-v1.ttl`, or another import) - e.g. when a curator changes the classification of a v1
record in a spreadsheet export and imports it back. An override is written as a marker triple

    kg:mitigation/A0001_Bengio2025 curation:overrides "classification" .

and the import file holds the field's new triples. Before the build validates anything, `apply`
removes the field's triples from every other file (the patterns of `group_triples`) and drops the
markers, so the release holds exactly one version of each field and never a marker. The fields
are the column groups of `kg.records.columns` (a change to any column of a group replaces the group).

Two imports may not override the same field of the same record (InputError naming both files).
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS
from rdflib.term import Node

from kg.errors import InputError
from kg.namespaces import AIRM, BIBO, DEFAULT_BASE

CURATION = Namespace(DEFAULT_BASE + "curation#")
OVERRIDES = CURATION.overrides
IMPORTS_DIR = "data/imports/"

_SIMPLE = {
    "name": (RDFS.label,),
    "info": (AIRM.additionalInformation,),
    "stage": (AIRM.primaryLifecycleStage, AIRM.otherLifecycleStage),
    "actor": (AIRM.primaryActor, AIRM.otherActor),
    "function": (AIRM.primaryAIRMFunction, AIRM.otherAIRMFunction),
    "title": (DCTERMS.title,),
    "year": (DCTERMS.issued, DCTERMS.date),
    "url": (FOAF.page,),
    "doi": (BIBO.doi,),
    "abstract": (DCTERMS.abstract,),
    # a person's name, when an import spells a person known elsewhere more fully (kg.iris.fuller_spelling)
    "person": (FOAF.name, RDFS.label, FOAF.familyName, FOAF.givenName),
}
GROUPS = frozenset({*_SIMPLE, "source", "parent", "classification", "authors"})


def is_import(rel: str) -> bool:
    return rel.startswith(IMPORTS_DIR)


def _about(g: Graph, node) -> set:
    """Every triple with `node` as subject or object."""
    return set(g.triples((node, None, None))) | set(g.triples((None, None, node)))


def evidence_of(g: Graph, m: URIRef) -> set:
    return set(g.objects(m, AIRM.hasEvidence)) | set(g.subjects(AIRM.evidenceFor, m))


def classifications_of(g: Graph, m: URIRef) -> set:
    return set(g.objects(m, AIRM.hasClassification)) | set(g.subjects(AIRM.classifies, m))


def group_triples(g: Graph, record: URIRef, group: str) -> set:
    """The triples of `g` that make up field `group` of `record` (a mitigation, a document or a person)."""
    if group in _SIMPLE:
        return {t for p in _SIMPLE[group] for t in g.triples((record, p, None))}
    if group == "source":  # the cited document and the evidence quoted from it
        out = set(g.triples((record, AIRM.sourceDocument, None)))
        out |= set(g.triples((None, AIRM.documentMitigation, record)))
        for e in evidence_of(g, record):
            out |= _about(g, e)
        return out
    if group == "parent":
        return set(g.triples((record, AIRM.parentMitigation, None))) | set(
            g.triples((None, AIRM.childMitigation, record))
        )
    if group == "classification":
        out = set(g.triples((record, AIRM.mitigationCategory, None)))
        for c in classifications_of(g, record):
            out |= _about(g, c)
        return out
    if group == "authors":
        out = set(g.triples((record, DCTERMS.creator, None)))
        for head in g.objects(record, BIBO.authorList):
            out.add((record, BIBO.authorList, head))
            node: Node | None = head
            seen: set[Node] = set()
            while node is not None and node != RDF.nil and node not in seen:
                seen.add(node)
                out |= set(g.triples((node, None, None)))
                node = g.value(node, RDF.rest)
        return out
    raise InputError(f"unknown overridable field {group!r} (known: {', '.join(sorted(GROUPS))})")


def markers(g: Graph) -> list[tuple[URIRef, str]]:
    """(record, field) of each override marker; a record is an IRI (a blank node names nothing in another file)."""
    return sorted((s, str(o)) for s, o in g.subject_objects(OVERRIDES) if isinstance(s, URIRef))


def apply(graphs: dict, memory: ox.Store | None = None) -> set:
    """Apply the overrides of the import files among `graphs` ({Source: rdflib Graph}, changed in
    place) and drop their markers; mirror every changed graph into `memory` (an Oxigraph store
    holding one named graph per source). Returns the sources that changed."""
    imports = sorted((s for s in graphs if is_import(s.rel)), key=lambda s: s.rel)
    if not imports:
        return set()
    claimed: dict[tuple, str] = {}
    for src in imports:
        for record, group in markers(graphs[src]):
            if group not in GROUPS:
                raise InputError(f"{src.rel}: {record} overrides unknown field {group!r}")
            other = claimed.setdefault((record, group), src.rel)
            if other != src.rel:
                raise InputError(
                    f"{src.rel} and {other} both override the {group} of {record}: "
                    "keep the change in one of them (re-import one without it)"
                )
    changed = set()
    for (record, group), owner in claimed.items():
        for src, g in graphs.items():
            if src.rel == owner:
                continue
            doomed = group_triples(g, record, group)
            for t in doomed:
                g.remove(t)
            if doomed:
                changed.add(src)
    for src in imports:
        g = graphs[src]
        if (None, OVERRIDES, None) in g:
            g.remove((None, OVERRIDES, None))
            changed.add(src)
    if memory is not None:
        for src in changed:
            reload(memory, src, graphs[src])
    return changed


def reload(memory: ox.Store, src, graph: Graph) -> None:
    name = ox.NamedNode(src.graph_iri)
    memory.remove_graph(name)
    data = graph.serialize(format="nt", encoding="utf-8")
    if data.strip():
        memory.load(data, ox.RdfFormat.N_TRIPLES, to_graph=name)


def marker(record: URIRef, group: str) -> tuple:
    return (record, OVERRIDES, Literal(group))
