"""Canonical spreadsheet cells -> RDF, one column group at a time (docs/model.md, docs/curation.md).

A group's triples are exactly what `kg.pipeline.overlay.group_triples` finds for that group, so that
an import can replace one group of a record and keep the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, VOID, XSD

from kg.curate.rows import Author, parse_authors
from kg.iris import classification_iri, document_iri, mitigation_iri
from kg.namespaces import AIRM, BIBO, CMETHOD
from kg.records.vocab import Vocab
from kg.records.write import CC_BY, add_authors, add_evidence, add_organization, add_person, en

DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3; rdflib's DCAT namespace predates it
_PROPS = {
    "stage": ("AILifecycle", AIRM.primaryLifecycleStage, AIRM.otherLifecycleStage),
    "actor": ("AIActor", AIRM.primaryActor, AIRM.otherActor),
    "function": ("AIRM", AIRM.primaryAIRMFunction, AIRM.otherAIRMFunction),
}


def split(cell: str) -> list[str]:
    return [x for x in cell.split(", ") if x]


@dataclass
class Mapper:
    vocab: Vocab
    dataset: URIRef
    activity: URIRef | None
    curator: URIRef
    classifier: URIRef

    def _generated(self, g: Graph, node: URIRef) -> None:
        if self.activity is not None:
            g.add((node, PROV.wasGeneratedBy, self.activity))

    # --- mitigations ---

    def _record(self, g: Graph, node: URIRef, cls: URIRef, identifier: str) -> URIRef:
        """The triples every imported record has: its type, identifier, dataset and provenance."""
        g.add((node, RDF.type, cls))
        g.add((node, DCTERMS.identifier, Literal(identifier)))
        g.add((node, VOID.inDataset, self.dataset))
        self._generated(g, node)
        return node

    def mitigation_core(self, g: Graph, mid: str) -> URIRef:
        return self._record(g, mitigation_iri(mid), AIRM.Mitigation, mid)

    def mitigation_group(self, g: Graph, cells: dict[str, str], group: str) -> None:
        mid = cells["Mitigation_ID"]
        m = mitigation_iri(mid)
        if group == "name" and cells["Mitigation_Name"]:
            g.add((m, RDFS.label, Literal(cells["Mitigation_Name"])))
        elif group == "info" and cells["Additional Information"]:
            g.add((m, AIRM.additionalInformation, Literal(cells["Additional Information"])))
        elif group == "source":
            doc = document_iri(cells["Source"])
            g.add((m, AIRM.sourceDocument, doc))
            g.add((doc, AIRM.documentMitigation, m))
            if cells["Definition"]:
                self._generated(g, add_evidence(g, m, mid, cells["Definition"], doc, self.dataset))
        elif group == "parent" and cells["Parent"]:
            parent = mitigation_iri(cells["Parent"])
            g.add((m, AIRM.parentMitigation, parent))
            g.add((parent, AIRM.childMitigation, m))
        elif group == "classification":
            self._classifications(g, m, mid, cells)
        elif group in _PROPS:
            column, primary, other = _PROPS[group]
            kind = group
            if cells[f"{column}_Primary"]:
                g.add((m, primary, URIRef(self.vocab.label_iri(kind, cells[f"{column}_Primary"]))))
            for label in split(cells[f"{column}_Other"]):
                g.add((m, other, URIRef(self.vocab.label_iri(kind, label))))

    def _classifications(self, g: Graph, m: URIRef, mid: str, cells: dict[str, str]) -> None:
        human, llm, reasoning = (cells["human_classification"], cells["llm_classification"], cells["llm_reasoning"])
        made = {}
        for method, code, agent in (("curator", human, self.curator), ("classifier", llm, self.classifier)):
            if not code:
                continue
            c = classification_iri(mid, method)
            g.add((c, RDF.type, AIRM.Classification))
            g.add((c, AIRM.classifies, m))
            g.add((m, AIRM.hasClassification, c))
            g.add((c, AIRM.category, URIRef(self.vocab.code_iri(code))))
            g.add((c, AIRM.classificationMethod, CMETHOD[method]))
            g.add((c, PROV.wasAttributedTo, agent))
            g.add((c, VOID.inDataset, self.dataset))
            self._generated(g, c)
            made[method] = c
        if reasoning and made:
            g.add((made.get("classifier") or made["curator"], AIRM.reasoning, Literal(reasoning)))
        effective = human or llm
        if effective:
            g.add((m, AIRM.mitigationCategory, URIRef(self.vocab.code_iri(effective))))

    # --- documents ---

    def document_core(self, g: Graph, sid: str) -> URIRef:
        return self._record(g, document_iri(sid), AIRM.SourceDocument, sid)

    def document_group(self, g: Graph, cells: dict[str, str], group: str) -> list[Author]:
        """Add the group's triples; return the authors it names (their descriptions are the caller's)."""
        d = document_iri(cells["SourceID"])
        if group == "title" and cells["Title"]:
            g.add((d, DCTERMS.title, Literal(cells["Title"])))
        elif group == "year" and cells["Year"]:
            g.add((d, DCTERMS.issued, Literal(cells["Year"], datatype=XSD.gYear)))
        elif group == "url" and cells["URL"]:
            g.add((d, FOAF.page, URIRef(cells["URL"])))
        elif group == "doi" and cells["DOI"]:
            g.add((d, BIBO.doi, Literal(cells["DOI"])))
        elif group == "abstract" and cells["Abstract"]:
            g.add((d, DCTERMS.abstract, Literal(cells["Abstract"])))
        elif group == "authors":
            authors = parse_authors(cells["Author list"])
            add_authors(g, d, [a.iri for a in authors])
            return authors
        return []

    def add_author(self, g: Graph, author: Author) -> None:
        if author.organization:
            add_organization(g, self.dataset, author.organization)
        else:
            add_person(g, self.dataset, author.family, author.given or None)


# --- the shared resources of an import file -------------------------------------------------


def add_import_dataset(g: Graph, dataset: URIRef, source: str) -> None:
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.title, en(f"Curated import: {source}")))
    g.add(
        (
            dataset,
            DCTERMS.description,
            en(
                f"Mitigation records and source documents brought in by `kg import` from spreadsheet exports "
                f"of the source database (source '{source}'), with the changes curators made to records of "
                "other datasets; every record names the import that produced it (prov:wasGeneratedBy, "
                "prov:wasInfluencedBy)."
            ),
        )
    )
    g.add((dataset, DCTERMS.license, CC_BY))


def add_curator(g: Graph, agent: URIRef, name: str) -> None:
    g.add((agent, RDF.type, AIRM.Curator))
    g.add((agent, RDFS.label, Literal(name)))
    g.add((agent, FOAF.name, Literal(name)))


def add_classifier(g: Graph, agent: URIRef) -> None:
    g.add((agent, RDF.type, AIRM.Classifier))
    g.add((agent, RDFS.label, Literal("LLM classifier of the source database")))


def add_importer(g: Graph, agent: URIRef, version: str) -> None:
    g.add((agent, RDF.type, PROV.SoftwareAgent))
    g.add((agent, RDFS.label, Literal(f"kg import {version}")))
    g.add((agent, OWL.versionInfo, Literal(version)))


def add_activity(
    g: Graph,
    activity: URIRef,
    *,
    label: str,
    started: str,
    files: list[dict],
    importer: URIRef,
    release: URIRef,
    version: str,
) -> None:
    """The import (prov:Activity): when, from which files (name, SHA-256), by which importer, and the
    release it produced - the first release holding what it brought in."""
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDFS.label, Literal(label)))
    g.add((activity, PROV.startedAtTime, Literal(started, datatype=XSD.dateTime)))
    g.add((activity, PROV.wasAssociatedWith, importer))
    g.add((activity, PROV.generated, release))
    g.add((release, RDF.type, PROV.Entity))
    g.add((release, DCAT_VERSION, Literal(version)))
    for n, f in enumerate(files, start=1):
        entity = URIRef(f"{activity}/file/{n}")
        g.add((activity, PROV.used, entity))
        g.add((entity, RDF.type, PROV.Entity))
        g.add((entity, DCTERMS.title, Literal(f["name"])))
        g.add((entity, DCTERMS.identifier, Literal(f"sha256:{f['sha256']}")))
        g.add((entity, DCTERMS.format, Literal(f["media_type"])))
