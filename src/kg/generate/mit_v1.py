"""`data/mit-v1.ttl`: the MIT AI Risk Mitigation Database v1 as copied from IBM AI Atlas Nexus:
831 controls (mitigations), their documents, and the curators' categorisations (the TSV)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, VOID, XSD

from kg.align import read_sssom  # the one SSSOM/TSV reader of the project
from kg.errors import InputError
from kg.generate.authors import parse_authors
from kg.generate.common import (
    MIT_AGENT,
    NEXUS_CONTROLS,
    NEXUS_MAPPINGS,
    NEXUS_MITIGATION_DATA,
    NEXUS_NIST,
    NEXUS_REPO,
    add_dataset,
    add_mit_agent,
    read_yaml,
)
from kg.iris import document_iri
from kg.namespaces import AIRM, NS, V1TAX
from kg.records.write import (
    add_authors,
    add_classification,
    add_evidence,
    add_mitigation,
    add_organization,
    add_person,
    new_graph,
)

CONTROLS, MITIGATION_DATA, NIST, MAPPINGS = NEXUS_CONTROLS, NEXUS_MITIGATION_DATA, NEXUS_NIST, NEXUS_MAPPINGS
OUTPUT = "data/mit-v1.ttl"

DATASET = "mit-mitigation-database-v1"
DATASET_TITLE = "MIT AI Risk Mitigation Database (v1)"
DATASET_DESCRIPTION = (
    "The mitigations of the MIT AI Risk Initiative's AI Risk Mitigation Database (v1), extracted from "
    "frameworks and reports on AI risk, with their source documents and the Initiative's manual "
    "categorisation into its draft mitigation taxonomy (v1), as published in IBM AI Atlas Nexus."
)
V1_TAXONOMY = "mit-draft-ai-risk-mitigation"
V1_GROUP = "mit-draft-ai-risk-mitigation-group-"
CATEGORISED_AS = "nexus:isCategorizedAs"
# The TSV's author_id values -> the agent the classification is attributed to.
MAPPING_AUTHORS = {"airisk@mit.edu": MIT_AGENT}
# SEMAPV justifications get a type (SEMAPV defines them as classes; used here as values of an
# object property they are punned individuals) and, when known, SEMAPV's own label.
SEMAPV_LABELS = {NS.semapv + "ManualMappingCuration": "manual mapping curation"}


@dataclass(frozen=True)
class Sources:
    controls: list[dict]
    documents: list[dict]
    groups: set[str]  # v1 taxonomy group ids
    header: dict  # the TSV's YAML header
    rows: list[tuple[int, dict]]  # (line number in the TSV, row)


def build(root: Path) -> dict[str, Graph]:
    mitigation = read_yaml(root / MITIGATION_DATA)
    header, rows = read_mappings(root / MAPPINGS)
    sources = Sources(
        controls=read_yaml(root / CONTROLS)["controls"],
        # NIST AI 600-1 is cited by the NIST controls; it is the NIST file's only document.
        documents=mitigation["documents"] + read_yaml(root / NIST)["documents"],
        groups={g["id"] for g in mitigation["groups"] if g["isDefinedByTaxonomy"] == V1_TAXONOMY},
        header=header,
        rows=rows,
    )
    return {OUTPUT: v1_graph(sources)}


def v1_graph(src: Sources) -> Graph:
    g = new_graph()
    add_mit_agent(g)
    dataset = add_dataset(g, DATASET, DATASET_TITLE, DATASET_DESCRIPTION)
    g.add((dataset, PROV.wasDerivedFrom, NEXUS_REPO))
    docs = {d["id"]: add_document(g, d, dataset) for d in src.documents}
    mitigations = {c["id"]: add_control(g, c, docs, dataset) for c in src.controls}
    seen: set[str] = set()
    for line, row in src.rows:
        add_mapping(g, src, line, row, mitigations, seen, dataset)
    return g


# --- documents ------------------------------------------------------------------------------


def add_document(g: Graph, d: dict, dataset: URIRef) -> URIRef:
    doc = document_iri(d["id"])
    g.add((doc, RDF.type, AIRM.SourceDocument))
    g.add((doc, DCTERMS.identifier, Literal(d["id"])))
    g.add((doc, DCTERMS.title, Literal(clean_title(d["name"]))))
    if (d.get("description") or "").strip():
        g.add((doc, DCTERMS.abstract, Literal(d["description"].strip())))
    g.add((doc, FOAF.page, URIRef(d["url"])))
    created = as_date(d["dateCreated"], d["id"])
    g.add((doc, DCTERMS.date, Literal(created.isoformat(), datatype=XSD.date)))
    g.add((doc, DCTERMS.issued, Literal(f"{created.year:04d}", datatype=XSD.gYear)))
    g.add((doc, VOID.inDataset, dataset))
    add_authors(g, doc, author_agents(g, d, dataset))
    return doc


def clean_title(name: str) -> str:
    """Titles as written; one pair of quotes around the whole title is YAML quoting that was folded
    into the text (doc-Campos2025), so it is dropped."""
    title = " ".join(name.split())
    if len(title) > 1 and title[0] == title[-1] == '"':
        title = title[1:-1]
    return title


def as_date(value, where: str) -> dt.date:
    """`dateCreated` as a date (YAML gives a date; a string must be ISO)."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{MITIGATION_DATA}: {where}: dateCreated {value!r} is not a date") from None


