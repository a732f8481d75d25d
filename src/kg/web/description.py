"""The SPARQL service description (`sd:Service`) of the endpoint, answered on GET /sparql without a query."""

from __future__ import annotations

import pyoxigraph as ox

from kg.namespaces import SD
from kg.web.representations import GRAPH, RESULTS

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
XSD = "http://www.w3.org/2001/XMLSchema#"
# W3C's IRIs for formats (https://www.w3.org/ns/formats/), by our format names.
FORMAT_IRIS = {"json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
               "tsv": "SPARQL_Results_TSV", "turtle": "Turtle", "ntriples": "N-Triples",
               "jsonld": "JSON-LD", "rdfxml": "RDF_XML"}
PREFIXES = {"sd": str(SD), "void": VOID, "dcterms": DCTERMS, "xsd": XSD}
GRAPH_SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"{SD}{name}")


def graph_sizes(store: ox.Store) -> dict[str, int]:
    """Triples in each named graph of the store."""
    return {row["g"].value: int(row["n"].value) for row in store.query(GRAPH_SIZES)}


def _integer(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer"))


def named_graph(name: str, size: int) -> list[ox.Triple]:
    node, graph = ox.BlankNode(), ox.BlankNode()
    return [ox.Triple(node, RDF_TYPE, sd("NamedGraph")), ox.Triple(node, sd("name"), ox.NamedNode(name)),
            ox.Triple(node, sd("graph"), graph), ox.Triple(graph, RDF_TYPE, sd("Graph")),
            ox.Triple(graph, ox.NamedNode(VOID + "triples"), _integer(size))]


def dataset(sizes: dict[str, int], release_id: str) -> tuple[ox.BlankNode, list[ox.Triple]]:
    node, default = ox.BlankNode(), ox.BlankNode()
    triples = [ox.Triple(node, RDF_TYPE, sd("Dataset")), ox.Triple(node, sd("defaultGraph"), default),
               ox.Triple(default, RDF_TYPE, sd("Graph")),
               ox.Triple(node, ox.NamedNode(DCTERMS + "identifier"), ox.Literal(release_id))]
    for name, size in sizes.items():
        graph = named_graph(name, size)
        triples += [*graph, ox.Triple(node, sd("namedGraph"), graph[0].subject)]
    return node, triples


def service(endpoint: str, sizes: dict[str, int], release_id: str) -> list[ox.Triple]:
    """The description: endpoint, language, formats, union default graph, and every named graph."""
    node = ox.NamedNode(endpoint + "#service")
    triples = [ox.Triple(node, RDF_TYPE, sd("Service")), ox.Triple(node, sd("endpoint"), ox.NamedNode(endpoint)),
               ox.Triple(node, sd("supportedLanguage"), sd("SPARQL11Query")),
               ox.Triple(node, sd("feature"), sd("UnionDefaultGraph")),
               ox.Triple(node, ox.NamedNode(DCTERMS + "title"), ox.Literal("AIRM-KG SPARQL endpoint (read-only)"))]
    for rep in (*RESULTS, *GRAPH):
        triples.append(ox.Triple(node, sd("resultFormat"),
                                 ox.NamedNode("http://www.w3.org/ns/formats/" + FORMAT_IRIS[rep.name])))
    ds, ds_triples = dataset(sizes, release_id)
    return triples + [ox.Triple(node, sd("defaultDataset"), ds)] + ds_triples


def serialize(triples: list[ox.Triple], fmt) -> bytes:
    return ox.serialize(triples, format=fmt.oxigraph, prefixes=PREFIXES)
