"""Real clients, unchanged, against the real server: SPARQLWrapper, rdflib's SPARQLStore and curl all
get the same answer as the store itself."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from kg.sparql import execute

pytestmark = pytest.mark.server

SELECT = """PREFIX airm: <https://w3id.org/airm-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?document ?title ?year WHERE {
  ?document a airm:SourceDocument ; dcterms:title ?title .
  OPTIONAL { ?document dcterms:issued ?year }
} ORDER BY ?document"""
ASK = "PREFIX airm: <https://w3id.org/airm-kg/ontology#> ASK { ?m a airm:Mitigation }"
CONSTRUCT = """PREFIX airm: <https://w3id.org/airm-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
CONSTRUCT { ?d dcterms:title ?t } WHERE { ?d a airm:SourceDocument ; dcterms:title ?t }"""


VARS = ("document", "title", "year")


def lexical(solutions) -> list[tuple]:
    """Solutions as tuples of lexical values (what every format keeps, CSV included)."""
    return [tuple(s[v].value if s[v] is not None else None for v in VARS) for s in solutions]


@pytest.fixture(scope="module")
def expected(store) -> list[tuple]:
    """The answer of SELECT straight from the store."""
    return lexical(execute.run_dataset(store, SELECT))


@pytest.fixture(scope="module")
def expected_graph(store) -> Graph:
    nt = execute.render(execute.run_dataset(store, CONSTRUCT), "ntriples").decode()
    return Graph().parse(data=nt, format="nt")


def from_json(data: dict) -> list[tuple]:
    return [tuple(b[v]["value"] if v in b else None for v in data["head"]["vars"]) for b in data["results"]["bindings"]]


def from_csv(text: str, delimiter: str = ",") -> list[tuple]:
    return [tuple(c or None for c in row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)][1:]


def from_tsv(text: str) -> list[tuple]:
    return lexical(ox.parse_query_results(text.encode(), ox.QueryResultsFormat.TSV))


def from_xml(text: str) -> list[tuple]:
    return lexical(ox.parse_query_results(text.encode(), ox.QueryResultsFormat.XML))


# --- SPARQLWrapper ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(server, expected, method, return_format):
    client = SPARQLWrapper(f"{server}/sparql")
    client.setMethod(method)
    client.setQuery(SELECT)
    client.setReturnFormat(return_format)
    result = client.query()
    if return_format == JSON:
        rows = from_json(result.convert())
    elif return_format == XML:
        rows = from_xml(result.convert().toxml())
    elif return_format == CSV:
        rows = from_csv(result.convert().decode())
    else:
        rows = from_tsv(result.convert().decode())
    assert rows == expected


@pytest.mark.parametrize("return_format", [JSON, XML])
def test_sparqlwrapper_ask(server, return_format):
    client = SPARQLWrapper(f"{server}/sparql", returnFormat=return_format)
    client.setQuery(ASK)
    answer = client.query().convert()
    value = (
        answer["boolean"]
        if return_format == JSON
        else answer.getElementsByTagName("boolean")[0].firstChild.data == "true"
    )
    assert value is True


@pytest.mark.parametrize(
    "return_format",
    [
        XML,
        RDFXML,
        TURTLE,
        N3,
        JSONLD,
        pytest.param(JSON, marks=pytest.mark.filterwarnings("ignore:Sending Accept header:RuntimeWarning")),
    ],
)  # format=json -> JSON-LD
def test_sparqlwrapper_construct(server, expected_graph, return_format):
    client = SPARQLWrapper(f"{server}/sparql", returnFormat=return_format)
    client.setQuery(CONSTRUCT)
    result = client.query()
    raw = result.response.read()
    media = result.response.headers["Content-Type"].split(";")[0]
    fmt = {
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/ld+json": ox.RdfFormat.JSON_LD,
    }[media]
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(raw, format=fmt)]
    got = Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
    assert isomorphic(got, expected_graph)


def test_sparqlwrapper_malformed_query_says_what_is_wrong(server):
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    client = SPARQLWrapper(f"{server}/sparql", returnFormat=JSON)
    client.setQuery("SELECT * WHERE { ?s ?p }")
    with pytest.raises(QueryBadFormed, match="error at 1:25"):
        client.query()


# --- rdflib's SPARQLStore -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_select(server, expected, method):
    graph = Graph(store=SPARQLStore(f"{server}/sparql", method=method))
    rows = [tuple(str(t) if t is not None else None for t in row) for row in graph.query(SELECT)]
    assert rows == expected


def test_rdflib_sparqlstore_ask_and_construct(server, expected_graph):
    graph = Graph(store=SPARQLStore(f"{server}/sparql"))
    assert graph.query(ASK).askAnswer is True
    assert isomorphic(graph.query(CONSTRUCT).graph, expected_graph)


def test_rdflib_sparqlstore_triples(server):
    graph = Graph(store=SPARQLStore(f"{server}/sparql"))
    document = URIRef("https://w3id.org/airm-kg/document/shi2024")
    titles = list(graph.objects(document, URIRef("http://purl.org/dc/terms/title")))
    assert titles == [Literal("Large Language Model Safety: A Holistic Survey")]


# --- curl -----------------------------------------------------------------------------------------

CURL = shutil.which("curl")


def curl(*args: str) -> tuple[int, str, str]:
    """(status, content type, body) of a curl call."""
    assert CURL is not None  # the tests calling it skip without curl
    out = subprocess.run(
        [CURL, "-s", "-S", "-w", "\n%{http_code} %{content_type}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    body, _, tail = out.rpartition("\n")
    status, _, ctype = tail.partition(" ")
    return int(status), ctype, body


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
@pytest.mark.parametrize(
    "accept, parse",
    [
        ("application/sparql-results+json", lambda b: from_json(json.loads(b))),
        ("application/sparql-results+xml", from_xml),
        ("text/csv", from_csv),
        ("text/tab-separated-values", from_tsv),
        ("*/*", lambda b: from_json(json.loads(b))),
    ],
)
@pytest.mark.parametrize("how", ["GET", "POST form", "POST query"])
def test_curl_each_accept_type_gets_the_same_answer(server, expected, accept, parse, how):
    if how == "GET":
        args = ["-G", "--data-urlencode", f"query={SELECT}"]
    elif how == "POST form":
        args = ["--data-urlencode", f"query={SELECT}"]
    else:
        args = ["-H", "Content-Type: application/sparql-query", "--data-binary", SELECT]
    status, ctype, body = curl("-H", f"Accept: {accept}", *args, f"{server}/sparql")
    assert status == 200 and (accept == "*/*" or ctype.startswith(accept))
    assert parse(body) == expected


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_curl_broken_query_gets_400_saying_what_is_wrong(server):
    status, ctype, body = curl("-G", "--data-urlencode", "query=SELECT * WHERE { ?s ?p }", f"{server}/sparql")
    error = json.loads(body)["error"]
    assert (status, ctype, error["status"], error["title"]) == (400, "application/json", 400, "Bad Request")
    assert "malformed query: error at 1:25" in error["detail"] and "^" in error["detail"]
