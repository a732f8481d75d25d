"""The SPARQL service description (`sd:Service`) of the endpoint, answered on GET /sparql without a query."""

from __future__ import annotations

from typing import cast

import pyoxigraph as ox

from kg.formats import Format
from kg.namespaces import NS, SD
from kg.web.representations import GRAPH, RESULTS

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PREFIXES = {"sd": str(SD), "void": NS.void, "dcterms": NS.dcterms, "xsd": NS.xsd}


def sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"{SD}{name}")


def _integer(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=ox.NamedNode(NS.xsd + "integer"))


def named_graph(name: str, size: int) -> list[ox.Triple]:
    node, graph = ox.BlankNode(), ox.BlankNode()
    return [
        ox.Triple(node, RDF_TYPE, sd("NamedGraph")),
        ox.Triple(node, sd("name"), ox.NamedNode(name)),
        ox.Triple(node, sd("graph"), graph),
        ox.Triple(graph, RDF_TYPE, sd("Graph")),
        ox.Triple(graph, ox.NamedNode(NS.void + "triples"), _integer(size)),
    ]


def dataset(sizes: dict[str, int], release_id: str) -> tuple[ox.BlankNode, list[ox.Triple]]:
    node, default = ox.BlankNode(), ox.BlankNode()
    triples = [
        ox.Triple(node, RDF_TYPE, sd("Dataset")),
        ox.Triple(node, sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, sd("Graph")),
        ox.Triple(node, ox.NamedNode(NS.dcterms + "identifier"), ox.Literal(release_id)),
    ]
    for name, size in sizes.items():
        graph = named_graph(name, size)
        triples += [*graph, ox.Triple(node, sd("namedGraph"), graph[0].subject)]
    return node, triples


def service(endpoint: str, sizes: dict[str, int], release_id: str) -> list[ox.Triple]:
    """The description: endpoint, language, formats, union default graph, and every named graph."""
    node = ox.NamedNode(endpoint + "#service")
    triples = [
        ox.Triple(node, RDF_TYPE, sd("Service")),
        ox.Triple(node, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(node, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(node, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(node, ox.NamedNode(NS.dcterms + "title"), ox.Literal("AIRM-KG SPARQL endpoint (read-only)")),
    ]
    for rep in (*RESULTS, *GRAPH):
        triples.append(ox.Triple(node, sd("resultFormat"), ox.NamedNode(rep.entry.iri)))
    ds, ds_triples = dataset(sizes, release_id)
    return triples + [ox.Triple(node, sd("defaultDataset"), ds)] + ds_triples


def serialize(triples: list[ox.Triple], fmt: Format) -> bytes:
    return cast(bytes, ox.serialize(triples, format=fmt.rdf_format, prefixes=PREFIXES))  # no output: bytes
