"""What the generators share: the source files they read, YAML input, the MIT agent and datasets.

Records (persons, documents, mitigations) are written with `kg.records.write`, IRIs minted by `kg.iris`."""

from __future__ import annotations

from pathlib import Path

import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, VOID

from kg.errors import InputError
from kg.namespaces import KG
from kg.records.write import CC_BY, en

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


def read_yaml(path: Path):
    """Parse a YAML input, naming the file when it cannot be read."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read YAML: {exc}") from exc


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
