"""Helpers shared by the generators: slugs, YAML input, literals, agents, persons, datasets."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, VOID

from kg.errors import InputError
from kg.namespaces import BIBO, KG, bind_all

CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
AIRISK = URIRef("https://airisk.mit.edu/")
NEXUS_REPO = URIRef("https://github.com/IBM/ai-atlas-nexus")

# The AI Atlas Nexus files the generators read (copied unchanged; see data/sources/README.md).
NEXUS = "data/sources/risk-atlas-nexus/"
NEXUS_CONTROLS = NEXUS + "mit_ai_risk_repository_data_controls.yaml"
NEXUS_MITIGATION_DATA = NEXUS + "mit_ai_risk_mitigation_data.yaml"
NEXUS_RISK_DATA = NEXUS + "mit_ai_risk_repository_data.yaml"
NEXUS_NIST = NEXUS + "nist_ai_rmf_data.yaml"
NEXUS_NIST_ACTIONS = NEXUS + "nist_ai_rmf_actions_data.yaml"
NEXUS_MAPPINGS = NEXUS + "mit_ai_risk_mitigation_mappings.tsv"
MIT_AGENT = KG["agent/mit-ai-risk-initiative"]

# Letters NFKD does not decompose into an ASCII base letter.
_ASCII_FOLD = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L", "đ": "d"})


def slug(text: str) -> str:
    """Lower-case ASCII; every run of anything else becomes one '-' (docs/model.md)."""
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def read_yaml(path: Path):
    """Parse a YAML input, naming the file when it cannot be read."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read YAML: {exc}") from exc


def new_graph() -> Graph:
    g = Graph()
    bind_all(g)
    return g


def en(text: str) -> Literal:
    return Literal(text, lang="en")


def add_mit_agent(g: Graph) -> URIRef:
    """The MIT AI Risk Initiative, curator of the navigator and of the v1 database."""
    for t in (PROV.Agent, FOAF.Organization):
        g.add((MIT_AGENT, RDF.type, t))
    g.add((MIT_AGENT, RDFS.label, Literal("MIT AI Risk Initiative")))
    g.add((MIT_AGENT, FOAF.name, Literal("MIT AI Risk Initiative")))
    g.add((MIT_AGENT, FOAF.homepage, AIRISK))
    return MIT_AGENT


def add_dataset(g: Graph, name: str, title: str, description: str) -> URIRef:
    """A `kg:dataset/{name}` of MIT AI Risk Initiative material (CC BY 4.0, from airisk.mit.edu)."""
    ds = KG[f"dataset/{name}"]
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, en(title)))
    g.add((ds, DCTERMS.description, en(description)))
    g.add((ds, DCTERMS.license, CC_BY))
    g.add((ds, DCTERMS.source, AIRISK))
    return ds


def add_person(g: Graph, dataset: URIRef, family: str, given: str | None = None) -> URIRef:
    """`kg:person/{family}-{given}`. A person known by family name only is `kg:person/{family}`, with
    no foaf:givenName, and the family name as foaf:name and label."""
    iri = KG["person/" + slug(f"{family} {given or ''}")]
    name = f"{given} {family}" if given else family
    _check_same_person(g, iri, name)
    g.add((iri, RDF.type, FOAF.Person))
    g.add((iri, FOAF.familyName, Literal(family)))
    if given:
        g.add((iri, FOAF.givenName, Literal(given)))
    g.add((iri, FOAF.name, Literal(name)))
    g.add((iri, RDFS.label, Literal(name)))
    g.add((iri, VOID.inDataset, dataset))
    return iri


def _check_same_person(g: Graph, iri: URIRef, name: str) -> None:
    """Two spellings that slug alike would silently merge two names into one resource."""
    known = g.value(iri, FOAF.name)
    if known is not None and str(known) != name:
        raise InputError(f"{iri}: the names {str(known)!r} and {name!r} give the same person IRI")


def add_organization(g: Graph, dataset: URIRef, name: str) -> URIRef:
    iri = KG["organization/" + slug(name)]
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
    Collection(g, head, agents)
    g.add((doc, BIBO.authorList, head))
    for agent in agents:
        g.add((doc, DCTERMS.creator, agent))


def document_iri(source_id: str) -> URIRef:
    """`kg:document/{id}`: the source id without its "doc-" prefix, spaces as '-' (dots kept)."""
    return KG["document/" + source_id.removeprefix("doc-").replace(" ", "-")]
