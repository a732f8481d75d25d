"""The namespaces of AIRM-KG and the prefixes every serialisation binds.

The IRIs here use the default base; `kg.config.Settings.base_iri` may move instances elsewhere
(see `rebase`). Everything else imports its namespaces from this module.
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

DEFAULT_BASE = "https://w3id.org/airm-kg/"

KG = Namespace(DEFAULT_BASE)
AIRM = Namespace(DEFAULT_BASE + "ontology#")
ONTOLOGY_IRI = DEFAULT_BASE + "ontology"
MTAX = Namespace(DEFAULT_BASE + "vocab/mitigation-taxonomy/")
V1TAX = Namespace(DEFAULT_BASE + "vocab/mit-v1-mitigation-taxonomy/")
STAGE = Namespace(DEFAULT_BASE + "vocab/lifecycle-stage/")
ACTOR = Namespace(DEFAULT_BASE + "vocab/actor/")
FN = Namespace(DEFAULT_BASE + "vocab/airm-function/")
RDOM = Namespace(DEFAULT_BASE + "vocab/risk-domain/")
RCAUSE = Namespace(DEFAULT_BASE + "vocab/risk-cause/")
CMETHOD = Namespace(DEFAULT_BASE + "vocab/classification-method/")
GRAPH = Namespace(DEFAULT_BASE + "graph/")

BIBO = Namespace("http://purl.org/ontology/bibo/")
VS = Namespace("http://www.w3.org/2003/06/sw-vocab-status/ns#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

PREFIXES: dict[str, str] = {
    "airm": str(AIRM),
    "kg": str(KG),
    "mtax": str(MTAX),
    "v1tax": str(V1TAX),
    "stage": str(STAGE),
    "actor": str(ACTOR),
    "fn": str(FN),
    "rdom": str(RDOM),
    "rcause": str(RCAUSE),
    "cmethod": str(CMETHOD),
    "bibo": str(BIBO),
    "dcat": str(DCAT),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "owl": str(OWL),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "sh": str(SH),
    "skos": str(SKOS),
    "void": str(VOID),
    "vs": str(VS),
    "xsd": str(XSD),
}


def sparql_prologue() -> str:
    """PREFIX declarations for every project prefix, for queries and the query page."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def bind_all(graph) -> None:
    """Bind the project prefixes on an rdflib graph (replacing rdflib's defaults)."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)


def rebase(iri: str, base: str) -> str:
    """Move an IRI under the default base to `base`; leave every other IRI alone."""
    if base != DEFAULT_BASE and iri.startswith(DEFAULT_BASE):
        return base + iri[len(DEFAULT_BASE):]
    return iri
