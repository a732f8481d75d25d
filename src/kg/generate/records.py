"""Mitigation records with their evidence and classifications, as docs/model.md shapes them."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, VOID

from kg.namespaces import AIRM, CMETHOD, KG


def add_mitigation(g: Graph, local_id: str, doc: URIRef, dataset: URIRef,
                   name: str | None = None) -> URIRef:
    """`kg:mitigation/{id}` from `doc`; no rdfs:label when the source shows no name."""
    m = KG[f"mitigation/{local_id}"]
    g.add((m, RDF.type, AIRM.Mitigation))
    if name is not None:
        g.add((m, RDFS.label, Literal(name)))
    g.add((m, AIRM.sourceDocument, doc))
    g.add((doc, AIRM.documentMitigation, m))
    g.add((m, VOID.inDataset, dataset))
    return m


def add_evidence(g: Graph, m: URIRef, local_id: str, text: str, doc: URIRef, dataset: URIRef) -> URIRef:
    """`kg:evidence/{id}`: the quote, verbatim, linked both ways to its mitigation."""
    e = KG[f"evidence/{local_id}"]
    g.add((e, RDF.type, AIRM.EvidenceQuote))
    g.add((e, AIRM.quoteText, Literal(text)))
    g.add((e, AIRM.quotedFrom, doc))
    g.add((e, AIRM.evidenceFor, m))
    g.add((m, AIRM.hasEvidence, e))
    g.add((e, VOID.inDataset, dataset))
    return e


def add_classification(g: Graph, m: URIRef, local_id: str, method: str, category: URIRef,
                       agent: URIRef, dataset: URIRef) -> URIRef:
    """`kg:classification/{id}/{method}`, linked both ways; also sets the mitigation's effective
    category (every source so far has one classification per record, so it is the effective one)."""
    c = KG[f"classification/{local_id}/{method}"]
    g.add((c, RDF.type, AIRM.Classification))
    g.add((c, AIRM.classifies, m))
    g.add((m, AIRM.hasClassification, c))
    g.add((c, AIRM.category, category))
    g.add((c, AIRM.classificationMethod, CMETHOD[method]))
    g.add((c, PROV.wasAttributedTo, agent))
    g.add((c, VOID.inDataset, dataset))
    g.add((m, AIRM.mitigationCategory, category))
    return c
