"""The namespaces of AIRM-KG and the prefixes every serialisation binds.

The IRIs here use the default base; `kg.config.Settings.base_iri` may move instances elsewhere
(see `rebase`). Everything else imports its namespaces from this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Namespace

DEFAULT_BASE = "https://w3id.org/airm-kg/"


@dataclass(frozen=True)
class Namespaces:
    """Every namespace the code names, once: the project's own, the reused vocabularies, and the few
    the dataset description and the mapping records need."""

    airm: str = DEFAULT_BASE + "ontology#"
    kg: str = DEFAULT_BASE
    mtax: str = DEFAULT_BASE + "vocab/mitigation-taxonomy/"
    v1tax: str = DEFAULT_BASE + "vocab/mit-v1-mitigation-taxonomy/"
    stage: str = DEFAULT_BASE + "vocab/lifecycle-stage/"
    actor: str = DEFAULT_BASE + "vocab/actor/"
    fn: str = DEFAULT_BASE + "vocab/airm-function/"
    rdom: str = DEFAULT_BASE + "vocab/risk-domain/"
    rcause: str = DEFAULT_BASE + "vocab/risk-cause/"
    cmethod: str = DEFAULT_BASE + "vocab/classification-method/"
    kgf: str = DEFAULT_BASE + "function#"  # SPARQL extension functions (kgf:textScore); queries predeclare it
    bibo: str = "http://purl.org/ontology/bibo/"
    dcat: str = "http://www.w3.org/ns/dcat#"
    dcterms: str = "http://purl.org/dc/terms/"
    foaf: str = "http://xmlns.com/foaf/0.1/"
    owl: str = "http://www.w3.org/2002/07/owl#"
    prov: str = "http://www.w3.org/ns/prov#"
    rdf: str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    rdfs: str = "http://www.w3.org/2000/01/rdf-schema#"
    sh: str = "http://www.w3.org/ns/shacl#"
    skos: str = "http://www.w3.org/2004/02/skos/core#"
    void: str = "http://rdfs.org/ns/void#"
    vs: str = "http://www.w3.org/2003/06/sw-vocab-status/ns#"
    xsd: str = "http://www.w3.org/2001/XMLSchema#"
    # not bound as prefixes everywhere (see BOUND): named by a few modules only
    sd: str = "http://www.w3.org/ns/sparql-service-description#"
    spdx: str = "http://spdx.org/rdf/terms#"
    semapv: str = "https://w3id.org/semapv/vocab/"
    sssom: str = "https://w3id.org/sssom/"
    adms: str = "http://www.w3.org/ns/adms#"
    pav: str = "http://purl.org/pav/"
    admsstatus: str = "http://purl.org/adms/status/"
    cs: str = "http://purl.org/vocab/changeset/schema#"
    formats: str = "http://www.w3.org/ns/formats/"


NS = Namespaces()

# The prefixes every serialisation binds and every query predeclares, in this order.
BOUND = (
    "airm",
    "kg",
    "mtax",
    "v1tax",
    "stage",
    "actor",
    "fn",
    "rdom",
    "rcause",
    "cmethod",
    "bibo",
    "dcat",
    "dcterms",
    "foaf",
    "owl",
    "prov",
    "rdf",
    "rdfs",
    "sh",
    "skos",
    "void",
    "vs",
    "xsd",
)
PREFIXES: dict[str, str] = {prefix: getattr(NS, prefix) for prefix in BOUND}

# rdflib namespaces of the project's own terms (for the generators and the curation code)
KG = Namespace(NS.kg)
AIRM = Namespace(NS.airm)
ONTOLOGY_IRI = DEFAULT_BASE + "ontology"
MTAX = Namespace(NS.mtax)
V1TAX = Namespace(NS.v1tax)
STAGE = Namespace(NS.stage)
ACTOR = Namespace(NS.actor)
FN = Namespace(NS.fn)
RDOM = Namespace(NS.rdom)
RCAUSE = Namespace(NS.rcause)
CMETHOD = Namespace(NS.cmethod)
GRAPH = Namespace(DEFAULT_BASE + "graph/")

BIBO = Namespace(NS.bibo)
VS = Namespace(NS.vs)
SH = Namespace(NS.sh)
SD = Namespace(NS.sd)


def iri(curie: str) -> str:
    """The IRI of a prefixed name of `NS` (`"dcterms:title"` -> `"http://purl.org/dc/terms/title"`)."""
    prefix, _, local = curie.partition(":")
    return str(getattr(NS, prefix)) + local


def node(curie: str) -> ox.NamedNode:
    """The pyoxigraph term of a prefixed name of `NS`."""
    return ox.NamedNode(iri(curie))


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
        return base + iri[len(DEFAULT_BASE) :]
    return iri
