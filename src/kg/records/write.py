"""Writing the records of the graph as docs/model.md shapes them: mitigations with their evidence and
classifications, persons, organisations and author lists (shared by `kg generate` and `kg import`)."""

from __future__ import annotations

import re

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, VOID
from rdflib.term import Node

from kg.iris import (
    classification_iri,
    evidence_iri,
    fuller_spelling,
    mitigation_iri,
    organization_iri,
    person_iri,
)
from kg.namespaces import AIRM, BIBO, CMETHOD, bind_all

CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")


def new_graph() -> Graph:
    g = Graph()
    bind_all(g)
    return g


def en(text: str) -> Literal:
    return Literal(text, lang="en")


# UTF-8 read as Windows-1252 / Latin-1 ("â€™", "Ã©", "Â "): what shapes/airm-text-shapes.ttl refuses.
_MOJIBAKE = re.compile("â€|Ã[\u00a0-\u00bf\u0152-\u2122]|Â[\u00a0-\u00bf]")


def tidy(text: str) -> tuple[str, str | None]:
    """A label, name or title from a source without blanks around it and with mojibake undone (the
    text re-encoded as Windows-1252 and read as UTF-8, when that works); and a note saying what the
    source wrote, when anything changed (for skos:editorialNote; docs/model.md, "Text quality")."""
    fixed = text
    if _MOJIBAKE.search(fixed):
        try:
            fixed = fixed.encode("cp1252").decode("utf-8")
        except UnicodeError:
            pass  # not that kind of mojibake: left for the shapes to report
    done = ["undoes its mojibake"] if fixed != text else []
    if fixed.strip() != fixed:
        fixed = fixed.strip()
        done.insert(0, "drops the blanks around it")
    if not done:
        return text, None
    return fixed, f"The source writes {text!r}; AIRM-KG {' and '.join(done)}."


def add_mitigation(g: Graph, local_id: str, doc: URIRef, dataset: URIRef, name: str | None = None) -> URIRef:
    """`kg:mitigation/{id}` from `doc`; no rdfs:label when the source shows no name."""
    m = mitigation_iri(local_id)
    g.add((m, RDF.type, AIRM.Mitigation))
    if name is not None:
        g.add((m, RDFS.label, Literal(name)))
    g.add((m, AIRM.sourceDocument, doc))
    g.add((doc, AIRM.documentMitigation, m))
    g.add((m, VOID.inDataset, dataset))
    return m


def add_evidence(g: Graph, m: URIRef, local_id: str, text: str, doc: URIRef, dataset: URIRef) -> URIRef:
    """`kg:evidence/{id}`: the quote, verbatim, linked both ways to its mitigation."""
    e = evidence_iri(local_id)
    g.add((e, RDF.type, AIRM.EvidenceQuote))
    g.add((e, AIRM.quoteText, Literal(text)))
    g.add((e, AIRM.quotedFrom, doc))
    g.add((e, AIRM.evidenceFor, m))
    g.add((m, AIRM.hasEvidence, e))
    g.add((e, VOID.inDataset, dataset))
    return e


def add_classification(
    g: Graph, m: URIRef, local_id: str, method: str, category: URIRef, agent: URIRef, dataset: URIRef
) -> URIRef:
    """`kg:classification/{id}/{method}`, linked both ways; also sets the mitigation's effective
    category (every source so far has one classification per record, so it is the effective one)."""
    c = classification_iri(local_id, method)
    g.add((c, RDF.type, AIRM.Classification))
    g.add((c, AIRM.classifies, m))
    g.add((m, AIRM.hasClassification, c))
    g.add((c, AIRM.category, category))
    g.add((c, AIRM.classificationMethod, CMETHOD[method]))
    g.add((c, PROV.wasAttributedTo, agent))
    g.add((c, VOID.inDataset, dataset))
    g.add((m, AIRM.mitigationCategory, category))
    return c


def add_person(g: Graph, dataset: URIRef, family: str, given: str | None = None) -> URIRef:
    """`kg:person/{person_key}`. A person known by family name only is `kg:person/{family}`, with
    no foaf:givenName, and the family name as foaf:name and label. A second spelling of a person
    already in `g` (same `kg.iris.person_key`) is the same person: the fuller spelling
    (`kg.iris.fuller_spelling`) is the name, the other a skos:altLabel."""
    iri = person_iri(family, given)
    name = f"{given} {family}" if given else family
    known = g.value(iri, FOAF.name)
    if known is not None and str(known) != name:
        keep = fuller_spelling(str(known), name)
        g.add((iri, SKOS.altLabel, Literal(name if keep == str(known) else str(known))))
        if keep == str(known):
            return iri
        for p in (FOAF.familyName, FOAF.givenName, FOAF.name, RDFS.label):
            g.remove((iri, p, None))
        g.remove((iri, SKOS.altLabel, Literal(name)))
    set_person_name(g, iri, family, given)
    g.add((iri, RDF.type, FOAF.Person))
    g.add((iri, VOID.inDataset, dataset))
    return iri


def set_person_name(g: Graph, iri: URIRef, family: str, given: str | None) -> None:
    """foaf:familyName, foaf:givenName, foaf:name and rdfs:label of a person (the overlay's "person" field)."""
    name = f"{given} {family}" if given else family
    g.add((iri, FOAF.familyName, Literal(family)))
    if given:
        g.add((iri, FOAF.givenName, Literal(given)))
    g.add((iri, FOAF.name, Literal(name)))
    g.add((iri, RDFS.label, Literal(name)))


def add_organization(g: Graph, dataset: URIRef, name: str) -> URIRef:
    iri = organization_iri(name)
    g.add((iri, RDF.type, FOAF.Organization))
    g.add((iri, FOAF.name, Literal(name)))
    g.add((iri, RDFS.label, Literal(name)))
    g.add((iri, VOID.inDataset, dataset))
    return iri


def add_authors(g: Graph, doc: URIRef, agents: list[URIRef]) -> None:
    """`bibo:authorList` (an rdf:List, in order) and `dcterms:creator` for each author."""
    if not agents:
        return
    head = BNode()
    members: list[Node] = [*agents]  # rdflib's Collection asks for a list of Node (list is invariant)
    Collection(g, head, members)
    g.add((doc, BIBO.authorList, head))
    for agent in agents:
        g.add((doc, DCTERMS.creator, agent))