def author_agents(g: Graph, d: dict, dataset: URIRef) -> list[URIRef]:
    """Persons and organisations in author order; none when the source lists no author (NIST)."""
    text = d.get("author") or ""
    if not text.strip():
        return []
    return [  # an Author of parse_authors is an organisation or has a family name
        add_organization(g, dataset, a.organization)
        if a.organization
        else add_person(g, dataset, cast(str, a.family), a.given)
        for a in parse_authors(text, f"{MITIGATION_DATA}: {d['id']}")
    ]


# --- controls -------------------------------------------------------------------------------


def add_control(g: Graph, c: dict, docs: dict[str, URIRef], dataset: URIRef) -> URIRef:
    """A control keeps its id as local name and dcterms:identifier; its description is the evidence."""
    cited = c.get("hasDocumentation") or []
    # Every control cites exactly one document; anything else would need a decision, so it fails.
    if len(cited) != 1 or cited[0] not in docs:
        raise InputError(f"{CONTROLS}: control {c['id']} cites {cited}, not exactly one known document")
    doc = docs[cited[0]]
    # Names with runs of blanks collapsed; the evidence text exactly as the YAML parses it (stripped).
    m = add_mitigation(g, c["id"], doc, dataset, " ".join(c["name"].split()))
    g.add((m, DCTERMS.identifier, Literal(c["id"])))
    if (c.get("description") or "").strip():
        add_evidence(g, m, c["id"], c["description"].strip(), doc, dataset)
    return m


# --- the curators' categorisations (TSV) ----------------------------------------------------


def read_mappings(path: Path) -> tuple[dict, list[tuple[int, dict]]]:
    """The SSSOM-like TSV: its YAML header and its rows with their line numbers."""
    mapping_set = read_sssom(path)
    return mapping_set.meta, [(row["_line"], row) for row in mapping_set.rows]


def add_mapping(
    g: Graph, src: Sources, line: int, row: dict, mitigations: dict[str, URIRef], seen: set[str], dataset: URIRef
) -> None:
    where = f"{MAPPINGS} line {line}"
    control = control_id(row, mitigations, where)
    if control in seen:
        raise InputError(f"{where}: {control} is categorised a second time")
    seen.add(control)
    agent = MAPPING_AUTHORS.get(row.get("author_id") or "")
    if agent is None:
        raise InputError(f"{where}: unknown author_id {row.get('author_id')!r}")
    c = add_classification(g, mitigations[control], control, "curator", category(row, src, where), agent, dataset)
    g.add((c, DCTERMS.date, Literal(mapping_date(row, src, where), datatype=XSD.date)))
    add_justification(g, c, expand(row["mapping_justification"], src.header, where))
    g.add((agent, FOAF.mbox, URIRef("mailto:" + row["author_id"])))


def add_justification(g: Graph, classification: URIRef, justification: URIRef) -> None:
    g.add((classification, AIRM.mappingJustification, justification))
    g.add((justification, RDF.type, OWL.NamedIndividual))
    if str(justification) in SEMAPV_LABELS:
        g.add((justification, RDFS.label, Literal(SEMAPV_LABELS[str(justification)], lang="en")))
        g.add((justification, RDFS.isDefinedBy, URIRef(NS.semapv)))


def control_id(row: dict, mitigations: dict[str, URIRef], where: str) -> str:
    if row.get("predicate_id") != CATEGORISED_AS:
        raise InputError(f"{where}: predicate {row.get('predicate_id')!r}, expected {CATEGORISED_AS}")
    prefix, _, local = (row.get("subject_id") or "").partition(":")
    if prefix != "nexus" or local not in mitigations:
        raise InputError(f"{where}: unknown control {row.get('subject_id')!r}")
    return local


def category(row: dict, src: Sources, where: str) -> URIRef:
    """object_id `mit-draft-ai-risk-mitigation:mit-draft-ai-risk-mitigation-group-1.1` -> v1tax:1.1."""
    prefix, _, group = (row.get("object_id") or "").partition(":")
    if prefix != V1_TAXONOMY or group not in src.groups or not group.startswith(V1_GROUP):
        raise InputError(f"{where}: unknown category {row.get('object_id')!r}")
    return V1TAX[group[len(V1_GROUP) :]]


def mapping_date(row: dict, src: Sources, where: str) -> str:
    """The row's mapping_date, else the header's."""
    value = row.get("mapping_date") or src.header.get("mapping_date")
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise InputError(f"{where}: mapping_date {value!r} is not a date") from None


def expand(curie: str, header: dict, where: str) -> URIRef:
    """A CURIE by the TSV header's curie_map (semapv:ManualMappingCuration -> its IRI)."""
    prefix, _, local = (curie or "").partition(":")
    base = (header.get("curie_map") or {}).get(prefix)
    if base is None or not local:
        raise InputError(f"{where}: cannot expand {curie!r} with the header's curie_map")
    return URIRef(base + local)
